// Where a command acts and whether its user may: the cluster and namespace (as written, else the channel's
// defaults) with the environment the operator's configuration maps them to, and the user's roles there.
import { permits } from '../auth/roles.js';
import type { Cluster } from '../cluster/clusters.js';
import { defaultCluster, environmentOf } from '../config.js';
import { type BotContext, actorOf } from '../context.js';
import type { Place } from '../slack/blocks.js';
import { type Command, PERMISSION_OF, UsageError } from './parse.js';

/** Cluster and namespace: as written, else the channel's defaults, else the default cluster. */
export function place(ctx: BotContext, target: { cluster?: string; namespace?: string }, channelId: string): { cluster: Cluster; namespace: string; place: Place } {
  const channel = ctx.config.channels.find((c) => c.id === channelId);
  const clusterName = target.cluster ?? channel?.cluster ?? defaultCluster(ctx.config);
  const cluster = ctx.clusters.get(clusterName);
  if (!cluster) throw new UsageError(`unknown cluster "${clusterName}"; clusters: ${[...ctx.clusters.keys()].join(', ')}`);
  const namespace = target.namespace ?? (channel && (!target.cluster || target.cluster === (channel.cluster ?? defaultCluster(ctx.config))) ? channel.namespace : undefined);
  if (!namespace) throw new UsageError('which namespace? Write namespace/name or -n <namespace> (this channel has no default namespace)');
  return { cluster, namespace, place: { cluster: clusterName, namespace, environment: environmentOf(ctx.config, clusterName, namespace)?.name } };
}

/** Why the user's roles do not allow the command there (logged), or undefined when they do. */
export async function roleRefusal(ctx: BotContext, userId: string, command: Command, where: Place): Promise<string | undefined> {
  const actor = await actorOf(ctx, userId);
  const permission = PERMISSION_OF[command.name];
  if (permits(ctx.config, actor, permission, where.environment)) return undefined;
  ctx.log.warn({ audit: true, user: userId, command: command.name, permission, ...where, outcome: 'refused' }, 'not authorised');
  const env = where.environment ? `environment ${where.environment}` : `namespace ${where.namespace} of cluster ${where.cluster}`;
  return `You are not allowed to ${permission} in ${env}. Nothing was changed. Ask an admin to give you a role that allows "${permission}" there.`;
}
