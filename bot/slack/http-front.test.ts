// The bot's front server on its own, with an injected clock and a stand-in for Bolt's receiver: what reaches the
// receiver, what is answered before it, and that nothing a request sends (or a receiver that throws) ends the
// process. bot/app.test.ts sends the same kinds of requests to the whole bot.
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/log.js';
import { signature } from '../../test/helpers/slack-requests.js';
import { SLACK_PATH, createFront, timestampProblem } from './http-front.js';

const SECRET = 'front-signing-secret';
/** The front's clock, stopped at start (Bolt checks staleness again against the system clock: near enough). */
const NOW_MS = Date.now();
const NOW_S = Math.floor(NOW_MS / 1000);
const FORM = 'application/x-www-form-urlencoded';

let address: string;
let close: () => Promise<void>;
/** What the receiver was handed: the body as buffered, or the error it threw. */
const received: string[] = [];
let receiver: (body: string) => void = () => undefined;
const logLines: Record<string, unknown>[] = [];

beforeAll(async () => {
  const log = createLogger({ level: 'info' }, { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) });
  const front = createFront({
    slack: {
      signingSecret: SECRET,
      listener: (req, res) => {
        const body = req.rawBody.toString('utf8');
        received.push(body);
        receiver(body);
        res.writeHead(200).end('handled');
      },
    },
    ready: () => true,
    now: () => NOW_MS,
    log,
  });
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  address = `127.0.0.1:${(front.address() as AddressInfo).port}`;
  close = () => new Promise((resolve) => front.close(() => resolve()));
});

afterAll(() => close());

interface Sent {
  method?: string;
  path?: string;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
}

/** One request on its own connection, as anyone on the network could send it. */
function send(request: Sent): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host, port: Number(port), method: request.method ?? 'POST', path: request.path ?? SLACK_PATH, headers: request.headers, agent: false, timeout: 5_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 5 s')));
    req.on('error', reject);
    req.end(request.body);
  });
}

/** A request signed as Slack signs it, with the timestamp `offset` seconds from the front's clock. */
function signed(body: string, offset = 0, contentType = FORM): Sent {
  const timestamp = NOW_S + offset;
  return { body, headers: { 'content-type': contentType, 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': signature(SECRET, timestamp, body) } };
}

async function stillServing(): Promise<void> {
  const answer = await send(signed('command=%2Frollouts&text=help'));
  expect(answer).toMatchObject({ status: 200, body: 'handled' });
}

describe('timestamps', () => {
  it.each([
    [0, undefined],
    [300, undefined],
    [-300, undefined],
    [301, 'X-Slack-Request-Timestamp is 301 s in the future'],
    [-301, 'X-Slack-Request-Timestamp is 301 s old'],
  ])('%i s from now: %s', (offset, problem) => {
    expect(timestampProblem(String(NOW_S + offset), NOW_MS)).toBe(problem);
    expect(timestampProblem(String(NOW_S + offset), NOW_S * 1000 + 999)).toBe(problem);
  });

  // -300 is left out here: Bolt checks staleness again against the system clock, which has moved on.
  it.each([
    [300, undefined],
    [301, 'X-Slack-Request-Timestamp is 301 s in the future'],
    [-301, 'X-Slack-Request-Timestamp is 301 s old'],
  ])('a signed request %i s from now reaches the receiver only within the tolerance', async (offset, problem) => {
    const before = received.length;
    const answer = await send(signed('command=%2Frollouts&text=help', offset));
    if (problem) {
      expect(answer).toMatchObject({ status: 401, body: `refused: ${problem}\n` });
      expect(received.length).toBe(before);
    } else {
      expect(answer.status).toBe(200);
      expect(received.length).toBe(before + 1);
    }
  });

  it.each([[undefined], ['12a'], ['1e9'], [['1750000000', '1750000000']]])('refuses a missing or malformed timestamp (%j)', async (value) => {
    const request = signed('a=b');
    const headers = { ...request.headers };
    if (value === undefined) delete headers['x-slack-request-timestamp'];
    else headers['x-slack-request-timestamp'] = value;
    expect(await send({ ...request, headers })).toMatchObject({ status: 401, body: 'refused: missing or malformed X-Slack-Request-Timestamp\n' });
  });
});

describe('requests that must not reach the receiver, nor end the process', () => {
  it.each(['GET', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE'])('%s on the Slack path: 405 with Allow: POST', async (method) => {
    const before = received.length;
    const answer = await send({ ...signed(''), method, body: undefined });
    expect(answer.status).toBe(405);
    expect(answer.headers.allow).toBe('POST');
    expect(received.length).toBe(before);
    await stillServing();
  });

  it('answers 401 to a wrong or repeated signature before reading the body as a payload', async () => {
    const wrong = signed('payload=null');
    for (const value of ['v0=00', ['v0=00', 'v0=11']]) {
      expect((await send({ ...wrong, headers: { ...wrong.headers, 'x-slack-signature': value } })).status).toBe(401);
    }
  });

  it.each([
    ['null', 'application/json'],
    ['42', 'application/json'],
    ['[]', 'application/json'],
    ['not json', 'application/json'],
    ['payload=null', FORM],
    ['payload=%5B%5D', FORM],
    ['payload=%7B', FORM],
  ])('answers 400 to a signed body that is not a Slack payload: %s (%s)', async (body, contentType) => {
    const before = received.length;
    expect((await send(signed(body, 0, contentType))).status).toBe(400);
    expect(received.length).toBe(before);
    await stillServing();
  });

  it('answers 413 to a body over the limit and closes the connection', async () => {
    const answer = await send(signed('a'.repeat(5 * 1024 * 1024)));
    expect(answer.status).toBe(413);
    expect(answer.headers.connection).toBe('close');
    await stillServing();
  });

  it('answers 500 when the receiver throws, logs it, and keeps serving', async () => {
    receiver = (body) => {
      if (body.includes('boom')) throw new Error('receiver failed');
    };
    try {
      expect((await send(signed('text=boom'))).status).toBe(500);
      expect(logLines).toContainEqual(expect.objectContaining({ msg: 'the request failed while being handled', err: expect.objectContaining({ message: 'receiver failed' }) }));
      await stillServing();
    } finally {
      receiver = () => undefined;
    }
  });

  it('serves the health endpoints and nothing else', async () => {
    expect(await send({ method: 'GET', path: '/healthz' })).toMatchObject({ status: 200, body: 'ok\n' });
    expect(await send({ method: 'GET', path: '/readyz' })).toMatchObject({ status: 200, body: 'ready\n' });
    expect((await send({ method: 'GET', path: '/other' })).status).toBe(404);
  });
});
