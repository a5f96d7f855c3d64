// What each Rollout action sends, decided from the objects read: pure functions, following
// `kubectl argo rollouts` v1.10.1 (`pkg/kubectl-argo-rollouts/cmd/{promote,set,undo}`), plus the refusals it
// leaves to the controller (retry of a rollout that is not aborted, promote of a promoted one, …).
import { currentCanaryStep, isFullyPromoted, isGenerationObserved, parseGoInt, summarizeRollout } from './rollout-status.js';
import { POD_TEMPLATE_HASH_LABEL, REVISION_ANNOTATION, type LabelSelector, type PodTemplate, type Rollout, type Workload } from './rollout-types.js';

/** NoEffect: the request was sent and accepted, and the controller did not do what it asks. */
export type RolloutErrorCode = 'NotFound' | 'NotApplicable' | 'Invalid' | 'Forbidden' | 'Timeout' | 'Conflict' | 'ApiError' | 'NoEffect';

export class RolloutActionError extends Error {
  constructor(
    readonly code: RolloutErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RolloutActionError';
  }
}

export const refOf = (rollout: Rollout) => `${rollout.metadata.namespace ?? ''}/${rollout.metadata.name}`;

/** `step 1/3`, or '' without canary steps. */
export function stepText(rollout: Rollout, index = rollout.status?.currentStepIndex ?? 0): string {
  const count = rollout.spec.strategy.canary?.steps?.length ?? 0;
  return count > 0 ? `step ${index}/${count}` : '';
}

/** Why an action makes no sense on the Rollout as it is, or undefined. kubectl sends these anyway. */
export function refusal(action: 'abort' | 'retry' | 'pause' | 'resume', rollout: Rollout): string | undefined {
  const status = rollout.status ?? {};
  const ref = refOf(rollout);
  switch (action) {
    case 'abort':
      if (status.abort) return `rollout '${ref}' is already aborted`;
      if (isFullyPromoted(rollout)) return `rollout '${ref}' is fully promoted: there is no update to abort`;
      return undefined;
    case 'retry':
      return status.abort ? undefined : `rollout '${ref}' is not aborted: only an aborted rollout can be retried`;
    case 'pause':
      return rollout.spec.paused ? `rollout '${ref}' is already paused` : undefined;
    case 'resume':
      return rollout.spec.paused ? undefined : `rollout '${ref}' is not paused${(status.pauseConditions ?? []).length > 0 ? ' by a person (it waits on a step: promote it)' : ''}`;
  }
}

/**
 * The controller has caught up with the Rollout, so a promote decides on current state: the latest generation is
 * observed, and a `controllerPause` has its pause conditions (between the two, promote would skip a step).
 */
export function readyToPromote(rollout: Rollout): boolean {
  if (!isGenerationObserved(rollout)) return false;
  return !(rollout.status?.controllerPause === true && (rollout.status.pauseConditions ?? []).length === 0);
}

export interface PromotePatches {
  /** Merge patch of the Rollout (unpause), sent first. */
  spec?: Record<string, unknown>;
  /** Merge patch of the `/status` subresource, sent second. */
  status?: Record<string, unknown>;
  /** What the patches ask for, e.g. `unpaused and cleared the pause conditions (CanaryPauseStep)`. */
  asked: string;
}

/**
 * `promote.go` `getPatches` (default and `--full` cases); refuses what would change nothing. kubectl sends the status
 * patch first; here the unpause goes first, since a status patch the controller handles while the Rollout is still
 * paused lets a `pause: {}` step's pause come back.
 */
export function promotePatches(rollout: Rollout, options: { full?: boolean } = {}): PromotePatches {
  const status = rollout.status ?? {};
  const ref = refOf(rollout);
  const paused = rollout.spec.paused === true;
  const pauseConditions = status.pauseConditions ?? [];
  if (isFullyPromoted(rollout) && !paused && pauseConditions.length === 0) {
    throw new RolloutActionError('NotApplicable', `rollout '${ref}' is already fully promoted`);
  }
  const asked = paused ? ['unpaused'] : [];
  const patches = (statusPatch?: Record<string, unknown>, what?: string): PromotePatches => ({
    ...(paused && { spec: { spec: { paused: false } } }),
    ...(statusPatch && { status: { status: statusPatch } }),
    asked: [...asked, ...(what ? [what] : [])].join(' and '),
  });
  if (options.full) return isFullyPromoted(rollout) ? patches() : patches({ promoteFull: true }, 'asked for a full promotion');
  const { index } = currentCanaryStep(rollout);
  const steps = rollout.spec.strategy.canary?.steps?.length ?? 0;
  const next = index === undefined ? undefined : Math.min(index + 1, steps);
  const inconclusive = rollout.spec.strategy.canary !== undefined && status.canary?.currentStepAnalysisRunStatus?.status === 'Inconclusive';
  const reasons = pauseConditions.map((c) => c.reason).join(', ');
  if (inconclusive && pauseConditions.length > 0 && status.controllerPause === true) {
    // clear the pause and move past the inconclusive analysis, or a following pause step would hold it again
    if (next !== undefined) return patches({ pauseConditions: null, controllerPause: false, currentStepIndex: next }, `cleared the pause (${reasons}) and moved to ${stepText(rollout, next)}`);
  } else if (pauseConditions.length > 0) {
    return patches({ pauseConditions: null }, `cleared the pause conditions (${reasons})`);
  } else if (next !== undefined) {
    // in the middle of a step (analysis, experiment, setWeight): skip it
    return patches({ pauseConditions: null, currentStepIndex: next }, `moved from ${stepText(rollout, index)} to ${stepText(rollout, next)}`);
  }
  if (paused) return patches();
  throw new RolloutActionError('NotApplicable', `rollout '${ref}' is not paused and has no step to promote`);
}

/**
 * What a promotion did, from the Rollout before it and after the controller acted on it: the step it moved to (or
 * the pause conditions cleared), the unpause, and the phase it is in now. NoEffect when the status patch sent
 * (`promoting`) neither moved the step, nor cleared a pause, nor fully promoted the rollout.
 */
export function promotionOutcome(before: Rollout, after: Rollout, options: { full?: boolean; promoting: boolean }): string {
  const was = summarizeRollout(before);
  const now = summarizeRollout(after);
  const state = `${now.phase}${now.message ? ` (${now.message})` : ''}`;
  const unpaused = was.pausedManually && !now.pausedManually;
  const verb = options.full ? 'fully promoted' : 'promoted';
  let promoted: string | undefined;
  if (was.step && now.step && now.step.index !== was.step.index) promoted = `${verb} from step ${was.step.index}/${was.step.count} to step ${now.step.index}/${now.step.count}`;
  else if (!was.fullyPromoted && now.fullyPromoted) promoted = verb;
  else {
    const cleared = was.pauseReasons.filter((reason) => !now.pauseReasons.includes(reason));
    if (cleared.length > 0) promoted = `${verb} (${cleared.join(', ')} cleared)`;
  }
  if (options.promoting && !promoted) {
    const at = now.step ? `step ${now.step.index}/${now.step.count}, ` : '';
    throw new RolloutActionError('NoEffect', `rollout '${refOf(after)}' not promoted: the controller kept it at ${at}${state}${unpaused ? ' (it was unpaused)' : ''}`);
  }
  const did = [unpaused ? 'unpaused' : '', promoted ?? ''].filter(Boolean).join(' and ') || 'left as it was';
  return `rollout '${refOf(after)}' ${did}; now ${state}`;
}

export interface ImageAssignment {
  container: string;
  image: string;
}

/** `container=image` (`*` for every container), as `kubectl argo rollouts set image` takes them. */
export function parseImageAssignments(assignments: string[]): ImageAssignment[] {
  if (assignments.length === 0) throw new RolloutActionError('Invalid', 'set image needs at least one container=image');
  return assignments.map((text) => {
    const parts = text.split('=');
    if (parts.length !== 2 || !parts[0] || !parts[1]) throw new RolloutActionError('Invalid', `expected container=image, got "${text}"`);
    return { container: parts[0], image: parts[1] };
  });
}

/**
 * A copy of the object with the images set in `spec.template.spec` (init, regular and ephemeral containers), and
 * what changed. Fails naming a container that is in none of them.
 */
export function withImages<T extends { spec: { template?: PodTemplate } }>(object: T, assignments: ImageAssignment[]): { object: T; changes: string[] } {
  const copy = structuredClone(object);
  const podSpec = copy.spec.template?.spec ?? {};
  const containers = [...(podSpec.initContainers ?? []), ...(podSpec.containers ?? []), ...(podSpec.ephemeralContainers ?? [])];
  const changes: string[] = [];
  for (const { container, image } of assignments) {
    const targets = containers.filter((c) => container === '*' || c.name === container);
    if (targets.length === 0) throw new RolloutActionError('Invalid', `unable to find container named "${container}"`);
    for (const target of targets) {
      changes.push(target.image === image ? `${target.name}=${image} (unchanged)` : `${target.name}=${image} (was ${target.image ?? 'none'})`);
      target.image = image;
    }
  }
  return { object: copy, changes };
}

/** A label selector in the API's query syntax. */
export function selectorString(selector: LabelSelector | undefined): string {
  const terms = Object.entries(selector?.matchLabels ?? {}).map(([key, value]) => `${key}=${value}`);
  for (const { key, operator, values = [] } of selector?.matchExpressions ?? []) {
    if (operator === 'In') terms.push(`${key} in (${values.join(',')})`);
    else if (operator === 'NotIn') terms.push(`${key} notin (${values.join(',')})`);
    else if (operator === 'Exists') terms.push(key);
    else terms.push(`!${key}`);
  }
  return terms.join(',');
}

/** The ReplicaSets a Rollout controls (of those its selector matched), with their revision. */
export function revisionsOf(rollout: Rollout, replicaSets: Workload[]): { revision: number; replicaSet: Workload }[] {
  const uid = rollout.metadata.uid;
  return replicaSets
    .filter((rs) => rs.metadata.ownerReferences?.some((owner) => owner.controller === true && owner.uid === uid))
    .flatMap((rs) => {
      const text = rs.metadata.annotations?.[REVISION_ANNOTATION];
      // no annotation counts as revision 0, as in kubectl; an unreadable one is skipped
      const revision = text === undefined ? 0n : parseGoInt(text);
      return revision === undefined ? [] : [{ revision: Number(revision), replicaSet: rs }];
    })
    .sort((a, b) => b.revision - a.revision);
}

/** `undo.go` `rolloutRevision`: `toRevision`, or the second newest revision. */
export function pickRevision(rollout: Rollout, replicaSets: Workload[], toRevision?: number): { revision: number; replicaSet: Workload } {
  const history = revisionsOf(rollout, replicaSets);
  const listed = history.map((h) => h.revision).reverse().join(', ') || 'none';
  if (toRevision !== undefined && toRevision > 0) {
    const found = history.find((h) => h.revision === toRevision);
    if (!found) throw new RolloutActionError('NotFound', `unable to find specified revision ${toRevision} in history of rollout '${refOf(rollout)}' (revisions: ${listed})`);
    return found;
  }
  const previous = history[1];
  if (!previous) throw new RolloutActionError('NotFound', `no revision found for rollout '${refOf(rollout)}' to go back to (revisions: ${listed})`);
  return previous;
}

/** The ReplicaSet's pod template without the hash label, ready to be put back in the Rollout. */
export function restorableTemplate(replicaSet: Workload): PodTemplate {
  const template = structuredClone(replicaSet.spec.template);
  if (template.metadata?.labels) delete template.metadata.labels[POD_TEMPLATE_HASH_LABEL];
  return template;
}

/**
 * `undo.go` `equalIgnoreHash`: the Rollout's template already is the revision's (apimachinery's
 * `Semantic.DeepDerivative`: what the Rollout leaves unset is not compared).
 */
export function templateMatches(current: PodTemplate | undefined, replicaSet: Workload): boolean {
  if (!current) return false;
  const strip = (t: PodTemplate | undefined) => {
    const copy = structuredClone(t ?? {});
    if (copy.metadata?.labels) delete copy.metadata.labels[POD_TEMPLATE_HASH_LABEL];
    return copy;
  };
  return derives(strip(current), strip(replicaSet.spec.template));
}

function derives(a: unknown, b: unknown): boolean {
  if (a === undefined || a === null || a === '') return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((item, i) => derives(item, b[i]));
  if (typeof a === 'object') {
    if (typeof b !== 'object' || b === null || Array.isArray(b)) return false;
    return Object.entries(a).every(([key, value]) => value === undefined || value === null || (key in b && derives(value, (b as Record<string, unknown>)[key])));
  }
  return a === b;
}
