// The Slack bot: Bolt listeners for `/rollouts` and the buttons (any replica answers), and, on the replica that
// holds the Lease, the background work — asking for intervention on Inconclusive analyses, publishing approval
// requests, and applying timeouts. Slack is acknowledged at once; Kubernetes work happens after the ack and
// answers through response_url.
import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver, LogLevel, SocketModeReceiver, type Logger as BoltLogger, type RespondFn } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { Outcome } from '../shared/approvals/request.js';
import type { FeedbackMark } from '../shared/logs-feedback/feedback.js';
import { bindHost, splitHostPort } from '../shared/listen.js';
import type { Logger } from '../shared/log.js';
import { type MetricsServer, serveMetrics } from '../shared/metrics-http.js';
import { decide } from './approvals/decide.js';
import { markFromButton } from './approvals/mark-template.js';
import { publishRequests } from './approvals/publisher.js';
import { Backoff } from './backoff.js';
import { intervene } from './interventions/inconclusive.js';
import { notifyRollouts } from './notifications/threads.js';
import { threadPipelineRuns } from './pipelines/run-thread.js';
import type { Rollout } from '../shared/kube/rollout-types.js';
import { watchCluster } from './cluster/cluster-cache.js';
import { Wakeup } from '../shared/kube/wakeup.js';
import { type LeaderElection, runLeaderElection } from '../shared/kube/leader.js';
import { confirmPending, runCommand } from './commands/run.js';
import { defaultCluster } from './config.js';
import type { BotContext, Reply } from './context.js';
import { DECISION_VIEW, REPORT_ACTION, TEMPLATE_ACTIONS, decisionModal, parseRequestKey, parseTemplateKey, plain } from './slack/blocks.js';
import { SLACK_PATH, createFront } from './slack/http-front.js';
import { redactSlackSecrets } from './slack/redact.js';

export interface SlackSettings {
  botToken: string;
  signingSecret: string;
  /** Socket Mode when set (an `xapp-` token); HTTP mode otherwise. */
  appToken?: string;
  /** Web API base URL (tests point it at a local fake). */
  apiUrl?: string;
  /** Known bot IDs spare Bolt its auth.test call at start. */
  botId?: string;
  botUserId?: string;
}

export interface BotOptions {
  ctx: BotContext;
  slack: SlackSettings;
  /** host:port of the HTTP server (Slack requests in HTTP mode, health in both modes). */
  listen: string;
  /**
   * host:port serving ctx.metrics at GET /metrics; none when absent. A server of its own, so that Slack's HTTP front
   * never exposes them.
   */
  metricsListen?: string;
  /** Where the Lease lives, and this replica's name in it. */
  lease: { namespace: string; name: string; identity: string; durationMs?: number };
  /**
   * How often the leader's pass runs when nothing changes (expiries, retries of what failed); a change its watches
   * see starts one sooner. A pass reads the leader's caches, not the API server.
   */
  pollIntervalMs?: number;
  defaultChannel?: string;
  /** Wait for listeners before answering Slack (deterministic tests). */
  processBeforeResponse?: boolean;
}

export interface RunningBot {
  address: string;
  /** host:port of /metrics, when served. */
  metricsAddress?: string;
  client: WebClient;
  isLeader(): boolean;
  stop(): Promise<void>;
}

/** Bolt's (and its Socket Mode and Web API clients') log lines, in the bot's log with Slack's secrets redacted. */
function boltLogger(log: Logger): BoltLogger {
  let level = LogLevel.INFO;
  const text = (msg: unknown[]) => redactSlackSecrets(msg.map(String).join(' '));
  return {
    debug: (...msg: unknown[]) => log.debug({ bolt: true }, text(msg)),
    info: (...msg: unknown[]) => log.info({ bolt: true }, text(msg)),
    warn: (...msg: unknown[]) => log.warn({ bolt: true }, text(msg)),
    error: (...msg: unknown[]) => log.error({ bolt: true }, text(msg)),
    setLevel: (next: LogLevel) => {
      level = next;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}

function replyWith(respond: RespondFn): Reply {
  return async (message, visibility) => {
    await respond({ response_type: visibility, replace_original: false, text: message.text, blocks: message.blocks });
  };
}

/** Runs a listener's work after the ack; a failure is logged and told to the user, never left unanswered. */
async function guarded(ctx: BotContext, reply: Reply, what: string, work: () => Promise<unknown>): Promise<void> {
  try {
    await work();
  } catch (error) {
    ctx.log.error({ err: error, what }, 'listener failed');
    await reply(plain(`Something went wrong while handling ${what}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}. Nothing more was done.`), 'ephemeral').catch(() => undefined);
  }
}

function registerListeners(app: App, ctx: BotContext): void {
  app.command('/rollouts', async ({ command, ack, respond }) => {
    await ack();
    const reply = replyWith(respond);
    await guarded(ctx, reply, '/rollouts', () =>
      runCommand(ctx, command.text, { userId: command.user_id, channelId: command.channel_id, triggerId: command.trigger_id }, reply),
    );
  });

  app.action('rcv.confirm', async ({ ack, body, action, respond }) => {
    await ack();
    const reply = replyWith(respond);
    const value = action.type === 'button' ? action.value ?? '' : '';
    await guarded(ctx, reply, 'the confirmation', async () => {
      await respond({ replace_original: true, text: 'Confirmed; working on it…' });
      await confirmPending(ctx, value, body.user.id, reply);
    });
  });

  app.action('rcv.cancel', async ({ ack, respond }) => {
    await ack();
    await respond({ replace_original: true, text: 'Cancelled; nothing was changed.' });
  });

  // A link button: Slack opens the link and still tells the app, which only acknowledges (else Slack shows an error).
  app.action(REPORT_ACTION, async ({ ack }) => {
    await ack();
  });

  app.action('rcv.request.comment', async ({ ack, body, action, respond }) => {
    await ack();
    const reply = replyWith(respond);
    if (body.type !== 'block_actions' || action.type !== 'button') return;
    const key = parseRequestKey(action.value ?? '');
    const cluster = key && ctx.clusters.get(key.cluster);
    if (!key || !cluster) return reply(plain('This button does not name a known request; it may come from another installation.'), 'ephemeral');
    await guarded(ctx, reply, 'the comment form', async () => {
      const request = await cluster.approvals.get(key.namespace, key.name);
      if (!request) return reply(plain(`Approval request ${key.namespace}/${key.name} is gone.`), 'ephemeral');
      // trigger_id is valid for 3 s: the modal opens right after one read of the request
      await ctx.slack.views.open({ trigger_id: body.trigger_id, view: decisionModal(request, action.value!) });
    });
  });

  app.view(DECISION_VIEW, async ({ ack, body, view }) => {
    await ack();
    const key = parseRequestKey(view.private_metadata);
    const cluster = key && ctx.clusters.get(key.cluster);
    const outcome = view.state.values.outcome?.value?.selected_option?.value as Outcome | undefined;
    const comment = view.state.values.comment?.value?.value ?? undefined;
    // A modal has no response_url: the answer goes to the person as a direct message from the bot.
    const reply: Reply = async (message) => {
      await ctx.slack.chat.postMessage({ channel: body.user.id, text: message.text, blocks: message.blocks });
    };
    if (!key || !cluster || !outcome) return reply(plain('This form does not name a known request and decision.'), 'ephemeral');
    await guarded(ctx, reply, 'the decision', () =>
      // view.id is unique per opened modal and repeated by a replayed submission: one form, one decision.
      decide(ctx, { cluster, namespace: key.namespace, name: key.name, action: outcome, ...(comment && { comment: comment.slice(0, 500) }) }, body.user.id, `view:${view.id}`, 'slack:modal', reply),
    );
  });

  app.action(/^rcv\.request\.(approve|reject|promote|rollback|retry|ignore|abort)$/, async ({ ack, body, action, respond }) => {
    await ack();
    const reply = replyWith(respond);
    if (body.type !== 'block_actions' || !('action_ts' in action) || action.type !== 'button') return;
    const key = parseRequestKey(action.value ?? '');
    const cluster = key && ctx.clusters.get(key.cluster);
    if (!key || !cluster) return reply(plain('This button does not name a known request; it may come from another installation.'), 'ephemeral');
    const outcome = action.action_id.slice('rcv.request.'.length) as Outcome;
    const channel = body.channel?.id ?? body.container?.channel_id ?? 'unknown';
    await guarded(ctx, reply, 'the decision', () =>
      // action_ts is unique per click and repeated by a replayed request: one click, one decision.
      decide(ctx, { cluster, namespace: key.namespace, name: key.name, action: outcome }, body.user.id, `click:${action.action_ts}:${body.user.id}`, `slack:${channel}`, reply),
    );
  });

  for (const [mark, actionId] of Object.entries(TEMPLATE_ACTIONS) as [FeedbackMark, string][]) {
    app.action(actionId, async ({ ack, body, action, respond }) => {
      await ack();
      const reply = replyWith(respond);
      if (body.type !== 'block_actions' || !('action_ts' in action) || action.type !== 'button') return;
      const key = parseTemplateKey(action.value ?? '');
      const cluster = key && ctx.clusters.get(key.cluster);
      if (!key || !cluster) return reply(plain('This button does not name a known request and template; it may come from another installation.'), 'ephemeral');
      await guarded(ctx, reply, 'the mark on the log template', () =>
        // action_ts is unique per click and repeated by a replayed request: one click, one mark.
        markFromButton(ctx, { cluster, namespace: key.namespace, name: key.name, index: key.index, mark }, body.user.id, `click:${action.action_ts}:${body.user.id}`, reply),
      );
    });
  }
}

export async function startBot(options: BotOptions): Promise<RunningBot> {
  const { ctx, slack } = options;
  if (options.metricsListen && !ctx.metrics) throw new Error(`metricsListen (${options.metricsListen}) serves ctx.metrics, and the context has none (createBotMetrics)`);
  const logger = boltLogger(ctx.log.child({ component: 'bolt' }));
  const clientOptions = { ...(slack.apiUrl && { slackApiUrl: slack.apiUrl }), retryConfig: { retries: 2 } };
  // HTTP mode: Bolt's receiver behind the bot's own front server. Socket Mode: the bot connects out to Slack; its
  // connection client gets the same API address (a local fake in tests).
  const http = slack.appToken
    ? undefined
    : new HTTPReceiver({ signingSecret: slack.signingSecret, endpoints: SLACK_PATH, logger, processBeforeResponse: options.processBeforeResponse ?? false });
  const receiver = http ?? new SocketModeReceiver({ appToken: slack.appToken!, logger, installerOptions: { clientOptions } });
  const app = new App({
    token: slack.botToken,
    receiver,
    logger,
    clientOptions,
    // Bolt would otherwise call auth.test in its constructor and crash the process if Slack is unreachable;
    // the token is checked below instead, and a failure is logged while the bot keeps serving.
    tokenVerificationEnabled: false,
    ...(slack.botId && { botId: slack.botId }),
    ...(slack.botUserId && { botUserId: slack.botUserId }),
  });
  registerListeners(app, ctx);
  void ctx.slack.auth.test().then(
    (identity) => ctx.log.info({ team: identity.team, user: identity.user }, 'Slack token accepted'),
    (error: unknown) => ctx.log.error({ err: error instanceof Error ? error.message : String(error) }, 'cannot verify the Slack token (auth.test); commands will fail until Slack accepts it'),
  );

  let ready = false;
  const front = createFront({ ...(http && { slack: { signingSecret: slack.signingSecret, listener: http.requestListener } }), ready: () => ready, log: ctx.log });
  const { host, port } = splitHostPort(options.listen);
  await new Promise<void>((resolve, reject) => {
    front.once('error', (error) => reject(new Error(`cannot listen on ${options.listen}: ${error.message}`)));
    front.listen(port, bindHost(host), resolve);
  });
  let metricsServer: MetricsServer | undefined;
  if (options.metricsListen) {
    try {
      metricsServer = await serveMetrics(ctx.metrics!.registry, options.metricsListen, 'the Slack bot');
    } catch (error) {
      front.close();
      throw error;
    }
  }
  if (!http) await app.start();

  const pollMs = options.pollIntervalMs ?? 3_000;
  const leaseCluster = ctx.clusters.get(defaultCluster(ctx.config))!;
  const election: LeaderElection = runLeaderElection({
    api: leaseCluster.coordination,
    namespace: options.lease.namespace,
    name: options.lease.name,
    identity: options.lease.identity,
    // renewed three times per lease duration, as client-go's defaults do (15 s / 5 s)
    ...(options.lease.durationMs && { leaseDurationMs: options.lease.durationMs, renewEveryMs: Math.floor(options.lease.durationMs / 3) }),
    log: ctx.log.child({ component: 'leader' }),
    onStartedLeading: (signal) => {
      ctx.metrics?.leading(true);
      void reconcileWhileLeading(ctx, options.defaultChannel, pollMs, signal);
    },
    onStoppedLeading: () => ctx.metrics?.leading(false),
  });
  ready = true;
  const address = `${host}:${(front.address() as AddressInfo).port}`;
  const metricsAddress = metricsServer?.address;
  ctx.log.info({ address, metricsAddress, mode: http ? 'http' : 'socket', identity: options.lease.identity }, 'bot listening');

  let stopping: Promise<void> | undefined;
  return {
    address,
    ...(metricsAddress && { metricsAddress }),
    client: app.client,
    isLeader: () => election.isLeader,
    stop: () =>
      (stopping ??= (async () => {
        ready = false;
        await election.stop();
        if (!http) await app.stop();
        await new Promise<void>((resolve) => {
          front.close(() => resolve());
          front.closeAllConnections();
        });
        await metricsServer?.close();
        ctx.log.info({ address }, 'bot stopped');
      })()),
  };
}

/** After a change the caches saw, the leader's next pass waits this long for more (a burst is one pass). */
const CHANGE_DEBOUNCE_MS = 200;
/** How long a pass waits for a cluster's caches to hold the previous pass's writes. */
const READY_TIMEOUT_MS = 10_000;

/**
 * The leader's work while it leads: per cluster, caches of the Rollouts, ApprovalRequests, ReplicaSets and
 * PipelineRuns fed by watches; a pass over them soon after they change, and every `resyncMs` anyway (expiries,
 * retries). A cluster whose caches are not live, or do not hold the previous pass's writes yet, is skipped until
 * they do.
 */
async function reconcileWhileLeading(ctx: BotContext, defaultChannel: string | undefined, resyncMs: number, signal: AbortSignal): Promise<void> {
  ctx.log.info('leading: interventions, approval requests, rollout threads and pipeline run threads');
  const backoff = new Backoff();
  const wakeup = new Wakeup();
  const caches = [...ctx.clusters.values()].map((cluster) => watchCluster(cluster, { log: ctx.log.child({ cluster: cluster.name }), onChange: () => wakeup.soon(CHANGE_DEBOUNCE_MS) }));
  const waiting = new Set<string>();
  try {
    while (!signal.aborted) {
      for (const cache of caches) {
        const { cluster } = cache;
        const state = await cache.ready(READY_TIMEOUT_MS);
        if (signal.aborted) break;
        if (!state.ready) {
          // (a failing watch logs its own warnings)
          if (!waiting.has(cluster.name)) ctx.log.info({ cluster: cluster.name, why: state.why }, 'waiting for the caches of this cluster before its pass');
          waiting.add(cluster.name);
          continue;
        }
        if (waiting.delete(cluster.name)) ctx.log.info({ cluster: cluster.name }, 'the caches of this cluster are in sync');
        try {
          const rollouts = cache.rollouts.list();
          const requests = cache.approvals.list();
          const replicaSetsOf = cache.replicaSets.live ? (rollout: Rollout) => cache.replicaSets.list(rollout.metadata.namespace) : undefined;
          await intervene(ctx, cluster, rollouts, requests, backoff);
          await publishRequests(ctx, { client: ctx.slackBackground, defaultChannel, backoff }, cluster, requests, rollouts);
          await notifyRollouts(ctx, { client: ctx.slackBackground, defaultChannel, backoff, replicaSetsOf }, cluster, rollouts);
          const runs = cache.pipelineRuns();
          if (runs) await threadPipelineRuns(ctx, { client: ctx.slackBackground, defaultChannel, backoff }, cluster, runs);
        } catch (error) {
          ctx.log.warn({ cluster: cluster.name, err: (error as Error).message }, 'reconciling with Slack failed; next pass retries');
        }
      }
      await wakeup.next(resyncMs, signal);
    }
  } finally {
    await Promise.all(caches.map((cache) => cache.stop()));
  }
}
