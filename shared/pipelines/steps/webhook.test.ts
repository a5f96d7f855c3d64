import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { advanceRun, type Executors } from '../advance.js';
import { ALLOWED_URLS_ANNOTATION, CREDENTIALS_LABEL, type SecretData } from '../credentials.js';
import { MAX_ATTEMPTS } from '../http-retry.js';
import { parsePipelineSpec } from '../spec.js';
import { initialStatus, type PipelineRunStatus } from '../status.js';
import { stepMarker } from '../step-marker.js';
import { webhookStep } from './webhook.js';

const T0 = new Date('2026-12-05T10:00:00Z');
const run = { namespace: 'releases', name: 'loans-api-release-1', uid: 'uid-1' };
const facts = { triggeredBy: 'Kubernetes user ana', url: '' };
const TOKEN = 'Bearer s3cr3t-webhook-token';

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

let receiver: Server;
let other: Server;
let base: string;
let otherUrl: string;
let received: Received[];
let otherReached: number;
let answer: (request: Received, response: ServerResponse) => void;
let secret: SecretData | null;
const executors: Executors = { webhook: webhookStep({ readSecret: async (namespace, name) => (namespace === 'releases' && name === 'release-hook' ? secret : null) }) };

const listen = async (handler: (request: IncomingMessage, response: ServerResponse) => void): Promise<[Server, string]> => {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return [server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`];
};

beforeAll(async () => {
  [receiver, base] = await listen((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const seen = { method: request.method!, url: request.url!, headers: request.headers, body: Buffer.concat(chunks).toString() };
      received.push(seen);
      answer(seen, response);
    });
  });
  [other, otherUrl] = await listen((_request, response) => {
    otherReached++;
    response.writeHead(200).end();
  });
});
afterAll(async () => {
  receiver.closeAllConnections();
  await new Promise((resolve) => receiver.close(resolve));
  await new Promise((resolve) => other.close(resolve));
});
beforeEach(() => {
  received = [];
  otherReached = 0;
  answer = (_request, response) => void response.writeHead(202).end('{"ok":true}');
  secret = hookSecret({ Authorization: TOKEN, 'X-Team': 'loans\n' });
});

const hookSecret = (data: Record<string, string>, allowed = `${base}/hooks/`): SecretData => ({ labels: { [CREDENTIALS_LABEL]: 'webhook' }, annotations: { [ALLOWED_URLS_ANNOTATION]: allowed }, data });
const hook = (fields: Record<string, unknown> = {}) => ({
  name: 'notify',
  webhook: { url: `${base}/hooks/release?channel=deploys`, body: '{"text": "${{ run.name }} deploys ${{ vars.image }}"}', headersSecret: { name: 'release-hook' }, ...fields },
});
const start = (step: unknown): PipelineRunStatus =>
  initialStatus({ name: 'loans-api-release', spec: parsePipelineSpec({ variables: [{ name: 'image', required: true }], stages: [{ name: 'dev', steps: [step] }] }) }, { image: 'loans-api:2.0' }, T0);
const pass = (status: PipelineRunStatus) => advanceRun(status, run, facts, executors, T0);
const stepOf = (status: PipelineRunStatus) => status.stages[0]!.steps[0]!;
const SHOWN = () => `${base}/hooks/release`;

describe('the webhook step', () => {
  it('sends the filled-in body once, with the Secret’s headers and the step’s Idempotency-Key, and outputs the status', async () => {
    const { status } = await pass(start(hook()));
    expect(stepOf(status)).toMatchObject({ phase: 'Succeeded', message: `POST ${SHOWN()} answered 202`, outputs: { status: '202' } });
    expect(received).toHaveLength(1);
    const [request] = received;
    expect(request).toMatchObject({ method: 'POST', url: '/hooks/release?channel=deploys', body: '{"text": "loans-api-release-1 deploys loans-api:2.0"}' });
    expect(request!.headers).toMatchObject({ authorization: TOKEN, 'x-team': 'loans', 'content-type': 'application/json', 'user-agent': 'rollouts-cv', 'idempotency-key': stepMarker('uid-1/dev/notify') });

    // Asked again (a controller that died before writing the status): the receiver sees the same key twice.
    await pass(start(hook({ method: 'PUT', body: 'plain text' })));
    expect(received[1]).toMatchObject({ method: 'PUT', body: 'plain text', headers: { 'content-type': 'text/plain; charset=utf-8', 'idempotency-key': stepMarker('uid-1/dev/notify') } });
  });

  it('fails on a 4xx, naming the URL without its query and what the receiver said', async () => {
    answer = (_request, response) => void response.writeHead(400, { 'Content-Type': 'text/plain' }).end('missing field "channel"\n');
    const { status } = await pass(start(hook()));
    expect(stepOf(status)).toMatchObject({ phase: 'Failed', failure: 'error', message: `POST ${SHOWN()} answered 400: missing field "channel"` });
    expect(`${stepOf(status).message} ${status.message}`).not.toContain('channel=deploys');
  });

  it('tries again after a 5xx, 408 or 429 (as long as Retry-After asks), and fails after a bounded number of attempts', async () => {
    answer = (_request, response) => void response.writeHead(429, { 'Retry-After': '30' }).end();
    const limited = await pass(start(hook()));
    expect(stepOf(limited.status)).toMatchObject({ phase: 'Running', state: { attempts: '1' }, message: `POST ${SHOWN()} answered 429; trying again in 30s (attempt 2 of ${MAX_ATTEMPTS})` });
    expect(limited.recheckAfterMs).toBe(30_000);

    answer = (_request, response) => void response.writeHead(503).end('down for maintenance');
    let status = limited.status;
    for (let i = 1; i < MAX_ATTEMPTS; i++) status = (await pass(status)).status;
    expect(stepOf(status)).toMatchObject({ phase: 'Failed', message: `POST ${SHOWN()} answered 503: down for maintenance; gave up after ${MAX_ATTEMPTS} attempts` });
    expect(received).toHaveLength(MAX_ATTEMPTS);
    // Every attempt carries the same key, so the receiver can tell them apart from another step's request.
    expect(new Set(received.map((r) => r.headers['idempotency-key']))).toEqual(new Set([stepMarker('uid-1/dev/notify')]));

    answer = (_request, response) => void response.writeHead(408).end();
    expect(stepOf((await pass(start(hook()))).status)).toMatchObject({ phase: 'Running', message: `POST ${SHOWN()} answered 408; trying again in 5s (attempt 2 of ${MAX_ATTEMPTS})` });
  });

  it('tries again when the receiver does not answer within the timeout', async () => {
    answer = () => undefined;
    const began = Date.now();
    const { status } = await pass(start(hook({ timeout: '1s' })));
    expect(Date.now() - began).toBeLessThan(5000);
    expect(stepOf(status)).toMatchObject({ phase: 'Running', message: `POST ${SHOWN()}: no answer within 1s; trying again in 5s (attempt 2 of ${MAX_ATTEMPTS})` });
  });

  it('does not follow a redirect, which would take the Secret’s headers elsewhere', async () => {
    answer = (_request, response) => void response.writeHead(302, { Location: `${otherUrl}/collect?all=1` }).end();
    const { status } = await pass(start(hook()));
    expect(stepOf(status)).toMatchObject({ phase: 'Failed', message: `POST ${SHOWN()} answered 302, a redirect to ${otherUrl}/collect: redirects are not followed, so give the final URL` });
    expect(otherReached).toBe(0);
  });

  it('never shows a header value from the Secret, even when the receiver quotes it back', async () => {
    const quoting = (padding: number) => (request: Received, response: ServerResponse) =>
      void response.writeHead(401).end(`${' '.repeat(padding)}rejected ${String(request.headers.authorization)} and ${String(request.headers.authorization)}`);
    answer = quoting(0);
    const quoted = await pass(start(hook()));
    expect(stepOf(quoted.status).message).toBe(`POST ${SHOWN()} answered 401: rejected *** and ***`);
    // Where the reading stops inside a quote, no part of it is shown either.
    answer = quoting(1990);
    const cut = await pass(start(hook()));
    expect(stepOf(cut.status).message).toBe(`POST ${SHOWN()} answered 401: rejecte`);
    for (const status of [quoted.status, cut.status]) expect(JSON.stringify(status)).not.toContain('s3c');
  });

  it('reads no more of an answer than it shows, however large', async () => {
    const big = 'x'.repeat(64 * 1024);
    let written = 0;
    const endless = (code: number) => (_request: Received, response: ServerResponse) => {
      response.writeHead(code);
      const more = () => {
        while (written < 64 * 1024 * 1024 && response.write(big)) written += big.length;
      };
      response.on('drain', more);
      response.on('close', () => response.off('drain', more));
      more();
    };
    answer = endless(200);
    expect(stepOf((await pass(start(hook()))).status)).toMatchObject({ phase: 'Succeeded', message: `POST ${SHOWN()} answered 200` });
    answer = endless(400);
    const failed = stepOf((await pass(start(hook()))).status);
    expect(failed.phase).toBe('Failed');
    expect(failed.message!.length).toBeLessThan(400);
    expect(written).toBeLessThan(16 * 1024 * 1024);
  });

  it('refuses a Secret whose keys are not header names, or that sets what HTTP or the step sets', async () => {
    for (const [data, message] of [
      [{ 'X Team': 'loans' }, 'Secret releases/release-hook: key "X Team" is not a valid header name'],
      [{ 'X-Team:': 'loans' }, 'Secret releases/release-hook: key "X-Team:" is not a valid header name'],
      [{ 'Idempotency-Key': 'mine' }, 'Secret releases/release-hook: key "Idempotency-Key" names a header that HTTP or the webhook step sets itself'],
      [{ Host: 'internal.example' }, 'Secret releases/release-hook: key "Host" names a header that HTTP or the webhook step sets itself'],
      [{ 'X-Team': 'loans\r\nX-Injected: 1' }, 'Secret releases/release-hook: the value of "X-Team" holds a line break or another control character, which a header cannot'],
    ] as const) {
      secret = hookSecret(data);
      expect(stepOf((await pass(start(hook()))).status).message).toMatch(new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    }
    expect(received).toHaveLength(0);
  });

  it('uses a Secret only when it is labelled for webhooks and allows the URL, and sends nowhere a URL may not go', async () => {
    secret = { ...hookSecret({ Authorization: TOKEN }), labels: { [CREDENTIALS_LABEL]: 'jira' } };
    expect(stepOf((await pass(start(hook()))).status).message).toBe(`Secret releases/release-hook is not labelled ${CREDENTIALS_LABEL}=webhook, so it does not serve webhook steps`);
    secret = hookSecret({ Authorization: TOKEN }, `${base}/other/`);
    expect(stepOf((await pass(start(hook()))).status).message).toBe(
      `Secret releases/release-hook may not be sent to ${base}/hooks/release?channel=deploys: its ${ALLOWED_URLS_ANNOTATION} annotation allows ${base}/other/`,
    );
    expect(stepOf((await pass(start(hook({ url: 'http://hooks.example/release', headersSecret: undefined })))).status).message).toBe(
      'webhook URL "http://hooks.example/release": expected https://host/path (http:// only to a loopback address)',
    );
    expect(stepOf((await pass(start(hook({ url: `${base}/hooks/..%2f..%2fadmin` })))).status).message).toMatch(/is not written plainly/);
    expect(received).toHaveLength(0);
    // Without a Secret, the request goes with no header of one.
    expect(stepOf((await pass(start(hook({ headersSecret: undefined, body: undefined })))).status).phase).toBe('Succeeded');
    expect(received[0]!.headers.authorization).toBeUndefined();
    expect(received[0]!.body).toBe('');
  });
});
