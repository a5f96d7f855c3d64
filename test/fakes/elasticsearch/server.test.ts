// The fake cluster answers as the products document, whatever client asks: plain HTTP requests here, so that a
// test of a source stands on what the fake checks, not on the source's own habits.
import { afterEach, describe, expect, it } from 'vitest';
import { FakeSearch } from './server.js';

const ES_JSON = 'application/vnd.elasticsearch+json; compatible-with=8';
let fake: FakeSearch | undefined;

afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function post(path: string, body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  const response = await fetch(`${fake!.address}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  const type = response.headers.get('content-type') ?? '';
  return { status: response.status, headers: response.headers, body: type.includes('json') ? ((await response.json()) as any) : await response.text() };
}

const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1) + seconds * 1000).toISOString();

describe('fake Elasticsearch and OpenSearch', () => {
  it('tells the products apart at the root: the header, the distribution', async () => {
    fake = await FakeSearch.start({ product: 'elasticsearch' });
    let response = await fetch(fake.address);
    expect(response.headers.get('x-elastic-product')).toBe('Elasticsearch');
    expect(((await response.json()) as any).tagline).toBe('You Know, for Search');
    await fake.close();
    fake = await FakeSearch.start({ product: 'opensearch' });
    response = await fetch(fake.address);
    expect(response.headers.get('x-elastic-product')).toBeNull();
    expect(((await response.json()) as any).version.distribution).toBe('opensearch');
  });

  it("answers the root endpoint in each product's documented shape, to a caller with the cluster privilege it needs", async () => {
    const basic = (user: string) => ({ authorization: `Basic ${Buffer.from(`${user}:pw`).toString('base64')}` });
    const users = [
      { username: 'admin', password: 'pw', indices: ['*'] },
      { username: 'reader', password: 'pw', indices: ['logs-*'], monitor: false },
    ];
    fake = await FakeSearch.start({ product: 'elasticsearch', version: '8.15.0', users });
    expect((await fetch(fake.address)).status).toBe(401);
    let response = await fetch(fake.address, { headers: basic('admin') });
    expect(await response.json()).toMatchObject({ name: expect.any(String), cluster_name: 'fake-cluster', cluster_uuid: expect.any(String), version: { number: '8.15.0', build_flavor: 'default', build_hash: expect.any(String), build_date: expect.any(String), lucene_version: expect.any(String) }, tagline: 'You Know, for Search' });
    response = await fetch(fake.address, { headers: basic('reader') });
    expect([response.status, ((await response.json()) as any).error.root_cause[0]]).toEqual([
      403,
      { type: 'security_exception', reason: 'action [cluster:monitor/main] is unauthorized for user [reader] with effective roles [fake_reader], this action is granted by the cluster privileges [monitor,manage,all]' },
    ]);
    await fake.close();
    fake = await FakeSearch.start({ product: 'opensearch', version: '2.19.1', users });
    response = await fetch(fake.address);
    expect([response.status, await response.text()]).toEqual([401, 'Unauthorized']);
    response = await fetch(fake.address, { headers: basic('admin') });
    expect(await response.json()).toMatchObject({ cluster_name: 'fake-cluster', version: { distribution: 'opensearch', number: '2.19.1', build_hash: expect.any(String) }, tagline: 'The OpenSearch Project: https://opensearch.org/' });
    response = await fetch(fake.address, { headers: basic('reader') });
    expect([response.status, ((await response.json()) as any).error.type]).toEqual([403, 'security_exception']);
  });

  it("checks Elasticsearch's REST API compatibility headers", async () => {
    fake = await FakeSearch.start({ product: 'elasticsearch', version: '8.17.0' });
    fake.index('logs', []);
    const ok = await post('/logs/_search', {}, { 'content-type': ES_JSON, accept: ES_JSON });
    expect([ok.status, ok.headers.get('content-type')]).toEqual([200, 'application/vnd.elasticsearch+json;compatible-with=8']);
    const nine = 'application/vnd.elasticsearch+json; compatible-with=9';
    const refused = await post('/logs/_search', {}, { 'content-type': nine, accept: nine });
    expect(refused.status).toBe(400);
    expect(refused.body.error.caused_by.reason).toBe(`Accept version must be either version 8 or 7, but found 9. Accept=${nine}`);
    const mixed = await post('/logs/_search', {}, { 'content-type': 'application/json', accept: ES_JSON });
    expect(mixed.body.error.type).toBe('media_type_header_exception');
  });

  it('answers a missing or wrong credential as each product does', async () => {
    const users = [{ username: 'reader', password: 'pw', indices: ['logs-*'] }];
    fake = await FakeSearch.start({ product: 'elasticsearch', users });
    const es = await post('/logs-*/_search', {});
    expect(es.status).toBe(401);
    expect(es.headers.get('www-authenticate')).toContain('ApiKey');
    expect(es.body.error.root_cause[0]).toMatchObject({ type: 'security_exception', reason: 'missing authentication credentials for REST request [/logs-*/_search]' });
    await fake.close();
    fake = await FakeSearch.start({ product: 'opensearch', users });
    const os = await post('/logs-*/_search', {}, { 'content-type': 'application/json', authorization: `Basic ${Buffer.from('reader:no').toString('base64')}` });
    expect([os.status, os.body, os.headers.get('www-authenticate')]).toEqual([401, 'Unauthorized', 'Basic realm="OpenSearch Security"']);
  });

  it('refuses a window beyond index.max_result_window and a body key it does not know', async () => {
    fake = await FakeSearch.start({ product: 'opensearch' });
    fake.index('logs', []);
    const window = await post('/logs/_search', { size: 10_001 });
    expect(window.status).toBe(400);
    expect(window.body.error.root_cause[0].reason).toContain('Result window is too large, from + size must be less than or equal to: [10000] but was [10001]');
    const unknown = await post('/logs/_search', { search_after: [1] });
    expect(unknown.body.error.root_cause[0]).toMatchObject({ type: 'parsing_exception', reason: 'Unknown key for a START_ARRAY in [search_after].' });
  });

  it('fails the shard of an index without the sort field, unless unmapped_type stands in', async () => {
    fake = await FakeSearch.start({ product: 'elasticsearch' });
    fake.index('logs-a', [{ '@timestamp': at(1), message: 'a' }]);
    fake.index('logs-b', [{ message: 'no time' }], {});
    const partial = await post('/logs-*/_search', { sort: [{ '@timestamp': 'desc' }] });
    expect(partial.body._shards).toMatchObject({ total: 2, failed: 1, failures: [{ index: 'logs-b', reason: { reason: 'No mapping found for [@timestamp] in order to sort on' } }] });
    const whole = await post('/logs-*/_search', { sort: [{ '@timestamp': { order: 'desc', unmapped_type: 'date' } }] });
    expect(whole.body._shards.failed).toBe(0);
    expect(whole.body.hits.hits.map((hit: any) => hit._index)).toEqual(['logs-a', 'logs-b']);
    expect(whole.body.hits.hits[0].sort).toEqual([Date.parse(at(1))]);
  });

  it('counts hits exactly only when asked to', async () => {
    fake = await FakeSearch.start({ product: 'elasticsearch' });
    fake.index('logs', Array.from({ length: 10_001 }, (_, i) => ({ message: `m${i}` })));
    expect((await post('/logs/_search', { size: 0 })).body.hits.total).toEqual({ value: 10_000, relation: 'gte' });
    expect((await post('/logs/_search', { size: 0, track_total_hits: true })).body.hits.total).toEqual({ value: 10_001, relation: 'eq' });
    expect((await post('/logs/_search', { size: 0, track_total_hits: false })).body.hits.total).toBeUndefined();
  });

  it('evaluates its query_string subset, and refuses one that does not parse as Lucene does', async () => {
    fake = await FakeSearch.start({ product: 'elasticsearch' });
    fake.index('logs', [
      { _id: '1', message: 'GET /orders 500 upstream timeout', kubernetes: { labels: { app: 'web' } } },
      { _id: '2', message: 'debug: cache warm', kubernetes: { labels: { app: 'web' } } },
      { _id: '3', message: 'GET /orders 200', 'kubernetes.labels.app': 'worker' },
    ]);
    const ids = async (query: string) => (await post('/logs/_search', { query: { query_string: { query } } })).body.hits.hits.map((hit: any) => hit._id);
    expect(await ids('kubernetes.labels.app:web AND NOT debug')).toEqual(['1']);
    expect(await ids('message:"upstream timeout" OR kubernetes.labels.app:worker')).toEqual(['1', '3']);
    expect(await ids('GET -timeout')).toEqual(['3']);
    expect(await ids('NOT debug')).toEqual(['1', '3']);
    expect(await ids('web AND (cache OR upstream) AND NOT timeout')).toEqual(['2']);
    expect(await ids('kubernetes.labels.app:w*')).toEqual(['1', '2', '3']);
    const broken = await post('/logs/_search', { query: { query_string: { query: 'app:web AND (' } } });
    expect(broken.status).toBe(400);
    expect(broken.body.error).toMatchObject({ type: 'search_phase_execution_exception', root_cause: [{ type: 'query_shard_exception', reason: 'Failed to parse query [app:web AND (]' }] });
    expect(broken.body.error.failed_shards[0].reason.caused_by.type).toBe('parse_exception');
  });

  it('filters _source to the included paths, nested or dotted as stored', async () => {
    fake = await FakeSearch.start({ product: 'opensearch' });
    fake.index('logs', [{ message: 'm', secret: 'x', kubernetes: { pod: { name: 'p', uid: 'u' } }, 'log.level': 'warn' }]);
    const hit = (await post('/logs/_search', { _source: { includes: ['message', 'kubernetes.pod.name', 'log.level'] } })).body.hits.hits[0];
    expect(hit._source).toEqual({ message: 'm', kubernetes: { pod: { name: 'p' } }, 'log.level': 'warn' });
  });
});
