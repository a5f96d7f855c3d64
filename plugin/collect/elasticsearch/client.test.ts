import { createServer, type Server } from 'node:http';
import { type AddressInfo, createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Json } from '../../../test/fakes/elasticsearch/query-dsl.js';
import { FakeSearch, type Product } from '../../../test/fakes/elasticsearch/server.js';
import { RequestQueue } from '../request-queue.js';
import type { LogsRequest } from '../source.js';
import { collectError } from '../../../test/helpers/collect-error.js';
import { createSearchLogSource } from './client.js';
import { searchSettingsSchema } from './settings.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const CANARY = '7d9f8c6b5';
const BASELINE = '5b8c4d7f9';

let fake: FakeSearch | undefined;
let stalled: Server | undefined;
let raw: TcpServer | undefined;
const rawSockets = new Set<Socket>();

async function closeRaw(): Promise<void> {
  for (const socket of rawSockets) socket.destroy();
  rawSockets.clear();
  await new Promise((resolve) => (raw ? raw.close(resolve) : resolve(undefined)));
  raw = undefined;
}

afterEach(async () => {
  await fake?.close();
  fake = undefined;
  stalled?.closeAllConnections();
  await new Promise((resolve) => (stalled ? stalled.close(resolve) : resolve(undefined)));
  stalled = undefined;
  await closeRaw();
});

/** A server that answers every request with `head` and then `body` as it is written, to the end of the connection. */
async function rawServer(head: string, body: (write: (chunk: string) => void) => void): Promise<string> {
  raw = createTcpServer((socket) => {
    rawSockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('data', () => {
      socket.write(head);
      body((chunk) => socket.write(chunk));
    });
  });
  await new Promise<void>((resolve) => raw!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(raw.address() as AddressInfo).port}`;
}

/** A line of `pod` at `seconds` after T0. */
function doc(pod: string, seconds: number, message: string, extra: Record<string, Json> = {}): Record<string, Json> {
  return { '@timestamp': new Date(T0 + seconds * 1000).toISOString(), message, kubernetes: { pod: { name: pod }, labels: { app: 'web' } }, ...extra };
}

const request = (overrides: Partial<LogsRequest> = {}): LogsRequest => ({
  query: 'kubernetes.labels.app:web',
  group: { podTemplateHash: CANARY, selectBy: 'podName', hashField: 'kubernetes.labels.rollouts-pod-template-hash', instanceField: 'kubernetes.pod.name' },
  start: new Date(T0),
  end: new Date(T0 + 60_000),
  limit: 1000,
  ...overrides,
});

function source(product: Product, settings: Record<string, unknown> = {}) {
  return createSearchLogSource(product, searchSettingsSchema.parse({ address: fake!.address, index: 'logs-*', ...settings }), { queue: new RequestQueue() });
}

describe.each(['elasticsearch', 'opensearch'] as const)('%s log source against the fake', (product) => {
  it("reads one group's lines in (start, end], newest first, page by page, with their count", async () => {
    fake = await FakeSearch.start({ product });
    fake.index('logs-2026.01.01', [
      doc(`web-${CANARY}-a1`, 0, 'at the start: before the range'),
      doc(`web-${CANARY}-a1`, 10, 'GET /orders 200', { log: { level: 'info' } }),
      doc(`web-${CANARY}-a2`, 20, 'GET /orders 500'),
      doc(`web-${CANARY}-a2`, 20, 'GET /orders 502'),
      doc(`web-${CANARY}-a1`, 30, 'debug noise', { kubernetes: { pod: { name: `web-${CANARY}-a1` }, labels: { app: 'worker' } } }),
      doc(`web-${BASELINE}-b1`, 40, 'the baseline'),
      doc(`web-${CANARY}-a2`, 60, 'at the end: in the range'),
      doc(`web-${CANARY}-a2`, 61, 'after the range'),
    ]);
    fake.index('other', [doc(`web-${CANARY}-a1`, 15, 'another index')]);
    const fetched = await source(product, { pageSize: 3, levelField: 'log.level' }).fetchLogs(request());
    expect(fetched.total).toBe(4);
    expect(fetched.warnings).toEqual([]);
    expect(fetched.lines).toEqual([
      { time: T0 + 60_000, instance: `web-${CANARY}-a2`, message: 'at the end: in the range' },
      { time: T0 + 20_000, instance: `web-${CANARY}-a2`, message: 'GET /orders 500' },
      { time: T0 + 20_000, instance: `web-${CANARY}-a2`, message: 'GET /orders 502' },
      { time: T0 + 10_000, instance: `web-${CANARY}-a1`, message: 'GET /orders 200', level: 'info' },
    ]);
    // The first page ended at 20 s, which may have had more lines: the second page read that instant again, whole.
    const searches = fake.requests.filter((r) => r.path.endsWith('/_search'));
    expect(searches.map((r) => r.path)).toEqual(['/logs-*/_search', '/logs-*/_search', '/logs-*/_search']);
    expect(searches.map((r) => (r.body as { track_total_hits: boolean }).track_total_hits)).toEqual([true, false, false]);
  });

  it('selects a group by its hash field', async () => {
    fake = await FakeSearch.start({ product });
    fake.index('logs-1', [
      doc('web-x-1', 10, 'canary', { kubernetes: { pod: { name: 'web-x-1' }, labels: { app: 'web', 'rollouts-pod-template-hash': CANARY } } }),
      doc('web-y-1', 10, 'baseline', { kubernetes: { pod: { name: 'web-y-1' }, labels: { app: 'web', 'rollouts-pod-template-hash': BASELINE } } }),
    ]);
    const fetched = await source(product).fetchLogs(request({ group: { ...request().group, selectBy: 'label' } }));
    expect(fetched.lines.map((line) => line.message)).toEqual(['canary']);
  });

  it('stops at the limit, newest first, and says how many lines there were', async () => {
    fake = await FakeSearch.start({ product });
    fake.index('logs-1', Array.from({ length: 25 }, (_, i) => doc(`web-${CANARY}-a1`, i + 1, `line ${i + 1}`)));
    const fetched = await source(product, { pageSize: 10 }).fetchLogs(request({ limit: 12 }));
    expect(fetched.lines.map((line) => line.message)).toEqual(Array.from({ length: 12 }, (_, i) => `line ${25 - i}`));
    expect(fetched.total).toBe(25);
  });

  it('says when more lines than a page share one instant', async () => {
    fake = await FakeSearch.start({ product });
    fake.index('logs-1', [...Array.from({ length: 5 }, (_, i) => doc(`web-${CANARY}-a1`, 30, `burst ${i}`)), doc(`web-${CANARY}-a1`, 10, 'older')]);
    const fetched = await source(product, { pageSize: 3 }).fetchLogs(request());
    expect(fetched.lines.map((line) => line.message)).toEqual(['burst 0', 'burst 1', 'burst 2', 'older']);
    expect(fetched.total).toBe(6);
    expect(fetched.warnings).toHaveLength(1);
    expect(fetched.warnings[0]).toContain('lines at 2026-01-01T00:00:30.000000000Z: 3 of them were read');
  });

  it('keeps a hostile hash literal: it selects no other pod', async () => {
    fake = await FakeSearch.start({ product });
    fake.index('logs-1', [doc(`web-${CANARY}-a1`, 10, 'canary'), doc('web-x-y', 10, 'another')]);
    for (const podTemplateHash of ['*', '?', '\\*', `${CANARY}-*`]) {
      const fetched = await source(product).fetchLogs(request({ group: { ...request().group, podTemplateHash } }));
      expect(fetched.lines, podTemplateHash).toEqual([]);
    }
  });

  it("quotes the cluster's reason for a query it cannot parse, naming the query", async () => {
    fake = await FakeSearch.start({ product });
    fake.index('logs-1', [doc(`web-${CANARY}-a1`, 10, 'x')]);
    const error = await collectError(source(product).fetchLogs(request({ query: 'app:web AND (' })));
    expect(error.transient).toBe(false);
    expect(error.message).toContain('HTTP 400 query_shard_exception: Failed to parse query [app:web AND (]');
    expect(error.message).toContain('(query app:web AND ()');
  });

  it('names a missing index', async () => {
    fake = await FakeSearch.start({ product });
    const error = await collectError(source(product, { index: 'logs-web' }).fetchLogs(request()));
    expect(error.message).toContain('HTTP 404 index_not_found_exception: no such index [logs-web]');
  });

  it('retries a rejected search (429) and a failing node (503), then gives up as transient', async () => {
    fake = await FakeSearch.start({ product });
    fake.index('logs-1', [doc(`web-${CANARY}-a1`, 10, 'x')]);
    const rejected = { type: 'es_rejected_execution_exception', reason: 'rejected execution of search on EsThreadPoolExecutor[name = node/search, queue capacity = 1000]' };
    fake.injected.push({ status: 429, body: { error: { root_cause: [rejected], ...rejected }, status: 429 } });
    fake.injected.push({ status: 503, body: { error: { root_cause: [], type: 'search_phase_execution_exception', reason: 'all shards failed' }, status: 503 } });
    expect((await source(product).fetchLogs(request())).lines).toHaveLength(1);

    const breaker = { type: 'circuit_breaking_exception', reason: '[parent] Data too large' };
    for (let i = 0; i < 3; i++) fake.injected.push({ status: 429, body: { error: { root_cause: [breaker], ...breaker }, status: 429 } });
    const error = await collectError(source(product).fetchLogs(request()));
    expect(error.transient).toBe(true);
    expect(error.message).toContain('HTTP 429 circuit_breaking_exception: [parent] Data too large');
  });

  it("waits the Retry-After a proxy asks for, and fails at once when it is longer than a call's pause", async () => {
    fake = await FakeSearch.start({ product });
    fake.index('logs-1', [doc(`web-${CANARY}-a1`, 10, 'x')]);
    fake.injected.push({ status: 429, body: 'slow down', headers: { 'retry-after': '1', 'content-type': 'text/plain' } });
    const began = Date.now();
    expect((await source(product).fetchLogs(request())).lines).toHaveLength(1);
    expect(Date.now() - began).toBeGreaterThanOrEqual(900);

    fake.injected.push({ status: 429, body: 'slow down', headers: { 'retry-after': '60', 'content-type': 'text/plain' } });
    const error = await collectError(source(product).fetchLogs(request()));
    expect(error.transient).toBe(true);
    expect(error.message).toContain('HTTP 429 slow down');
    expect(fake.injected).toEqual([]);
  });

  it('warns of partial results: a timed-out search, failed shards', async () => {
    fake = await FakeSearch.start({ product });
    fake.index('logs-1', [doc(`web-${CANARY}-a1`, 10, 'x')]);
    fake.partial = { timedOut: true, failedShards: 1 };
    const fetched = await source(product).fetchLogs(request());
    expect(fetched.lines).toHaveLength(1);
    expect(fetched.warnings).toEqual([
      'the search timed out on some shards: lines may be missing',
      '1 of 2 shards failed, lines may be missing: node_not_connected_exception: [fake-node-2] Node not connected',
    ]);
  });

  it('refuses a page larger than 16 MiB, naming the setting that makes it smaller', async () => {
    fake = await FakeSearch.start({ product });
    fake.index('logs-1', [doc(`web-${CANARY}-a1`, 10, 'x'.repeat(17 * 1024 * 1024))]);
    const error = await collectError(source(product).fetchLogs(request()));
    expect(error.transient).toBe(false);
    expect(error.message).toContain(`response larger than 16 MiB for a page of 1000 lines: lower source.${product}.pageSize`);
  });

  it('refuses, without harm, a hostile server announcing a body larger than memory or streaming one past the limit', async () => {
    const product_header = product === 'elasticsearch' ? 'X-Elastic-Product: Elasticsearch\r\n' : '';
    const announced = await rawServer(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n${product_header}Content-Length: 600000000\r\n\r\n`, (write) => write('{"took":'));
    const settings = (address: string) => searchSettingsSchema.parse({ address, index: 'logs-*', timeout: '5s' });
    let error = await collectError(createSearchLogSource(product, settings(announced), { queue: new RequestQueue() }).fetchLogs(request()));
    expect([error.transient, error.message.includes('response larger than 16 MiB')]).toEqual([false, true]);
    await closeRaw();

    const chunk = 'x'.repeat(1024 * 1024);
    const streamed = await rawServer(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n${product_header}Transfer-Encoding: chunked\r\n\r\n`, (write) => {
      for (let i = 0; i < 17; i++) write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
    });
    error = await collectError(createSearchLogSource(product, settings(streamed), { queue: new RequestQueue() }).fetchLogs(request()));
    expect([error.transient, error.message.includes('response larger than 16 MiB')]).toEqual([false, true]);
    // Whatever the clients left listening has nothing to report a second later.
    await new Promise((resolve) => setTimeout(resolve, 1000));
  });

  it('advises a smaller page when the index allows fewer hits', async () => {
    fake = await FakeSearch.start({ product, maxResultWindow: 500 });
    fake.index('logs-1', [doc(`web-${CANARY}-a1`, 10, 'x')]);
    const error = await collectError(source(product).fetchLogs(request()));
    expect(error.message).toContain(`Result window is too large, from + size must be less than or equal to: [500] but was [1000]`);
    expect(error.message).toContain(`: lower source.${product}.pageSize`);
  });

  it('tells a body of another kind by its shape only', async () => {
    fake = await FakeSearch.start({ product });
    fake.injected.push({ status: 502, body: '<html>secret proxy page</html>', headers: { 'content-type': 'text/html' } });
    fake.injected.push({ status: 502, body: '<html>secret proxy page</html>', headers: { 'content-type': 'text/html' } });
    fake.injected.push({ status: 502, body: '<html>secret proxy page</html>', headers: { 'content-type': 'text/html' } });
    const error = await collectError(source(product).fetchLogs(request()));
    expect(error.message).toContain('HTTP 502 not an Elasticsearch or OpenSearch answer (text/html, 30 bytes)');
    expect(error.message).not.toContain('secret');
  });

  it('refuses an answer that says it is JSON and is not', async () => {
    fake = await FakeSearch.start({ product });
    fake.injected.push({ status: 200, body: '{"took": 1, "hits": [', headers: { 'content-type': 'application/json' } });
    const error = await collectError(source(product).fetchLogs(request()));
    expect(error.transient).toBe(false);
    expect(error.message).toContain('the answer says it is JSON but does not parse as JSON');
  });

  it('gives up a search that gets no answer in time, as transient', async () => {
    stalled = createServer(() => {});
    await new Promise<void>((resolve) => stalled!.listen(0, '127.0.0.1', resolve));
    const address = `http://127.0.0.1:${(stalled.address() as AddressInfo).port}`;
    const settings = searchSettingsSchema.parse({ address, index: 'logs-*', timeout: '200ms' });
    const began = Date.now();
    const error = await collectError(createSearchLogSource(product, settings, { queue: new RequestQueue() }).fetchLogs(request()));
    expect(error.transient).toBe(true);
    expect(error.message).toContain('no response within 200ms');
    // Three tries, with pauses of 250 and 500 ms.
    expect(Date.now() - began).toBeLessThan(3000);
  });

  it('stops when the call is cancelled', async () => {
    stalled = createServer(() => {});
    await new Promise<void>((resolve) => stalled!.listen(0, '127.0.0.1', resolve));
    const address = `http://127.0.0.1:${(stalled.address() as AddressInfo).port}`;
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const settings = searchSettingsSchema.parse({ address, index: 'logs-*', timeout: '10s' });
    const error = await collectError(createSearchLogSource(product, settings, { queue: new RequestQueue() }).fetchLogs(request({ signal: controller.signal })));
    expect(error.transient).toBe(true);
    expect(error.message).toContain('the call was cancelled or ran out of time before the search was answered');
  });

  it('reads nothing for an empty range', async () => {
    fake = await FakeSearch.start({ product });
    expect(await source(product).fetchLogs(request({ end: new Date(T0) }))).toEqual({ lines: [], total: 0, warnings: [] });
    expect(fake.requests).toEqual([]);
  });
});

describe('Elasticsearch specifics', () => {
  it('speaks REST API compatibility 8, which Elasticsearch 8 and 9 accept', async () => {
    for (const version of ['8.17.0', '9.1.0']) {
      fake = await FakeSearch.start({ product: 'elasticsearch', version });
      fake.index('logs-1', [doc(`web-${CANARY}-a1`, 10, 'x')]);
      expect((await source('elasticsearch').fetchLogs(request())).lines, version).toHaveLength(1);
      expect(fake.requests[0]!.headers.accept).toContain('compatible-with=8');
      await fake.close();
      fake = undefined;
    }
  });

  it("explains Elasticsearch 7's refusal of version 8 requests", async () => {
    fake = await FakeSearch.start({ product: 'elasticsearch', version: '7.17.0' });
    const error = await collectError(source('elasticsearch').fetchLogs(request()));
    expect(error.message).toContain('HTTP 400 media_type_header_exception: Invalid media-type value on headers [Accept, Content-Type]: the server takes no Elasticsearch 8 or 9 requests');
  });

  it('refuses a server that is not Elasticsearch, pointing to source.opensearch', async () => {
    fake = await FakeSearch.start({ product: 'opensearch' });
    fake.index('logs-1', [doc(`web-${CANARY}-a1`, 10, 'x')]);
    // OpenSearch refuses Elasticsearch's media types...
    let error = await collectError(source('elasticsearch').fetchLogs(request()));
    expect(error.message).toContain('HTTP 406 Content-Type header [application/vnd.elasticsearch+json; compatible-with=8] is not supported: the server takes no Elasticsearch 8 or 9 requests (for OpenSearch, use source.opensearch)');
    // ...and a server that answers without X-Elastic-Product fails the client's product check.
    fake.injected.push({ status: 200, body: { took: 1, timed_out: false, _shards: { total: 1, failed: 0 }, hits: { hits: [] } } });
    error = await collectError(source('elasticsearch').fetchLogs(request()));
    expect(error.transient).toBe(false);
    expect(error.message).toContain('did not identify itself as Elasticsearch (no X-Elastic-Product header): for OpenSearch, use source.opensearch');
  });

  it('reads a date_nanos time field in whole milliseconds: a line just after the start belongs to the range before', async () => {
    fake = await FakeSearch.start({ product: 'elasticsearch' });
    fake.index(
      'logs-1',
      [
        { ...doc(`web-${CANARY}-a1`, 0, 'x'), '@timestamp': '2026-01-01T00:00:00.000500000Z', message: 'within the start millisecond' },
        { ...doc(`web-${CANARY}-a1`, 0, 'x'), '@timestamp': '2026-01-01T00:01:00.000999999Z', message: 'within the end millisecond' },
      ],
      { '@timestamp': 'date_nanos' },
    );
    const fetched = await source('elasticsearch').fetchLogs(request());
    expect(fetched.lines).toEqual([{ time: T0 + 60_000, instance: `web-${CANARY}-a1`, message: 'within the end millisecond' }]);
  });
});
