import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeSearch, type FakeSearchOptions, type Product } from '../../../test/fakes/elasticsearch/server.js';
import { collectError } from '../../../test/helpers/collect-error.js';
import { checkSourceHealth, logSourceConfigSchema } from '../registry.js';

const PASSWORD = 'pw-s3cret-7Hq2';
const USERS = [
  { username: 'admin', password: PASSWORD, indices: ['*'] },
  { username: 'reader', password: PASSWORD, indices: ['logs-*'], monitor: false },
];

let dir: string;
const fakes: FakeSearch[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rollouts-cv-es-health-'));
});
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((fake) => fake.close()));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function fake(options: FakeSearchOptions): Promise<FakeSearch> {
  const started = await FakeSearch.start(options);
  fakes.push(started);
  return started;
}

/** Credentials folder `name` allowed for `address`, with basic authentication. */
function folder(name: string, address: string, username: string, password: string): void {
  mkdirSync(join(dir, name), { recursive: true });
  writeFileSync(join(dir, name, 'address'), address);
  writeFileSync(join(dir, name, 'username'), username);
  writeFileSync(join(dir, name, 'password'), password);
}

const health = (kind: Product, settings: Record<string, unknown>) => checkSourceHealth(logSourceConfigSchema.parse({ [kind]: { index: 'logs-*', timeout: '2s', ...settings } }), { credentialsDir: dir });

describe.each([
  ['elasticsearch', 'Elasticsearch', '8.15.0'],
  ['opensearch', 'OpenSearch', '2.19.1'],
] as const)('%s health check', (product, title, version) => {
  it("answers the product, version and cluster name from GET /, with the credentials folder's authentication", async () => {
    const cluster = await fake({ product, version, users: USERS });
    folder('admin', cluster.address, 'admin', PASSWORD);
    await expect(health(product, { address: cluster.address, credentials: 'admin' })).resolves.toBe(`${title} ${version} (cluster fake-cluster) at ${cluster.address}`);
    expect(cluster.requests.map((r) => [r.method, r.path, r.headers.authorization?.split(' ')[0]])).toEqual([['GET', '/', 'Basic']]);
  });

  it('names the credentials folder the cluster refuses, never the password', async () => {
    const cluster = await fake({ product, users: USERS });
    folder('stale', cluster.address, 'admin', 'wr0ng-s3cret');
    const error = await collectError(health(product, { address: cluster.address, credentials: 'stale' }));
    expect(error.source).toBe(`${title} at ${cluster.address}`);
    expect(error.transient).toBe(false);
    expect(error.causeText).toMatch(new RegExp(`^HTTP 401: ${title} refused credentials "stale" \\(it says: `));
    expect(error.message).not.toContain('wr0ng-s3cret');
  });

  it('reports a user the cluster authenticates but denies its info as reached, without a version', async () => {
    const cluster = await fake({ product, users: USERS });
    folder('reader', cluster.address, 'reader', PASSWORD);
    const line = await health(product, { address: cluster.address, credentials: 'reader' });
    expect(line).toMatch(new RegExp(`^${title} at ${cluster.address} takes credentials "reader", which may not read its version \\(GET /, which needs `));
  });

  it('fails naming the source when nothing listens', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    await new Promise((resolve) => server.close(resolve));
    const error = await collectError(health(product, { address }));
    expect(error.source).toBe(`${title} at ${address}`);
    expect(error.transient).toBe(true);
    expect(error.causeText).toContain('ECONNREFUSED');
  });

  it("refuses a proxy's page answering 200, telling only its shape", async () => {
    const cluster = await fake({ product });
    cluster.injected.push({ status: 200, body: { session: 's3cret' }, headers: { 'x-elastic-product': 'Elasticsearch' } });
    const error = await collectError(health(product, { address: cluster.address }));
    expect(error.causeText).toBe(`HTTP 200, not ${title}'s info (GET /)`);
    expect(error.message).not.toContain('s3cret');
  });
});

describe('the product a source names', () => {
  it('tells an OpenSearch server behind source.elasticsearch as a search does', async () => {
    const cluster = await fake({ product: 'opensearch' });
    const error = await collectError(health('elasticsearch', { address: cluster.address }));
    expect(error.causeText).toBe('the server did not identify itself as Elasticsearch (no X-Elastic-Product header): for OpenSearch, use source.opensearch');
  });

  it('tells an Elasticsearch server behind source.opensearch', async () => {
    const cluster = await fake({ product: 'elasticsearch' });
    const error = await collectError(health('opensearch', { address: cluster.address }));
    expect(error.causeText).toBe('the server is not OpenSearch (its info names no distribution "opensearch"): for Elasticsearch, use source.elasticsearch');
  });

  it('shows a hostile cluster name on one clipped line', async () => {
    const cluster = await fake({ product: 'elasticsearch' });
    cluster.injected.push({ status: 200, body: { cluster_name: `evil\n${'x'.repeat(500)}`, version: { number: '8.15.0' } } });
    const line = await health('elasticsearch', { address: cluster.address });
    expect(line).not.toContain('\n');
    expect(line.length).toBeLessThan(200);
  });
});
