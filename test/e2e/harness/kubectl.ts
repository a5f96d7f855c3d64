// kubectl (from PATH) against the e2e cluster, and the Rollout state as `kubectl argo rollouts` reads it.
import { run, waitFor } from './processes.js';

export class Kubectl {
  /** `cacheDir`: kubectl's discovery cache, kept out of ~/.kube/cache. */
  constructor(
    readonly kubeconfig: string,
    readonly cacheDir: string,
  ) {}

  async run(args: string[], input?: string): Promise<string> {
    return (await run('kubectl', ['--kubeconfig', this.kubeconfig, '--cache-dir', this.cacheDir, ...args], { input, timeoutMs: 60_000 })).stdout;
  }

  async json<T>(args: string[]): Promise<T> {
    return JSON.parse(await this.run([...args, '-o', 'json'])) as T;
  }

  apply(yaml: string): Promise<string> {
    return this.run(['apply', '--server-side', '--force-conflicts', '-f', '-'], yaml);
  }
}

/** Waits until CRD `name` (plural.group) is Established; kubectl wait fails outright while it has no conditions yet. */
export async function established(k: Kubectl, name: string): Promise<void> {
  await waitFor(`CRD ${name} to be Established`, async () => {
    const object = await k.json<{ status?: { conditions?: { type: string; status: string }[] } }>(['get', `crd/${name}`]);
    return object.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ? true : undefined;
  }, 60_000, undefined, 250);
}

export interface Rollout {
  metadata: { name: string; namespace: string; generation: number };
  spec: { paused?: boolean; strategy: { canary?: { steps?: unknown[] } } };
  status?: {
    phase?: string;
    message?: string;
    observedGeneration?: string;
    controllerPause?: boolean;
    pauseConditions?: { reason: string }[];
    currentStepIndex?: number;
    currentPodHash?: string;
    stableRS?: string;
    abort?: boolean;
    canary?: {
      currentStepAnalysisRunStatus?: { name: string; status: string; message?: string };
      stepPluginStatuses?: StepPluginStatus[];
    };
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

export interface StepPluginStatus {
  index: number;
  name: string;
  operation: string;
  phase?: string;
  message?: string;
  executions?: number;
  status?: Record<string, unknown>;
}

export interface RolloutState {
  phase: string;
  message: string;
  step: number;
  steps: number;
  currentPodHash?: string;
  stableRS?: string;
  fullyPromoted: boolean;
  abort: boolean;
}

/** Phase and message as Argo Rollouts' `utils/rollout/rolloututil.go` computes them for the CLI. */
export function rolloutState(rollout: Rollout): RolloutState {
  const status = rollout.status ?? {};
  const steps = rollout.spec.strategy.canary?.steps?.length ?? 0;
  const progressing =
    status.observedGeneration !== String(rollout.metadata.generation) || (status.controllerPause === true && (status.pauseConditions ?? []).length === 0);
  return {
    phase: progressing ? 'Progressing' : (status.phase ?? ''),
    message: progressing && status.observedGeneration !== String(rollout.metadata.generation) ? 'waiting for rollout spec update to be observed' : (status.message ?? ''),
    step: status.currentStepIndex ?? 0,
    steps,
    currentPodHash: status.currentPodHash,
    stableRS: status.stableRS,
    fullyPromoted: status.stableRS !== undefined && status.stableRS === status.currentPodHash,
    abort: status.abort === true,
  };
}

export interface Pod {
  metadata: { name: string; labels?: Record<string, string>; deletionTimestamp?: string };
  status?: { phase?: string; conditions?: { type: string; status: string }[] };
}

export const isReady = (pod: Pod) => !pod.metadata.deletionTimestamp && (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/**
 * `kubectl argo rollouts promote <name>` without flags, as v1.10.1 sends it
 * (`pkg/kubectl-argo-rollouts/cmd/promote/promote.go`, `getPatches`' default case): a merge patch of the status
 * subresource first, then `{"spec":{"paused":false}}` if the Rollout is paused. Returns the patches sent.
 */
export async function promote(k: Kubectl, namespace: string, name: string): Promise<{ status?: string; spec?: string }> {
  const rollout = await k.json<Rollout>(['-n', namespace, 'get', 'rollout', name]);
  const status = rollout.status ?? {};
  const steps = rollout.spec.strategy.canary?.steps?.length ?? 0;
  const pauseConditions = status.pauseConditions ?? [];
  // replicasetutil.GetCurrentCanaryStep: the index (0 when unset), then capped at len(steps) once incremented
  const nextStep = Math.min((status.currentStepIndex ?? 0) + 1, steps);
  const inconclusive = rollout.spec.strategy.canary !== undefined && status.canary?.currentStepAnalysisRunStatus?.status === 'Inconclusive';
  let statusPatch: string | undefined;
  if (inconclusive && pauseConditions.length > 0 && status.controllerPause === true) {
    if (steps > 0) statusPatch = `{"status":{"pauseConditions":null, "controllerPause":false, "currentStepIndex":${nextStep}}}`;
  } else if (pauseConditions.length > 0) {
    statusPatch = '{"status":{"pauseConditions":null}}';
  } else if (rollout.spec.strategy.canary !== undefined && steps > 0) {
    statusPatch = `{"status":{"pauseConditions":null, "currentStepIndex":${nextStep}}}`;
  }
  const specPatch = rollout.spec.paused ? '{"spec":{"paused":false}}' : undefined;
  if (statusPatch) await k.run(['-n', namespace, 'patch', 'rollout', name, '--subresource', 'status', '--type', 'merge', '-p', statusPatch]);
  if (specPatch) await k.run(['-n', namespace, 'patch', 'rollout', name, '--type', 'merge', '-p', specPatch]);
  return { status: statusPatch, spec: specPatch };
}
