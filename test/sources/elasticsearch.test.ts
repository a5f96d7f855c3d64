// The Elasticsearch and OpenSearch log sources end to end, as the engine builds them: a verification's `logs:`
// config parsed (the source's settings, its query and fields checked in its dialect), the source made by the
// registry, and lines read from a fake cluster (test/fakes/elasticsearch) holding a canary's and a baseline's
// Kubernetes logs as Filebeat ships them (ECS fields), with another ReplicaSet's and another app's lines beside
// them. Security is on: each product's authentication (basic, API key), a role that may read only some indices,
// TLS with a private CA from the credentials folder. No secret may appear in any message or description.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogSource, logSourceConfigSchema } from '../../plugin/collect/registry.js';
import { RequestQueue } from '../../plugin/collect/request-queue.js';
import type { LogGroupSelection, LogSource } from '../../plugin/collect/source.js';
import { collectError } from '../helpers/collect-error.js';
import { logsSchema } from '../../plugin/config/logs.js';
import type { Json } from '../fakes/elasticsearch/query-dsl.js';
import { FakeSearch, type Product } from '../fakes/elasticsearch/server.js';
import { makeTestCa, type TestCa } from '../fakes/prometheus/ca.js';

const T0 = Date.parse('2026-03-01T12:00:00Z');
const CANARY = '6f9c8d7b5';
const BASELINE = '5d8b9c6f4';
const PASSWORD = 'pw-s3cret-7Hq2';
const API_KEY = 'VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==';
const HASH_FIELD = 'kubernetes.labels.rollouts-pod-template-hash';

/** A Filebeat-shipped line of pod `pod` (of ReplicaSet `hash`) at `seconds` after T0. */
function line(app: string, hash: string, suffix: string, seconds: number, message: string, level = 'info'): Record<string, Json> {
  return {
    '@timestamp': new Date(T0 + seconds * 1000).toISOString(),
    message,
    log: { level },
    'kubernetes.namespace': 'shop',
    kubernetes: { pod: { name: `${app}-${hash}-${suffix}` }, labels: { app, 'rollouts-pod-template-hash': hash } },
  };
}

const DOCS = [
  ...Array.from({ length: 12 }, (_, i) => line('web', CANARY, 'x2k4p', 5 + i * 5, i % 4 === 0 ? `GET /orders/${i} 500 upstream timeout` : `GET /orders/${i} 200`, i % 4 === 0 ? 'error' : 'info')),
  ...Array.from({ length: 20 }, (_, i) => line('web', BASELINE, 'a1b2c', 3 + i * 3, `GET /orders/${i} 200`)),
  line('web', '9f8e7d6c5', 'zzzzz', 30, 'another ReplicaSet'),
  line('worker', CANARY, 'q8m3n', 30, 'another app, same hash'),
  line('web', CANARY, 'x2k4p', 61, 'after the window'),
];

let dir: string;
let ca: TestCa;
const fakes: FakeSearch[] = [];

beforeAll(async () => {
  ca = await makeTestCa();
});

afterEach(async () => {
  await Promise.all(fakes.splice(0).map((fake) => fake.close()));
  rmSync(dir, { recursive: true, force: true });
});

async function cluster(product: Product, tls = false): Promise<FakeSearch> {
  dir = mkdtempSync(join(tmpdir(), 'rollouts-cv-es-'));
  const fake = await FakeSearch.start({
    product,
    users: [
      { username: 'rollouts-cv', password: PASSWORD, indices: ['logs-*'] },
      { username: 'audit-only', password: PASSWORD, indices: ['audit-*'] },
    ],
    apiKeys: [{ key: API_KEY, indices: ['logs-*'] }],
    ...(tls && { tls: { key: ca.key, cert: ca.cert } }),
  });
  fakes.push(fake);
  fake.index('logs-shop-2026.03.01', DOCS);
  fake.index('audit-2026.03.01', [line('web', CANARY, 'x2k4p', 10, 'an audit record')]);
  return fake;
}

function credentials(name: string, files: Record<string, string>): void {
  mkdirSync(join(dir, name));
  for (const [file, content] of Object.entries(files)) writeFileSync(join(dir, name, file), `${content}\n`);
}

/** The source a verification's `logs:` makes, parsed as the engine parses it. */
function logs(product: Product, settings: Record<string, unknown>, overrides: Record<string, unknown> = {}) {
  return logsSchema.parse({
    source: { [product]: { index: 'logs-*', levelField: 'log.level', ...settings } },
    query: 'kubernetes.namespace:shop AND kubernetes.labels.app:web',
    instanceField: 'kubernetes.pod.name',
    hashField: HASH_FIELD,
    ...overrides,
  });
}

function sourceOf(config: ReturnType<typeof logs>): LogSource {
  return createLogSource(config.source, { credentialsDir: dir, queue: new RequestQueue() });
}

function group(config: ReturnType<typeof logs>, podTemplateHash: string): LogGroupSelection {
  return { podTemplateHash, selectBy: config.selectBy, hashField: config.hashField, instanceField: config.instanceField };
}

const window = { start: new Date(T0), end: new Date(T0 + 60_000) };

describe.each(['elasticsearch', 'opensearch'] as const)('%s logs, end to end', (product) => {
  it("reads the canary's and the baseline's lines of the window, by pod name and by hash label", async () => {
    const fake = await cluster(product);
    credentials('shop-logs', { address: fake.address, username: 'rollouts-cv', password: PASSWORD });
    for (const selectBy of ['podName', 'label'] as const) {
      const config = logs(product, { address: fake.address, credentials: 'shop-logs', pageSize: 5 }, { selectBy });
      const source = sourceOf(config);
      const canary = await source.fetchLogs({ query: config.query, group: group(config, CANARY), ...window, limit: config.maxLines });
      const baseline = await source.fetchLogs({ query: config.query, group: group(config, BASELINE), ...window, limit: config.maxLines });
      expect([canary.total, baseline.total], selectBy).toEqual([12, 20]);
      expect(canary.lines.map((l) => l.time)).toEqual(Array.from({ length: 12 }, (_, i) => T0 + (60 - i * 5) * 1000));
      expect(new Set(canary.lines.map((l) => l.instance))).toEqual(new Set([`web-${CANARY}-x2k4p`]));
      expect(canary.lines.filter((l) => l.level === 'error').map((l) => l.message)).toEqual(['GET /orders/8 500 upstream timeout', 'GET /orders/4 500 upstream timeout', 'GET /orders/0 500 upstream timeout']);
      expect(new Set(baseline.lines.map((l) => l.instance))).toEqual(new Set([`web-${BASELINE}-a1b2c`]));
      expect([canary.warnings, baseline.warnings]).toEqual([[], []]);
    }
    expect(sourceOf(logs(product, { address: fake.address })).description).toBe(`${product === 'elasticsearch' ? 'Elasticsearch' : 'OpenSearch'} at ${fake.address}, index logs-*`);
  });

  it('reads a sample at the line limit, saying how many lines there were', async () => {
    const fake = await cluster(product);
    credentials('shop-logs', { address: fake.address, api_key: API_KEY });
    const config = logs(product, { address: fake.address, credentials: 'shop-logs' }, { maxLines: 100 });
    const fetched = await sourceOf(config).fetchLogs({ query: config.query, group: group(config, BASELINE), ...window, limit: 7 });
    expect(fetched.lines).toHaveLength(7);
    expect(fetched.total).toBe(20);
    expect(fake.requests.every((r) => r.headers.authorization === `ApiKey ${API_KEY}`)).toBe(true);
  });

  it('names the credentials folder the cluster refused, and never a secret', async () => {
    const fake = await cluster(product);
    credentials('wrong-password', { address: fake.address, username: 'rollouts-cv', password: 'not-it-s3cret' });
    credentials('audit-reader', { address: fake.address, username: 'audit-only', password: PASSWORD });
    const messages: string[] = [];

    let error = await collectError(sourceOf(logs(product, { address: fake.address })).fetchLogs({ query: 'x', group: group(logs(product, { address: fake.address }), CANARY), ...window, limit: 10 }));
    expect(error.message).toContain('HTTP 401: ');
    expect(error.message).toContain('requests without credentials (name a credentials folder in credentials)');
    messages.push(error.message);

    error = await collectError(sourceOf(logs(product, { address: fake.address, credentials: 'wrong-password' })).fetchLogs({ query: 'x', group: group(logs(product, { address: fake.address }), CANARY), ...window, limit: 10 }));
    expect(error.message).toContain(`HTTP 401: ${product === 'elasticsearch' ? 'Elasticsearch' : 'OpenSearch'} refused credentials "wrong-password"`);
    expect(error.transient).toBe(false);
    messages.push(error.message);

    const audit = logs(product, { address: fake.address, credentials: 'audit-reader', index: 'logs-shop-2026.03.01' });
    error = await collectError(sourceOf(audit).fetchLogs({ query: 'x', group: group(audit, CANARY), ...window, limit: 10 }));
    expect(error.message).toContain('HTTP 403: ');
    expect(error.message).toContain('denies this search to credentials "audit-reader" (it says: security_exception:');
    messages.push(error.message);

    for (const message of messages) {
      for (const secret of [PASSWORD, 'not-it-s3cret', Buffer.from(`rollouts-cv:${PASSWORD}`).toString('base64')]) expect(message).not.toContain(secret);
    }
  });

  it('sends no credential to an address its folder does not allow, nor a folder of AWS keys', async () => {
    const fake = await cluster(product);
    credentials('elsewhere', { address: 'https://logs.example', api_key: API_KEY });
    credentials('aws', { address: fake.address, aws_access_key_id: 'AKIDEXAMPLE', aws_secret_access_key: 'aws-s3cret-key', aws_region: 'eu-west-1' });
    let error = await collectError(sourceOf(logs(product, { address: fake.address, credentials: 'elsewhere' })).fetchLogs({ query: 'x', group: group(logs(product, { address: fake.address }), CANARY), ...window, limit: 10 }));
    expect(error.message).toContain(`credentials "elsewhere" may be sent only to https://logs.example, not to ${fake.address}`);
    error = await collectError(sourceOf(logs(product, { address: fake.address, credentials: 'aws' })).fetchLogs({ query: 'x', group: group(logs(product, { address: fake.address }), CANARY), ...window, limit: 10 }));
    expect(error.message).toContain('credentials "aws" hold aws_* files, but');
    expect(error.message).not.toContain('aws-s3cret-key');
    expect(fake.requests).toEqual([]);
  });

  it('trusts the private CA of the credentials folder, and says where one goes when it is missing', async () => {
    const fake = await cluster(product, true);
    credentials('no-ca', { address: fake.address, username: 'rollouts-cv', password: PASSWORD });
    credentials('with-ca', { address: fake.address, username: 'rollouts-cv', password: PASSWORD, 'ca.crt': ca.ca });
    const config = logs(product, { address: fake.address, credentials: 'with-ca' });
    const fetched = await sourceOf(config).fetchLogs({ query: config.query, group: group(config, CANARY), ...window, limit: 100 });
    expect(fetched.total).toBe(12);

    const untrusted = logs(product, { address: fake.address, credentials: 'no-ca', timeout: '2s' });
    const error = await collectError(sourceOf(untrusted).fetchLogs({ query: untrusted.query, group: group(untrusted, CANARY), ...window, limit: 100 }));
    expect(error.message).toContain("TLS: the server's certificate is not trusted (unable to verify the first certificate); for a private CA, put its certificate in the credentials folder's ca.crt (query");
    expect(error.transient).toBe(false);
    expect(error.message).not.toContain(PASSWORD);
  });

  it('reports config mistakes at their path, in the dialect of the source', () => {
    const parsed = logsSchema.safeParse({
      source: { [product]: { address: 'http://es:9200', index: 'Logs-*', timeField: 'time*', pageSize: 20_000 } },
      query: 'app:web AND (',
      instanceField: 'kubernetes pod',
    });
    expect(parsed.success).toBe(false);
    const issues = parsed.error!.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^source\\.${product}\\.index: expected an index name or pattern .*"Logs-\\*" has upper-case letters`)),
        expect.stringMatching(new RegExp(`^source\\.${product}\\.timeField: expected a field name`)),
        expect.stringMatching(new RegExp(`^source\\.${product}\\.pageSize: expected at most 10000 lines`)),
      ]),
    );
    // A source that did not parse leaves its dialect unknown; with valid settings the query and fields are checked.
    const query = logsSchema.safeParse({ source: { [product]: { address: 'http://es:9200', index: 'logs-*' } }, query: 'app:web AND (', instanceField: 'kubernetes pod' });
    expect(query.error!.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`)).toEqual([
      'query: is not a query string Elasticsearch can parse: 1 ( is never closed',
      'instanceField: expected a field name such as kubernetes.pod.name (letters, digits, _ @ / -, parts joined by single dots); got "kubernetes pod"',
    ]);
  });

  it('parses as a `logs.source` kind of its own', () => {
    expect(logSourceConfigSchema.parse({ [product]: { address: 'http://es:9200', index: 'logs-*' } })).toEqual({
      kind: product,
      settings: { address: 'http://es:9200', index: 'logs-*', timeField: '@timestamp', messageField: 'message', timeout: 10_000, pageSize: 1000 },
    });
  });
});
