// The bot's handlers without Bolt: a BotContext whose cluster is the real Kubernetes client against the fake API
// server with state (fake-kube-store.ts) and whose Slack client talks to the fake Slack (test/fakes/slack). Tests
// call runCommand, decide or publishRequests directly and read what the person was told from `replies`, each
// checked against Slack's Block Kit limits as the response_url would check it. What the bot counts is in `metrics`.
//
//   const bot = await startBotContext({ roles: [...], environments: [...] });
//   await runCommand(bot.ctx, 'pause web', bot.invocation(ALICE), bot.reply);
import { onTestFinished } from 'vitest';
import { GroupDirectory } from '../../bot/auth/groups.js';
import { type Cluster, connectCluster } from '../../bot/cluster/clusters.js';
import { parseBotConfig } from '../../bot/config.js';
import { confirmPending } from '../../bot/commands/run.js';
import type { BotContext, Reply } from '../../bot/context.js';
import { type BotMetrics, createBotMetrics } from '../../bot/metrics.js';
import type { Message } from '../../bot/slack/blocks.js';
import { MeteredWebClient } from '../../bot/slack/metered-client.js';
import { createLogger } from '../../shared/log.js';
import { FakeSlack, type FakeSlackOptions, SLACK_BLOCK_LIMITS, validateBlocks } from '../fakes/slack/index.js';
import { type FakeKubeApi, type RecordedRequest, startFakeKubeApi } from './fake-kube-api.js';
import { type ObjectStore, objectStore } from './fake-kube-store.js';

export interface CapturedReply {
  message: Message;
  visibility: 'ephemeral' | 'in_channel';
}

export interface BotContextHarness {
  ctx: BotContext;
  cluster: Cluster;
  /** ctx.metrics: this context's own counts. */
  metrics: BotMetrics;
  store: ObjectStore;
  kube: FakeKubeApi;
  slack: FakeSlack;
  replies: CapturedReply[];
  /** Records the reply; throws when its blocks break a Block Kit limit, as Slack would refuse them. */
  reply: Reply;
  /** The last reply's text. */
  answer(): string;
  /** Log lines written through ctx.log, parsed. */
  logLines: Record<string, unknown>[];
  /** Writes to Kubernetes since `from` (an index into kube.requests). */
  writesSince(from: number): RecordedRequest[];
  /** Moves the bot's clock. */
  advance(ms: number): void;
  invocation(userId: string, channelId?: string): { userId: string; channelId: string; triggerId: string };
  /** The value of the Confirm button of the last confirmation shown. */
  lastConfirmation(): string;
  /** A click on that button by `userId`. */
  confirmLast(userId: string): Promise<void>;
}

interface ButtonBlock {
  type: string;
  elements?: { action_id?: string; value?: string }[];
}

let triggers = 0;

/** What fakeBotContext makes. */
export interface FakeBotContext {
  ctx: BotContext;
  cluster: Cluster;
  /** ctx.metrics: this context's own counts. */
  metrics: BotMetrics;
  /** Log lines written through ctx.log, parsed. */
  logLines: Record<string, unknown>[];
  /** Moves the bot's clock. */
  advance(ms: number): void;
}

/**
 * A BotContext of one cluster, the real Kubernetes client against `kube`, whose Slack clients talk to `slack`; the
 * bot's clock starts at `now` (default: the real time) and moves on with it. `instance` names the replica.
 */
export function fakeBotContext(rawConfig: unknown, kube: FakeKubeApi, slack: FakeSlack, options: { instance: string; now?: Date }): FakeBotContext {
  const config = parseBotConfig(rawConfig);
  const logLines: Record<string, unknown>[] = [];
  const log = createLogger({ level: 'info' }, { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) });
  const cluster = connectCluster(config.clusters[0]!.name, kube.kubeConfig(), config.impersonation, { log, instance: options.instance });
  const metrics = createBotMetrics();
  const client = new MeteredWebClient(slack.botToken, { ...slack.clientOptions(), metrics });
  let offsetMs = 0;
  const start = options.now?.getTime() ?? Date.now();
  const startedAt = Date.now();
  const ctx: BotContext = {
    config,
    slack: client,
    slackBackground: client,
    clusters: new Map([[cluster.name, cluster]]),
    groups: new GroupDirectory(client, config.groupCacheTtl, log),
    log,
    now: () => new Date(start + (Date.now() - startedAt) + offsetMs),
    metrics,
  };
  return { ctx, cluster, metrics, logLines, advance: (ms) => void (offsetMs += ms) };
}

export async function startBotContext(rawConfig: unknown, options: { slack?: FakeSlackOptions; now?: Date } = {}): Promise<BotContextHarness> {
  const store = objectStore();
  const kube = await startFakeKubeApi(store.respond);
  const slack = await FakeSlack.start(options.slack ?? {});
  onTestFinished(async () => {
    await slack.close();
    await kube.close();
  });
  const { ctx, cluster, metrics, logLines, advance } = fakeBotContext(rawConfig, kube, slack, { instance: 'bot-test', now: options.now });
  const replies: CapturedReply[] = [];
  const reply: Reply = async (message, visibility) => {
    const problems = validateBlocks(message.blocks, SLACK_BLOCK_LIMITS);
    if (problems.length) throw new Error(`Slack would refuse this reply: ${JSON.stringify(problems)}`);
    replies.push({ message, visibility });
  };
  return {
    ctx,
    cluster,
    metrics,
    store,
    kube,
    slack,
    replies,
    reply,
    answer: () => replies.at(-1)?.message.text ?? '',
    logLines,
    writesSince: (from) => kube.requests.slice(from).filter((r) => r.method !== 'GET'),
    advance,
    invocation: (userId, channelId = 'C0NOWHERE1') => ({ userId, channelId, triggerId: `trigger-${++triggers}` }),
    lastConfirmation,
    confirmLast: (userId) => confirmPending(ctx, lastConfirmation(), userId, reply),
  };

  function lastConfirmation(): string {
    for (const { message } of [...replies].reverse()) {
      const buttons = (message.blocks as ButtonBlock[]).flatMap((block) => block.elements ?? []);
      const confirm = buttons.find((button) => button.action_id === 'rcv.confirm');
      if (confirm?.value !== undefined) return confirm.value;
    }
    throw new Error('no confirmation was shown');
  }
}
