// rollouts-cv verifications on the harness's Prometheus and synthetic app: the AnalysisTemplate and gate step a
// user would write (with short windows), and the registration of a ReplicaSet's pods with the synthetic app so
// that Prometheus has per-pod series for them.
import { DEMO_SCRAPE_INTERVAL, httpMetrics } from '../../../plugin/demo/analysis-objects.js';
import { type Kubectl, type Pod, isReady } from './kubectl.js';
import { waitFor } from './processes.js';

export interface Traffic {
  rps: number;
  errorRate: number;
  latencyMs: number;
}

// Per pod, as in `npm run demo` (which uses 1000 rps): enough requests that a 30 s window of one canary pod is not noise.
export const BASELINE: Traffic = { rps: 200, errorRate: 0.01, latencyMs: 50 };
export const REGRESSED: Traffic = { rps: 200, errorRate: 0.05, latencyMs: 90 };

/**
 * The rollouts-cv verification, with short windows: the metric plugin's config, and the gate's `config.verify`;
 * `logs` (harness/pod-logs.ts: podLogsConfig) makes it judge the pods' log lines too.
 */
export function verifyConfig(prometheus: string, options: { unhealthyPhase?: 'Failed' | 'Inconclusive'; logs?: Record<string, unknown> } = {}): Record<string, unknown> {
  return {
    duration: '30s',
    interval: '5s',
    // The synthetic app has no cold start, and a 30-second window needs all of its data.
    warmup: '0s',
    sensitivity: 'medium',
    ...options,
    canary: { podTemplateHash: '{{args.canary-hash}}' },
    baseline: { podTemplateHash: '{{args.stable-hash}}' },
    source: { prometheus: { address: prometheus, step: '2s', scrapeInterval: DEMO_SCRAPE_INTERVAL } },
    metrics: httpMetrics().map((metric) => ({ ...metric, direction: 'higher-is-bad' })),
  };
}

/**
 * The verification as a user writes it in an AnalysisTemplate. `initialDelay` gives the harness time to register
 * the canary pods with the synthetic app before the verification window opens.
 */
export function analysisTemplate(
  namespace: string,
  name: string,
  prometheus: string,
  options: { unhealthyPhase?: 'Inconclusive'; consecutiveErrorLimit?: number; logs?: Record<string, unknown>; dryRun?: boolean } = {},
): string {
  const { consecutiveErrorLimit, dryRun, ...verify } = options;
  return JSON.stringify({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AnalysisTemplate',
    metadata: { name, namespace },
    spec: {
      // Declared here, valued by the Rollout's analysis step: `podTemplateHashValue` exists only in a Rollout's
      // analysis args (the AnalysisTemplate CRD of v1.10.1 rejects it in a template's args).
      args: [{ name: 'canary-hash' }, { name: 'stable-hash' }],
      // Shadow mode: Argo runs and records the metric, and its result never decides the run.
      ...(dryRun && { dryRun: [{ metricName: 'verify' }] }),
      metrics: [
        {
          name: 'verify',
          initialDelay: '10s',
          ...(consecutiveErrorLimit === undefined ? {} : { consecutiveErrorLimit }),
          provider: { plugin: { 'rollouts-cv/verify': verifyConfig(prometheus, verify) } },
        },
      ],
    },
  });
}

/** An analysis step running `template` on the canary and stable hashes. */
export function analysisStep(template: string): object {
  return {
    analysis: {
      templates: [{ templateName: template }],
      args: [
        { name: 'canary-hash', valueFrom: { podTemplateHashValue: 'Latest' } },
        { name: 'stable-hash', valueFrom: { podTemplateHashValue: 'Stable' } },
      ],
    },
  };
}

/**
 * A `rollouts-cv/gate` step verifying inline, canary and baseline left to default to the Rollout's hashes. Its
 * interval is above 10 s so that the controller calls again when asked (it waits 30 s otherwise).
 */
export function gateStep(prometheus: string): object {
  const { canary: _canary, baseline: _baseline, ...verify } = verifyConfig(prometheus);
  return { plugin: { name: 'rollouts-cv/gate', config: { verify: { ...verify, duration: '30s', interval: '15s' } } } };
}

/** The Ready pods of a rollout's ReplicaSet (by hash), once there are at least `atLeast`. */
export async function readyPods(k: Kubectl, namespace: string, rollout: string, hash: string, atLeast: number, describe: () => Promise<string>, intervalMs = 1000): Promise<string[]> {
  return waitFor(`${atLeast} Ready pod(s) of ${rollout} with hash ${hash}`, async () => {
    const pods = await k.json<{ items: Pod[] }>(['-n', namespace, 'get', 'pods', '-l', `app=${rollout},rollouts-pod-template-hash=${hash}`]);
    const ready = pods.items.filter(isReady).map((pod) => pod.metadata.name);
    return ready.length >= atLeast ? ready.sort() : undefined;
  }, 60_000, describe, intervalMs);
}

/** Makes the synthetic app serve these pods' metrics under `hash`, with `traffic`. */
export async function registerGroup(app: string, hash: string, podNames: string[], traffic: Traffic): Promise<void> {
  const response = await fetch(`${app}/groups`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ hash, podNames, ...traffic }),
  });
  if (!response.ok) throw new Error(`the synthetic app refused group ${hash}: ${response.status} ${await response.text()}`);
}
