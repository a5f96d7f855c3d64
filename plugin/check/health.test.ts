import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeLoki } from '../../test/fakes/loki/server.js';
import { FakePrometheus } from '../../test/fakes/prometheus/server.js';
import { elasticsearch } from '../collect/elasticsearch/backend.js';
import { parseVerifySettings } from '../config/schema.js';
import { checkSources } from './health.js';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(stops.splice(0).map((stop) => stop()));
});

const settings = (prometheus: string, logs?: string) =>
  parseVerifySettings({
    duration: '5m',
    source: { prometheus: { address: prometheus, timeout: '2s' } },
    metrics: [{ name: 'latency', kind: 'latency', query: 'max by (pod) (latency{${selector}})' }],
    ...(logs && { logs: { source: { loki: { address: logs, timeout: '2s' } }, query: '{app="web"}' } }),
  });

async function closedPort(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  await new Promise((resolve) => server.close(resolve));
  return address;
}

describe('checkSources', () => {
  it('checks the metrics source, and the log source when the verification reads logs', async () => {
    const prometheus = await FakePrometheus.start({ version: '2.53.3' });
    const loki = await FakeLoki.start();
    stops.push(() => prometheus.stop(), () => loki.stop());
    expect(await checkSources(settings(prometheus.address), {})).toEqual([{ setting: 'source', ok: true, detail: `Prometheus 2.53.3 at ${prometheus.address}` }]);
    expect(await checkSources(settings(prometheus.address, loki.url), {})).toEqual([
      { setting: 'source', ok: true, detail: `Prometheus 2.53.3 at ${prometheus.address}` },
      { setting: 'logs.source', ok: true, detail: `Loki 3.1.1 at ${loki.url}` },
    ]);
  });

  it('tells a source that fails its health check, naming it and the cause, without failing the others', async () => {
    const prometheus = await FakePrometheus.start();
    stops.push(() => prometheus.stop());
    const loki = await closedPort();
    expect(await checkSources(settings(prometheus.address, loki), {})).toEqual([
      { setting: 'source', ok: true, detail: `Prometheus 2.53.3 at ${prometheus.address}` },
      { setting: 'logs.source', ok: false, detail: `Loki at ${loki}: connection refused` },
    ]);
  });
});

describe('checkSources of a backend without a health check', () => {
  it('leaves it out rather than failing it', async () => {
    const verification = parseVerifySettings({
      duration: '5m',
      source: { prometheus: { address: 'http://127.0.0.1:1', timeout: '1s' } },
      metrics: [{ name: 'latency', kind: 'latency', query: 'max by (pod) (latency{${selector}})' }],
      logs: { source: { elasticsearch: { address: 'http://127.0.0.1:1', index: 'logs-*' } }, query: 'app:web' },
    });
    // Every backend has one: this one is taken away for the test.
    const { health } = elasticsearch;
    delete elasticsearch.health;
    try {
      expect((await checkSources(verification, {})).map((source) => source.setting)).toEqual(['source']);
    } finally {
      elasticsearch.health = health;
    }
  });
});
