// End to end: a real control plane (kwok cluster), the Argo Rollouts controller v1.10.1 loading the rollouts-cv
// bridge, the engine and a Prometheus scraping the synthetic app. Canary Rollouts are verified by an
// AnalysisTemplate using the `rollouts-cv/verify` metric plugin, and the Rollout's phase, step and message are
// asserted as the controller writes them.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { httpMetrics } from '../../plugin/demo/analysis-objects.js';
import { Environment } from './harness/environment.js';
import { type Pod, type Rollout, type RolloutState, isReady, rolloutState } from './harness/kubectl.js';
import { run, tail, waitFor } from './harness/processes.js';

const NAMESPACE = 'e2e';
const CHART_NAMESPACE = 'rollouts-cv';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TEMPLATE = 'rollouts-cv-http';
const REPLICAS = 4;
// Per pod, as in `npm run demo` (which uses 1000 rps): enough requests that a 30 s window of one canary pod is not noise.
const BASELINE = { rps: 200, errorRate: 0.01, latencyMs: 50 };
const REGRESSED = { rps: 200, errorRate: 0.05, latencyMs: 90 };

let env: Environment | undefined;
const summary: Record<string, unknown> = {};

// Interrupted (Ctrl-C, a CI timeout): stop the environment first. A run killed outright is cleaned up by the next
// run (Environment.start reaps what its pid files name).
const onSignal = (signal: NodeJS.Signals) => {
  void (env?.stop() ?? Promise.resolve()).catch(() => undefined).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
};

beforeAll(async () => {
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  env = await Environment.start();
  summary.startMs = env.timings;
  const k = env.kubectl;
  await k.apply(`apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${NAMESPACE}\n`);
  // Pods are refused until the ServiceAccount controller has created the namespace's `default` account.
  await waitFor('the default ServiceAccount', async () => ((await k.run(['-n', NAMESPACE, 'get', 'serviceaccount', 'default', '--ignore-not-found'])).includes('default') ? true : undefined), 60_000);
  await k.apply(analysisTemplate(env.prometheus));
}, 600_000);

afterAll(async () => {
  process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  if (!env) return;
  summary.peakMemoryMiB = await env.peakMemoryMiB().catch(() => ({}));
  const failed = summary.failed === true;
  if (failed) summary.logs = env.workdir;
  await env.stop({ keepWorkdir: failed });
  const cache = process.env.ROLLOUTS_CV_E2E_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'rollouts-cv/e2e');
  await mkdir(cache, { recursive: true });
  await writeFile(join(cache, 'last-run.json'), `${JSON.stringify(summary, null, 2)}\n`);
  console.log(`e2e summary (also in ${join(cache, 'last-run.json')}):\n${JSON.stringify(summary, null, 2)}`);
}, 180_000);

describe('the documented and packaged objects on the real API server', () => {
  // Server-side dry run: the API server validates each object against its schema (the Argo Rollouts CRDs
  // included) and admission, and stores nothing.
  const dryRun = (yaml: string) => env!.kubectl.run(['apply', '--server-side', '--force-conflicts', '--dry-run=server', '-f', '-'], yaml);

  it('accepts every example in docs/examples', async () => {
    for (const file of (await readdir(join(ROOT, 'docs/examples'))).filter((f) => f.endsWith('.yaml'))) {
      expect(await dryRun(await readFile(join(ROOT, 'docs/examples', file), 'utf8')), file).toMatch(/\(server dry run\)/);
    }
  });

  it('accepts every object the Helm chart renders, with each value set', async () => {
    const helm = (await run('bash', [join(ROOT, 'scripts/helm.sh')], { timeoutMs: 900_000 })).stdout.trim();
    const valueSets = (await readdir(join(ROOT, 'charts/rollouts-cv/ci'))).map((f) => join(ROOT, 'charts/rollouts-cv/ci', f));
    for (const values of [undefined, ...valueSets]) {
      const args = ['template', 'rollouts-cv', join(ROOT, 'charts/rollouts-cv'), '--namespace', CHART_NAMESPACE, ...(values ? ['--values', values] : [])];
      const rendered = (await run(helm, args)).stdout;
      // The namespaces the objects go to exist in a real install (e.g. the controller's, for its ConfigMap).
      for (const doc of parseAllDocuments(rendered)) {
        const namespace = (doc.toJS() as { metadata?: { namespace?: string } } | null)?.metadata?.namespace;
        if (namespace) await env!.kubectl.apply(`apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${namespace}\n`);
      }
      expect(await dryRun(rendered), values ?? 'default values').toMatch(/\(server dry run\)/);
    }
  });
});

describe('Argo Rollouts controller + rollouts-cv bridge + engine on a kwok cluster', () => {
  it('promotes a healthy canary fully after a rollouts-cv analysis step', async () => {
    const run = await canary('healthy', BASELINE);
    summary.healthy = run;
    // the controller went through the analysis step (index 1) to the end, and promoted the canary
    expect(run.seen.slice(1)).toContain('Progressing step 1/2: more replicas need to be updated');
    expect(run.final).toMatchObject({ phase: 'Healthy', step: 2, steps: 2, fullyPromoted: true, abort: false, currentPodHash: run.canaryHash, stableRS: run.canaryHash });
    expect(run.final.message).toBe('');
    expect(run.analysis).toMatchObject({ phase: 'Successful', measurementPhase: 'Successful' });
    expect(run.analysis.measurementMessage).toMatch(/^Healthy, score \d+\/100/);
  }, 600_000);

  it('aborts a regressed canary: Degraded with the rollouts-cv reason', async () => {
    const run = await canary('regressed', REGRESSED);
    summary.regressed = run;
    // aborted at the analysis step (index 1); an abort sets the step index back to 0 and keeps the stable pods
    expect(run.seen.slice(1)).toContain('Progressing step 1/2: more replicas need to be updated');
    expect(run.final).toMatchObject({ phase: 'Degraded', step: 0, steps: 2, fullyPromoted: false, abort: true, currentPodHash: run.canaryHash, stableRS: run.stableHash });
    expect(run.final.message).toMatch(/^RolloutAborted: Rollout aborted update to revision 2: /);
    expect(run.analysis).toMatchObject({ phase: 'Failed', measurementPhase: 'Failed' });
    expect(run.analysis.measurementMessage).toMatch(/Unhealthy, score \d+\/100: /);
    // the reason rollouts-cv gave reaches the Rollout's message, through the AnalysisRun's
    expect(run.final.message).toContain(`Step-based analysis phase error/failed: ${run.analysis.message}`);
    expect(run.analysis.message).toContain(`"Error Message: ${run.analysis.measurementMessage}"`);
  }, 600_000);
});

interface CanaryRun {
  stableHash: string;
  canaryHash: string;
  /** Distinct (phase, step, message) states seen while polling, in order. */
  seen: string[];
  final: RolloutState;
  analysis: { name: string; phase: string; message: string; measurementPhase: string; measurementMessage: string };
  seconds: number;
}

/**
 * Deploys revision 1 of a Rollout, registers its pods with the synthetic app, updates the pod template and
 * registers the canary pods with `traffic`; returns once the Rollout is Healthy and promoted, or Degraded.
 */
async function canary(name: string, traffic: typeof BASELINE): Promise<CanaryRun> {
  const e = env!;
  const k = e.kubectl;
  const began = performance.now();
  const seen: string[] = [];
  const get = async () => rolloutState(await k.json<Rollout>(['-n', NAMESPACE, 'get', 'rollout', name]));
  const observe = async () => {
    const state = await get();
    const line = `${state.phase} step ${state.step}/${state.steps}${state.message ? `: ${state.message}` : ''}`;
    if (seen.at(-1) !== line) seen.push(line);
    return state;
  };
  const describe = async () => `rollout ${name}: ${seen.join(' → ')}\ncontroller log:\n${await tail(e.log('rollouts-controller'), 40)}`;

  try {
    await k.apply(rolloutManifest(name, 1));
    const first = await waitFor('revision 1 to be Healthy', async () => {
      const state = await observe();
      return state.phase === 'Healthy' && state.fullyPromoted ? state : undefined;
    }, 120_000, describe);
    const stableHash = first.stableRS!;
    const stablePods = await readyPods(name, stableHash, REPLICAS, describe);
    await registerGroup(e.app, stableHash, stablePods, BASELINE);

    await k.run(['-n', NAMESPACE, 'patch', 'rollout', name, '--type', 'merge', '-p', JSON.stringify({ spec: { template: { metadata: { annotations: { 'e2e.rollouts-cv/revision': '2' } } } } })]);
    const canaryHash = await waitFor('the canary ReplicaSet', async () => {
      const state = await observe();
      return state.currentPodHash && state.currentPodHash !== stableHash ? state.currentPodHash : undefined;
    }, 60_000, describe, 250);
    const canaryPods = await readyPods(name, canaryHash, 1, describe, 250);
    await registerGroup(e.app, canaryHash, canaryPods, traffic);

    const final = await waitFor('the rollout to finish (Healthy and promoted, or Degraded)', async () => {
      const state = await observe();
      return (state.phase === 'Healthy' && state.fullyPromoted) || state.phase === 'Degraded' ? state : undefined;
    }, 300_000, describe, 2000);
    const analysis = await stepAnalysis(name, canaryHash);
    return { stableHash, canaryHash, seen, final, analysis, seconds: Math.round((performance.now() - began) / 1000) };
  } catch (error) {
    summary.failed = true;
    throw error;
  }
}

async function readyPods(rollout: string, hash: string, atLeast: number, describe: () => Promise<string>, intervalMs = 1000): Promise<string[]> {
  const k = env!.kubectl;
  return waitFor(`${atLeast} Ready pod(s) of ${rollout} with hash ${hash}`, async () => {
    const pods = await k.json<{ items: Pod[] }>(['-n', NAMESPACE, 'get', 'pods', '-l', `app=${rollout},rollouts-pod-template-hash=${hash}`]);
    const ready = pods.items.filter(isReady).map((pod) => pod.metadata.name);
    return ready.length >= atLeast ? ready.sort() : undefined;
  }, 60_000, describe, intervalMs);
}

async function registerGroup(app: string, hash: string, podNames: string[], traffic: typeof BASELINE): Promise<void> {
  const response = await fetch(`${app}/groups`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ hash, podNames, ...traffic }),
  });
  if (!response.ok) throw new Error(`the synthetic app refused group ${hash}: ${response.status} ${await response.text()}`);
}

interface AnalysisRun {
  metadata: { name: string; labels?: Record<string, string> };
  status?: { phase?: string; message?: string; metricResults?: { name: string; measurements?: { phase: string; message?: string }[] }[] };
}

async function stepAnalysis(rollout: string, canaryHash: string): Promise<CanaryRun['analysis']> {
  const runs = await env!.kubectl.json<{ items: AnalysisRun[] }>(['-n', NAMESPACE, 'get', 'analysisruns', '-l', `rollouts-pod-template-hash=${canaryHash}`]);
  const run = runs.items.find((r) => r.metadata.name.startsWith(`${rollout}-${canaryHash}-`));
  if (!run) throw new Error(`no AnalysisRun of ${rollout} for ${canaryHash}: ${runs.items.map((r) => r.metadata.name).join(', ')}`);
  const measurement = run.status?.metricResults?.find((m) => m.name === 'verify')?.measurements?.at(-1);
  return {
    name: run.metadata.name,
    phase: run.status?.phase ?? '',
    message: run.status?.message ?? '',
    measurementPhase: measurement?.phase ?? '',
    measurementMessage: measurement?.message ?? '',
  };
}

function rolloutManifest(name: string, revision: number): string {
  return JSON.stringify({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name, namespace: NAMESPACE },
    spec: {
      replicas: REPLICAS,
      revisionHistoryLimit: 2,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name }, annotations: { 'e2e.rollouts-cv/revision': String(revision) } },
        spec: { containers: [{ name: 'app', image: 'registry.invalid/e2e/app:1', ports: [{ containerPort: 8080 }] }] },
      },
      strategy: {
        canary: {
          steps: [
            { setWeight: 25 },
            {
              analysis: {
                templates: [{ templateName: TEMPLATE }],
                args: [
                  { name: 'canary-hash', valueFrom: { podTemplateHashValue: 'Latest' } },
                  { name: 'stable-hash', valueFrom: { podTemplateHashValue: 'Stable' } },
                ],
              },
            },
          ],
        },
      },
    },
  });
}

/**
 * The verification as a user writes it in an AnalysisTemplate, with short windows. `initialDelay` gives the
 * harness time to register the canary pods with the synthetic app before the verification window opens.
 */
function analysisTemplate(prometheus: string): string {
  return JSON.stringify({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AnalysisTemplate',
    metadata: { name: TEMPLATE, namespace: NAMESPACE },
    spec: {
      // Declared here, valued by the Rollout's analysis step: `podTemplateHashValue` exists only in a Rollout's
      // analysis args (the AnalysisTemplate CRD of v1.10.1 rejects it in a template's args).
      args: [{ name: 'canary-hash' }, { name: 'stable-hash' }],
      metrics: [
        {
          name: 'verify',
          initialDelay: '10s',
          provider: {
            plugin: {
              'rollouts-cv/verify': {
                duration: '30s',
                interval: '5s',
                sensitivity: 'medium',
                canary: { podTemplateHash: '{{args.canary-hash}}' },
                baseline: { podTemplateHash: '{{args.stable-hash}}' },
                source: { prometheus: { address: prometheus, step: '2s' } },
                metrics: httpMetrics().map((metric) => ({ ...metric, direction: 'higher-is-bad' })),
              },
            },
          },
        },
      ],
    },
  });
}
