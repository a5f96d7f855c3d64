// A gate step waits, and the Argo Rollouts controller does not count a plugin step as an indefinite one (as it does
// a pause or an analysis): once the rollout made no progress for spec.progressDeadlineSeconds (default 600 s), it
// marks the rollout Degraded (ProgressDeadlineExceeded) and stops calling the step, which then never learns what
// people decided. A gate that may wait that long fails at its first call instead, saying which values to change.
import { formatDuration } from '../../shared/config/duration.js';
import { isRecord } from '../../shared/kube/json.js';

/** The controller's default for spec.progressDeadlineSeconds. */
const DEFAULT_DEADLINE_S = 600;
/** Room after the wait: the step notices an outcome at its next call (every 15 s), requeued by the controller. */
const MARGIN_S = 60;

/**
 * Why a gate that may wait `waitMs` (described as `what`, e.g. "the approval timeout (1h)") cannot run in this
 * Rollout; undefined when it fits.
 */
export function deadlineProblem(rollout: unknown, waitMs: number, what: string): string | undefined {
  const spec = isRecord(rollout) && isRecord(rollout.spec) ? rollout.spec : {};
  const given = typeof spec.progressDeadlineSeconds === 'number' ? spec.progressDeadlineSeconds : undefined;
  const deadline = given ?? DEFAULT_DEADLINE_S;
  const needed = Math.ceil(waitMs / 1000) + MARGIN_S;
  if (deadline >= needed) return undefined;
  const longest = Math.max(0, deadline - MARGIN_S) * 1000;
  return (
    `${what} does not fit in the Rollout's spec.progressDeadlineSeconds (${deadline}${given === undefined ? ', the default' : ''}): the controller would mark the rollout ` +
    `Degraded (ProgressDeadlineExceeded) while the step still waits, and stop calling it. Set spec.progressDeadlineSeconds to at least ${needed} ` +
    `(the wait plus ${MARGIN_S} s), or shorten the wait to at most ${longest ? formatDuration(longest) : 'nothing'}`
  );
}
