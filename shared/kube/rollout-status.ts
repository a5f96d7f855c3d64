// A Rollout's state for display, computed as `kubectl argo rollouts get` v1.10.1 does (`utils/rollout/rolloututil.go`,
// `utils/replicaset/canary.go`, `pkg/kubectl-argo-rollouts/info/{rollout_info,replicaset_info}.go`): from the object,
// and for the actual weight of a canary without traffic routing, from its ReplicaSets.
import { POD_TEMPLATE_HASH_LABEL, type CanaryStep, type ReplicaSet, type Rollout } from './rollout-types.js';

export interface RolloutSummary {
  namespace: string;
  name: string;
  strategy: 'Canary' | 'BlueGreen' | '';
  /** Healthy, Progressing, Paused or Degraded. */
  phase: string;
  message: string;
  /** Canary with steps, once the controller has set the index: the index (= steps when done) and the count. */
  step?: { index: number; count: number };
  /** Canary only: the weight the current step asks for (0 when aborted; the maximum when past the steps). */
  setWeight?: number;
  /**
   * Canary only: the share of traffic the canary gets — the traffic router's weight, or without a router the canary
   * ReplicaSet's share of the available pods. Undefined when that takes the ReplicaSets and none were given.
   */
  actualWeight?: number;
  stableHash?: string;
  canaryHash?: string;
  fullyPromoted: boolean;
  aborted: boolean;
  /** `spec.paused`: paused by a person (pause / resume). */
  pausedManually: boolean;
  pauseReasons: string[];
  /** The current step's AnalysisRun, while there is one. */
  analysisRun?: { name: string; status: string; message?: string };
}

/** `replicaSets`: the Rollout's (those of its namespace will do); needed for the actual weight when needsReplicaSets. */
export function summarizeRollout(rollout: Rollout, replicaSets?: readonly ReplicaSet[]): RolloutSummary {
  const status = rollout.status ?? {};
  const canary = rollout.spec.strategy.canary;
  const { phase, message } = rolloutPhase(rollout);
  const steps = canary?.steps ?? [];
  const summary: RolloutSummary = {
    namespace: rollout.metadata.namespace ?? '',
    name: rollout.metadata.name,
    strategy: canary ? 'Canary' : rollout.spec.strategy.blueGreen ? 'BlueGreen' : '',
    phase,
    message,
    stableHash: status.stableRS || undefined,
    canaryHash: status.currentPodHash || undefined,
    fullyPromoted: isFullyPromoted(rollout),
    aborted: status.abort === true,
    pausedManually: rollout.spec.paused === true,
    pauseReasons: (status.pauseConditions ?? []).map((c) => c.reason),
  };
  if (canary) {
    if (status.currentStepIndex !== undefined && steps.length > 0) summary.step = { index: status.currentStepIndex, count: steps.length };
    summary.setWeight = currentSetWeight(rollout);
    const actual = actualWeight(rollout, summary.setWeight, replicaSets);
    if (actual !== undefined) summary.actualWeight = actual;
    const run = status.canary?.currentStepAnalysisRunStatus;
    if (run?.name) summary.analysisRun = { name: run.name, status: run.status, ...(run.message ? { message: run.message } : {}) };
  }
  return summary;
}

/** One line for chat: `Paused (CanaryPauseStep) · step 1/3 · weight 25 · stable abc · canary def`. */
export function formatSummary(s: RolloutSummary): string {
  const parts = [s.message ? `${s.phase} (${s.message})` : s.phase];
  if (s.step) parts.push(`step ${s.step.index}/${s.step.count}`);
  if (s.setWeight !== undefined) parts.push(weightText(s));
  if (s.stableHash) parts.push(`stable ${s.stableHash}`);
  if (s.canaryHash && s.canaryHash !== s.stableHash) parts.push(`canary ${s.canaryHash}`);
  if (s.analysisRun) parts.push(`analysis ${s.analysisRun.name} ${s.analysisRun.status}`);
  return `${s.namespace}/${s.name}: ${parts.join(' · ')}`;
}

/** `weight 25` (set = actual), `weight 25 (actual 0)`, or `set weight 25` when the actual weight is unknown. */
export function weightText(s: Pick<RolloutSummary, 'setWeight' | 'actualWeight'>, unit = ''): string {
  if (s.actualWeight === undefined) return `set weight ${s.setWeight}${unit}`;
  return s.actualWeight === s.setWeight ? `weight ${s.setWeight}${unit}` : `weight ${s.setWeight}${unit} (actual ${s.actualWeight}${unit})`;
}

/** `rolloututil.GetRolloutPhase`. */
export function rolloutPhase(rollout: Rollout): { phase: string; message: string } {
  const status = rollout.status ?? {};
  if (!isGenerationObserved(rollout)) return { phase: 'Progressing', message: 'waiting for rollout spec update to be observed' };
  if (isUnpausing(rollout)) return { phase: 'Progressing', message: 'waiting for rollout to unpause' };
  if (status.phase) return { phase: status.phase, message: status.message ?? '' };
  return calculatePhase(rollout);
}

/**
 * The controller has seen the latest spec. `observedGeneration` is a string; one that is missing or not a number,
 * or is ahead of the generation, counts as observed (as in Argo).
 */
export function isGenerationObserved(rollout: Rollout): boolean {
  const observed = parseGoInt(rollout.status?.observedGeneration);
  if (observed === undefined) return true;
  return observed >= BigInt(rollout.metadata.generation ?? 0);
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * Go's `strconv.Atoi` on a 64-bit platform: an optional `+` or `-`, then decimal digits (leading zeros allowed),
 * within int64. Undefined where Atoi returns an error. A BigInt, so that no digit is lost beyond 2^53.
 */
export function parseGoInt(text: string | undefined): bigint | undefined {
  if (text === undefined || !/^[+-]?\d+$/.test(text)) return undefined;
  const value = BigInt(text);
  return value < INT64_MIN || value > INT64_MAX ? undefined : value;
}

/** `controllerPause` without pause conditions: the controller is between clearing a pause and moving on. */
function isUnpausing(rollout: Rollout): boolean {
  return rollout.status?.controllerPause === true && (rollout.status.pauseConditions ?? []).length === 0;
}

export function isFullyPromoted(rollout: Rollout): boolean {
  return (rollout.status?.stableRS ?? '') === (rollout.status?.currentPodHash ?? '');
}

/** `replicasetutil.GetCurrentCanaryStep`: undefined index without canary steps; no step once past the last. */
export function currentCanaryStep(rollout: Rollout): { step?: CanaryStep; index?: number } {
  const steps = rollout.spec.strategy.canary?.steps ?? [];
  if (steps.length === 0) return {};
  const index = rollout.status?.currentStepIndex ?? 0;
  return { step: steps[index], index };
}

function maxWeight(rollout: Rollout): number {
  return rollout.spec.strategy.canary?.trafficRouting?.maxTrafficWeight ?? 100;
}

/** `replicasetutil.GetCurrentSetWeight`: the last `setWeight` at or before the current step. */
function currentSetWeight(rollout: Rollout): number {
  if (rollout.status?.abort) return 0;
  const { step, index } = currentCanaryStep(rollout);
  if (!step || index === undefined) return maxWeight(rollout);
  const steps = rollout.spec.strategy.canary!.steps!;
  for (let i = index; i >= 0; i--) {
    const weight = steps[i]?.setWeight;
    if (weight !== undefined) return weight;
  }
  return 0;
}

/** The actual weight takes the Rollout's ReplicaSets: a canary without traffic routing, at a step, with available pods. */
export function needsReplicaSets(rollout: Rollout): boolean {
  const canary = rollout.spec.strategy.canary;
  return canary !== undefined && !canary.trafficRouting && currentCanaryStep(rollout).step !== undefined && (rollout.status?.availableReplicas ?? 0) > 0;
}

/**
 * `rollout_info.go`: the maximum past the steps; 0 with no available pod; with traffic routing, the weight the
 * router reports (`status.canary.weights`, else the set weight); without, the canary ReplicaSet's available pods as
 * a share of the Rollout's (Go's integer division), 0 without a canary ReplicaSet.
 */
function actualWeight(rollout: Rollout, setWeight: number, replicaSets: readonly ReplicaSet[] | undefined): number | undefined {
  const { step } = currentCanaryStep(rollout);
  if (!step) return maxWeight(rollout);
  const available = rollout.status?.availableReplicas ?? 0;
  if (available <= 0) return 0;
  if (rollout.spec.strategy.canary?.trafficRouting) return rollout.status?.canary?.weights?.canary.weight ?? setWeight;
  if (!replicaSets) return undefined;
  const canary = canaryReplicaSet(rollout, replicaSets);
  return canary ? Math.floor(((canary.status?.availableReplicas ?? 0) * maxWeight(rollout)) / available) : 0;
}

/** `replicaset_info.go`: owned by the Rollout, its pod template hash the current one and not the stable one. */
function canaryReplicaSet(rollout: Rollout, replicaSets: readonly ReplicaSet[]): ReplicaSet | undefined {
  const { currentPodHash, stableRS } = rollout.status ?? {};
  const canaries = replicaSets.filter((rs) => {
    const hash = rs.metadata.labels?.[POD_TEMPLATE_HASH_LABEL] ?? '';
    return rs.metadata.ownerReferences?.some((owner) => owner.uid === rollout.metadata.uid) && hash !== (stableRS ?? '') && hash === (currentPodHash ?? '');
  });
  return canaries.at(-1);
}

/** `rolloututil.CalculateRolloutPhase`: only for a status the controller has not given a phase yet. */
function calculatePhase(rollout: Rollout): { phase: string; message: string } {
  const { spec } = rollout;
  const status = rollout.status ?? {};
  for (const condition of status.conditions ?? []) {
    if (condition.type === 'InvalidSpec') return { phase: 'Degraded', message: `InvalidSpec: ${condition.message ?? ''}` };
    if (condition.reason === 'RolloutAborted' || condition.reason === 'ProgressDeadlineExceeded') {
      return { phase: 'Degraded', message: `${condition.reason}: ${condition.message ?? ''}` };
    }
  }
  if (spec.paused) return { phase: 'Paused', message: 'manually paused' };
  const pause = status.pauseConditions?.[0];
  if (pause) return { phase: 'Paused', message: pause.reason };
  if (spec.restartAt && (!status.restartedAt || Date.parse(spec.restartAt) !== Date.parse(status.restartedAt))) {
    return { phase: 'Progressing', message: 'rollout is restarting' };
  }
  const updated = status.updatedReplicas ?? 0;
  if (updated < (spec.replicas ?? 1)) return { phase: 'Progressing', message: 'more replicas need to be updated' };
  if ((status.availableReplicas ?? 0) < updated) return { phase: 'Progressing', message: 'updated replicas are still becoming available' };
  if (spec.strategy.blueGreen) {
    const active = status.blueGreen?.activeSelector;
    if (!active || active !== status.currentPodHash) return { phase: 'Progressing', message: 'active service cutover pending' };
    if (!status.stableRS || !isFullyPromoted(rollout)) {
      const post = status.blueGreen?.postPromotionAnalysisRunStatus;
      const waiting = spec.strategy.blueGreen.postPromotionAnalysis !== undefined && !['Successful', 'Failed', 'Error', 'Inconclusive'].includes(post?.status ?? '');
      return { phase: 'Progressing', message: waiting ? 'waiting for analysis to complete' : 'waiting for post-promotion verification to complete' };
    }
  } else if (spec.strategy.canary) {
    if (!spec.strategy.canary.trafficRouting && (status.replicas ?? 0) > updated) return { phase: 'Progressing', message: 'old replicas are pending termination' };
    if (!status.stableRS || !isFullyPromoted(rollout)) return { phase: 'Progressing', message: 'waiting for all steps to complete' };
  }
  return { phase: 'Healthy', message: '' };
}
