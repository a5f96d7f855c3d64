// The bot in Socket Mode: it connects out to Slack (apps.connections.open, then a WebSocket) instead of serving
// HTTP, receives the same commands and clicks as envelopes, acknowledges each, and answers through response_url.
// Slack is the local fake; Kubernetes the in-process fake with state.
import { readFileSync } from 'node:fs';
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ROLLOUTS, type Rollout } from '../shared/kube/rollout-types.js';
import { createLogger } from '../shared/log.js';
import { FakeSlack } from '../test/fakes/slack/index.js';
import { type FakeKubeApi, startFakeKubeApi } from '../test/helpers/fake-kube-api.js';
import { type KubeObject, objectStore } from '../test/helpers/fake-kube-store.js';
import { slashCommandFields } from '../test/helpers/slack-requests.js';
import { type RunningBot, startBot } from './app.js';
import { GroupDirectory } from './auth/groups.js';
import { connectCluster } from './cluster/clusters.js';
import { parseBotConfig } from './config.js';

const CHANNEL = 'C0PROD0001';
const ALICE = 'U0ALICE001';
const EVE = 'U0EVE00001';

let kube: FakeKubeApi;
let fake: FakeSlack;
let bot: RunningBot;
/** Every log line, at debug level (as with --log-level debug). */
const logText: string[] = [];
/** Values that must never be logged: what a command envelope carries that grants access. */
const secrets: string[] = [];
const VERIFICATION_TOKEN = 'legacy-verification-token-0123456789';

beforeAll(async () => {
  const store = objectStore();
  const rollout = JSON.parse(readFileSync(new URL('../test/fixtures/rollouts/canary-paused-step.json', import.meta.url), 'utf8')) as Rollout;
  const { resourceVersion: _rv, uid: _uid, ...metadata } = rollout.metadata;
  store.seed(ROLLOUTS, { ...rollout, metadata: { ...metadata, name: 'checkout', namespace: 'shop' } } as unknown as KubeObject);
  kube = await startFakeKubeApi(store.respond);
  fake = await FakeSlack.start({ channels: [{ id: CHANNEL, name: 'prod-deploys' }], users: [ALICE, EVE].map((id) => ({ id, name: id.toLowerCase() })) });
  const config = parseBotConfig({
    environments: [{ name: 'production', namespaces: ['shop'] }],
    channels: [{ id: CHANNEL, namespace: 'shop' }],
    roles: [{ name: 'viewers', users: [ALICE], environments: ['*'], allow: ['view'] }],
  });
  const log = createLogger({ level: 'debug' }, { write: (line: string) => void logText.push(line) });
  const client = new WebClient(fake.botToken, fake.clientOptions());
  bot = await startBot({
    ctx: {
      config,
      slack: client,
      slackBackground: client,
      clusters: new Map([['default', connectCluster('default', kube.kubeConfig(), undefined, { log, instance: 'bot-socket-1' })]]),
      groups: new GroupDirectory(client, config.groupCacheTtl, log),
      log,
      now: () => new Date(),
    },
    slack: { botToken: fake.botToken, signingSecret: '', appToken: fake.appToken, apiUrl: fake.apiUrl, botId: fake.workspace.botId, botUserId: fake.workspace.botUserId },
    listen: '127.0.0.1:0',
    lease: { namespace: 'bots', name: 'rollouts-cv-bot', identity: 'bot-socket-1', durationMs: 3_000 },
  });
  await fake.socketMode.waitForConnection();
});

afterAll(async () => {
  await bot?.stop();
  await fake?.close();
  await kube?.close();
});

async function command(text: string, userId: string): Promise<string> {
  const fields = slashCommandFields({ command: '/rollouts', text, responseUrl: fake.responseUrl({ channel: CHANNEL, user: userId }), triggerId: fake.triggerId() }, {
    teamId: 'T0FAKE0001',
    teamDomain: 'fake',
    apiAppId: 'A0FAKE0001',
    verificationToken: VERIFICATION_TOKEN,
    userId,
    userName: userId.toLowerCase(),
    channelId: CHANNEL,
    channelName: 'prod-deploys',
  });
  secrets.push(fields.response_url!, fields.trigger_id!);
  const from = fake.journal.entries.length;
  const envelope = fake.socketMode.push('slash_commands', fields);
  expect((await fake.socketMode.waitForAck(envelope)).envelope_id).toBe(envelope);
  const answered = await fake.journal.waitFor((entry) => entry.seq > from && entry.method === 'response_url', 5_000);
  return String(answered.args.text);
}

it('connects out with the app-level token and serves no Slack endpoint over HTTP', async () => {
  expect(fake.journal.calls('apps.connections.open', { ok: true }).at(-1)?.token).toBe(fake.appToken);
  const response = await fetch(`http://${bot.address}/slack/events`, { method: 'POST', body: 'x' });
  expect(response.status).toBe(404);
  expect((await fetch(`http://${bot.address}/readyz`)).status).toBe(200);
});

it('answers a command envelope after acknowledging it, with the same authorisation as in HTTP mode', async () => {
  expect(await command('status checkout', ALICE)).toMatch(/^shop\/checkout: Paused \(CanaryPauseStep\)/);
  expect(await command('abort checkout', EVE)).toMatch(/^You are not allowed to abort in environment production\. Nothing was changed\./);
});

it('logs envelopes at debug level without response_url, trigger_id, the verification token or Slack tokens', async () => {
  await command('status checkout', ALICE);
  const logged = logText.join('\n');
  // Not vacuous: the envelope itself was logged, with its secrets replaced.
  expect(logged).toContain('Received a message on the WebSocket');
  expect(logged).toMatch(/response_url[^,]*\[redacted\]/);
  const ticket = /ticket=([\w-]+)/.exec(fake.journal.calls('apps.connections.open', { ok: true }).map((e) => JSON.stringify(e.response)).join())?.[1];
  expect(ticket).toBeDefined();
  for (const secret of [...secrets, VERIFICATION_TOKEN, fake.botToken, fake.appToken, ticket!]) expect(logged).not.toContain(secret);
});
