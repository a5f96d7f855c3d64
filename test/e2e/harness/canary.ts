// Canary Rollouts verified by rollouts-cv on the harness's cluster: revision 1 deployed and its pods registered with
// the synthetic app, then a new pod template whose canary pods serve the traffic a scenario asks for; the Rollout
// observed as `kubectl argo rollouts` shows it, and the AnalysisRun of its analysis step read back. The pods may log
// too (harness/pod-logs.ts): the stable pods healthily, the canary as the scenario asks.
import type { Environment } from './environment.js';
import type { LogProfile, PodLogShipper } from './pod-logs.js';
import { type Rollout, type RolloutState, type StepPluginStatus, rolloutState } from './kubectl.js';
import { tail, waitFor } from './processes.js';
import { BASELINE, type Traffic, readyPods, registerGroup } from './verification.js';

/** Replicas of every canary Rollout: one canary pod at `setWeight: 25`. */
export const REPLICAS = 4;

/** Where the canaries run: the environment and a namespace whose `default` ServiceAccount exists. */
export interface CanaryTarget {
  env: Environment;
  namespace: string;
}

export interface CanaryRun {
  stableHash: string;
  canaryHash: string;
  /** Distinct (phase, step, message) states seen while polling, in order. */
  seen: string[];
  final: RolloutState;
  analysis?: StepAnalysis;
  seconds: number;
}

export interface StepAnalysis {
  name: string;
  phase: string;
  message: string;
  measurementPhase: string;
  measurementMessage: string;
}

export interface Canary {
  target: CanaryTarget;
  name: string;
  stableHash: string;
  canaryHash: string;
  seen: string[];
  /** The last non-empty `status.canary.stepPluginStatuses` seen. */
  stepPluginStatuses: StepPluginStatus[];
  rollout(): Promise<Rollout>;
  /** Reads the Rollout, recording its state in `seen`. */
  observe(): Promise<RolloutState>;
  /** Polls the Rollout until `predicate` holds; returns that state. */
  until(what: string, predicate: (state: RolloutState) => boolean, timeoutMs?: number): Promise<RolloutState>;
  /** Polls `probe` until it gives a value, recording the Rollout's state too. */
  poll<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs?: number): Promise<T>;
  result(final: RolloutState, analysis?: StepAnalysis): CanaryRun;
}

export interface Measurement {
  phase: string;
  message?: string;
  /** The engine's verdict summary (shared/verdicts/summary.ts). */
  value?: string;
  metadata?: Record<string, string>;
}

/** The pods' log lines, shipped by `shipper`: the stable pods' healthy, the canary's as `canary` says. */
export interface CanaryLogs {
  shipper: PodLogShipper;
  canary: LogProfile;
}

export interface AnalysisRun {
  metadata: { name: string; labels?: Record<string, string> };
  status?: { phase?: string; message?: string; metricResults?: { name: string; measurements?: Measurement[] }[] };
}

/** Healthy and fully promoted, or Degraded: the rollout will not move on by itself. */
export const done = (state: RolloutState) => (state.phase === 'Healthy' && state.fullyPromoted) || state.phase === 'Degraded';

/** `setWeight: 25`, then `step`: the canary steps of most scenarios. */
export function weightThen(step: object): object[] {
  return [{ setWeight: 25 }, step];
}

/** A canary Rollout of `REPLICAS` pods (kwok runs them); `revision` is written in the pod template's annotations. */
export function rolloutManifest(namespace: string, name: string, revision: number, steps: object[]): object {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name, namespace },
    spec: {
      replicas: REPLICAS,
      revisionHistoryLimit: 2,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name }, annotations: { 'e2e.rollouts-cv/revision': String(revision) } },
        spec: { containers: [{ name: 'app', image: 'registry.invalid/e2e/app:1', ports: [{ containerPort: 8080 }] }] },
      },
      strategy: { canary: { steps } },
    },
  };
}

/**
 * Deploys revision 1 of a Rollout with `steps`, registers its pods with the synthetic app (and the log shipper, when
 * `logs` is given), updates the pod template and registers the canary pod with `traffic`.
 */
export async function startCanary(target: CanaryTarget, name: string, traffic: Traffic, steps: object[], logs?: CanaryLogs): Promise<Canary> {
  const { env: e, namespace } = target;
  const k = e.kubectl;
  const began = performance.now();
  const seen: string[] = [];
  let stepPluginStatuses: StepPluginStatus[] = [];
  const rollout = () => k.json<Rollout>(['-n', namespace, 'get', 'rollout', name]);
  const observe = async () => {
    const raw = await rollout();
    if (raw.status?.canary?.stepPluginStatuses?.length) stepPluginStatuses = raw.status.canary.stepPluginStatuses;
    const state = rolloutState(raw);
    const line = `${state.phase} step ${state.step}/${state.steps}${state.message ? `: ${state.message}` : ''}`;
    if (seen.at(-1) !== line) seen.push(line);
    return state;
  };
  const describe = async () => `rollout ${name}: ${seen.join(' → ')}\ncontroller log:\n${await tail(e.log('rollouts-controller'), 40)}`;
  const poll = <T,>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 300_000) =>
    waitFor(what, async () => {
      await observe();
      return probe();
    }, timeoutMs, describe, 1000);
  const until = (what: string, predicate: (state: RolloutState) => boolean, timeoutMs = 300_000) =>
    waitFor(what, async () => {
      const state = await observe();
      return predicate(state) ? state : undefined;
    }, timeoutMs, describe, 1000);

  await k.apply(JSON.stringify(rolloutManifest(namespace, name, 1, steps)));
  const first = await until('revision 1 to be Healthy', (s) => s.phase === 'Healthy' && s.fullyPromoted, 120_000);
  const stableHash = first.stableRS!;
  const stablePods = await readyPods(k, namespace, name, stableHash, REPLICAS, describe);
  await registerGroup(e.app, stableHash, stablePods, BASELINE);
  logs?.shipper.register({ namespace, app: name, pods: stablePods, profile: 'healthy' });

  await k.run(['-n', namespace, 'patch', 'rollout', name, '--type', 'merge', '-p', JSON.stringify({ spec: { template: { metadata: { annotations: { 'e2e.rollouts-cv/revision': '2' } } } } })]);
  const canaryHash = await waitFor('the canary ReplicaSet', async () => {
    const state = await observe();
    return state.currentPodHash && state.currentPodHash !== stableHash ? state.currentPodHash : undefined;
  }, 60_000, describe, 250);
  const canaryPods = await readyPods(k, namespace, name, canaryHash, 1, describe, 250);
  await registerGroup(e.app, canaryHash, canaryPods, traffic);
  logs?.shipper.register({ namespace, app: name, pods: canaryPods, profile: logs.canary });
  return {
    target,
    name,
    stableHash,
    canaryHash,
    seen,
    get stepPluginStatuses() {
      return stepPluginStatuses;
    },
    rollout,
    observe,
    until,
    poll,
    result: (final, analysis) => ({ stableHash, canaryHash, seen, final, analysis, seconds: Math.round((performance.now() - began) / 1000) }),
  };
}

/** A canary whose `steps` hold an analysis step, run until the Rollout is Healthy and promoted, or Degraded. */
export async function runCanary(target: CanaryTarget, name: string, traffic: Traffic, steps: object[], logs?: CanaryLogs): Promise<CanaryRun & { analysis: StepAnalysis }> {
  const c = await startCanary(target, name, traffic, steps, logs);
  const final = await c.until('the rollout to finish (Healthy and promoted, or Degraded)', done);
  const analysis = await stepAnalysis(c);
  return { ...c.result(final, analysis), analysis };
}

/** The AnalysisRun of the canary's analysis step. */
export async function analysisRun(c: Canary): Promise<AnalysisRun> {
  const { env, namespace } = c.target;
  const runs = await env.kubectl.json<{ items: AnalysisRun[] }>(['-n', namespace, 'get', 'analysisruns', '-l', `rollouts-pod-template-hash=${c.canaryHash}`]);
  const run = runs.items.find((r) => r.metadata.name.startsWith(`${c.name}-${c.canaryHash}-`));
  if (!run) throw new Error(`no AnalysisRun of ${c.name} for ${c.canaryHash}: ${runs.items.map((r) => r.metadata.name).join(', ')}`);
  return run;
}

/** The `verify` metric's measurements so far, oldest first (none before the AnalysisRun exists). */
export async function verifyMeasurements(c: Canary): Promise<Measurement[]> {
  const run = await analysisRun(c).catch(() => undefined);
  return run?.status?.metricResults?.find((m) => m.name === 'verify')?.measurements ?? [];
}

/** The analysis step's AnalysisRun and its last `verify` measurement. */
export async function stepAnalysis(c: Canary): Promise<StepAnalysis> {
  const run = await analysisRun(c);
  const measurement = run.status?.metricResults?.find((m) => m.name === 'verify')?.measurements?.at(-1);
  return {
    name: run.metadata.name,
    phase: run.status?.phase ?? '',
    message: run.status?.message ?? '',
    measurementPhase: measurement?.phase ?? '',
    measurementMessage: measurement?.message ?? '',
  };
}
