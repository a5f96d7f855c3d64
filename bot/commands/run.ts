// `/rollouts …` after Slack has been acknowledged: resolve the target, check the user's role, ask for
// confirmation when the action is destructive, then act once and record it. Every refusal says why, and nothing
// is changed in Kubernetes unless every check passed.
import { randomUUID } from 'node:crypto';
import { ApiException } from '@kubernetes/client-node';
import { z } from 'zod';
import { deployedBy } from '../../shared/approvals/deployer.js';
import { DEPLOYED_BY_ANNOTATION, requestSelector, statusOf } from '../../shared/approvals/request.js';
import { describeApiError } from '../../shared/kube/api-errors.js';
import * as actions from '../../shared/kube/rollout-actions.js';
import { RolloutActionError } from '../../shared/kube/rollout-actions.js';
import { type Rollout, ROLLOUTS } from '../../shared/kube/rollout-types.js';
import { summarizeRollout } from '../../shared/kube/rollout-status.js';
import { permits } from '../auth/roles.js';
import { type Cluster, NotMappedError } from '../cluster/clusters.js';
import { defaultCluster, environmentOf } from '../config.js';
import { type BotContext, type Reply, actorOf } from '../context.js';
import { type Place, confirmation, mention, mrkdwn, plain, rolloutList, rolloutStatus } from '../slack/blocks.js';
import { decideFromCommand } from '../approvals/decide.js';
import { postInThread } from '../notifications/threads.js';
import { type Command, PERMISSION_OF, UsageError, formatCommand, helpText, parseCommand, type RolloutTarget } from './parse.js';

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
  let command: Command;
  try {
    command = parseCommand(text);
  } catch (error) {
    if (error instanceof UsageError) return reply(plain(error.message), 'ephemeral');
    throw error;
  }
  try {
    await dispatch(ctx, command, invocation, reply);
  } catch (error) {
    if (error instanceof UsageError || error instanceof NotMappedError) return reply(plain(error.message), 'ephemeral');
    throw error;
  }
}

async function dispatch(ctx: BotContext, command: Command, invocation: Invocation, reply: Reply): Promise<void> {
  switch (command.name) {
    case 'help':
      return reply(plain(helpText()), 'ephemeral');
    case 'list':
      return list(ctx, command, invocation, reply);
    case 'approve':
    case 'reject': {
      const { cluster, namespace } = place(ctx, command.request, invocation.channelId);
      return decideFromCommand(ctx, { cluster, namespace, name: command.request.name, action: command.name, comment: command.comment }, invocation, reply);
    }
    case 'status':
      return status(ctx, command, invocation, reply);
    default:
      return mutate(ctx, command, invocation, reply);
  }
}

/** Cluster and namespace: as written, else the channel's defaults, else the default cluster. */
function place(ctx: BotContext, target: { cluster?: string; namespace?: string }, channelId: string): { cluster: Cluster; namespace: string; place: Place } {
  const channel = ctx.config.channels.find((c) => c.id === channelId);
  const clusterName = target.cluster ?? channel?.cluster ?? defaultCluster(ctx.config);
  const cluster = ctx.clusters.get(clusterName);
  if (!cluster) throw new UsageError(`unknown cluster "${clusterName}"; clusters: ${[...ctx.clusters.keys()].join(', ')}`);
  const namespace = target.namespace ?? (channel && (!target.cluster || target.cluster === (channel.cluster ?? defaultCluster(ctx.config))) ? channel.namespace : undefined);
  if (!namespace) throw new UsageError('which namespace? Write namespace/name or -n <namespace> (this channel has no default namespace)');
  return { cluster, namespace, place: { cluster: clusterName, namespace, environment: environmentOf(ctx.config, clusterName, namespace)?.name } };
}

async function authorised(ctx: BotContext, userId: string, command: Command, where: Place): Promise<boolean> {
  const actor = await actorOf(ctx, userId);
  const permission = PERMISSION_OF[command.name];
  const allowed = permits(ctx.config, actor, permission, where.environment);
  if (!allowed) ctx.log.warn({ audit: true, user: userId, command: command.name, permission, ...where, outcome: 'refused' }, 'not authorised');
  return allowed;
}

function refusedText(command: Command, where: Place): string {
  const env = where.environment ? `environment ${where.environment}` : `namespace ${where.namespace} of cluster ${where.cluster}`;
  return `You are not allowed to ${PERMISSION_OF[command.name]} in ${env}. Nothing was changed. Ask an admin to give you a role that allows "${PERMISSION_OF[command.name]}" there.`;
}

async function list(ctx: BotContext, command: Extract<Command, { name: 'list' }>, invocation: Invocation, reply: Reply): Promise<void> {
  const channel = ctx.config.channels.find((c) => c.id === invocation.channelId);
  const clusterName = command.cluster ?? channel?.cluster ?? defaultCluster(ctx.config);
  const cluster = ctx.clusters.get(clusterName);
  if (!cluster) throw new UsageError(`unknown cluster "${clusterName}"; clusters: ${[...ctx.clusters.keys()].join(', ')}`);
  const namespace = command.namespace ?? channel?.namespace;
  const where: Place = { cluster: clusterName, namespace: namespace ?? '*', environment: namespace ? environmentOf(ctx.config, clusterName, namespace)?.name : undefined };
  if (!(await authorised(ctx, invocation.userId, command, where))) return reply(plain(refusedText(command, where)), 'ephemeral');
  const response = (namespace
    ? await cluster.objects.listNamespacedCustomObject({ ...ROLLOUTS, namespace })
    : await cluster.objects.listClusterCustomObject(ROLLOUTS)) as { items: Rollout[] };
  // as `kubectl argo rollouts list`: the set weight only (the actual weight would take every ReplicaSet)
  const summaries = response.items.map((rollout) => summarizeRollout(rollout)).sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  return reply(rolloutList(summaries, { cluster: clusterName, namespace }), 'ephemeral');
}

async function status(ctx: BotContext, command: Extract<Command, { name: 'status' }>, invocation: Invocation, reply: Reply): Promise<void> {
  const { cluster, namespace, place: where } = place(ctx, command.target, invocation.channelId);
  if (!(await authorised(ctx, invocation.userId, command, where))) return reply(plain(refusedText(command, where)), 'ephemeral');
  let rollout: Rollout;
  try {
    rollout = (await cluster.objects.getNamespacedCustomObject({ ...ROLLOUTS, namespace, name: command.target.name })) as Rollout;
  } catch (error) {
    return reply(plain(`Cannot read rollout ${namespace}/${command.target.name}: ${describe(error)}`, where), 'ephemeral');
  }
  // The actual weight of a canary without traffic routing counts its ReplicaSet's pods; unread, the set weight shows.
  const replicaSets = await actions.replicaSetsForStatus(cluster.objects, rollout).catch((error: unknown) => {
    ctx.log.warn({ rollout: `${namespace}/${command.target.name}`, err: describe(error) }, 'cannot read the canary ReplicaSet; showing the set weight only');
    return undefined;
  });
  return reply(rolloutStatus(summarizeRollout(rollout, replicaSets), where, lastVerification(rollout)), 'in_channel');
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

function describeCommand(command: MutatingCommand, namespace: string): string {
  const ref = `${namespace}/${command.target.name}`;
  switch (command.name) {
    case 'promote':
      return `${command.full ? 'fully promote' : 'promote'} rollout ${ref}`;
    case 'undo':
      return `roll back rollout ${ref} to ${command.toRevision ? `revision ${command.toRevision}` : 'the previous revision'}`;
    case 'deploy':
      return `deploy ${command.images.join(', ')} to rollout ${ref}`;
    default:
      return `${command.name} rollout ${ref}`;
  }
}

/**
 * The pending approval request a Rollout waits on at its current step, if any: promoting would skip the gate and
 * leave the request pending with live buttons, so people decide the request instead. Throws when that cannot be
 * told (a read fails), so that no promote goes ahead unchecked.
 */
async function pendingApproval(cluster: Cluster, namespace: string, name: string): Promise<{ request: string; step: number } | undefined> {
  let rollout: Rollout;
  try {
    rollout = (await cluster.objects.getNamespacedCustomObject({ ...ROLLOUTS, namespace, name })) as Rollout;
  } catch (error) {
    // no such Rollout: the promote itself says so
    if (error instanceof ApiException && error.code === 404) return undefined;
    throw error;
  }
  const { uid } = rollout.metadata;
  const podTemplateHash = rollout.status?.currentPodHash;
  const stepIndex = rollout.status?.currentStepIndex ?? 0;
  if (!uid || !podTemplateHash) return undefined;
  const requests = await cluster.approvals.list(namespace, requestSelector({ uid, podTemplateHash, stepIndex }));
  const pending = requests.find((request) => request.spec.type === 'Approval' && statusOf(request).state === 'Pending');
  return pending && { request: pending.metadata.name, step: stepIndex };
}

async function mutate(ctx: BotContext, command: MutatingCommand, invocation: Invocation, reply: Reply): Promise<void> {
  const { cluster, namespace, place: where } = place(ctx, command.target, invocation.channelId);
  if (!(await authorised(ctx, invocation.userId, command, where))) return reply(plain(refusedText(command, where)), 'ephemeral');
  if (command.name === 'promote') {
    let gate: Awaited<ReturnType<typeof pendingApproval>>;
    try {
      gate = await pendingApproval(cluster, namespace, command.target.name);
    } catch (error) {
      return reply(plain(`Not promoted: cannot tell whether rollout ${namespace}/${command.target.name} waits at an approval gate (${describeApiError(error)}). Nothing was changed.`, where), 'ephemeral');
    }
    if (gate) {
      const request = `${namespace}/${gate.request}`;
      return reply(
        plain(`Not promoted: rollout ${namespace}/${command.target.name} is waiting at step ${gate.step} for approval request ${gate.request}; decide the request instead (its buttons, or \`/rollouts approve|reject ${request}\`). Nothing was changed.`, where),
        'ephemeral',
      );
    }
  }
  if (isDestructive(ctx, command, where)) {
    const pending: Confirmation = {
      id: randomUUID(),
      user: invocation.userId,
      expires: Math.floor((ctx.now().getTime() + CONFIRMATION_TTL_MS) / 1000),
      command: formatCommand({ ...command, target: { ...command.target, cluster: where.cluster, namespace } }),
    };
    const value = JSON.stringify(pending);
    if (value.length > BUTTON_VALUE_MAX) {
      return reply(plain(`This ${command.name} cannot be confirmed in Slack: its confirmation would need ${value.length} characters and a button holds ${BUTTON_VALUE_MAX}. Deploy fewer containers at once. Nothing was changed.`, where), 'ephemeral');
    }
    const question = `${capitalise(describeCommand(command, namespace))}? This confirmation expires in ${CONFIRMATION_TTL_MS / 60_000} minutes.`;
    return reply(confirmation(question, value, where), 'ephemeral');
  }
  return execute(ctx, cluster, command, namespace, where, invocation.userId, `command:${invocation.triggerId}`, reply);
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
  if (!read) return reply(plain('This confirmation is not readable; run the command again.'), 'ephemeral');
  const { pending, command } = read;
  if (pending.user !== userId) return reply(plain('Only the person who asked for this action can confirm it.'), 'ephemeral');
  if (ctx.now().getTime() >= pending.expires * 1000) {
    const at = new Date(pending.expires * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
    return reply(plain(`This confirmation expired at ${at} (confirmations last ${CONFIRMATION_TTL_MS / 60_000} minutes). Nothing was changed; run the command again.`), 'ephemeral');
  }
  try {
    const { cluster, namespace, place: where } = place(ctx, command.target, '');
    if (!(await authorised(ctx, userId, command, where))) return reply(plain(refusedText(command, where)), 'ephemeral');
    return await execute(ctx, cluster, command, namespace, where, userId, `confirm:${pending.id}`, reply);
  } catch (error) {
    if (error instanceof UsageError || error instanceof NotMappedError) return reply(plain(error.message), 'ephemeral');
    throw error;
  }
}

async function execute(ctx: BotContext, cluster: Cluster, command: MutatingCommand, namespace: string, where: Place, userId: string, key: string, reply: Reply): Promise<void> {
  const what = describeCommand(command, namespace);
  const entry = {
    target: { apiVersion: `${ROLLOUTS.group}/${ROLLOUTS.version}`, kind: 'Rollout', name: command.target.name, namespace },
    user: { id: userId },
    action: command.name,
    reason: `Slack${capitalise(command.name)}`,
  };
  const api = cluster.actingAs(userId);
  const claim = await cluster.audit.claim(key, { ...entry, message: `asked from Slack to ${what}` });
  if (!claim.claimed) {
    return reply(plain(`Already done: this ${key.startsWith('confirm:') ? 'confirmation' : 'request'} was handled before, so nothing more was changed.`), 'ephemeral');
  }
  let done: string;
  try {
    done = await act(api, command, namespace, userId);
  } catch (error) {
    const reason = describe(error);
    await cluster.audit.record({ ...entry, message: `${what} failed: ${reason}`, outcome: 'failed' });
    return reply(plain(`Could not ${what}: ${reason}`, where), 'ephemeral');
  }
  await cluster.audit.record({ ...entry, message: done, outcome: 'succeeded' });
  // The person's answer first: the thread line may wait on Slack's per-channel rate limit.
  const line = mrkdwn`${mention(userId)}: ${done}`;
  await reply(plain(line, where), 'in_channel');
  await postInThread(ctx, ctx.slack, cluster, namespace, command.target.name, line.text);
}

function act(api: ReturnType<Cluster['actingAs']>, command: MutatingCommand, namespace: string, userId: string): Promise<string> {
  const ref = { namespace, name: command.target.name };
  // Every write of a pod template names its author for that template (the self-approval ban of approval gates).
  const annotate = (template: unknown) => ({ [DEPLOYED_BY_ANNOTATION]: deployedBy(userId, template) });
  switch (command.name) {
    case 'promote':
      return actions.promote(api, ref, { full: command.full });
    case 'abort':
      return actions.abort(api, ref);
    case 'retry':
      return actions.retry(api, ref);
    case 'pause':
      return actions.pause(api, ref);
    case 'resume':
      return actions.resume(api, ref);
    case 'restart':
      return actions.restart(api, ref);
    case 'undo':
      return actions.undo(api, ref, { toRevision: command.toRevision, annotate });
    case 'deploy':
      return actions.setImage(api, ref, command.images, { annotate });
  }
}

export function describe(error: unknown): string {
  if (error instanceof RolloutActionError) return error.message;
  return error instanceof Error ? error.message.split('\n')[0]! : String(error);
}

const capitalise = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);
