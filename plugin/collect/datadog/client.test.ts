// The Datadog source against raw HTTP servers: what any answer that is not Datadog's makes of a request (redirects,
// bodies of other services, silence, refusal), and that no message repeats a key. Datadog's own answers are in
// test/sources/datadog.test.ts, against the fake Datadog.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_RESPONSE_BYTES } from '../http/client.js';
import { RequestQueue } from '../request-queue.js';
import type { CollectError, SeriesRequest } from '../source.js';
import { collectError as rejection } from '../../../test/helpers/collect-error.js';
import { closeLocalServers, serveLocally } from '../../../test/helpers/local-server.js';
import { createDatadogSource } from './client.js';
import { datadogSettingsSchema } from './settings.js';

const API_KEY = 'f1e2d3c4b5a60718293a4b5c6d7e8f90';
const APP_KEY = '0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

let dir: string;

const serve = (handler: Handler) => serveLocally((request, _body, response) => handler(request, response));

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rollouts-cv-datadog-'));
});

afterEach(async () => {
  await closeLocalServers();
  rmSync(dir, { recursive: true, force: true });
});

function source(address: string, overrides: Record<string, string> = {}) {
  mkdirSync(join(dir, 'datadog'), { recursive: true });
  writeFileSync(join(dir, 'datadog', 'address'), address);
  writeFileSync(join(dir, 'datadog', 'api_key'), API_KEY);
  writeFileSync(join(dir, 'datadog', 'app_key'), APP_KEY);
  return createDatadogSource(datadogSettingsSchema.parse({ address, credentials: 'datadog', ...overrides }), { credentialsDir: dir, queue: new RequestQueue() });
}

const start = new Date('2026-01-01T00:00:00Z');
const request: SeriesRequest = {
  metric: { name: 'latency', query: 'avg:trace.http.request.duration{service:web,${selector}} by {pod_name}' },
  group: { podTemplateHash: 'abc123', selectBy: 'podName', hashLabel: 'rollouts_pod_template_hash', instanceLabel: 'pod_name' },
  start,
  end: new Date(start.getTime() + 300_000),
};

/** The CollectError of `promise`, which repeats neither key. */
async function collectError(promise: Promise<unknown>): Promise<CollectError> {
  const error = await rejection(promise);
  expect(error.message).not.toContain(API_KEY);
  expect(error.message).not.toContain(APP_KEY);
  return error;
}

describe('the Datadog source over HTTP', () => {
  it('describes itself by its address', async () => {
    const address = await serve(() => undefined);
    expect(source(address).description).toBe(`Datadog at ${address}`);
  });

  it('follows no redirect, so that the keys never leave the address they were issued for', async () => {
    const seen: (string | undefined)[] = [];
    const address = await serve((incoming, response) => {
      seen.push(incoming.url);
      response.writeHead(307, { location: 'http://127.0.0.2:1/steal' }).end();
    });
    const error = await collectError(source(address).fetchSeries(request));
    expect(error.message).toBe(`metric "latency": Datadog at ${address}: HTTP 307: not a Datadog API response (no content type, 0 bytes)`);
    expect(error.transient).toBe(false);
    expect(seen).toEqual(['/api/v2/query/timeseries']);
  });

  it("tells a body that is not Datadog's by its shape only, never its content", async () => {
    const address = await serve((_incoming, response) => response.writeHead(502, { 'content-type': 'text/html' }).end('<h1>gateway: internal-db.corp password=hunter2</h1>'));
    const error = await collectError(source(address).fetchSeries(request));
    expect(error.message).toBe(`metric "latency": Datadog at ${address}: HTTP 502: not a Datadog API response (text/html, 51 bytes)`);
    expect(error.transient).toBe(true);
  });

  it('does not repeat a 200 answer that is not JSON, whose parse error would quote it', async () => {
    const address = await serve((_incoming, response) => response.writeHead(200, { 'content-type': 'application/json' }).end('hunter2 is the password'));
    const error = await collectError(source(address).fetchSeries(request));
    expect(error.message).toBe(`metric "latency": Datadog at ${address}: answered with a body that is not a Datadog API response`);
    expect(error.message).not.toContain('hunter2');
  });

  it('refuses JSON of another shape', async () => {
    const address = await serve((_incoming, response) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: { attributes: { times: 'soon' } } })));
    expect((await collectError(source(address).fetchSeries(request))).message).toMatch(/(not a Datadog API response|of an unexpected shape)$/);
  });

  it('gives up after the timeout, as something that may pass', async () => {
    const address = await serve(() => undefined);
    const error = await collectError(source(address, { timeout: '200ms' }).fetchSeries({ ...request, deadline: Date.now() + 300 }));
    expect(error.message).toBe(`metric "latency": Datadog at ${address}: no response within 200ms`);
    expect(error.transient).toBe(true);
  });

  it('stops when the call is cancelled', async () => {
    const address = await serve(() => undefined);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const error = await collectError(source(address).fetchSeries({ ...request, signal: controller.signal }));
    expect(error.message).toBe(`metric "latency": Datadog at ${address}: the call was cancelled or ran out of time before the query was answered`);
  });

  it('reads no response larger than the cap', async () => {
    const address = await serve((_incoming, response) => response.writeHead(200, { 'content-type': 'application/json' }).end(Buffer.alloc(MAX_RESPONSE_BYTES + 1, 32)));
    const error = await collectError(source(address).fetchSeries(request));
    expect(error.message).toBe(`metric "latency": Datadog at ${address}: response larger than 16 MiB`);
    expect(error.transient).toBe(false);
  });

  it('reports a refused connection', async () => {
    const address = await serve(() => undefined);
    await closeLocalServers();
    const error = await collectError(source(address).fetchSeries(request));
    expect(error.message).toBe(`metric "latency": Datadog at ${address}: connection refused`);
  });

  it("clears the keys from Datadog's own error text", async () => {
    const address = await serve((_incoming, response) => response.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [`bad key ${API_KEY} for app ${APP_KEY}`] })));
    const error = await collectError(source(address).fetchSeries(request));
    expect(error.message).toBe(`metric "latency": Datadog at ${address}: HTTP 400: bad key *** for app ***`);
  });
});
