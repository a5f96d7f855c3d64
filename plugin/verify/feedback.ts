// People's marks on a service's log templates (LogTemplateFeedbacks, shared/logs-feedback/), for a look that judges
// logs: read from the cluster for the Rollout verified, in its namespace (its environment). Marks that cannot be
// read are no reason to fail a verification, nor to pass one: the look warns and judges the logs without them, as
// if nobody had marked anything.
import type { FeedbackMark } from '../../shared/logs-feedback/feedback.js';
import { isRecord, stringAt } from '../../shared/kube/json.js';
import type { Logger } from '../../shared/log.js';
import type { EngineContext } from './context.js';

/** The service a verification is about: a Rollout, in its namespace. */
export interface RolloutName {
  namespace: string;
  name: string;
}

/** How long reading the marks may take before the look goes on without them. */
export const FEEDBACK_READ_TIMEOUT_MS = 5_000;

/** The Rollout an AnalysisRun belongs to (the owner the controller sets), or undefined for a run no Rollout owns. */
export function rolloutOfRun(analysisRun: unknown): RolloutName | undefined {
  const metadata = isRecord(analysisRun) && isRecord(analysisRun.metadata) ? analysisRun.metadata : {};
  const owners = (Array.isArray(metadata.ownerReferences) ? metadata.ownerReferences : []).filter(
    (ref): ref is Record<string, unknown> => isRecord(ref) && ref.kind === 'Rollout' && typeof ref.apiVersion === 'string' && ref.apiVersion.startsWith('argoproj.io/'),
  );
  const owner = owners.find((ref) => ref.controller === true) ?? owners[0];
  // an owner reference names no namespace: the owner is in the run's own
  return nameOfRollout({ metadata: { namespace: stringAt(analysisRun, 'metadata', 'namespace'), name: stringAt(owner, 'name') } });
}

/** The name of the Rollout a step plugin call is about, or undefined when the object sent lacks it. */
export function nameOfRollout(rollout: unknown): RolloutName | undefined {
  const namespace = stringAt(rollout, 'metadata', 'namespace');
  const name = stringAt(rollout, 'metadata', 'name');
  return namespace && name ? { namespace, name } : undefined;
}

/** The marks on `rollout`'s templates; undefined (and a warning) when they cannot be read in time, or without Kubernetes access. */
export async function readFeedback(ctx: EngineContext, rollout: RolloutName, log: Logger): Promise<ReadonlyMap<string, FeedbackMark> | undefined> {
  const service = `${rollout.namespace}/${rollout.name}`;
  try {
    // (a getter: the server makes its client on first use, which fails without a kubeconfig)
    const reader = ctx.feedback;
    if (!reader) return undefined;
    const onIgnored = (ignored: string[]) => log.warn({ rollout: service, ignored }, 'objects that are no valid mark on a log template were left out');
    return await within(reader.readMarks(rollout.namespace, rollout.name, onIgnored), FEEDBACK_READ_TIMEOUT_MS, ctx.signal);
  } catch (error) {
    log.warn({ rollout: service, err: error }, "people's marks on log templates could not be read: the logs are judged without them");
    return undefined;
  }
}

/** `work`, or a rejection once `ms` have passed or `signal` aborted (the work itself is left to end on its own). */
async function within<T>(work: Promise<T>, ms: number, signal: AbortSignal | undefined): Promise<T> {
  const limit = AbortSignal.any([AbortSignal.timeout(ms), ...(signal ? [signal] : [])]);
  let stop = () => {};
  const ended = new Promise<never>((_, reject) => {
    stop = () => reject(limit.reason instanceof Error && limit.reason.name === 'TimeoutError' ? new Error(`no answer within ${ms / 1000} s`) : limit.reason);
    if (limit.aborted) stop();
    else limit.addEventListener('abort', stop, { once: true });
  });
  try {
    return await Promise.race([work, ended]);
  } finally {
    limit.removeEventListener('abort', stop);
  }
}
