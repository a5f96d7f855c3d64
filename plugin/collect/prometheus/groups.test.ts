// Reading both groups of a look from Prometheus: in one request when the query and the answer allow it.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createPrometheusSource } from './client.js';
import { prometheusSettingsSchema } from './settings.js';
import { RequestQueue } from '../request-queue.js';
import type { GroupSelection, GroupsRequest } from '../source.js';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

interface Seen {
  query: string;
  headers: Record<string, string | string[] | undefined>;
}

/** A Prometheus answering each query with what `answer` gives for it. */
async function prometheus(answer: (query: string, response: ServerResponse) => void, seen: Seen[] = []): Promise<string> {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk)).on('end', () => {
      const query = new URLSearchParams(body).get('query') ?? '';
      seen.push({ query, headers: request.headers });
      answer(query, response);
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const matrix = (response: ServerResponse, series: Record<string, string>[]) =>
  response.writeHead(200, { 'content-type': 'application/json' }).end(
    JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: series.map((metric, i) => ({ metric, values: [[1767225615, String(i + 1)]] })) } }),
  );

const group = (hash: string): GroupSelection => ({ podTemplateHash: hash, selectBy: 'label', hashLabel: 'rollouts_pod_template_hash', instanceLabel: 'pod' });
const start = new Date('2026-01-01T00:00:00Z');
const request = (query: string): GroupsRequest => ({
  metric: { name: 'm', query },
  groups: [group('c0ffee'), group('bead5')],
  start,
  end: new Date(start.getTime() + 60_000),
});
const source = (address: string) => createPrometheusSource(prometheusSettingsSchema.parse({ address }), { queue: new RequestQueue() });

describe('fetchGroups', () => {
  it('reads both groups in one request and tells them apart by pod name, without compressed answers', async () => {
    const seen: Seen[] = [];
    const address = await prometheus((_, response) => matrix(response, [{ pod: 'web-c0ffee-aaaaa' }, { pod: 'web-bead5-bbbbb' }, { pod: 'web-bead5-ccccc' }]), seen);
    const [canary, baseline] = await source(address).fetchGroups!(request('sum by (pod) (rate(x{${selector}}[1m]))'));
    expect(seen.map((s) => s.query)).toEqual(['sum by (pod) (rate(x{rollouts_pod_template_hash=~"c0ffee|bead5"}[1m]))']);
    expect(seen[0]!.headers['accept-encoding']).toBeUndefined();
    expect([...canary!.series.keys()]).toEqual(['web-c0ffee-aaaaa']);
    expect([...baseline!.series.keys()]).toEqual(['web-bead5-bbbbb', 'web-bead5-ccccc']);
  });

  it('reads each group alone when the query mixes instances', async () => {
    const seen: Seen[] = [];
    const address = await prometheus((_, response) => matrix(response, [{ pod: 'p' }]), seen);
    const [canary, baseline] = await source(address).fetchGroups!(request('x{${selector}} / on() group_left sum(x{${selector}})'));
    expect(seen.map((s) => s.query).sort()).toEqual([
      'x{rollouts_pod_template_hash="bead5"} / on() group_left sum(x{rollouts_pod_template_hash="bead5"})',
      'x{rollouts_pod_template_hash="c0ffee"} / on() group_left sum(x{rollouts_pod_template_hash="c0ffee"})',
    ]);
    expect([...canary!.series.keys()]).toEqual(['p']);
    expect([...baseline!.series.keys()]).toEqual(['p']);
  });

  it('reads each group alone when the answer cannot be told apart', async () => {
    const seen: Seen[] = [];
    const address = await prometheus((query, response) => matrix(response, [{ pod: query.includes('=~') ? '10.0.0.1:8080' : query.includes('c0ffee') ? 'canary-pod' : 'stable-pod' }]), seen);
    const [canary, baseline] = await source(address).fetchGroups!(request('sum by (pod) (x{${selector}})'));
    expect(seen).toHaveLength(3);
    expect([...canary!.series.keys()]).toEqual(['canary-pod']);
    expect([...baseline!.series.keys()]).toEqual(['stable-pod']);
  });

  it('tries a query again after a passing failure, and not after a refused query', async () => {
    let calls = 0;
    const flaky = await prometheus((_, response) => {
      calls++;
      if (calls === 1) response.writeHead(503).end('busy');
      else matrix(response, [{ pod: 'web-c0ffee-aaaaa' }]);
    });
    expect((await source(flaky).fetchGroups!(request('sum by (pod) (x{${selector}})')))[0]!.series.size).toBe(1);
    expect(calls).toBe(2);
    await new Promise((resolve) => server!.close(resolve));
    calls = 0;
    const refusing = await prometheus((_, response) => {
      calls++;
      response.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'parse error' }));
    });
    await expect(source(refusing).fetchGroups!(request('sum by (pod) (x{${selector}})'))).rejects.toMatchObject({ transient: false, causeText: 'HTTP 400 bad_data: parse error' });
    expect(calls).toBe(1);
  });
});
