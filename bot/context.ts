// What every handler of the bot works with. Built once at start (bot/app.ts) and passed down.
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../shared/log.js';
import type { GroupDirectory } from './auth/groups.js';
import type { Actor } from './auth/roles.js';
import type { Cluster } from './cluster/clusters.js';
import type { BotConfig } from './config.js';
import type { BotMetrics } from './metrics.js';
import type { Message } from './slack/blocks.js';

export interface BotContext {
  config: BotConfig;
  /** The Slack Web API client for what people's actions produce (thread lines, direct messages); waits out rate limits. */
  slack: WebClient;
  /** The client for what the leader posts by itself (approval requests, thread heads); fails fast on a rate limit. */
  slackBackground: WebClient;
  clusters: Map<string, Cluster>;
  groups: GroupDirectory;
  log: Logger;
  now: () => Date;
  /** What the bot counts (bot/metrics.ts); without it, nothing is counted. */
  metrics?: BotMetrics;
}

/** Where a reply goes: only to the person (ephemeral) or to the channel. */
export type Reply = (message: Message, visibility: 'ephemeral' | 'in_channel') => Promise<void>;

/** `outcome` once the answer is sent: how a handler both answers the person and says what to count. */
export async function answered<T>(reply: Promise<void>, outcome: T): Promise<T> {
  await reply;
  return outcome;
}

/** The user's groups among those the configuration mentions; an unreadable group counts as not a member. */
export async function actorOf(ctx: BotContext, userId: string, extraGroups: readonly string[] = []): Promise<Actor> {
  const wanted = new Set([...ctx.config.roles.flatMap((role) => role.groups), ...extraGroups]);
  const membership = await ctx.groups.membership(userId, [...wanted]);
  return { userId, groups: membership.groups };
}
