// The fake Slack Web API answering @slack/web-api's real WebClient: every method the bot uses, every limit and
// error the fake enforces, rate limits (429 + Retry-After, honoured by the client when retries >= 1), response_urls
// and the journal.
import { LogLevel, webApi } from '@slack/bolt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack, isOk } from './index.js';

const { WebClient } = webApi;
type WebClient = InstanceType<typeof WebClient>;
type SlackErrorData = { ok: false; error: string; errors?: string[]; response_metadata?: { messages?: string[] } };

/** The `{ok:false,…}` answer behind a WebAPIPlatformError. */
async function slackError(call: Promise<unknown>): Promise<SlackErrorData> {
  try {
    await call;
  } catch (err) {
    const data = (err as { data?: SlackErrorData }).data;
    if (!data) throw err;
    return data;
  }
  throw new Error('expected the call to fail');
}

const CHANNEL = 'C0FAKE0001';

/** A Logger for the WebClient that keeps what it logs (it logs response_metadata `[ERROR]` messages). */
function capturingLogger() {
  const errors: string[] = [];
  const logger = {
    errors,
    debug: () => {},
    info: () => {},
    warn: () => {},
    error: (...msgs: unknown[]) => void errors.push(msgs.map(String).join(' ')),
    setLevel: () => {},
    getLevel: () => LogLevel.ERROR,
    setName: () => {},
  };
  return logger;
}
const section = (text: string, extra: Record<string, unknown> = {}) => ({ type: 'section', text: { type: 'mrkdwn', text }, ...extra });
const button = (action_id: string, text = 'Approve', extra: Record<string, unknown> = {}) => ({ type: 'button', action_id, text: { type: 'plain_text', text }, ...extra });
const modal = (extra: Record<string, unknown> = {}) => ({ type: 'modal', title: { type: 'plain_text', text: 'Approve rollout' }, blocks: [], ...extra });

describe('fake Slack Web API with the real WebClient', () => {
  let fake: FakeSlack;
  let client: WebClient;
  const logger = capturingLogger();

  beforeAll(async () => {
    fake = await FakeSlack.start({
      rateLimits: false,
      channels: [
        { id: CHANNEL, name: 'deploys', members: ['U0FAKE0001', 'U0FAKE0002'] },
        { id: 'C0NOTMEMBR', name: 'secret', isMember: false },
        { id: 'C0ARCHIVED', name: 'old', isArchived: true },
      ],
      usergroups: [{ id: 'S0APPROVER', handle: 'approvers', users: ['U0FAKE0001', 'W0FAKE0003'] }],
    });
    client = new WebClient(fake.botToken, { ...fake.clientOptions(), logger });
  });
  afterAll(() => fake.close());

  describe('authentication and bodies', () => {
    it('answers auth.test for the bot token', async () => {
      const res = await client.auth.test();
      expect(res).toMatchObject({ ok: true, team_id: fake.workspace.teamId, user_id: fake.workspace.botUserId, bot_id: fake.workspace.botId });
    });

    it('answers not_authed without a token and invalid_auth for an unknown one', async () => {
      const anonymous = new WebClient(undefined, { ...fake.clientOptions(), logLevel: LogLevel.ERROR });
      expect((await slackError(anonymous.chat.postMessage({ channel: CHANNEL, text: 'x' }))).error).toBe('not_authed');
      const stranger = new WebClient('xoxb-unknown', { ...fake.clientOptions(), logLevel: LogLevel.ERROR });
      expect((await slackError(stranger.chat.postMessage({ channel: CHANNEL, text: 'x' }))).error).toBe('invalid_auth');
    });

    it('refuses an app-level token for bot methods and a bot token for apps.connections.open', async () => {
      const app = new WebClient(fake.appToken, { ...fake.clientOptions(), logLevel: LogLevel.ERROR });
      expect((await slackError(app.chat.postMessage({ channel: CHANNEL, text: 'x' }))).error).toBe('not_allowed_token_type');
      expect((await slackError(client.apps.connections.open({}))).error).toBe('not_allowed_token_type');
      expect((await app.apps.connections.open({})).url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/link\/\?ticket=/);
    });

    it('accepts JSON bodies with a Bearer header, and form bodies with a token field, but not a token in JSON', async () => {
      const post = (body: string, headers: Record<string, string>) =>
        fetch(`${fake.apiUrl}chat.postMessage`, { method: 'POST', body, headers }).then((r) => r.json());
      const json = JSON.stringify({ channel: CHANNEL, text: 'json', blocks: [section('json body')] });
      expect(await post(json, { 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${fake.botToken}` })).toMatchObject({ ok: true });
      const form = new URLSearchParams({ token: fake.botToken, channel: CHANNEL, text: 'form' }).toString();
      expect(await post(form, { 'content-type': 'application/x-www-form-urlencoded' })).toMatchObject({ ok: true });
      const tokenInJson = JSON.stringify({ token: fake.botToken, channel: CHANNEL, text: 'x' });
      expect(await post(tokenInJson, { 'content-type': 'application/json' })).toEqual({ ok: false, error: 'not_authed' });
      expect(await post('{not json', { 'content-type': 'application/json', authorization: `Bearer ${fake.botToken}` })).toEqual({ ok: false, error: 'invalid_json' });
      expect(await post('x=1', { 'content-type': 'application/xml', authorization: `Bearer ${fake.botToken}` })).toEqual({ ok: false, error: 'invalid_post_type' });
    });

    it('answers unknown_method for a method it does not know', async () => {
      expect((await slackError(client.apiCall('chat.scheduleMessage', { channel: CHANNEL, text: 'x', post_at: 1 }))).error).toBe('unknown_method');
    });
  });

  describe('chat.postMessage, chat.update, chat.postEphemeral', () => {
    it('posts with unique increasing ts, keeps the message and journals blocks as JSON', async () => {
      const blocks = [section('*checkout* canary at step 2'), { type: 'actions', block_id: 'decide', elements: [button('approve'), button('abort', 'Abort', { style: 'danger' })] }];
      const results = [];
      for (let i = 0; i < 5; i += 1) results.push(await client.chat.postMessage({ channel: CHANNEL, text: `verdict ${i}`, blocks }));
      const ts = results.map((r) => r.ts!);
      expect(new Set(ts).size).toBe(5);
      expect([...ts].sort((a, b) => Number(a) - Number(b))).toEqual(ts);
      for (const t of ts) expect(t).toMatch(/^\d{10}\.\d{6}$/);
      expect(results[0]).toMatchObject({ ok: true, channel: CHANNEL, message: { text: 'verdict 0', bot_id: fake.workspace.botId } });
      expect(fake.message(CHANNEL, ts[4]!)).toMatchObject({ text: 'verdict 4', blocks });
      const entry = fake.journal.calls('chat.postMessage').at(-1)!;
      expect(entry.args.blocks).toEqual(blocks); // sent as a JSON string in a form body, parsed back
      expect(entry.token).toBe(fake.botToken);
    });

    it('posts to a user ID in the app\'s direct messages with that user, and refuses unknown users', async () => {
      const first = await client.chat.postMessage({ channel: 'U0FAKE0001', text: 'only for you' });
      expect(first).toMatchObject({ ok: true, channel: expect.stringMatching(/^D/) });
      const second = await client.chat.postMessage({ channel: 'U0FAKE0001', text: 'again' });
      expect(second.channel).toBe(first.channel);
      expect(fake.message(first.channel!, first.ts!)).toMatchObject({ text: 'only for you' });
      expect((await slackError(client.chat.postMessage({ channel: 'U0NOBODY1', text: 'x' }))).error).toBe('channel_not_found');
    });

    it('accepts a channel by name', async () => {
      const res = await client.chat.postMessage({ channel: '#deploys', text: 'by name' });
      expect(res.channel).toBe(CHANNEL);
    });

    it('answers channel_not_found, not_in_channel, is_archived and no_text', async () => {
      expect((await slackError(client.chat.postMessage({ channel: 'C0NOPE', text: 'x' }))).error).toBe('channel_not_found');
      expect((await slackError(client.chat.postMessage({ channel: 'C0NOTMEMBR', text: 'x' }))).error).toBe('not_in_channel');
      expect((await slackError(client.chat.postMessage({ channel: 'C0ARCHIVED', text: 'x' }))).error).toBe('is_archived');
      expect((await slackError(client.chat.postMessage({ channel: CHANNEL, text: '' }))).error).toBe('no_text');
    });

    it('updates a message by channel and ts, keeping every version; message_not_found otherwise', async () => {
      const { ts } = await client.chat.postMessage({ channel: CHANNEL, text: 'Verifying…' });
      const res = await client.chat.update({ channel: CHANNEL, ts: ts!, text: 'Healthy', blocks: [section(':white_check_mark: Healthy')] });
      expect(res).toMatchObject({ ok: true, channel: CHANNEL, ts, text: 'Healthy' });
      const m = fake.message(CHANNEL, ts!)!;
      expect(m.text).toBe('Healthy');
      expect(m.versions.map((v) => v.via)).toEqual(['chat.postMessage', 'chat.update']);
      expect((await slackError(client.chat.update({ channel: CHANNEL, ts: '1.000001', text: 'x' }))).error).toBe('message_not_found');
      expect((await slackError(client.chat.update({ channel: 'C0NOPE', ts: ts!, text: 'x' }))).error).toBe('channel_not_found');
    });

    it('deletes a message; message_not_found afterwards', async () => {
      const { ts } = await client.chat.postMessage({ channel: CHANNEL, text: 'to delete' });
      expect((await client.chat.delete({ channel: CHANNEL, ts: ts! })).ok).toBe(true);
      expect(fake.message(CHANNEL, ts!)!.deleted).toBe(true);
      expect((await slackError(client.chat.update({ channel: CHANNEL, ts: ts!, text: 'x' }))).error).toBe('message_not_found');
    });

    it('posts ephemerals to channel members only', async () => {
      const res = await client.chat.postEphemeral({ channel: CHANNEL, user: 'U0FAKE0001', text: 'only you' });
      expect(res.message_ts).toMatch(/^\d+\.\d{6}$/);
      expect(fake.ephemerals('U0FAKE0001').at(-1)).toMatchObject({ text: 'only you', via: 'chat.postEphemeral' });
      expect((await slackError(client.chat.postEphemeral({ channel: CHANNEL, user: 'U0NOBODY', text: 'x' }))).error).toBe('user_not_found');
      fake.workspace.users.set('U0OUTSIDE', { id: 'U0OUTSIDE', name: 'carol' });
      expect((await slackError(client.chat.postEphemeral({ channel: CHANNEL, user: 'U0OUTSIDE', text: 'x' }))).error).toBe('user_not_in_channel');
    });
  });

  describe('Block Kit limits → invalid_blocks with Slack’s messages', () => {
    const actions = (...elements: unknown[]) => ({ type: 'actions', elements });
    const cases: Array<[string, unknown[], string]> = [
      ['51 blocks', Array.from({ length: 51 }, () => ({ type: 'divider' })), 'no more than 50 items allowed [json-pointer:/blocks]'],
      ['section text of 3001', [section('x'.repeat(3001))], 'must be less than 3001 characters [json-pointer:/blocks/0/text/text]'],
      ['button text of 76', [actions(button('a', 'x'.repeat(76)))], 'must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]'],
      ['button value of 2001', [actions(button('a', 'ok', { value: 'v'.repeat(2001) }))], 'must be less than 2001 characters [json-pointer:/blocks/0/elements/0/value]'],
      ['action_id of 256', [actions(button('a'.repeat(256)))], 'must be less than 256 characters [json-pointer:/blocks/0/elements/0/action_id]'],
      ['block_id of 256', [section('x', { block_id: 'b'.repeat(256) })], 'must be less than 256 characters [json-pointer:/blocks/0/block_id]'],
      ['duplicate action_id in a block', [actions(button('same'), button('same'))], 'action_id already exists: same [json-pointer:/blocks/0/elements/1/action_id]'],
      ['header of 151', [{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }], 'must be less than 151 characters [json-pointer:/blocks/0/text/text]'],
      ['mrkdwn header', [{ type: 'header', text: { type: 'mrkdwn', text: 'h' } }], 'must be one of "plain_text" [json-pointer:/blocks/0/text/type]'],
      ['unknown block type', [{ type: 'banner' }], 'unsupported type: banner [json-pointer:/blocks/0/type]'],
    ];
    it.each(cases)('rejects %s', async (_name, blocks, message) => {
      const err = await slackError(client.chat.postMessage({ channel: CHANNEL, text: 'fallback', blocks: blocks as never }));
      expect(err.error).toBe('invalid_blocks');
      expect(err.response_metadata?.messages).toContain(`[ERROR] ${message}`);
      expect(err.errors).toContain(message);
      expect(logger.errors.at(-1)).toBe(message); // the WebClient reads the fake's `[ERROR] …` messages as Slack's
    });

    it('accepts the limits themselves (50 blocks, 3000, 75, 2000, 255, 150; one action_id in two blocks)', async () => {
      const ok = [
        Array.from({ length: 50 }, () => ({ type: 'divider' })),
        [section('x'.repeat(3000))],
        [actions(button('a'.repeat(255), 'x'.repeat(75), { value: 'v'.repeat(2000) }))],
        [{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(150) } }],
        [actions(button('approve')), actions(button('approve'))],
      ];
      for (const blocks of ok) expect((await client.chat.postMessage({ channel: CHANNEL, text: 'ok', blocks: blocks as never })).ok).toBe(true);
    });

    it('checks chat.update and chat.postEphemeral blocks too', async () => {
      const { ts } = await client.chat.postMessage({ channel: CHANNEL, text: 'x' });
      const bad = [section('x'.repeat(3001))] as never;
      expect((await slackError(client.chat.update({ channel: CHANNEL, ts: ts!, text: 'x', blocks: bad }))).error).toBe('invalid_blocks');
      expect((await slackError(client.chat.postEphemeral({ channel: CHANNEL, user: 'U0FAKE0001', text: 'x', blocks: bad }))).error).toBe('invalid_blocks');
    });

    it('answers msg_blocks_too_long past 13,200 characters of blocks, each block being valid', async () => {
      const blocks = Array.from({ length: 5 }, () => section('y'.repeat(2900)));
      expect(JSON.stringify(blocks).length).toBeGreaterThan(13_200);
      expect((await slackError(client.chat.postMessage({ channel: CHANNEL, text: 'long', blocks }))).error).toBe('msg_blocks_too_long');
      const fewer = blocks.slice(0, 4);
      expect((await client.chat.postMessage({ channel: CHANNEL, text: 'long', blocks: fewer })).ok).toBe(true);
    });

    it('answers invalid_blocks_format for blocks that are not a JSON array, msg_too_long past 40,000 characters', async () => {
      expect((await slackError(client.apiCall('chat.postMessage', { channel: CHANNEL, text: 'x', blocks: '[{"type":' }))).error).toBe('invalid_blocks_format');
      expect((await slackError(client.chat.postMessage({ channel: CHANNEL, text: 't'.repeat(40_001) }))).error).toBe('msg_too_long');
    });
  });

  describe('views.open', () => {
    it('opens a modal for a fresh trigger_id, once', async () => {
      const trigger = fake.triggerId();
      const res = await client.views.open({ trigger_id: trigger, view: modal({ callback_id: 'approve', private_metadata: 'm'.repeat(3000) }) as never });
      expect(res.view).toMatchObject({ type: 'modal', callback_id: 'approve', team_id: fake.workspace.teamId });
      expect((await slackError(client.views.open({ trigger_id: trigger, view: modal() as never }))).error).toBe('exchanged_trigger_id');
    });

    it('answers invalid_trigger_id for an unknown trigger and expired_trigger_id after 3 s', async () => {
      expect((await slackError(client.views.open({ trigger_id: '123.456.abc', view: modal() as never }))).error).toBe('invalid_trigger_id');
      const trigger = fake.triggerId();
      fake.advance(3001);
      expect((await slackError(client.views.open({ trigger_id: trigger, view: modal() as never }))).error).toBe('expired_trigger_id');
    });

    it.each([
      ['a title of 25', modal({ title: { type: 'plain_text', text: 't'.repeat(25) } }), '[ERROR] must be less than 25 characters [json-pointer:/view/title/text]'],
      ['private_metadata of 3001', modal({ private_metadata: 'm'.repeat(3001) }), '[ERROR] must be less than 3001 characters [json-pointer:/view/private_metadata]'],
      ['101 blocks', modal({ blocks: Array.from({ length: 101 }, () => ({ type: 'divider' })) }), '[ERROR] no more than 100 items allowed [json-pointer:/view/blocks]'],
      ['a submit of 25', modal({ submit: { type: 'plain_text', text: 's'.repeat(25) } }), '[ERROR] must be less than 25 characters [json-pointer:/view/submit/text]'],
    ])('answers invalid_arguments for %s', async (_name, view, message) => {
      const err = await slackError(client.views.open({ trigger_id: fake.triggerId(), view: view as never }));
      expect(err.error).toBe('invalid_arguments');
      expect(err.response_metadata?.messages).toContain(message);
    });

    it('updates an open view by id with the current hash; hash_conflict with a stale one', async () => {
      const opened = await client.views.open({ trigger_id: fake.triggerId(), view: modal({ callback_id: 'upd' }) as never });
      const { id, hash } = opened.view as { id: string; hash: string };
      const updated = await client.views.update({ view_id: id, hash, view: modal({ callback_id: 'upd', private_metadata: 'v2' }) as never });
      expect(updated.view).toMatchObject({ id, private_metadata: 'v2' });
      expect((await slackError(client.views.update({ view_id: id, hash, view: modal() as never }))).error).toBe('hash_conflict');
      expect((await slackError(client.views.update({ view_id: 'V0NOPE', view: modal() as never }))).error).toBe('not_found');
    });

    it('accepts 100 blocks and a 24-character title in a modal', async () => {
      const view = modal({ title: { type: 'plain_text', text: 't'.repeat(24) }, blocks: Array.from({ length: 100 }, () => ({ type: 'divider' })) });
      expect((await client.views.open({ trigger_id: fake.triggerId(), view: view as never })).ok).toBe(true);
    });
  });

  describe('directory: usergroups.users.list, users.info, conversations.info', () => {
    it('lists a user group, no_such_subteam for an unknown one, plan_upgrade_required on a Free plan', async () => {
      expect((await client.usergroups.users.list({ usergroup: 'S0APPROVER' })).users).toEqual(['U0FAKE0001', 'W0FAKE0003']);
      expect((await slackError(client.usergroups.users.list({ usergroup: 'S0NOPE' }))).error).toBe('no_such_subteam');
      fake.workspace.freePlan = true;
      try {
        expect((await slackError(client.usergroups.users.list({ usergroup: 'S0APPROVER' }))).error).toBe('plan_upgrade_required');
      } finally {
        fake.workspace.freePlan = false;
      }
    });

    it('answers users.info and conversations.info', async () => {
      expect((await client.users.info({ user: 'U0FAKE0001' })).user).toMatchObject({ id: 'U0FAKE0001', name: 'alice', is_bot: false });
      expect((await slackError(client.users.info({ user: 'U0NOBODY' }))).error).toBe('user_not_found');
      expect((await client.conversations.info({ channel: CHANNEL })).channel).toMatchObject({ id: CHANNEL, name: 'deploys', is_member: true });
      expect((await slackError(client.conversations.info({ channel: 'C0NOPE' }))).error).toBe('channel_not_found');
    });
  });

  describe('file upload', () => {
    it('runs files.getUploadURLExternal → upload URL → files.completeUploadExternal through filesUploadV2', async () => {
      const res = await client.filesUploadV2({ channel_id: CHANNEL, content: 'metric,verdict\nerror-rate,fail\n', filename: 'verdict.csv', title: 'Verdict', initial_comment: 'details' });
      expect(res.ok).toBe(true);
      const [get] = fake.journal.calls('files.getUploadURLExternal');
      expect(get!.args).toMatchObject({ filename: 'verdict.csv', length: '31' });
      const fileId = (get!.response as { file_id: string }).file_id;
      const file = fake.workspace.files.get(fileId)!;
      expect(file).toMatchObject({ completed: true, uploadedBytes: 31, title: 'Verdict', channel: CHANNEL });
      expect(file.content!.toString()).toBe('metric,verdict\nerror-rate,fail\n');
      expect(fake.messages(CHANNEL).at(-1)).toMatchObject({ text: 'details', files: [fileId] });
    });

    it('answers file_not_found when completing a file that was never uploaded', async () => {
      const { file_id } = await client.files.getUploadURLExternal({ filename: 'x.txt', length: 3 });
      expect((await slackError(client.files.completeUploadExternal({ files: [{ id: file_id! }] }))).error).toBe('file_not_found');
    });
  });

  describe('response_url', () => {
    const post = (url: string, body: unknown) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

    it('works 5 times, then answers 404 expired_url', async () => {
      const url = fake.responseUrl({ channel: CHANNEL, user: 'U0FAKE0001' });
      for (let i = 0; i < 5; i += 1) expect((await post(url, { text: `reply ${i}` })).status).toBe(200);
      const sixth = await post(url, { text: 'one too many' });
      expect(sixth.status).toBe(404);
      expect(await sixth.json()).toEqual({ ok: false, error: 'expired_url' });
      expect(fake.ephemerals('U0FAKE0001').filter((e) => e.via === 'response_url')).toHaveLength(5);
    });

    it('expires after 30 minutes', async () => {
      const url = fake.responseUrl();
      fake.advance(30 * 60_000 + 1);
      expect((await post(url, { text: 'late' })).status).toBe(404);
    });

    it('replaces the original message, posts in channel, and rejects invalid blocks', async () => {
      const { ts } = await client.chat.postMessage({ channel: CHANNEL, text: 'Approve?', blocks: [section('Approve?')] });
      const url = fake.responseUrl({ channel: CHANNEL, messageTs: ts!, user: 'U0FAKE0001' });
      expect((await post(url, { replace_original: true, text: 'Approved by <@U0FAKE0001>' })).status).toBe(200);
      expect(fake.message(CHANNEL, ts!)).toMatchObject({ text: 'Approved by <@U0FAKE0001>' });
      expect(fake.message(CHANNEL, ts!)!.versions.at(-1)!.via).toBe('response_url');
      expect((await post(url, { response_type: 'in_channel', text: 'for everyone' })).status).toBe(200);
      expect(fake.messages(CHANNEL).at(-1)).toMatchObject({ text: 'for everyone' });
      const bad = await post(url, { text: 'x', blocks: [section('x'.repeat(3001))] });
      expect(bad.status).toBe(400);
      expect(await bad.json()).toMatchObject({ ok: false, error: 'invalid_blocks' });
    });
  });

  describe('journal', () => {
    it('waits for a call to come, and says which calls came when none matches', async () => {
      const waiting = fake.waitFor((e) => e.method === 'chat.postMessage' && e.args.text === 'awaited');
      await client.chat.postMessage({ channel: CHANNEL, text: 'awaited' });
      const entry = await waiting;
      expect(isOk(entry)).toBe(true);
      expect(entry.response).toMatchObject({ ok: true, channel: CHANNEL });
      await expect(fake.waitFor((e) => e.method === 'views.publish', 50)).rejects.toThrow(/no matching Slack call within 50 ms; calls so far: .*chat\.postMessage/);
    });
  });
});

describe('fake Slack rate limits', () => {
  let fake: FakeSlack;
  afterEach(() => fake.close());

  /** A clock that moves only with `fake.advance`, so bucket refills do not depend on how fast the machine is. */
  const frozen = () => {
    const t = Date.now();
    return () => t;
  };
  const rejecting = (f: FakeSlack) => new WebClient(f.botToken, { ...f.clientOptions({ rejectRateLimitedCalls: true }), logLevel: LogLevel.ERROR });
  async function rateLimited(call: Promise<unknown>): Promise<number> {
    try {
      await call;
    } catch (err) {
      const e = err as { code?: string; retryAfter?: number };
      if (e.code === 'slack_webapi_rate_limited_error') return e.retryAfter!;
      throw err;
    }
    throw new Error('expected a rate-limited call');
  }

  it('limits chat.postMessage to about 1 per second per channel after a burst of 3', async () => {
    fake = await FakeSlack.start({ clock: frozen(), channels: [{ id: 'C1', name: 'one' }, { id: 'C2', name: 'two' }] });
    const client = rejecting(fake);
    for (let i = 0; i < 3; i += 1) await client.chat.postMessage({ channel: 'C1', text: `burst ${i}` });
    expect(await rateLimited(client.chat.postMessage({ channel: 'C1', text: 'too fast' }))).toBe(1);
    const limited = fake.journal.calls('chat.postMessage').at(-1)!;
    expect(limited).toMatchObject({ status: 429, retryAfter: 1, response: { ok: false, error: 'ratelimited' } });
    expect((await client.chat.postMessage({ channel: 'C2', text: 'other channel' })).ok).toBe(true);
    fake.advance(1000);
    expect((await client.chat.postMessage({ channel: 'C1', text: 'a second later' })).ok).toBe(true);
  });

  it('limits chat.update to Tier 3 (50 per minute) and usergroups.users.list to Tier 2 (20 per minute)', async () => {
    fake = await FakeSlack.start({ clock: frozen(), usergroups: [{ id: 'S1', users: ['U0FAKE0001'] }] });
    const client = rejecting(fake);
    const { ts } = await client.chat.postMessage({ channel: 'C0FAKE0001', text: 'v0' });
    for (let i = 1; i <= 50; i += 1) await client.chat.update({ channel: 'C0FAKE0001', ts: ts!, text: `v${i}` });
    expect(await rateLimited(client.chat.update({ channel: 'C0FAKE0001', ts: ts!, text: 'v51' }))).toBe(2); // 60 s / 50 = 1.2 s
    for (let i = 0; i < 20; i += 1) await client.usergroups.users.list({ usergroup: 'S1' });
    expect(await rateLimited(client.usergroups.users.list({ usergroup: 'S1' }))).toBe(3); // 60 s / 20
    fake.advance(3000);
    expect((await client.usergroups.users.list({ usergroup: 'S1' })).ok).toBe(true);
    expect(fake.message('C0FAKE0001', ts!)!.text).toBe('v50');
  });

  it('lets a test shrink the windows and override a limit', async () => {
    fake = await FakeSlack.start({ rateLimitWindowScale: 0.01, rateLimits: { 'users.info': { limit: 2, windowMs: 60_000 } } });
    const client = rejecting(fake);
    await client.users.info({ user: 'U0FAKE0001' });
    await client.users.info({ user: 'U0FAKE0001' });
    expect(await rateLimited(client.users.info({ user: 'U0FAKE0001' }))).toBe(1);
    await new Promise((r) => setTimeout(r, 350)); // 60 s × 0.01 / 2 = 300 ms per call
    expect((await client.users.info({ user: 'U0FAKE0001' })).ok).toBe(true);
  });

  it('is honoured by the WebClient with retries >= 1: it waits Retry-After, then succeeds', async () => {
    fake = await FakeSlack.start({ rateLimits: { 'chat.postMessage': { limit: 1, windowMs: 1000, burst: 1, per: 'channel' } } });
    const client = new WebClient(fake.botToken, {
      ...fake.clientOptions({ retryConfig: { retries: 1, minTimeout: 0, maxTimeout: 0 } }),
      logLevel: LogLevel.ERROR,
    });
    await client.chat.postMessage({ channel: 'C0FAKE0001', text: 'first' });
    const second = await client.chat.postMessage({ channel: 'C0FAKE0001', text: 'second' });
    expect(second.ok).toBe(true);
    const calls = fake.journal.calls('chat.postMessage');
    expect(calls.map((c) => c.status)).toEqual([200, 429, 200]);
    expect(calls[2]!.at - calls[1]!.at).toBeGreaterThanOrEqual(990);
  });
});
