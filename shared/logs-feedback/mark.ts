// Marking a log template, or clearing its mark, on someone's behalf (a click in Slack, `rollouts-cv logs feedback`),
// once the caller has authorised it (the bot by its roles, the CLI by the API server's RBAC on its user): the input
// checked, then compared with the mark already stored — the same mark again changes nothing and says who made it
// when, and writes no record — else claimed once under the request's key, written, and recorded as an audit Event
// on the LogTemplateFeedback (shared/operations/perform.ts).
import type { Audit, AuditUser } from '../operations/audit.js';
import { type PerformResult, perform } from '../operations/perform.js';
import { type FeedbackMark, type FeedbackTarget, FEEDBACK_API_VERSION, FeedbackInputError, LOG_TEMPLATE_FEEDBACKS, type LogTemplateFeedback, commentProblem, describeMark, feedbackTarget, markProblem, newFeedback } from './feedback.js';
import type { LogTemplateFeedbackStore } from './store.js';

export type FeedbackResult = PerformResult | { kind: 'unchanged'; message: string };

/** Where the request came from, the first word of its Events' reason: `SlackMarkNotARisk`, `CliClearMark`. */
export type FeedbackOrigin = 'Slack' | 'Cli';

export interface FeedbackRequest {
  store: LogTemplateFeedbackStore;
  audit: Audit;
  namespace: string;
  rollout: string;
  template: string;
  user: AuditUser;
  origin: FeedbackOrigin;
  /** The once-only key: unique per request, and the same when the request is handled again. */
  key: string;
  now: Date;
}

const REASONS: Record<FeedbackMark | 'clear', string> = { 'not-a-risk': 'MarkNotARisk', 'raise-risk': 'MarkRaiseRisk', clear: 'ClearMark' };

/** The words messages about a mark use: the template quoted, and the service as namespace/rollout. */
function words(target: FeedbackTarget): { quoted: string; service: string } {
  return { quoted: JSON.stringify(target.template), service: `${target.namespace}/${target.rollout}` };
}

function by(current: LogTemplateFeedback): string {
  return `by ${current.spec.markedBy} at ${current.spec.markedAt}`;
}

/** The input checked: the target, or the refusal naming what is wrong. */
function checked(request: FeedbackRequest, problems: (string | undefined)[]): FeedbackTarget | { kind: 'refused'; reason: string } {
  let target: FeedbackTarget | undefined;
  const wrong: string[] = [];
  try {
    target = feedbackTarget(request.namespace, request.rollout, request.template);
  } catch (error) {
    if (!(error instanceof FeedbackInputError)) throw error;
    wrong.push(error.message);
  }
  wrong.push(...problems.filter((problem): problem is string => problem !== undefined));
  return target && !wrong.length ? target : { kind: 'refused', reason: wrong.join('; ') };
}

/** What a change of `target` is audited as. */
function auditEntry(request: FeedbackRequest, target: FeedbackTarget, action: FeedbackMark | 'clear', current: LogTemplateFeedback | undefined, message: string) {
  return {
    target: { apiVersion: FEEDBACK_API_VERSION, kind: LOG_TEMPLATE_FEEDBACKS.kind, namespace: target.namespace, name: target.name, ...(current?.metadata.uid && { uid: current.metadata.uid }) },
    user: request.user,
    action: action === 'clear' ? 'clear-mark' : `mark-${action}`,
    reason: `${request.origin}${REASONS[action]}`,
    message,
  };
}

/** Marks the template `mark` for the service (a new mark, or a changed one); the same mark again is `unchanged`. */
export async function markTemplate(request: FeedbackRequest & { mark: FeedbackMark; comment?: string }): Promise<FeedbackResult> {
  const target = checked(request, [markProblem(request.mark), commentProblem(request.comment)]);
  if ('kind' in target) return target;
  const { store, mark } = request;
  const { quoted, service } = words(target);
  const current = await store.get(target.namespace, target.name);
  if (current && current.spec.template !== target.template) {
    return { kind: 'refused', reason: `${LOG_TEMPLATE_FEEDBACKS.kind} ${target.namespace}/${target.name} holds another template (${JSON.stringify(current.spec.template)}); delete it to mark this one` };
  }
  if (current?.spec.mark === mark) return { kind: 'unchanged', message: `${quoted} is already marked ${describeMark(mark)} for ${service} ${by(current)}; nothing was changed` };
  const phrase = `${quoted} ${describeMark(mark)} for ${service}`;
  return perform({
    key: request.key,
    entry: auditEntry(request, target, mark, current, `mark ${phrase}`),
    audit: request.audit,
    act: async () => {
      const fields = { mark, markedBy: request.user.id, markedAt: request.now.toISOString(), comment: request.comment };
      if (!current) {
        await store.create(newFeedback(target, fields));
        return `marked ${phrase}`;
      }
      const next = newFeedback(target, fields);
      await store.replace({ ...next, metadata: { ...current.metadata, labels: { ...current.metadata.labels, ...next.metadata.labels } } });
      return `marked ${phrase} (it was marked ${describeMark(current.spec.mark)} ${by(current)})`;
    },
  });
}

/** Removes the service's mark on the template; none to remove is `unchanged`. */
export async function clearMark(request: FeedbackRequest): Promise<FeedbackResult> {
  const target = checked(request, []);
  if ('kind' in target) return target;
  const { quoted, service } = words(target);
  const current = await request.store.get(target.namespace, target.name);
  if (!current) return { kind: 'unchanged', message: `${quoted} has no mark for ${service}; nothing was changed` };
  return perform({
    key: request.key,
    entry: auditEntry(request, target, 'clear', current, `clear the mark on ${quoted} for ${service}`),
    audit: request.audit,
    act: async () => {
      const removed = await request.store.delete(current);
      const was = `the mark on ${quoted} for ${service}`;
      return removed ? `cleared ${was} (it was marked ${describeMark(current.spec.mark)} ${by(current)})` : `${was} was already gone`;
    },
  });
}
