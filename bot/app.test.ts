// The bot in-process, as it runs: Bolt's HTTP receiver behind the bot's front, signed requests as Slack sends
// them, Bolt's WebClient against the fake Slack (test/fakes/slack) and the real Kubernetes client against the
// fake API server with state (test/helpers/fake-kube-store.ts). Each case checks what the person is told and the
// exact requests the bot sent to Kubernetes (or that it sent none). processBeforeResponse makes the HTTP answer
// wait for the listener, so everything the bot did is recorded when the request returns.
import { request as httpRequest } from 'node:http';
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployedBy } from '../shared/approvals/deployer.js';
import { APPROVAL_REQUESTS, type ApprovalRequest, type RolloutApprovalRequest, type RolloutRequestSpec, statusOf } from '../shared/approvals/request.js';
import type { LogTemplateFeedback } from '../shared/logs-feedback/feedback.js';
import { POD_TEMPLATE_HASH_LABEL, REPLICA_SETS, ROLLOUTS, type Rollout } from '../shared/kube/rollout-types.js';
import { createLogger } from '../shared/log.js';
import { PIPELINE_RUNS } from '../shared/pipelines/controller.js';
import { FakeSlack, isOk } from '../test/fakes/slack/index.js';
import { approvalRequest, rolloutAt } from '../test/helpers/approval-policy.js';
import { type FakeKubeApi, type RecordedRequest, startFakeKubeApi } from '../test/helpers/fake-kube-api.js';
import { type KubeObject, type ObjectStore, failure, objectStore } from '../test/helpers/fake-kube-store.js';
import { actLikeRolloutsController } from '../test/helpers/fake-rollouts-controller.js';
import { rolloutFixture, seedInconclusive } from '../test/helpers/leader-harness.js';
import { type SlackHttpResponse, SlackRequestClient } from '../test/helpers/slack-requests.js';
import { type RunningBot, startBot } from './app.js';
import { GroupDirectory } from './auth/groups.js';
import { type Cluster, connectCluster } from './cluster/clusters.js';
import { parseBotConfig } from './config.js';
import type { BotContext } from './context.js';
import { PacedWebClient } from './slack/paced-client.js';

const NS = 'shop';
const GATES = 'gates';
const LAB = 'lab';
const PROD_CHANNEL = 'C0PROD0001';
const RELEASE_CHANNEL = 'C0RELEASE1';
const LAB_CHANNEL = 'C0LAB00001';
const SIGNING_SECRET = 'unit-signing-secret';
const ALICE = 'U0ALICE001';
const BOB = 'U0BOB00001';
const DEV = 'U0DEV00001';
const EVE = 'U0EVE00001';
const RELEASE_GROUP = 'S0RELEASE1';
const MERGE = 'application/merge-patch+json';
const JSON_PATCH = 'application/json-patch+json';
const ROLLOUTS_PATH = `/apis/argoproj.io/v1alpha1/namespaces/${NS}/rollouts`;
const isEvents = (path: string) => /^\/api\/v1\/namespaces\/[^/]+\/events$/.test(path);

let store: ObjectStore;
let kube: FakeKubeApi;
let fake: FakeSlack;
let bot: RunningBot;
let ctx: BotContext;
let cluster: Cluster;
let slack: SlackRequestClient;
/** Added to the bot's clock (approval expiry). */
let clockOffsetMs = 0;
const logLines: Record<string, unknown>[] = [];

beforeAll(async () => {
  store = objectStore();
  kube = await startFakeKubeApi(store.respond);
  actLikeRolloutsController(store);
  fake = await FakeSlack.start({
    channels: [
      { id: PROD_CHANNEL, name: 'prod-deploys' },
      { id: RELEASE_CHANNEL, name: 'release-approvals' },
    ],
    users: [ALICE, BOB, DEV, EVE].map((id) => ({ id, name: id.toLowerCase() })),
    usergroups: [{ id: RELEASE_GROUP, handle: 'release', users: [ALICE, BOB] }],
  });
  const config = parseBotConfig({
    clusters: [{ name: 'test' }],
    environments: [
      // No channel: the leader posts no rollout threads here, so the writes seen are the commands' own.
      { name: 'production', namespaces: [NS], protected: true },
      { name: 'release', namespaces: [GATES], channel: RELEASE_CHANNEL },
      // Its channel does not exist in the workspace until a test creates it.
      { name: 'lab', namespaces: [LAB], channel: LAB_CHANNEL },
    ],
    channels: [{ id: PROD_CHANNEL, namespace: NS }],
    roles: [
      { name: 'release', groups: [RELEASE_GROUP], environments: ['production', 'release', 'lab'], allow: ['view', 'promote', 'abort', 'retry', 'undo', 'pause', 'resume', 'restart', 'deploy', 'approve'] },
      { name: 'developers', users: [DEV], environments: ['production'], allow: ['view', 'deploy'] },
    ],
  });
  const log = createLogger({ level: 'info' }, { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) });
  cluster = connectCluster('test', kube.kubeConfig(), config.impersonation, { log, instance: 'bot-test-1' });
  const client = new WebClient(fake.botToken, fake.clientOptions());
  ctx = {
    config,
    slack: client,
    // as bot/main.ts makes it: the leader's posts fail fast on a rate limit, and a later pass tries again
    slackBackground: new PacedWebClient(fake.botToken, fake.clientOptions()),
    clusters: new Map([['test', cluster]]),
    groups: new GroupDirectory(client, config.groupCacheTtl, log),
    log,
    now: () => new Date(Date.now() + clockOffsetMs),
  };
  const settings = { botToken: fake.botToken, signingSecret: SIGNING_SECRET, apiUrl: fake.apiUrl, botId: fake.workspace.botId, botUserId: fake.workspace.botUserId };
  bot = await startBot({
    ctx,
    slack: settings,
    listen: '127.0.0.1:0',
    lease: { namespace: 'bots', name: 'rollouts-cv-bot', identity: 'bot-test-1', durationMs: 3_000 },
    pollIntervalMs: 50,
    processBeforeResponse: true,
  });
  slack = new SlackRequestClient({ url: `http://${bot.address}/slack/events`, signingSecret: SIGNING_SECRET, issuer: fake, context: { channelId: PROD_CHANNEL, channelName: 'prod-deploys', userId: ALICE, userName: 'alice' } });
  await until('the bot to lead', () => bot.isLeader() || undefined);
});

afterAll(async () => {
  await bot?.stop();
  await fake?.close();
  await kube?.close();
});

async function until<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const as = (userId: string) => ({ as: { userId, userName: userId.toLowerCase() } });
const command = (text: string, userId = ALICE) => () => slack.slashCommand({ command: '/rollouts', text }, as(userId));
/** The same signed bytes again, as an attacker (or Slack's retry) would send them. */
const replay = (original: SlackHttpResponse) => () => slack.send(original.request.body, { timestamp: Number(original.request.headers['x-slack-request-timestamp']) });

interface Exchange {
  response: SlackHttpResponse;
  /** What the bot answered through the response_url, in order. */
  replies: { text: string; visibility: unknown }[];
  /** The last reply's text. */
  answer: string;
  /** Writes to Kubernetes while the request was handled (the Lease renewals left out). */
  writes: RecordedRequest[];
}

async function exchange(send: () => Promise<SlackHttpResponse>, expectedStatus = 200): Promise<Exchange> {
  const fromJournal = fake.journal.entries.length;
  const fromKube = kube.requests.length;
  const response = await send();
  expect(response.status, response.body).toBe(expectedStatus);
  const replies = fake.journal.entries
    .slice(fromJournal)
    .filter((entry) => entry.method === 'response_url' && entry.status === 200)
    .map((entry) => ({ text: String(entry.args.text ?? ''), visibility: entry.args.response_type }));
  const writes = kube.requests.slice(fromKube).filter((r) => r.method !== 'GET' && !r.path.includes('/leases/'));
  return { response, replies, answer: replies.at(-1)?.text ?? '', writes };
}

/** Writes other than audit Events, as [method, path, content type, body]. */
const objectWrites = (writes: RecordedRequest[]) => writes.filter((w) => !isEvents(w.path)).map((w) => [w.method, w.path, w.contentType, w.body]);
/** The audit Events written, as "type reason". */
const events = (writes: RecordedRequest[]) =>
  writes.filter((w) => isEvents(w.path) && w.method === 'POST').map((w) => `${(w.body as { type: string }).type} ${(w.body as { reason: string }).reason}`);

const fixture = rolloutFixture;

/** A Rollout as the controller left it (one of test/fixtures/rollouts), under a new name. */
function seedRollout(fixtureName: string, name: string): Rollout {
  const rollout = fixture(fixtureName);
  const { resourceVersion: _rv, uid: _uid, ...metadata } = rollout.metadata;
  return store.seed(ROLLOUTS, { ...rollout, metadata: { ...metadata, name, namespace: NS } } as unknown as KubeObject) as unknown as Rollout;
}

const rolloutOf = (name: string) => store.get({ ...ROLLOUTS, namespace: NS, name }) as unknown as Rollout;

/** The confirmation the bot last showed a user, as the message its buttons are on. */
function lastPrompt(userId: string): { ts: string; blocks?: unknown[] } {
  const prompt = fake.ephemerals(userId).filter((m) => JSON.stringify(m.blocks ?? []).includes('rcv.confirm')).at(-1);
  if (!prompt) throw new Error(`no confirmation was shown to ${userId}`);
  return { ts: prompt.message_ts, blocks: prompt.blocks };
}
/** A click on a button of `message`; a posted message's channel is where the click comes from. */
const click = (message: { ts: string; blocks?: unknown[]; channel?: string }, actionId: string, userId = ALICE) => () =>
  slack.blockAction({ message, actionId, ...(message.channel && { channelId: message.channel }) }, as(userId));

describe('commands', () => {
  it('answers help, list and status', async () => {
    seedRollout('canary-paused-step', 'viewed');
    const help = await exchange(command('help', EVE));
    expect(help.answer).toMatch(/^\*rollouts-cv\* — Argo Rollouts from Slack\./);
    expect(help.replies[0]!.visibility).toBe('ephemeral');

    const list = await exchange(command('list'));
    expect(list.replies).toEqual([{ text: `${store.list(ROLLOUTS).length} rollouts`, visibility: 'ephemeral' }]);
    const status = await exchange(command('status viewed'));
    expect(status.replies).toEqual([{ text: expect.stringMatching(/^shop\/viewed: Paused \(CanaryPauseStep\) · step 1\/3/), visibility: 'in_channel' }]);
    expect(list.writes.concat(status.writes, help.writes)).toEqual([]);
  });

  it('status shows the actual weight of a canary without traffic routing from its ReplicaSet, as kubectl does', async () => {
    const rollout = seedRollout('canary-paused-step', 'unschedulable');
    // the canary pod cannot be scheduled: its ReplicaSet has no available pod (another Rollout's with the same hash does)
    const replicaSet = (owner: string, name: string, hash: string, available: number) =>
      store.seed(REPLICA_SETS, {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: { name, namespace: NS, labels: { [POD_TEMPLATE_HASH_LABEL]: hash }, ownerReferences: [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: 'x', uid: owner, controller: true }] },
        spec: { template: {} },
        status: { replicas: 1, availableReplicas: available },
      });
    replicaSet(rollout.metadata.uid!, 'unschedulable-6bb8c57c5d', '6bb8c57c5d', 0);
    replicaSet(rollout.metadata.uid!, 'unschedulable-5444c58bc', '5444c58bc', 2);
    replicaSet('another-rollout', 'twin-6bb8c57c5d', '6bb8c57c5d', 1);
    const from = kube.requests.length;
    const status = await exchange(command('status unschedulable'));
    expect(status.answer).toMatch(/^shop\/unschedulable: Paused \(CanaryPauseStep\) · step 1\/3 · weight 50 \(actual 0\) · /);
    const reads = kube.requests.slice(from).filter((r) => r.path.includes('/replicasets'));
    expect(reads.map((r) => [r.method, r.path, r.query.get('labelSelector')])).toEqual([['GET', `/apis/apps/v1/namespaces/${NS}/replicasets`, 'rollouts-pod-template-hash=6bb8c57c5d']]);
  });

  it.each([
    ['promote', 'canary-paused-step', ['PATCH', '/status', { status: { pauseConditions: null } }], 'promoted from step 1/3 to step 2/3; now Paused (CanaryPauseStep)'],
    ['pause', 'canary-paused-step', ['PATCH', '', { spec: { paused: true } }], 'paused at step 1/3'],
    ['resume', 'canary-manually-paused', ['PATCH', '', { spec: { paused: false } }], 'resumed at step 1/3'],
    ['restart', 'canary-healthy', ['PATCH', '', { spec: { restartAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) } }], 'restarts its pods'],
    ['retry', 'canary-aborted', ['PATCH', '/status', { status: { abort: false } }], 'retried (update to 6bb8c57c5d)'],
  ] as const)('%s sends exactly the Rollout request of kubectl argo rollouts and answers in the channel', async (action, fixtureName, [method, sub, body], said) => {
    const name = `${action}-me`;
    seedRollout(fixtureName, name);
    const done = await exchange(command(`${action} ${name}`));
    expect(objectWrites(done.writes)).toEqual([[method, `${ROLLOUTS_PATH}/${name}${sub}`, MERGE, body]]);
    const reason = `Slack${action.charAt(0).toUpperCase()}${action.slice(1)}`;
    expect(events(done.writes)).toEqual([`Normal ${reason}`, `Normal ${reason}`]);
    expect(done.replies).toEqual([{ text: `<@${ALICE}>: rollout '${NS}/${name}' ${said}${action === 'restart' ? done.answer.slice(done.answer.indexOf(' (restartAt')) : ''}`, visibility: 'in_channel' }]);
  });

  it('promote of a rollout paused by a person at a pause step unpauses first, then clears the pause, and says where it went', async () => {
    seedRollout('canary-manually-paused', 'held');
    const done = await exchange(command('promote held'));
    expect(objectWrites(done.writes)).toEqual([
      ['PATCH', `${ROLLOUTS_PATH}/held`, MERGE, { spec: { paused: false } }],
      ['PATCH', `${ROLLOUTS_PATH}/held/status`, MERGE, { status: { pauseConditions: null } }],
    ]);
    expect(done.answer).toBe(`<@${ALICE}>: rollout '${NS}/held' unpaused and promoted from step 1/3 to step 2/3; now Paused (CanaryPauseStep)`);
  });

  it('keeps spec changes and status apart as the API server does: a pause bumps the generation, a promote does not', async () => {
    const before = seedRollout('canary-paused-step', 'generations');
    await exchange(command('promote generations'));
    expect(rolloutOf('generations').metadata.generation).toBe(before.metadata.generation);
    expect(rolloutOf('generations').status?.currentStepIndex).toBe(2);
    await exchange(command('pause generations'));
    expect(rolloutOf('generations').metadata.generation).toBe(before.metadata.generation! + 1);
  });

  it('asks before abort, undo and a deploy in a protected environment; only the confirmation acts, once', async () => {
    seedRollout('canary-paused-step', 'aborted');
    const asked = await exchange(command('abort aborted'));
    expect(asked.replies).toEqual([{ text: `Abort rollout ${NS}/aborted? This confirmation expires in 10 minutes.`, visibility: 'ephemeral' }]);
    expect(asked.writes).toEqual([]);
    const prompt = lastPrompt(ALICE);
    expect((await exchange(click(prompt, 'rcv.confirm', BOB))).answer).toBe('Only the person who asked for this action can confirm it.');
    const confirmed = await exchange(click(prompt, 'rcv.confirm'));
    expect(confirmed.replies.map((r) => r.text)).toEqual(['Confirmed; working on it…', `<@${ALICE}>: rollout '${NS}/aborted' aborted (update to 6bb8c57c5d; back to stable 5444c58bc)`]);
    expect(objectWrites(confirmed.writes)).toEqual([['PATCH', `${ROLLOUTS_PATH}/aborted/status`, MERGE, { status: { abort: true } }]]);
    const again = await exchange(click(prompt, 'rcv.confirm'));
    expect(again.answer).toBe('Already done: this confirmation was handled before, so nothing more was changed.');
    expect(objectWrites(again.writes)).toEqual([]);

    const healthy = seedRollout('canary-healthy', 'undone');
    const replicaSet = (hash: string, revision: string, image: string) => ({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `undone-${hash}`,
        namespace: NS,
        labels: { app: 'web', 'rollouts-pod-template-hash': hash },
        annotations: { 'rollout.argoproj.io/revision': revision },
        ownerReferences: [{ uid: healthy.metadata.uid!, controller: true, kind: 'Rollout', name: 'undone' }],
      },
      spec: { template: { metadata: { labels: { app: 'web', 'rollouts-pod-template-hash': hash } }, spec: { containers: [{ name: 'app', image }] } } },
    });
    store.seed({ group: 'apps', plural: 'replicasets' }, replicaSet('6bb8c57c5d', '2', 'registry.invalid/e2e/app:2'));
    store.seed({ group: 'apps', plural: 'replicasets' }, replicaSet('5444c58bc', '1', 'registry.invalid/e2e/app:1'));
    expect((await exchange(command('undo undone'))).writes).toEqual([]);
    const undone = await exchange(click(lastPrompt(ALICE), 'rcv.confirm'));
    expect(undone.answer).toBe(`<@${ALICE}>: rollout '${NS}/undone' rolled back to revision 1 (template of ReplicaSet undone-5444c58bc)`);
    const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'registry.invalid/e2e/app:1' }] } };
    expect(objectWrites(undone.writes)).toEqual([
      ['PATCH', `${ROLLOUTS_PATH}/undone`, JSON_PATCH, [{ op: 'replace', path: '/spec/template', value: template }, { op: 'add', path: '/metadata/annotations/rollouts-cv.io~1deployed-by', value: deployedBy(ALICE, template) }]],
    ]);
    expect(rolloutOf('undone').spec.template).toEqual(template);

    const original = seedRollout('canary-paused-step', 'deployed');
    expect((await exchange(command('deploy deployed app=registry.invalid/e2e/app:3', DEV))).answer).toBe(`Deploy app=registry.invalid/e2e/app:3 to rollout ${NS}/deployed? This confirmation expires in 10 minutes.`);
    const deployed = await exchange(click(lastPrompt(DEV), 'rcv.confirm', DEV));
    expect(deployed.answer).toBe(`<@${DEV}>: rollout '${NS}/deployed' image updated: app=registry.invalid/e2e/app:3 (was registry.invalid/e2e/app:2)`);
    const [put] = objectWrites(deployed.writes);
    expect(put!.slice(0, 2)).toEqual(['PUT', `${ROLLOUTS_PATH}/deployed`]);
    const stored = rolloutOf('deployed');
    expect(stored.metadata.annotations?.['rollouts-cv.io/deployed-by']).toBe(deployedBy(DEV, stored.spec.template));
    expect(stored.spec.template?.spec?.containers?.[0]?.image).toBe('registry.invalid/e2e/app:3');
    expect(stored.metadata.generation).toBe(original.metadata.generation! + 1);
    // the PUT left the status alone (the controller then observed the new generation)
    expect({ ...stored.status, observedGeneration: undefined }).toEqual({ ...original.status, observedGeneration: undefined });
    expect(stored.status?.observedGeneration).toBe(String(stored.metadata.generation));

    seedRollout('canary-paused-step', 'kept');
    await exchange(command('abort kept'));
    const cancelled = await exchange(click(lastPrompt(ALICE), 'rcv.cancel'));
    expect(cancelled.answer).toBe('Cancelled; nothing was changed.');
    expect(cancelled.writes).toEqual([]);
  });

  it('refuses every command to a user without the role, and writes nothing', async () => {
    seedRollout('canary-paused-step', 'guarded');
    const texts = ['list', 'status guarded', 'promote guarded', 'abort guarded', 'retry guarded', 'undo guarded', 'pause guarded', 'resume guarded', 'restart guarded', 'deploy guarded app=x:2'];
    for (const text of texts) {
      const refused = await exchange(command(text, EVE));
      expect(refused.replies, text).toEqual([{ text: expect.stringMatching(/^You are not allowed to \w+ in environment production\. Nothing was changed\./), visibility: 'ephemeral' }]);
      expect(refused.writes, text).toEqual([]);
    }
    const developer = await exchange(command('abort guarded', DEV));
    expect(developer.answer).toMatch(/^You are not allowed to abort in environment production\./);
    expect(developer.writes).toEqual([]);
  });

  it('acts once on a replayed command', async () => {
    seedRollout('canary-paused-step', 'replayed');
    const first = await exchange(command('pause replayed'));
    expect(first.answer).toContain(`rollout '${NS}/replayed' paused`);
    const again = await exchange(replay(first.response));
    expect(again.answer).toBe('Already done: this request was handled before, so nothing more was changed.');
    expect(objectWrites([...first.writes, ...again.writes])).toEqual([['PATCH', `${ROLLOUTS_PATH}/replayed`, MERGE, { spec: { paused: true } }]]);
  });

  it('answers 401 to a forged signature and to stale or future timestamps, and does nothing', async () => {
    seedRollout('canary-paused-step', 'forged');
    const forged = await exchange(() => slack.slashCommand({ command: '/rollouts', text: 'pause forged' }, { signing: { signingSecret: 'not-the-secret' } }), 401);
    const stale = await exchange(() => slack.slashCommand({ command: '/rollouts', text: 'pause forged' }, { signing: { timestampOffsetSec: -3_600 } }), 401);
    const future = await exchange(() => slack.slashCommand({ command: '/rollouts', text: 'pause forged' }, { signing: { timestampOffsetSec: 3_600 } }), 401);
    expect(future.response.body).toMatch(/X-Slack-Request-Timestamp is \d+ s in the future/);
    for (const refused of [forged, stale, future]) expect(refused.replies.concat(refused.writes as never[])).toEqual([]);
  });
});

/** A request as anyone on the network could send it (node:http, so that any method and header goes out as given). */
function rawRequest(method: string, options: { path?: string; headers?: Record<string, string | string[]>; body?: Buffer | string } = {}): Promise<{ status: number; allow?: string; body: string }> {
  const [host, port] = bot.address.split(':');
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host, port: Number(port), method, path: options.path ?? '/slack/events', headers: options.headers, timeout: 5_000, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, allow: res.headers.allow, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer to ${method} within 5 s`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('the front server', () => {
  const now = () => String(Math.floor(Date.now() / 1000));

  it.each(['GET', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE'])('answers %s on /slack/events with 405 and Allow: POST, and keeps serving', async (method) => {
    const answered = await rawRequest(method, { headers: { 'x-slack-request-timestamp': now() } });
    expect(answered).toMatchObject({ status: 405, allow: 'POST' });
    expect((await exchange(command('help'))).answer).toContain('rollouts-cv');
  });

  it('survives a body over the limit, repeated headers, a body cut short and signed bodies that are not payloads', async () => {
    const headers = { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': now(), 'x-slack-signature': 'v0=00' };
    expect((await rawRequest('POST', { headers, body: Buffer.alloc(5 * 1024 * 1024, 'a') })).status).toBe(413);
    expect((await rawRequest('POST', { headers: { ...headers, 'x-slack-request-timestamp': [now(), now()] }, body: 'a=b' })).status).toBe(401);
    expect((await rawRequest('POST', { headers: { ...headers, 'x-slack-signature': ['v0=00', 'v0=11'] }, body: 'a=b' })).status).toBe(401);
    await expect(rawRequest('POST', { headers: { ...headers, 'content-length': '100' }, body: 'short' })).rejects.toThrow();
    for (const [body, contentType] of [['null', 'application/json'], ['payload=null', 'application/x-www-form-urlencoded']]) {
      expect((await slack.send(body!, { contentType })).status, body).toBe(400);
    }
    expect((await exchange(command('help'))).answer).toContain('rollouts-cv');
  });
});

describe("the leader's caches", () => {
  const listsAndWatches = (from: number) =>
    kube.requests
      .slice(from)
      .filter((r) => r.method === 'GET' && /^\/apis\/[^/]+\/[^/]+\/(rollouts|approvalrequests|replicasets|pipelineruns)$/.test(r.path))
      .map((r) => `${r.query.get('watch') === 'true' ? 'watch' : 'list'} ${r.path.split('/').at(-1)}`);

  it('lists each kind once and then watches: its passes, every 50 ms here, send no requests', async () => {
    const from = kube.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(listsAndWatches(from)).toEqual([]);
    expect(bot.isLeader()).toBe(true);
    // the leader's watches are open: Rollouts, ApprovalRequests, the ReplicaSets of Rollouts only, PipelineRuns
    expect(store.openWatches).toBe(4);
    const watches = kube.requests.filter((r) => r.query.get('watch') === 'true');
    expect(watches.find((r) => r.path.endsWith('/replicasets'))!.query.get('labelSelector')).toBe('rollouts-pod-template-hash');
  });

  it('posts a request once even when its watch shows the leader its own write late', async () => {
    // every ApprovalRequest event reaches the leader 700 ms late (an API server under load)
    let inside = false;
    const release = store.intercept((request) => {
      if (inside || request.query.get('watch') !== 'true' || !request.path.endsWith('/approvalrequests')) return undefined;
      inside = true;
      const real = store.respond(request)!;
      inside = false;
      return { watch: (send, end) => real.watch!((event) => void setTimeout(() => send(event), 700), end) };
    });
    try {
      store.dropWatches();
      await created(approvalRequest('lagging-abc123-s1', GATES, { rollout: { name: 'lagging', uid: 'lagging-uid', revision: '2', podTemplateHash: 'abc123' } }));
      await until('the request posted', () => statusOf(requestOf(GATES, 'lagging-abc123-s1')).slack, 5_000);
      // passes run every 50 ms meanwhile; the one after the post waits until the cache holds its status write
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const posts = fake.journal.calls('chat.postMessage', { ok: true }).filter((e) => String(e.args.text).startsWith(`Approval needed: ${GATES}/lagging`));
      expect(posts).toHaveLength(1);
    } finally {
      release();
      store.dropWatches();
    }
  });

  it("a thread head shows the actual weight from the ReplicaSets the leader watches, and follows them", async () => {
    const rollout = fixture('canary-paused-step');
    const { resourceVersion: _rv, uid: _uid, ...metadata } = rollout.metadata;
    const seeded = store.seed(ROLLOUTS, { ...rollout, metadata: { ...metadata, name: 'weighted', namespace: GATES } } as unknown as KubeObject);
    const replicaSet = (hash: string, available: number) => ({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: `weighted-${hash}`, namespace: GATES, labels: { [POD_TEMPLATE_HASH_LABEL]: hash }, ownerReferences: [{ uid: seeded.metadata.uid!, controller: true, kind: 'Rollout', name: 'weighted' }] },
      spec: { template: {} },
      status: { replicas: 1, availableReplicas: available },
    });
    store.seed(REPLICA_SETS, replicaSet('5444c58bc', 2));
    store.seed(REPLICA_SETS, replicaSet('6bb8c57c5d', 0));
    const head = () => fake.journal.calls('chat.postMessage', { ok: true }).find((e) => String(e.args.text).startsWith(`${GATES}/weighted revision`));
    const posted = await until('the thread head', head);
    const shown = () => JSON.stringify(fake.message(String(posted.args.channel), String((posted.response as { ts: string }).ts))!.blocks);
    await until('the actual weight 0', () => (shown().includes('weight 50% (actual 0%)') ? true : undefined));
    store.modify({ ...REPLICA_SETS, namespace: GATES, name: 'weighted-6bb8c57c5d' }, (rs) => void (rs.status = { replicas: 1, availableReplicas: 1 }));
    await until('the head updated', () => (shown().includes('weight 50%') && !shown().includes('actual') ? true : undefined));
  });

  it('keeps a thread per pipeline run; while PipelineRuns cannot be listed (no CRD), the other work goes on', async () => {
    const runThread = () => fake.journal.calls('chat.postMessage', { ok: true }).find((e) => e.args.text === `Pipeline release run ${GATES}/release-1: Running`);
    // the API server does not know the kind: its list and watch answer 404
    const release = store.intercept((r) => (r.path.endsWith('/pipelineruns') ? failure(404, 'NotFound', 'the server could not find the requested resource') : undefined));
    try {
      store.dropWatches();
      store.seed(PIPELINE_RUNS, {
        apiVersion: 'rollouts-cv.io/v1alpha1',
        kind: 'PipelineRun',
        metadata: { name: 'release-1', namespace: GATES },
        spec: { pipelineRef: { name: 'release' }, triggeredBy: { kind: 'kubernetes', id: 'alice@example.com' } },
        status: { phase: 'Running', pipeline: { name: 'release', spec: {} }, variables: {}, startedAt: new Date().toISOString(), stages: [{ name: 'dev', phase: 'Running', steps: [{ name: 'sync', type: 'sync', phase: 'Running' }], rollback: [] }] },
      });
      await created(approvalRequest('nocrd-abc123-s1', GATES, { rollout: { name: 'nocrd', uid: 'nocrd-uid', revision: '2', podTemplateHash: 'abc123' } }));
      await until('the request posted', () => statusOf(requestOf(GATES, 'nocrd-abc123-s1')).slack);
      expect(runThread()).toBeUndefined();
    } finally {
      release();
    }
    // the kind is served again (the CRD installed): its watch lists it, and the run gets its thread
    const head = await until('the pipeline run thread', runThread, 15_000);
    expect(head.args.channel).toBe(RELEASE_CHANNEL);
  });
});

/** Creates a request as the gate does, with its Rollout waiting at the request's step (no revision: no thread). */
async function created(request: RolloutApprovalRequest): Promise<void> {
  if (!store.get({ ...ROLLOUTS, namespace: request.metadata.namespace, name: request.spec.rollout.name })) store.seed(ROLLOUTS, rolloutAt(request));
  await cluster.approvals.create(request);
}

const requestOf = (namespace: string, name: string) => store.get({ ...APPROVAL_REQUESTS, namespace, name }) as unknown as ApprovalRequest;

/** Creates a request as the gate does, waits for the leader to post it, and returns the message as first posted. */
async function posted(namespace: string, name: string, spec: Partial<RolloutRequestSpec> = {}) {
  await created(approvalRequest(name, namespace, spec));
  const where = await until(`${name} posted`, () => statusOf(requestOf(namespace, name)).slack);
  const { channel, ts, text, blocks } = fake.message(where.channel, where.ts)!;
  return structuredClone({ channel, ts, text, blocks });
}

describe('marks on log templates', () => {
  const FEEDBACKS = { group: 'rollouts-cv.io', plural: 'logtemplatefeedbacks' };
  const RISKY = 'ERROR payment <NUM> failed: card processor returned <STR>';
  const QUIET = 'WARN cache miss for `<*>` & <b>retrying</b>';
  const marks = () => store.list(FEEDBACKS) as unknown as LogTemplateFeedback[];
  const threadLines = (ts: string) => fake.journal.calls('chat.postMessage', { ok: true }).filter((e) => e.args.thread_ts === ts).map((e) => String(e.args.text));
  /** A click on the template button `actionId` with the value as given, as a forger would send it. */
  const forged = (message: { ts: string; channel: string }, actionId: string, value: string, userId = ALICE) => () =>
    slack.blockAction({ message, channelId: message.channel, actions: [{ action_id: actionId, block_id: 'forged', type: 'button', value }] }, as(userId));

  /** A Rollout of the release environment with its revision's thread, and a verify gate's intervention showing two templates. */
  async function intervention(name: string) {
    const base = fixture('canary-paused-step');
    const { resourceVersion: _rv, uid: _uid, ...metadata } = base.metadata;
    const rollout = store.seed(ROLLOUTS, { ...base, metadata: { ...metadata, name, namespace: GATES } } as unknown as KubeObject) as unknown as Rollout;
    const head = await until('the thread head', () => fake.journal.calls('chat.postMessage', { ok: true }).find((e) => String(e.args.text).startsWith(`${GATES}/${name} revision`)));
    await until('the thread recorded on the Rollout', () => store.get({ ...ROLLOUTS, namespace: GATES, name })?.metadata.annotations?.['rollouts-cv.io/slack-thread']);
    const message = await posted(GATES, `${name}-s1`, {
      type: 'Intervention',
      rollout: { name, uid: rollout.metadata.uid!, revision: '2', podTemplateHash: rollout.status!.currentPodHash! },
      stepIndex: rollout.status!.currentStepIndex!,
      requestedBy: DEV,
      policy: { minApprovals: 1, allowSelfApproval: true },
      onTimeout: 'rollback',
      actions: ['promote', 'retry', 'rollback'],
      evidence: { verdict: 'Unhealthy', score: 20, reasons: [`logs: new error template in canary: "${RISKY}" 12 lines`], templates: [{ template: RISKY, risk: true }, { template: QUIET, risk: false }] },
    });
    return { message, thread: (head.response as { ts: string }).ts, cleanup: () => [store.delete({ ...APPROVAL_REQUESTS, namespace: GATES, name: `${name}-s1` }), store.delete({ ...ROLLOUTS, namespace: GATES, name })] };
  }

  it("shows a verification's templates, escaped, each with the button that marks it the other way", async () => {
    const { message, cleanup } = await intervention('shown');
    try {
      const sections = (message.blocks as { type: string; text?: { text: string }; accessory?: { action_id: string; text: { text: string }; value: string } }[]).filter((b) => b.accessory);
      expect(sections.map((b) => [b.text!.text, b.accessory!.action_id, b.accessory!.text.text, JSON.parse(b.accessory!.value)])).toEqual([
        [`:warning: log template, a risk: \`${RISKY.replace(/</g, '&lt;').replace(/>/g, '&gt;')}\``, 'rcv.template.not-a-risk', 'Not a risk', { c: 'test', n: GATES, r: 'shown-s1', t: 0 }],
        ['log template, no risk: `WARN cache miss for ˋ&lt;*&gt;ˋ &amp; &lt;b&gt;retrying&lt;/b&gt;`', 'rcv.template.raise-risk', 'Raise risk', { c: 'test', n: GATES, r: 'shown-s1', t: 1 }],
      ]);
      expect(JSON.stringify(message.blocks)).toContain(`A mark on a log template below applies to the later verifications of ${GATES}/shown.`);
    } finally {
      cleanup();
    }
  });

  it('an authorised person marks a template once, recorded and told in the thread; others are refused and nothing is written', async () => {
    const { message, thread, cleanup } = await intervention('marked');
    try {
      const stranger = await exchange(click(message, 'rcv.template.not-a-risk', EVE));
      const developer = await exchange(click(message, 'rcv.template.not-a-risk', DEV));
      for (const refused of [stranger, developer]) {
        expect(refused.answer).toBe('Not marked: marking log templates takes the approve permission in environment release, and you do not have it. Nothing was changed.');
        expect(refused.writes).toEqual([]);
      }

      // Slack takes one message a second per channel, and the leader has just posted the request in this one: the
      // thread line waits for the next second (this client does not retry).
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      const marked = await exchange(click(message, 'rcv.template.not-a-risk'));
      expect(marked.answer).toBe(`Marked "${RISKY}" not a risk for ${GATES}/marked.`);
      expect(objectWrites(marked.writes).map(([method, path]) => `${method} ${path}`)).toEqual([`POST /apis/rollouts-cv.io/v1alpha1/namespaces/${GATES}/logtemplatefeedbacks`]);
      expect(events(marked.writes)).toEqual(['Normal SlackMarkNotARisk', 'Normal SlackMarkNotARisk']);
      expect(marks().map((m) => [m.metadata.namespace, m.metadata.labels, m.spec.rollout, m.spec.template, m.spec.mark, m.spec.markedBy])).toEqual([[GATES, { 'rollouts-cv.io/rollout': 'marked' }, 'marked', RISKY, 'not-a-risk', ALICE]]);
      await until('the thread line', () => threadLines(thread).find((line) => line.includes('marked `')));
      expect(threadLines(thread)).toContain(`<@${ALICE}> marked \`${RISKY.replace(/</g, '&lt;').replace(/>/g, '&gt;')}\` not a risk for ${GATES}/marked`);

      // A replayed request, a double click and another person's click: the mark is made once.
      const replayed = await exchange(replay(marked.response));
      const again = await exchange(click(message, 'rcv.template.not-a-risk'));
      const bob = await exchange(click(message, 'rcv.template.not-a-risk', BOB));
      for (const repeat of [replayed, again, bob]) {
        expect(repeat.answer).toMatch(new RegExp(`^"ERROR payment <NUM> failed: card processor returned <STR>" is already marked not a risk for ${GATES}/marked by ${ALICE} at .*; nothing was changed\\.$`));
        expect(repeat.writes).toEqual([]);
      }

      const raised = await exchange(click(message, 'rcv.template.raise-risk', BOB));
      expect(raised.answer).toBe(`Marked "${QUIET}" a risk for ${GATES}/marked.`);
      expect(marks().map((m) => [m.spec.template, m.spec.mark, m.spec.markedBy]).sort()).toEqual([
        [RISKY, 'not-a-risk', ALICE],
        [QUIET, 'raise-risk', BOB],
      ]);
    } finally {
      cleanup();
      for (const mark of marks()) store.delete({ ...FEEDBACKS, namespace: mark.metadata.namespace, name: mark.metadata.name });
    }
  });

  it('a forged button value cannot mark another template, another namespace, nor a mark the message did not offer', async () => {
    const { message, cleanup } = await intervention('forged');
    try {
      const key = (fields: object) => JSON.stringify({ c: 'test', n: GATES, r: 'forged-s1', t: 0, ...fields });
      const attempts: [() => Promise<SlackHttpResponse>, string][] = [
        // the template comes from the request, whatever else the value carries
        [forged(message, 'rcv.template.not-a-risk', key({ template: 'ERROR anything at all', rollout: 'other' })), `Marked "${RISKY}" not a risk for ${GATES}/forged.`],
        [forged(message, 'rcv.template.not-a-risk', key({ t: 1 })), 'Not marked: that template was found no risk, so it can only be marked a risk. Nothing was changed.'],
        [forged(message, 'rcv.template.raise-risk', key({ t: 2 })), `Not marked: request ${GATES}/forged-s1 shows no log template 3 of a rollout. Nothing was changed.`],
        [forged(message, 'rcv.template.not-a-risk', key({ n: 'kube-system' })), "Not marked: namespace kube-system of cluster test is in no environment of the bot's configuration. Nothing was changed."],
        [forged(message, 'rcv.template.not-a-risk', key({ n: NS })), `Approval request ${NS}/forged-s1 is gone, and with it the templates it showed.`],
        [forged(message, 'rcv.template.not-a-risk', key({ c: 'elsewhere' })), 'This button does not name a known request and template; it may come from another installation.'],
        ...[key({ t: -1 }), key({ t: 1.5 }), key({ t: '0' }), key({ t: 3 }), '[1,2]', 'not json', ''].map((value): [() => Promise<SlackHttpResponse>, string] => [forged(message, 'rcv.template.not-a-risk', value), 'This button does not name a known request and template; it may come from another installation.']),
        [forged(message, 'rcv.template.not-a-risk', key({}), EVE), 'Not marked: marking log templates takes the approve permission in environment release, and you do not have it. Nothing was changed.'],
      ];
      for (const [send, answer] of attempts) expect((await exchange(send)).answer).toBe(answer);
      expect(marks().map((m) => [m.metadata.namespace, m.spec.rollout, m.spec.template, m.spec.mark])).toEqual([[GATES, 'forged', RISKY, 'not-a-risk']]);
    } finally {
      cleanup();
      for (const mark of marks()) store.delete({ ...FEEDBACKS, namespace: mark.metadata.namespace, name: mark.metadata.name });
    }
  });
});

describe('approval requests', () => {
  it('the leader posts a request; a click decides it once; the message is updated in place', async () => {
    const message = await posted(GATES, 'web-abc123-s1');
    expect(fake.journal.calls('chat.postMessage', { ok: true }).map((e) => e.args.channel)).toContain(RELEASE_CHANNEL);
    expect(message.text).toBe(`Approval needed: ${GATES}/web (Pending)`);

    const self = await exchange(click(message, 'rcv.request.approve', BOB));
    expect(self.answer).toBe('Not recorded: you triggered this deploy, so someone else has to approve it. Nothing was changed.');
    const stranger = await exchange(click(message, 'rcv.request.approve', EVE));
    expect(stranger.answer).toBe('Not recorded: you are not allowed to decide approval requests in environment release. Nothing was changed.');
    const byCommand = await exchange(command(`approve ${GATES}/web-abc123-s1 looks fine`, EVE));
    const rejected = await exchange(command(`reject ${GATES}/web-abc123-s1`, EVE));
    for (const refused of [byCommand, rejected]) expect(refused.answer).toBe('Not recorded: you are not allowed to decide approval requests in environment release. Nothing was changed.');
    const writes = [self, stranger, byCommand, rejected].flatMap((e) => e.writes);
    // Only the audit: a Warning Event for the deployer's refusal; someone without a role there gets an audit log
    // line and no Event.
    expect(objectWrites(writes)).toEqual([]);
    expect(events(writes)).toEqual(['Warning SlackApprove']);
    expect(statusOf(requestOf(GATES, 'web-abc123-s1')).decisions).toEqual([]);

    const approved = await exchange(click(message, 'rcv.request.approve'));
    expect(approved.answer).toBe(`Recorded your approve on ${GATES}/web-abc123-s1: the request is now decided (approve).`);
    expect((await exchange(replay(approved.response))).answer).toBe('Already recorded: this click was handled before.');
    expect((await exchange(click(message, 'rcv.request.approve'))).answer).toMatch(/^Not recorded: this request is already decided \(approve\): approve by U0ALICE001/);
    const decided = statusOf(requestOf(GATES, 'web-abc123-s1'));
    expect(decided).toMatchObject({ state: 'Decided', outcome: 'approve', approvals: 1 });
    expect(decided.decisions.map((d) => [d.user, d.action, d.source])).toEqual([[ALICE, 'approve', `slack:${RELEASE_CHANNEL}`]]);

    await until('the message updated', () => (fake.message(message.channel, message.ts)!.text?.endsWith('(Decided)') ? true : undefined));
    expect(fake.journal.calls('chat.update', { ok: true }).some((e) => e.args.ts === message.ts)).toBe(true);
  });

  it("acknowledges a click on the report's link button (Slack opens the page) and does nothing more", async () => {
    const report = `https://rollouts-cv.example.com/reports/${GATES}/web-abc123-2-1/verify`;
    const message = await posted(GATES, 'web-abc123-s7', { type: 'Intervention', actions: ['promote', 'rollback'], onTimeout: 'rollback', evidence: { verdict: 'Inconclusive', reasons: [], report } });
    const clicked = await exchange(click(message, 'rcv.report.open'));
    expect(clicked.replies).toEqual([]);
    expect(clicked.writes).toEqual([]);
  });

  it('counts a double click of one person once toward the approvals needed', async () => {
    const message = await posted(GATES, 'web-abc123-s2', { requestedBy: DEV, policy: { minApprovals: 2, allowSelfApproval: false } });
    expect((await exchange(click(message, 'rcv.request.approve'))).answer).toBe(`Recorded your approve on ${GATES}/web-abc123-s2: 1/2 approvals so far.`);
    expect((await exchange(click(message, 'rcv.request.approve'))).answer).toBe('Not recorded: you already chose approve; 1 more from other people needed. Nothing was changed.');
    expect((await exchange(click(message, 'rcv.request.approve', BOB))).answer).toBe(`Recorded your approve on ${GATES}/web-abc123-s2: the request is now decided (approve).`);
    expect(statusOf(requestOf(GATES, 'web-abc123-s2')).decisions.map((d) => d.user)).toEqual([ALICE, BOB]);
  });

  it('logs a Slack API failure and retries it after a back-off, without stopping', async () => {
    await created(approvalRequest('web-abc123-s1', LAB, { environment: 'lab' }));
    const failures = () => fake.journal.calls('chat.postMessage', { ok: false }).filter((e) => e.args.channel === LAB_CHANNEL);
    await until('a failed attempt', () => (failures().length >= 1 ? true : undefined));
    expect(failures()[0]!.response).toMatchObject({ ok: false, error: 'channel_not_found' });
    // Logged once the failed call has returned, which a loaded machine may take a moment to get to.
    const logged = (line: Record<string, unknown>) =>
      line.msg === 'publishing the approval request failed; retried with back-off' && line.object === `ApprovalRequest ${LAB}/web-abc123-s1` && String(line.err).includes('channel_not_found');
    await until('the failure logged', () => (logLines.some(logged) ? true : undefined));
    expect((await exchange(command('help'))).answer).toContain('rollouts-cv');
    // Backing off: not tried again on the next passes (every 50 ms here), only once its first delay (5 s) is over.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(failures()).toHaveLength(1);

    fake.workspace.channels.set(LAB_CHANNEL, { id: LAB_CHANNEL, name: 'lab' });
    clockOffsetMs += 6_000;
    const where = await until('the request posted once the channel exists', () => statusOf(requestOf(LAB, 'web-abc123-s1')).slack, 10_000);
    expect(where.channel).toBe(LAB_CHANNEL);
    expect(fake.journal.calls('chat.postMessage', { ok: true }).filter((e) => e.args.channel === LAB_CHANNEL)).toHaveLength(1);
  });

  it('fails closed when user groups cannot be read (plan_upgrade_required), while direct user IDs still work', async () => {
    seedRollout('canary-paused-step', 'free-plan');
    const cached = ctx.groups;
    ctx.groups = new GroupDirectory(new WebClient(fake.botToken, fake.clientOptions()), 0, ctx.log);
    fake.workspace.freePlan = true;
    try {
      const refused = await exchange(command('pause free-plan'));
      expect(refused.answer).toMatch(/^You are not allowed to pause in environment production\. Nothing was changed\./);
      expect(refused.writes).toEqual([]);
      expect(fake.journal.calls('usergroups.users.list').at(-1)!.response).toMatchObject({ ok: false, error: 'plan_upgrade_required' });
      expect(logLines).toContainEqual(expect.objectContaining({ msg: 'cannot read a user group; treating the user as not a member', group: RELEASE_GROUP }));
      expect((await exchange(command('status free-plan', DEV))).replies[0]!.visibility).toBe('in_channel');
    } finally {
      fake.workspace.freePlan = false;
      ctx.groups = cached;
    }
  });

  it('one rollout whose intervention request the API server refuses does not stop the others, nor publishing and expiry', async () => {
    const inconclusive = (name: string, value: object) => seedInconclusive(store, NS, name, value);
    const isCreate = (r: RecordedRequest) => r.method === 'POST' && r.path === `/apis/rollouts-cv.io/v1alpha1/namespaces/${NS}/approvalrequests`;
    const named = (r: RecordedRequest) => (r.body as ApprovalRequest).metadata.name;
    // As the API server would: the CRD's schema for the evidence, and an admission webhook that refuses one rollout.
    const stop = store.intercept((r) => {
      if (!isCreate(r)) return undefined;
      if (named(r).startsWith('refused-')) return failure(403, 'Forbidden', 'admission webhook "policy.example.com" denied the request');
      const evidence = (r.body as ApprovalRequest).spec.evidence;
      if (evidence?.score !== undefined && evidence.score !== null && !Number.isInteger(evidence.score)) return failure(422, 'Invalid', 'spec.evidence.score: Invalid value: "number": must be of type integer');
      if ((evidence?.reasons ?? []).some((reason) => reason.length > 1000)) return failure(422, 'Invalid', 'spec.evidence.reasons[0]: Too long: may not be more than 1000 bytes');
      return undefined;
    });
    try {
      const refused = inconclusive('refused', { verdict: 'Inconclusive', score: 50, reasons: ['not enough data'] });
      const fractional = inconclusive('fractional', { verdict: 'Inconclusive', score: 72.5, reasons: ['r'.repeat(1500)] });
      const healthy = inconclusive('healthy', { verdict: 'Inconclusive', score: 40, reasons: ['p99 latency +12%'] });
      const requestFor = (rollout: Rollout) => () => store.list(APPROVAL_REQUESTS).find((r) => (r as unknown as ApprovalRequest).spec.rollout?.uid === rollout.metadata.uid) as unknown as ApprovalRequest | undefined;
      // In the same passes: a gate's request is posted, and an expired one is expired.
      await cluster.approvals.create(approvalRequest('web-poison-s1', GATES));
      await cluster.approvals.create(approvalRequest('web-poison-s2', GATES, { expiresAt: new Date(Date.now() - 1_000).toISOString() }));

      const asked = await until('the healthy rollout asked', requestFor(healthy));
      expect(asked.spec.evidence).toEqual({ verdict: 'Inconclusive', score: 40, reasons: ['p99 latency +12%'], analysisRun: 'healthy-run' });
      const sanitised = await until('the fractional rollout asked', requestFor(fractional));
      expect(sanitised.spec.evidence).toMatchObject({ verdict: 'Inconclusive', score: 73, reasons: [expect.stringMatching(/^r{999}…$/)] });
      await until('the gate request posted', () => statusOf(requestOf(GATES, 'web-poison-s1')).slack);
      await until('the expired request expired', () => (statusOf(requestOf(GATES, 'web-poison-s2')).state === 'Expired' ? true : undefined));
      expect(requestFor(refused)()).toBeUndefined();
      // Backing off: tried once or twice, not on every pass (every 50 ms here).
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(kube.requests.filter((r) => isCreate(r) && named(r).startsWith('refused-')).length).toBeLessThanOrEqual(2);
      expect(logLines).toContainEqual(expect.objectContaining({ msg: 'intervention work failed; retried with back-off', object: `Rollout ${NS}/refused`, err: expect.stringContaining('admission webhook') }));
    } finally {
      stop();
      for (const name of ['refused', 'fractional', 'healthy']) store.delete({ ...ROLLOUTS, namespace: NS, name });
    }
  });

  // Last: it moves the bot's clock past every pending request's expiry.
  it('after the expiry, the publisher applies the timeout outcome and updates the message; a click is refused', async () => {
    const message = await posted(GATES, 'web-abc123-s3');
    const shown = statusOf(requestOf(GATES, 'web-abc123-s3')).slack!.digest;
    clockOffsetMs = 2 * 3_600_000;
    // Updated: the status says Expired and the publisher has remembered the new message.
    const expired = await until('the expiry applied and shown', () => {
      const status = statusOf(requestOf(GATES, 'web-abc123-s3'));
      return status.state === 'Expired' && status.slack?.digest !== shown ? status : undefined;
    });
    expect(expired).toMatchObject({ outcome: 'reject', message: expect.stringMatching(/^nobody decided by .*: reject \(the default on timeout\)$/) });
    expect(fake.message(message.channel, message.ts)!.text).toBe(`Approval needed: ${GATES}/web (Expired)`);
    expect(fake.message(message.channel, message.ts)!.versions.map((v) => v.via)).toEqual(['chat.postMessage', 'chat.update']);
    const late = await exchange(click(message, 'rcv.request.approve'));
    expect(late.answer).toMatch(/^Not recorded: this request is already expired \(reject\): nobody decided by/);
    // Other pending requests expire too meanwhile: only this one's writes count.
    expect(objectWrites(late.writes.filter((w) => w.path.includes('web-abc123-s3')))).toEqual([]);
    expect(kube.requests.some((r) => r.method === 'POST' && (r.body as { reason?: string } | undefined)?.reason === 'ApprovalExpired')).toBe(true);
    expect(isOk(fake.journal.calls('chat.update').at(-1)!)).toBe(true);
  });
});
