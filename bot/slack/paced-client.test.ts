// The leader's Slack client against the fake Slack's documented rate limits: after a 429 it sends nothing in that
// scope until Retry-After has passed, so passes that come every 200 ms do not keep calling a limited method.
import { LogLevel } from '@slack/web-api';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeSlack } from '../../test/fakes/slack/index.js';
import { PacedWebClient } from './paced-client.js';

let fake: FakeSlack | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

/** The clock of both the fake Slack and the client, moved by hand. */
function handClock() {
  let t = Date.now();
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

async function retryAfterOf(call: Promise<unknown>): Promise<number> {
  const error = await call.then(
    () => undefined,
    (err: unknown) => err as { code?: string; retryAfter?: number },
  );
  expect(error?.code).toBe('slack_webapi_rate_limited_error');
  return error!.retryAfter!;
}

describe('PacedWebClient', () => {
  it('sends nothing to a rate-limited channel until Retry-After has passed; other channels go on', async () => {
    const clock = handClock();
    fake = await FakeSlack.start({ clock: clock.now, channels: [{ id: 'C1', name: 'one' }, { id: 'C2', name: 'two' }] });
    const client = new PacedWebClient(fake.botToken, { ...fake.clientOptions(), logLevel: LogLevel.ERROR }, clock.now);
    for (let i = 0; i < 3; i += 1) await client.chat.postMessage({ channel: 'C1', text: `burst ${i}` });
    expect(await retryAfterOf(client.chat.postMessage({ channel: 'C1', text: 'too fast' }))).toBe(1);
    const sent = fake.journal.calls('chat.postMessage').length;

    // Limited: failed at once, not sent.
    for (let i = 0; i < 5; i += 1) expect(await retryAfterOf(client.chat.postMessage({ channel: 'C1', text: `again ${i}` }))).toBe(1);
    expect(fake.journal.calls('chat.postMessage')).toHaveLength(sent);
    expect((await client.chat.postMessage({ channel: 'C2', text: 'other channel' })).ok).toBe(true);

    clock.advance(1000);
    expect((await client.chat.postMessage({ channel: 'C1', text: 'a second later' })).ok).toBe(true);
    expect(fake.journal.calls('chat.postMessage')).toHaveLength(sent + 2);
  });

  it('pauses a method limited per workspace (chat.update, Tier 3) in every channel', async () => {
    const clock = handClock();
    fake = await FakeSlack.start({ clock: clock.now });
    const client = new PacedWebClient(fake.botToken, { ...fake.clientOptions(), logLevel: LogLevel.ERROR }, clock.now);
    const { ts } = await client.chat.postMessage({ channel: 'C0FAKE0001', text: 'v0' });
    for (let i = 1; i <= 50; i += 1) await client.chat.update({ channel: 'C0FAKE0001', ts: ts!, text: `v${i}` });
    expect(await retryAfterOf(client.chat.update({ channel: 'C0FAKE0001', ts: ts!, text: 'v51' }))).toBe(2);
    const sent = fake.journal.calls('chat.update').length;
    expect(await retryAfterOf(client.chat.update({ channel: 'C0FAKE0001', ts: ts!, text: 'v52' }))).toBe(2);
    clock.advance(1000);
    expect(await retryAfterOf(client.chat.update({ channel: 'C0FAKE0001', ts: ts!, text: 'v53' }))).toBe(1);
    expect(fake.journal.calls('chat.update')).toHaveLength(sent);
    clock.advance(1000);
    expect((await client.chat.update({ channel: 'C0FAKE0001', ts: ts!, text: 'v54' })).ok).toBe(true);
    expect(fake.message('C0FAKE0001', ts!)!.text).toBe('v54');
  });
});
