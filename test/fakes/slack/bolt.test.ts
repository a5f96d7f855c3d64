// A minimal Bolt App over its real HTTP receiver, fed signed requests by test/helpers/slack-requests.ts, with its
// WebClient, say() and respond() pointed at the fake: the full loop the bot's tests rely on. Also a Socket Mode App
// connected to the fake's WebSocket.
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, LogLevel, SocketModeReceiver } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockActionsPayload, FORM_CONTENT_TYPE, payloadBody, SlackRequestClient, slashCommandFields } from '../../helpers/slack-requests.js';
import { FakeSlack, isOk } from './index.js';

const SIGNING_SECRET = 'fake-signing-secret-0123456789';
const CHANNEL = 'C0FAKE0001';

const approvalBlocks = (rollout: string) => [
  { type: 'section', block_id: 'summary', text: { type: 'mrkdwn', text: `*${rollout}*: canary Unhealthy, approve to continue?` } },
  {
    type: 'actions',
    block_id: 'decide',
    elements: [
      { type: 'button', action_id: 'approve', text: { type: 'plain_text', text: 'Approve' }, style: 'primary', value: rollout },
      { type: 'button', action_id: 'abort', text: { type: 'plain_text', text: 'Abort' }, style: 'danger', value: rollout },
    ],
  },
];

describe('Bolt HTTP receiver with signed requests and the fake Slack', () => {
  let fake: FakeSlack;
  let app: App;
  let slack: SlackRequestClient;
  const seen: { viewMetadata?: string; approvedBy?: string } = {};

  beforeAll(async () => {
    fake = await FakeSlack.start();
    app = new App({
      token: fake.botToken,
      signingSecret: SIGNING_SECRET,
      botId: fake.workspace.botId,
      botUserId: fake.workspace.botUserId,
      processBeforeResponse: true,
      clientOptions: fake.clientOptions(),
      logLevel: LogLevel.ERROR,
    });
    app.command('/rollouts', async ({ command, ack, say, respond, client }) => {
      await ack({ response_type: 'ephemeral', text: `Looking up ${command.text}…` });
      await say({ text: `Approval needed for ${command.text}`, blocks: approvalBlocks(command.text) });
      await respond({ text: 'Posted the approval request.' });
      await client.views.open({
        trigger_id: command.trigger_id,
        view: { type: 'modal', callback_id: 'reason', private_metadata: command.text, title: { type: 'plain_text', text: 'Reason' }, blocks: [] },
      });
    });
    app.action('approve', async ({ ack, body, respond, client }) => {
      await ack();
      const b = body as unknown as { user: { id: string }; container: { channel_id: string; message_ts: string } };
      seen.approvedBy = b.user.id;
      await respond({ replace_original: true, text: `Approved by <@${b.user.id}>` });
      await client.chat.postMessage({ channel: b.container.channel_id, thread_ts: b.container.message_ts, text: 'Promoting…' });
    });
    app.command('/noop', async ({ ack }) => ack());
    app.view('reason', async ({ ack, view }) => {
      seen.viewMetadata = view.private_metadata;
      await ack({ response_action: 'clear' });
    });
    const server = (await app.start(0)) as unknown as { address(): AddressInfo };
    slack = new SlackRequestClient({ url: `http://127.0.0.1:${server.address().port}/slack/events`, signingSecret: SIGNING_SECRET, issuer: fake });
  });
  afterAll(async () => {
    await app.stop();
    await fake.close();
  });

  it('acks a slash command and its say/respond/views.open calls land in the fake', async () => {
    const res = await slack.slashCommand({ command: '/rollouts', text: 'checkout' });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ response_type: 'ephemeral', text: 'Looking up checkout…' });
    expect(res.elapsedMs).toBeLessThan(3000);
    const posted = fake.journal.calls('chat.postMessage', { ok: true }).at(-1)!;
    expect(posted.args).toMatchObject({ channel: CHANNEL, text: 'Approval needed for checkout', blocks: approvalBlocks('checkout') });
    expect(fake.journal.calls('response_url').at(-1)).toMatchObject({ status: 200, args: { text: 'Posted the approval request.' } });
    expect(fake.journal.calls('views.open').at(-1)!.response).toMatchObject({ ok: true, view: { callback_id: 'reason', private_metadata: 'checkout' } });
  });

  it('acks a click on the posted button; respond() replaces the message and the thread reply is posted', async () => {
    const posted = fake.messages(CHANNEL).find((m) => m.text === 'Approval needed for checkout')!;
    const res = await slack.blockAction({ message: posted, actionId: 'approve' }, { as: { userId: 'W0FAKE0003', userName: 'dana' } });
    expect(res.status).toBe(200);
    expect(seen.approvedBy).toBe('W0FAKE0003');
    expect(fake.message(CHANNEL, posted.ts)).toMatchObject({ text: 'Approved by <@W0FAKE0003>' });
    expect(fake.message(CHANNEL, posted.ts)!.versions.map((v) => v.via)).toEqual(['chat.postMessage', 'response_url']);
    await fake.waitFor((e) => e.method === 'chat.postMessage' && e.args.thread_ts === posted.ts && isOk(e));
  });

  it('accepts a block action from an org-wide install (team null)', async () => {
    const posted = fake.messages(CHANNEL).find((m) => m.text?.startsWith('Approved'))!;
    const res = await slack.blockAction(
      { message: { ...posted, blocks: approvalBlocks('checkout') }, actionId: 'approve' },
      { as: { orgWideInstall: true, enterpriseId: 'E0FAKE0001' } },
    );
    expect(res.status).toBe(200);
  });

  it('acks a view submission', async () => {
    const res = await slack.viewSubmission({ callbackId: 'reason', privateMetadata: 'checkout', values: { why: { text: { type: 'plain_text_input', value: 'flaky metric' } } } });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ response_action: 'clear' });
    expect(seen.viewMetadata).toBe('checkout');
  });

  it('answers 401 to a wrong signing secret, a stale timestamp or a malformed signature', async () => {
    expect((await slack.slashCommand({ command: '/rollouts', text: 'x' }, { signing: { signingSecret: 'wrong-secret' } })).status).toBe(401);
    expect((await slack.slashCommand({ command: '/rollouts', text: 'x' }, { signing: { timestampOffsetSec: -301 } })).status).toBe(401);
    expect((await slack.slashCommand({ command: '/rollouts', text: 'x' }, { signing: { signature: 'v1=abc' } })).status).toBe(401);
    const click = payloadBody({ type: 'block_actions', actions: [] });
    expect((await slack.send(click, { timestamp: Math.floor(Date.now() / 1000) - 3600 })).status).toBe(401);
  });

  it('pins Bolt facts the bot depends on: future timestamps pass, a charset suffix is a 400', async () => {
    // Bolt checks only the past direction (reference/slack.md): a request 10 minutes in the future is accepted.
    expect((await slack.slashCommand({ command: '/noop', text: 'future' }, { signing: { timestampOffsetSec: 600 } })).status).toBe(200);
    const body = new URLSearchParams(slashCommandFields({ command: '/noop', text: 'x' })).toString();
    expect((await slack.send(body, { contentType: `${FORM_CONTENT_TYPE}; charset=utf-8` })).status).toBe(400);
  });
});

describe('Bolt Socket Mode with the fake Slack', () => {
  let fake: FakeSlack;
  let app: App;

  beforeAll(async () => {
    fake = await FakeSlack.start();
    // The receiver is built here only to shorten clientPingTimeout, which also spaces reconnections (5 s default).
    const receiver = new SocketModeReceiver({
      appToken: fake.appToken,
      clientPingTimeout: 200,
      installerOptions: { clientOptions: fake.clientOptions() },
      logLevel: LogLevel.ERROR,
    });
    app = new App({
      token: fake.botToken,
      socketMode: true,
      receiver,
      botId: fake.workspace.botId,
      botUserId: fake.workspace.botUserId,
      clientOptions: fake.clientOptions(),
      logLevel: LogLevel.ERROR,
    });
    app.command('/rollouts', async ({ command, ack, say }) => {
      await ack({ text: `Looking up ${command.text}…` });
      await say(`Status of ${command.text}: Healthy`);
    });
    app.action('approve', async ({ ack }) => ack());
    await app.start();
    await fake.socketMode.waitForConnection();
  });
  afterAll(async () => {
    await app.stop();
    await fake.close();
  });

  it('connects with apps.connections.open and receives hello', () => {
    expect(fake.journal.calls('apps.connections.open', { ok: true })).toHaveLength(1);
    expect(fake.socketMode.connectionCount).toBe(1);
  });

  it('gets a slash command envelope, acks it with the response payload, and says in the channel', async () => {
    const envelopeId = fake.socketMode.push('slash_commands', slashCommandFields({ command: '/rollouts', text: 'checkout', responseUrl: fake.responseUrl() }));
    const ack = await fake.socketMode.waitForAck(envelopeId);
    expect(ack.payload).toEqual({ text: 'Looking up checkout…' });
    await fake.waitFor((e) => e.method === 'chat.postMessage' && e.args.text === 'Status of checkout: Healthy' && isOk(e));
  });

  it('gets an interactive envelope and acks it', async () => {
    const { ts } = await app.client.chat.postMessage({ channel: CHANNEL, text: 'Approve?', blocks: approvalBlocks('checkout') });
    const envelopeId = fake.socketMode.push('interactive', blockActionsPayload({ message: fake.message(CHANNEL, ts!)!, actionId: 'approve' }));
    expect((await fake.socketMode.waitForAck(envelopeId)).envelope_id).toBe(envelopeId);
  });

  it('reconnects when asked to, through a new apps.connections.open', async () => {
    const connects = () => fake.journal.entries.filter((e) => e.kind === 'socket' && e.method === 'connect').length;
    expect(connects()).toBe(1);
    fake.socketMode.requestReconnect();
    await fake.waitFor((e) => e.kind === 'socket' && e.method === 'connect' && connects() === 2, 3000);
    expect(fake.journal.calls('apps.connections.open', { ok: true })).toHaveLength(2);
  });

  it('refuses a WebSocket upgrade without a valid, unused ticket', async () => {
    const used = (fake.journal.calls('apps.connections.open', { ok: true })[0]!.response as { url: string }).url;
    const status = (url: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request(url.replace(/^ws:/, 'http:'), {
          headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' },
        });
        req.on('response', (res) => resolve(res.statusCode ?? 0));
        req.on('upgrade', (res, socket) => {
          socket.destroy();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    expect(await status(used)).toBe(401);
    expect(await status(`${fake.url}/link/?ticket=forged`)).toBe(401);
  });
});
