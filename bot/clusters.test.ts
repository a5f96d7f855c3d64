// The bot with two clusters (two kubeconfig contexts, here two fake API servers) and impersonation: a command goes
// to the cluster it names (or the channel's), and with impersonation on, rollout writes carry the user's mapped
// Kubernetes identity while an unmapped user cannot act at all.
import { readFileSync } from 'node:fs';
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ROLLOUTS, type Rollout } from '../shared/kube/rollout-types.js';
import { createLogger } from '../shared/log.js';
import { FakeSlack } from '../test/fakes/slack/index.js';
import { type FakeKubeApi, headerValues, startFakeKubeApi } from '../test/helpers/fake-kube-api.js';
import { type KubeObject, objectStore } from '../test/helpers/fake-kube-store.js';
import { SlackRequestClient } from '../test/helpers/slack-requests.js';
import { type RunningBot, startBot } from './app.js';
import { GroupDirectory } from './auth/groups.js';
import { connectCluster } from './cluster/clusters.js';
import { parseBotConfig } from './config.js';

const SIGNING_SECRET = 'clusters-signing-secret';
const EU_CHANNEL = 'C0EUDEPLOY';
const ALICE = 'U0ALICE001';
const CAROL = 'U0CAROL001';

const eu = objectStore();
const us = objectStore();
let euApi: FakeKubeApi;
let usApi: FakeKubeApi;
let fake: FakeSlack;
let bot: RunningBot;
let slack: SlackRequestClient;

function seed(store: ReturnType<typeof objectStore>, namespace: string): void {
  const rollout = JSON.parse(readFileSync(new URL('../test/fixtures/rollouts/canary-paused-step.json', import.meta.url), 'utf8')) as Rollout;
  const { resourceVersion: _rv, uid: _uid, ...metadata } = rollout.metadata;
  store.seed(ROLLOUTS, { ...rollout, metadata: { ...metadata, name: 'checkout', namespace } } as unknown as KubeObject);
}

beforeAll(async () => {
  seed(eu, 'shop');
  seed(us, 'shop');
  euApi = await startFakeKubeApi(eu.respond);
  usApi = await startFakeKubeApi(us.respond);
  fake = await FakeSlack.start({ channels: [{ id: EU_CHANNEL, name: 'eu-deploys' }], users: [ALICE, CAROL].map((id) => ({ id, name: id.toLowerCase() })) });
  const config = parseBotConfig({
    clusters: [{ name: 'prod-eu' }, { name: 'prod-us' }],
    environments: [
      { name: 'production-eu', cluster: 'prod-eu', namespaces: ['shop'] },
      { name: 'production-us', cluster: 'prod-us', namespaces: ['shop'] },
    ],
    channels: [{ id: EU_CHANNEL, cluster: 'prod-eu', namespace: 'shop' }],
    roles: [{ name: 'operators', users: [ALICE, CAROL], environments: ['*'], allow: ['view', 'pause', 'promote'] }],
    impersonation: { users: { [ALICE]: 'alice@example.com' }, groups: ['rollouts-operators'] },
  });
  const log = createLogger({ level: 'silent' });
  const client = new WebClient(fake.botToken, fake.clientOptions());
  const connect = (name: string, api: FakeKubeApi) => connectCluster(name, api.kubeConfig(), config.impersonation, { log, instance: 'bot-clusters-1' });
  bot = await startBot({
    ctx: {
      config,
      slack: client,
      slackBackground: client,
      clusters: new Map([
        ['prod-eu', connect('prod-eu', euApi)],
        ['prod-us', connect('prod-us', usApi)],
      ]),
      groups: new GroupDirectory(client, config.groupCacheTtl, log),
      log,
      now: () => new Date(),
    },
    slack: { botToken: fake.botToken, signingSecret: SIGNING_SECRET, apiUrl: fake.apiUrl, botId: fake.workspace.botId, botUserId: fake.workspace.botUserId },
    listen: '127.0.0.1:0',
    lease: { namespace: 'bots', name: 'rollouts-cv-bot', identity: 'bot-clusters-1', durationMs: 3_000 },
    processBeforeResponse: true,
  });
  slack = new SlackRequestClient({ url: `http://${bot.address}/slack/events`, signingSecret: SIGNING_SECRET, issuer: fake, context: { channelId: EU_CHANNEL, channelName: 'eu-deploys', userId: ALICE, userName: 'alice' } });
});

afterAll(async () => {
  await bot?.stop();
  await fake?.close();
  await euApi?.close();
  await usApi?.close();
});

async function answer(text: string, userId = ALICE): Promise<string> {
  const from = fake.journal.entries.length;
  const response = await slack.slashCommand({ command: '/rollouts', text }, { as: { userId, userName: userId.toLowerCase() } });
  expect(response.status).toBe(200);
  const replies = fake.journal.entries.slice(from).filter((entry) => entry.method === 'response_url');
  return String(replies.at(-1)?.args.text ?? '');
}

const rolloutWrites = (api: FakeKubeApi) => api.requests.filter((r) => r.method === 'PATCH' && r.path.includes('/rollouts/'));

it('sends a command to the cluster the channel names, or the one written before the rollout', async () => {
  expect(await answer('pause checkout')).toContain("rollout 'shop/checkout' paused");
  expect(rolloutWrites(euApi)).toHaveLength(1);
  expect(rolloutWrites(usApi)).toHaveLength(0);

  expect(await answer('pause prod-us:shop/checkout')).toContain("rollout 'shop/checkout' paused");
  expect(rolloutWrites(usApi)).toHaveLength(1);
  expect(await answer('status nowhere:shop/checkout')).toBe('unknown cluster "nowhere"; clusters: prod-eu, prod-us');
});

it('writes rollouts as the mapped identity, and refuses a user without one before touching the cluster', async () => {
  const [write] = rolloutWrites(usApi);
  expect(headerValues(write!, 'impersonate-user')).toEqual(['alice@example.com']);
  expect(headerValues(write!, 'impersonate-group')).toEqual(['rollouts-operators']);

  const before = euApi.requests.length;
  expect(await answer('pause checkout', CAROL)).toBe(
    `your Slack user ${CAROL} is not mapped to a Kubernetes identity (impersonation.users), so you cannot act on the cluster`,
  );
  expect(euApi.requests.slice(before).filter((r) => r.method !== 'GET' && !r.path.includes('/leases/'))).toEqual([]);
});
