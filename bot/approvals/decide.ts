// A person's decision on an ApprovalRequest, from a button or `/rollouts approve|reject`: authorised at that
// moment, recorded once (the click's id is the idempotency key, and the write is guarded by resourceVersion), and
// audited. The request's message is updated by the publisher, which sees the new status.
import { type Outcome, describeTarget, effectivePolicy, statusOf } from '../../shared/approvals/request.js';
import { decisionRefusal } from '../auth/roles.js';
import type { Cluster } from '../cluster/clusters.js';
import { operatorPolicy } from '../config.js';
import { type BotContext, type Reply, actorOf, answered } from '../context.js';
import { type ActionOutcome, countAction } from '../metrics.js';
import { postInThread } from '../notifications/threads.js';
import { escape, mention, plain } from '../slack/blocks.js';
import { checkApprover } from './approver.js';

export interface DecisionInput {
  cluster: Cluster;
  namespace: string;
  name: string;
  action: Outcome;
  comment?: string;
}

/** `/rollouts approve|reject <request>`: the invocation's trigger id is the key. */
export function decideFromCommand(ctx: BotContext, input: DecisionInput, invocation: { userId: string; channelId: string; triggerId: string }, reply: Reply): Promise<ActionOutcome> {
  return decide(ctx, input, invocation.userId, `command:${invocation.triggerId}`, `slack:${invocation.channelId}`, reply);
}

/** The decision, counted once with its outcome. */
export function decide(ctx: BotContext, input: DecisionInput, userId: string, key: string, source: string, reply: Reply): Promise<ActionOutcome> {
  return countAction(ctx.metrics, input.action, () => recordDecision(ctx, input, userId, key, source, reply));
}

async function recordDecision(ctx: BotContext, input: DecisionInput, userId: string, key: string, source: string, reply: Reply): Promise<ActionOutcome> {
  const { cluster, namespace, name, action } = input;
  // Authorised first (approver.ts), before the request is read; the bot writes nothing on behalf of someone refused
  // (the refusal is an audit log line). With impersonation on, an intervention's outcome is carried out as its
  // decider, and an approval lets a rollout go ahead just as a promote would.
  const check = await checkApprover(ctx, cluster, namespace, userId, {
    noEnvironment: `namespace ${namespace} of cluster ${cluster.name} is in no environment of the bot's configuration, so its requests are not decided from Slack`,
    noPermission: (environment) => `you are not allowed to decide approval requests in environment ${environment}`,
  });
  if (check.refusal) {
    const { why, answer } = check.refusal;
    ctx.log.warn({ audit: true, user: userId, cluster: cluster.name, request: `${namespace}/${name}`, action, environment: check.environment?.name, outcome: 'refused', reason: why }, 'not authorised to decide');
    return answered(reply(plain(`Not recorded: ${answer}. Nothing was changed.`), 'ephemeral'), 'refused');
  }
  const { environment } = check;
  const request = await cluster.approvals.get(namespace, name);
  if (!request) return answered(reply(plain(`No approval request ${namespace}/${name} in cluster ${cluster.name}.`), 'ephemeral'), 'failed');
  const entry = {
    target: { apiVersion: request.apiVersion, kind: request.kind, name, namespace, uid: request.metadata.uid },
    user: { id: userId },
    action,
    reason: `Slack${action.charAt(0).toUpperCase()}${action.slice(1)}`,
  };
  const operator = operatorPolicy(environment);
  const policy = effectivePolicy(request.spec, operator);
  const actor = await actorOf(ctx, userId, request.spec.policy.approvers?.groups ?? []);
  const refusal = decisionRefusal(ctx.config, actor, request, operator.environment);

  const decision = { id: key, user: userId, action, at: ctx.now().toISOString(), source, ...(input.comment && { comment: input.comment }) };
  const update = await cluster.approvals.decide(namespace, name, decision, ctx.now(), refusal, policy);
  if (!update) return answered(reply(plain(`Approval request ${namespace}/${name} is gone.`), 'ephemeral'), 'failed');
  const result = update.result;
  if (result.kind === 'duplicate') return answered(reply(plain('Already recorded: this click was handled before.'), 'ephemeral'), 'duplicate');
  if (result.kind === 'refused') {
    await recordQuietly(ctx, cluster, { ...entry, message: `could not ${action} ${describeTarget(request, operator.environment)}: ${result.reason}`, outcome: 'refused' });
    return answered(reply(plain(`Not recorded: ${result.reason}. Nothing was changed.`), 'ephemeral'), 'refused');
  }
  const status = statusOf(update.request);
  const state = result.decided ? `the request is now ${status.state.toLowerCase()} (${status.outcome})` : `${status.approvalsText} approvals so far`;
  await recordQuietly(ctx, cluster, { ...entry, message: `chose ${action} on ${describeTarget(request, operator.environment)}${input.comment ? `: ${input.comment}` : ''}; ${state}`, outcome: 'succeeded' });
  // The person's answer first: the thread line may wait on Slack's per-channel rate limit.
  await reply(plain(`Recorded your ${action} on ${namespace}/${name}: ${state}.`), 'ephemeral');
  if (request.spec.rollout) await postInThread(ctx, ctx.slack, cluster, namespace, request.spec.rollout.name, `${mention(userId)} chose *${action}* on request \`${name}\`${input.comment ? `: _${escape(input.comment)}_` : ''}; ${state}`);
  return 'done';
}

/** The decision is already stored; an audit Event that cannot be written is logged, not turned into a failure. */
async function recordQuietly(ctx: BotContext, cluster: Cluster, entry: Parameters<Cluster['audit']['record']>[0]): Promise<void> {
  try {
    await cluster.audit.record(entry);
  } catch (error) {
    ctx.log.error({ err: error, target: entry.target }, 'cannot write the audit Event');
  }
}
