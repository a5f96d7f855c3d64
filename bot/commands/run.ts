// `/rollouts …` after Slack has been acknowledged: resolve the target, check the user's role, ask for
// confirmation when the action is destructive, then act once and record it (shared/operations/perform.ts). Every
// refusal says why, and nothing is changed in Kubernetes unless every check passed.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { describeApiError } from '../../shared/kube/api-errors.js';
import { type RolloutRef, replicaSetsForStatus } from '../../shared/kube/rollout-actions.js';
import { type Rollout, ROLLOUTS } from '../../shared/kube/rollout-types.js';
import { summarizeRollout } from '../../shared/kube/rollout-status.js';
import { pendingApproval } from '../../shared/operations/pending-approval.js';
import { failureReason, perform } from '../../shared/operations/perform.js';
import { applyOperation, describeOperation } from '../../shared/operations/rollout-operations.js';
import { type Cluster, NotMappedError } from '../cluster/clusters.js';
import { defaultCluster, environmentOf } from '../config.js';
import { type BotContext, type Reply, answered } from '../context.js';
import { type ActionOutcome, type CommandOutcome, commandOutcome, countAction, countCommand } from '../metrics.js';
import { type Place, confirmation, mention, mrkdwn, plain, rolloutList, rolloutStatus } from '../slack/blocks.js';
import { decideFromCommand } from '../approvals/decide.js';
import { postInThread } from '../notifications/threads.js';
import { cancelPipelineRun, pipelineStatus, runPipeline } from './pipeline.js';
import { place, roleRefusal } from './where.js';
import { type Command, UsageError, formatCommand, helpText, parseCommand, type RolloutTarget } from './parse.js';

/** What Slack told us about the invocation. */
export interface Invocation {
  userId: string;
  channelId: string;
  /** Unique per invocation and repeated by a replay: the once-only key of a direct action. */
  triggerId: string;
}

type RolloutCommand = Extract<Command, { target: RolloutTarget }>;
type MutatingCommand = Exclude<RolloutCommand, { name: 'status' }>;

/** How long a confirmation can be clicked. */
const CONFIRMATION_TTL_MS = 10 * 60_000;
/** Slack's limit for a button's value. */
const BUTTON_VALUE_MAX = 2000;

/**
 * What a Confirm button carries: its once-only id, who asked, until when (epoch seconds), and the command as text
 * with its cluster and namespace written out, read again and authorised again at the click. Slack returns the
 * value exactly as the bot posted it, in a request signed with the app's signing secret, so it needs no signature
 * of its own.
 */
const confirmationSchema = z.strictObject({ id: z.string().max(64), user: z.string().max(32), expires: z.int(), command: z.string().max(BUTTON_VALUE_MAX) });
type Confirmation = z.output<typeof confirmationSchema>;

const isMutating = (command: Command): command is MutatingCommand => 'target' in command && command.name !== 'status';

export async function runCommand(ctx: BotContext, text: string, invocation: Invocation, reply: Reply): Promise<void> {
  await countCommand(ctx.metrics, text, async () => {
    try {
      return await dispatch(ctx, parseCommand(text), invocation, reply);
    } catch (error) {
      if (error instanceof UsageError) return answered(reply(plain(error.message), 'ephemeral'), 'usage');
      throw error;
    }
  });
}

async function dispatch(ctx: BotContext, command: Command, invocation: Invocation, reply: Reply): Promise<CommandOutcome> {
  switch (command.name) {
    case 'help':
      return answered(reply(plain(helpText()), 'ephemeral'), 'ok');
    case 'list':
      return list(ctx, command, invocation, reply);
    case 'approve':
    case 'reject': {
      const { cluster, namespace } = place(ctx, command.request, invocation.channelId);
      return commandOutcome(await decideFromCommand(ctx, { cluster, namespace, name: command.request.name, action: command.name, comment: command.comment }, invocation, reply));
    }
    case 'status':
      return status(ctx, command, invocation, reply);
    case 'pipeline-run':
      return runPipeline(ctx, command, invocation, reply);
    case 'pipeline-status':
      return pipelineStatus(ctx, command, invocation, reply);
    case 'pipeline-cancel':
      return cancelPipelineRun(ctx, command, invocation, reply);
    default:
      return mutate(ctx, command, invocation, reply);
  }
}

async function list(ctx: BotContext, command: Extract<Command, { name: 'list' }>, invocation: Invocation, reply: Reply): Promise<CommandOutcome> {
  const channel = ctx.config.channels.find((c) => c.id === invocation.channelId);
  const clusterName = command.cluster ?? channel?.cluster ?? defaultCluster(ctx.config);
  const cluster = ctx.clusters.get(clusterName);
  if (!cluster) throw new UsageError(`unknown cluster "${clusterName}"; clusters: ${[...ctx.clusters.keys()].join(', ')}`);
  const namespace = command.namespace ?? channel?.namespace;
  const where: Place = { cluster: clusterName, namespace: namespace ?? '*', environment: namespace ? environmentOf(ctx.config, clusterName, namespace)?.name : undefined };
  const refused = await roleRefusal(ctx, invocation.userId, command, where);
  if (refused) return answered(reply(plain(refused), 'ephemeral'), 'refused');
  const response = (namespace
    ? await cluster.objects.listNamespacedCustomObject({ ...ROLLOUTS, namespace })
    : await cluster.objects.listClusterCustomObject(ROLLOUTS)) as { items: Rollout[] };
  // as `kubectl argo rollouts list`: the set weight only (the actual weight would take every ReplicaSet)
  const summaries = response.items.map((rollout) => summarizeRollout(rollout)).sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  return answered(reply(rolloutList(summaries, { cluster: clusterName, namespace }), 'ephemeral'), 'ok');
}

async function status(ctx: BotContext, command: Extract<Command, { name: 'status' }>, invocation: Invocation, reply: Reply): Promise<CommandOutcome> {
  const { cluster, namespace, place: where } = place(ctx, command.target, invocation.channelId);
  const refused = await roleRefusal(ctx, invocation.userId, command, where);
  if (refused) return answered(reply(plain(refused), 'ephemeral'), 'refused');
  let rollout: Rollout;
  try {
    rollout = (await cluster.objects.getNamespacedCustomObject({ ...ROLLOUTS, namespace, name: command.target.name })) as Rollout;
  } catch (error) {
    return answered(reply(plain(`Cannot read rollout ${namespace}/${command.target.name}: ${failureReason(error)}`, where), 'ephemeral'), 'error');
  }
  // The actual weight of a canary without traffic routing counts its ReplicaSet's pods; unread, the set weight shows.
  const replicaSets = await replicaSetsForStatus(cluster.objects, rollout).catch((error: unknown) => {
    ctx.log.warn({ rollout: `${namespace}/${command.target.name}`, err: failureReason(error) }, 'cannot read the canary ReplicaSet; showing the set weight only');
    return undefined;
  });
  return answered(reply(rolloutStatus(summarizeRollout(rollout, replicaSets), where, lastVerification(rollout)), 'in_channel'), 'ok');
}

/** The verdict and top reasons of the last rollouts-cv verification the controller recorded, if any. */
function lastVerification(rollout: Rollout): { verdict: string; reasons: string[] } | undefined {
  const statuses = (rollout.status as { canary?: { stepPluginStatuses?: { status?: unknown }[] } } | undefined)?.canary?.stepPluginStatuses ?? [];
  for (const entry of [...statuses].reverse()) {
    const value = entry.status as { verdict?: unknown; reasons?: unknown } | undefined;
    if (typeof value?.verdict === 'string') return { verdict: value.verdict, reasons: Array.isArray(value.reasons) ? value.reasons.map(String) : [] };
  }
  return undefined;
}

function isDestructive(ctx: BotContext, command: MutatingCommand, where: Place): boolean {
  if (command.name === 'abort' || command.name === 'undo') return true;
  return command.name === 'deploy' && ctx.config.environments.some((e) => e.name === where.environment && e.protected);
}

/**
 * Why a promote must not go ahead now: the Rollout waits at an approval gate (people decide its request instead),
 * or that cannot be told. Undefined when no gate waits.
 */
async function gateRefusal(cluster: Cluster, ref: RolloutRef): Promise<string | undefined> {
  const rollout = `rollout ${ref.namespace}/${ref.name}`;
  let gate: Awaited<ReturnType<typeof pendingApproval>>;
  try {
    gate = await pendingApproval(cluster.objects, ref);
  } catch (error) {
    return `Not promoted: cannot tell whether ${rollout} waits at an approval gate (${describeApiError(error)}). Nothing was changed.`;
  }
  if (!gate) return undefined;
  return `Not promoted: ${rollout} is waiting at step ${gate.step} for approval request ${gate.request}; decide the request instead (its buttons, or \`/rollouts approve|reject ${ref.namespace}/${gate.request}\`). Nothing was changed.`;
}

/** With impersonation on, a user without a Kubernetes identity cannot act on the cluster: why, or undefined. */
function mappingRefusal(cluster: Cluster, userId: string): string | undefined {
  try {
    cluster.actingAs(userId);
    return undefined;
  } catch (error) {
    if (error instanceof NotMappedError) return error.message;
    throw error;
  }
}

async function mutate(ctx: BotContext, command: MutatingCommand, invocation: Invocation, reply: Reply): Promise<CommandOutcome> {
  const { cluster, namespace, place: where } = place(ctx, command.target, invocation.channelId);
  if (isDestructive(ctx, command, where)) {
    // Asked only of whom the roles allow; checked again when the button is clicked.
    const refused = await roleRefusal(ctx, invocation.userId, command, where);
    if (refused) {
      ctx.metrics?.action(command.name, 'refused');
      return answered(reply(plain(refused, where), 'ephemeral'), 'refused');
    }
    const pending: Confirmation = {
      id: randomUUID(),
      user: invocation.userId,
      expires: Math.floor((ctx.now().getTime() + CONFIRMATION_TTL_MS) / 1000),
      command: formatCommand({ ...command, target: { ...command.target, cluster: where.cluster, namespace } }),
    };
    const value = JSON.stringify(pending);
    if (value.length > BUTTON_VALUE_MAX) {
      return answered(reply(plain(`This ${command.name} cannot be confirmed in Slack: its confirmation would need ${value.length} characters and a button holds ${BUTTON_VALUE_MAX}. Deploy fewer containers at once. Nothing was changed.`, where), 'ephemeral'), 'usage');
    }
    const question = `${capitalise(describeOperation(command, { namespace, name: command.target.name }))}? This confirmation expires in ${CONFIRMATION_TTL_MS / 60_000} minutes.`;
    // The action is counted when it is confirmed.
    return answered(reply(confirmation(question, value, where), 'ephemeral'), 'ok');
  }
  const key = `command:${invocation.triggerId}`;
  return commandOutcome(await countAction(ctx.metrics, command.name, () => execute(ctx, cluster, command, namespace, where, invocation.userId, key, reply)));
}

function readConfirmation(value: string): { pending: Confirmation; command: MutatingCommand } | undefined {
  try {
    const pending = confirmationSchema.parse(JSON.parse(value));
    const command = parseCommand(pending.command);
    return isMutating(command) ? { pending, command } : undefined;
  } catch {
    return undefined;
  }
}

/** The Confirm button of a destructive action: within its time, authorised again at click time, done once. */
export async function confirmPending(ctx: BotContext, value: string, userId: string, reply: Reply): Promise<void> {
  const read = readConfirmation(value);
  // not a value the bot wrote: no action it names is counted
  if (!read) return reply(plain('This confirmation is not readable; run the command again.'), 'ephemeral');
  const { pending, command } = read;
  await countAction(ctx.metrics, command.name, async () => {
    if (pending.user !== userId) return answered(reply(plain('Only the person who asked for this action can confirm it.'), 'ephemeral'), 'refused');
    if (ctx.now().getTime() >= pending.expires * 1000) {
      const at = new Date(pending.expires * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
      return answered(reply(plain(`This confirmation expired at ${at} (confirmations last ${CONFIRMATION_TTL_MS / 60_000} minutes). Nothing was changed; run the command again.`), 'ephemeral'), 'refused');
    }
    try {
      const { cluster, namespace, place: where } = place(ctx, command.target, '');
      return await execute(ctx, cluster, command, namespace, where, userId, `confirm:${pending.id}`, reply);
    } catch (error) {
      if (error instanceof UsageError) return answered(reply(plain(error.message), 'ephemeral'), 'failed');
      throw error;
    }
  });
}

/**
 * The command, authorised at this moment (roles, an approval gate for a promote, a Kubernetes identity), done once as
 * the user. Resolves to its outcome, which the caller counts.
 */
async function execute(ctx: BotContext, cluster: Cluster, command: MutatingCommand, namespace: string, where: Place, userId: string, key: string, reply: Reply): Promise<ActionOutcome> {
  const ref = { namespace, name: command.target.name };
  const what = describeOperation(command, ref);
  const result = await perform({
    authorise: async () =>
      (await roleRefusal(ctx, userId, command, where)) ?? (command.name === 'promote' ? await gateRefusal(cluster, ref) : undefined) ?? mappingRefusal(cluster, userId),
    key,
    entry: {
      target: { apiVersion: `${ROLLOUTS.group}/${ROLLOUTS.version}`, kind: 'Rollout', ...ref },
      user: { id: userId },
      action: command.name,
      reason: `Slack${capitalise(command.name)}`,
      message: what,
    },
    audit: cluster.audit,
    act: () => applyOperation(cluster.actingAs(userId), ref, command, { deployer: userId }),
  });
  switch (result.kind) {
    case 'refused':
      return answered(reply(plain(result.reason, where), 'ephemeral'), result.kind);
    case 'duplicate':
      return answered(reply(plain(`Already done: this ${key.startsWith('confirm:') ? 'confirmation' : 'request'} was handled before, so nothing more was changed.`), 'ephemeral'), result.kind);
    case 'failed':
      return answered(reply(plain(`Could not ${what}: ${result.reason}`, where), 'ephemeral'), result.kind);
    case 'done': {
      // The person's answer first: the thread line may wait on Slack's per-channel rate limit.
      const line = mrkdwn`${mention(userId)}: ${result.message}`;
      await reply(plain(line, where), 'in_channel');
      await postInThread(ctx, ctx.slack, cluster, namespace, command.target.name, line.text);
      return result.kind;
    }
  }
}

const capitalise = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);
