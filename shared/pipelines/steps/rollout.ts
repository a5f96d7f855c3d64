// `rollout`: act on a Rollout (promote, promote fully, abort, retry, undo) with the same operations as the bot and
// kubectl-argo-rollouts, and/or wait until it is in a state (phase, pause reason, step, weight). A promote or an undo
// happens once: the step first records where the Rollout stands (that record is written to the run's status before
// the action), and a later look that finds the Rollout moved on from there counts the action as done, whoever did
// it, instead of promoting a second step. An abort or a retry is simply sent again.
import type { CustomObjectsApi } from '@kubernetes/client-node';
import { formatDuration } from '../../config/duration.js';
import { isApiStatus } from '../../kube/api-errors.js';
import { REVISION_ANNOTATION, ROLLOUTS, type Rollout } from '../../kube/rollout-types.js';
import { summarizeRollout, type RolloutSummary } from '../../kube/rollout-status.js';
import { applyOperation } from '../../operations/rollout-operations.js';
import type { StepExecutor } from '../advance.js';
import type { StepSpec } from '../spec.js';
import type { TargetGuard } from '../targets.js';

type RolloutStep = NonNullable<StepSpec['rollout']>;
type WaitFor = NonNullable<RolloutStep['waitFor']>;

/** Actions that must not happen twice: each moves the Rollout on from where it stands. */
const ONCE: ReadonlySet<string> = new Set(['promote', 'promoteFull', 'undo']);

/** How often a wait looks at the Rollout again. */
const POLL_MS = 5_000;

/** Where the Rollout stood before the action: an action is done once it stands elsewhere. */
function position(rollout: Rollout): string {
  const s = rollout.status ?? {};
  return JSON.stringify([s.currentPodHash ?? '', s.currentStepIndex ?? -1, rollout.metadata.annotations?.[REVISION_ANNOTATION] ?? '', (s.pauseConditions ?? []).length, s.abort === true]);
}

/** What of `waitFor` does not hold yet, or an empty list when all of it does. */
export function unmet(summary: RolloutSummary, waitFor: WaitFor): string[] {
  const missing: string[] = [];
  if (waitFor.phase && summary.phase !== waitFor.phase) missing.push(`phase ${waitFor.phase} (is ${summary.phase})`);
  if (waitFor.pausedReason && !summary.pauseReasons.includes(waitFor.pausedReason)) missing.push(`paused for ${waitFor.pausedReason} (${summary.pauseReasons.length ? `is paused for ${summary.pauseReasons.join(', ')}` : 'is not paused'})`);
  if (waitFor.stepIndex !== undefined && summary.step?.index !== waitFor.stepIndex) missing.push(`step ${waitFor.stepIndex} (is at ${summary.step?.index ?? 'none'})`);
  if (waitFor.weight !== undefined && summary.setWeight !== waitFor.weight) missing.push(`weight ${waitFor.weight} (is ${summary.setWeight ?? 'none'})`);
  return missing;
}

/** The step's action as the bot's operation (`promoteFull`: a full promote), sent as the controller: no deployer named. */
function act(api: CustomObjectsApi, ref: { namespace: string; name: string }, action: NonNullable<RolloutStep['action']>): Promise<string> {
  return applyOperation(api, ref, action === 'promoteFull' ? { name: 'promote', full: true } : { name: action });
}

/** The step for Rollouts read and changed through `api` (the controller's own identity), where `guard` allows. */
export function rolloutStep(api: CustomObjectsApi, guard: TargetGuard): StepExecutor {
  return async (step, record, { run, now }) => {
    const spec = step.rollout!;
    const ref = { namespace: spec.namespace ?? run.namespace, name: spec.name };
    const where = `rollout ${ref.namespace}/${ref.name}`;
    await guard(run.namespace, ref.namespace, where);
    let rollout: Rollout;
    try {
      rollout = (await api.getNamespacedCustomObject({ ...ROLLOUTS, ...ref })) as Rollout;
    } catch (error) {
      if (isApiStatus(error, 404)) return { phase: 'Failed', failure: 'error', message: `${where} does not exist` };
      throw error;
    }
    const read = async () => (await api.getNamespacedCustomObject({ ...ROLLOUTS, ...ref })) as Rollout;
    const state = { ...record.state };
    if (spec.action && state.acted === undefined) {
      if (!ONCE.has(spec.action)) {
        // abort and retry set a flag: doing them again is harmless, and skipping one never is.
        state.acted = await act(api, ref, spec.action);
      } else if (state.from === undefined) {
        // First look: record where the Rollout stands, and act only after that record is written.
        return { phase: 'Running', message: `about to ${spec.action} ${where}`, state: { from: position(rollout) }, recheckAfterMs: 0 };
      } else if (position(rollout) !== state.from) {
        state.acted = `${where} had already moved on from where this step found it`;
      } else {
        state.acted = await act(api, ref, spec.action).catch(async (error: unknown) => {
          // Failed after its patch (the controller slow to act on it): done all the same; waitFor and timeout judge it.
          if (position(await read()) !== state.from) return `${spec.action} sent (${error instanceof Error ? error.message : String(error)})`;
          throw error;
        });
      }
      if (!spec.waitFor) return { phase: 'Succeeded', message: state.acted };
      rollout = await read();
    }
    const summary = summarizeRollout(rollout);
    const missing = spec.waitFor ? unmet(summary, spec.waitFor) : [];
    const weight = summary.setWeight === undefined ? '' : `; weight ${summary.setWeight} of 100`;
    const seen = `${where} is ${summary.phase.toUpperCase()}${summary.pauseReasons.length ? ` (${summary.pauseReasons.join(', ')})` : ''}${weight}`;
    const done = state.acted ? `${state.acted}; ` : '';
    if (missing.length === 0) return { phase: 'Succeeded', message: `${done}${seen}` };
    const startedAt = Date.parse(record.startedAt ?? now.toISOString());
    if (now.getTime() - startedAt >= spec.timeout) {
      return { phase: 'Failed', failure: 'error', message: `${done}${seen}: still not ${missing.join(', ')} after ${formatDuration(spec.timeout)}` };
    }
    return { phase: 'Running', message: `${done}${seen}; waiting for ${missing.join(', ')}`, state, recheckAfterMs: POLL_MS };
  };
}
