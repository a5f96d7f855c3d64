// A person's mark on a log template from a verification's request message ("Not a risk", "Raise risk"). The button
// is hostile input: the click names a request and the index of a template in its evidence, nothing more; the
// template and the service are read from the request itself, so a forged value cannot mark another template, service
// or namespace. Authorised from what the operator configured for the request's namespace — marking takes the
// permission to approve there, since a mark changes how later verifications judge — never from the message; done
// once and recorded (shared/logs-feedback/mark.ts); answered to the person and in the rollout's thread.
import { type FeedbackMark, describeMark, offeredMark } from '../../shared/logs-feedback/feedback.js';
import { markTemplate } from '../../shared/logs-feedback/mark.js';
import { LogTemplateFeedbackStore } from '../../shared/logs-feedback/store.js';
import type { Cluster } from '../cluster/clusters.js';
import { type BotContext, type Reply, answered } from '../context.js';
import { type ActionOutcome, countAction } from '../metrics.js';
import { postInThread } from '../notifications/threads.js';
import { codeSpan, mention, mrkdwn, plain } from '../slack/blocks.js';
import { checkApprover } from './approver.js';

export interface TemplateMarkInput {
  cluster: Cluster;
  /** The request the button was on, and the index of the template in its evidence. */
  namespace: string;
  name: string;
  index: number;
  mark: FeedbackMark;
}

/** The mark, counted once with its outcome. */
export function markFromButton(ctx: BotContext, input: TemplateMarkInput, userId: string, key: string, reply: Reply): Promise<ActionOutcome> {
  return countAction(ctx.metrics, `mark-${input.mark}`, () => markOnce(ctx, input, userId, key, reply));
}

async function markOnce(ctx: BotContext, input: TemplateMarkInput, userId: string, key: string, reply: Reply): Promise<ActionOutcome> {
  const { cluster, namespace, name, index, mark } = input;
  // Authorised first (approver.ts), before the request is read: someone without the permission learns nothing about it.
  const check = await checkApprover(ctx, cluster, namespace, userId, {
    noEnvironment: `namespace ${namespace} of cluster ${cluster.name} is in no environment of the bot's configuration`,
    noPermission: (environment) => `marking log templates takes the approve permission in environment ${environment}, and you do not have it`,
  });
  const refused = (why: string, answer: string) => {
    ctx.log.warn({ audit: true, user: userId, cluster: cluster.name, request: `${namespace}/${name}`, action: `mark-${mark}`, environment: check.environment?.name, outcome: 'refused', reason: why }, 'log template not marked');
    return answered(reply(plain(`Not marked: ${answer}. Nothing was changed.`), 'ephemeral'), 'refused' as const);
  };
  if (check.refusal) return refused(check.refusal.why, check.refusal.answer);
  const request = await cluster.approvals.get(namespace, name);
  if (!request) return answered(reply(plain(`Approval request ${namespace}/${name} is gone, and with it the templates it showed.`), 'ephemeral'), 'failed');
  const rollout = request.spec.rollout?.name;
  const note = request.spec.evidence?.templates?.[index];
  if (!rollout || !note) return refused('no such template', `request ${namespace}/${name} shows no log template ${index + 1} of a rollout`);
  if (offeredMark(note.risk) !== mark) return refused('not offered', `that template was found ${note.risk ? 'a risk' : 'no risk'}, so it can only be marked ${describeMark(offeredMark(note.risk))}`);

  const result = await markTemplate({
    store: new LogTemplateFeedbackStore(cluster.objects),
    audit: cluster.audit,
    namespace,
    rollout,
    template: note.template,
    mark,
    user: { id: userId },
    origin: 'Slack',
    key,
    now: ctx.now(),
  });
  switch (result.kind) {
    case 'refused':
      return refused('invalid', result.reason);
    case 'duplicate':
      return answered(reply(plain('Already done: this click was handled before, so nothing more was changed.'), 'ephemeral'), 'duplicate');
    case 'failed':
      return answered(reply(plain(`Could not mark the template: ${result.reason}`), 'ephemeral'), 'failed');
    case 'unchanged':
      // the template already carries the mark asked for
      return answered(reply(plain(`${result.message[0]!.toUpperCase()}${result.message.slice(1)}.`), 'ephemeral'), 'done');
    case 'done': {
      // The person's answer first: the thread line may wait on Slack's per-channel rate limit.
      await reply(plain(`${result.message[0]!.toUpperCase()}${result.message.slice(1)}.`), 'ephemeral');
      await postInThread(ctx, ctx.slack, cluster, namespace, rollout, mrkdwn`${mention(userId)} marked ${codeSpan(note.template)} ${describeMark(mark)} for ${namespace}/${rollout}`.text);
      return 'done';
    }
  }
}
