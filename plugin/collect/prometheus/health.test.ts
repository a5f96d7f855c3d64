import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakePrometheus } from '../../../test/fakes/prometheus/server.js';
import { findPrometheus, startLocalPrometheus, type LocalPrometheus } from '../../demo/local-prometheus.js';
import { checkSourceHealth, sourceConfigSchema } from '../registry.js';
import { collectError } from '../../../test/helpers/collect-error.js';

let dir: string;
const fakes: FakePrometheus[] = [];

function credential(name: string, files: Record<string, string>): void {
  rmSync(join(dir, name), { recursive: true, force: true });
  mkdirSync(join(dir, name));
  for (const [file, content] of Object.entries(files)) writeFileSync(join(dir, name, file), content);
}

const health = (settings: Record<string, unknown>) => checkSourceHealth(sourceConfigSchema.parse({ prometheus: { timeout: '2s', ...settings } }), { credentialsDir: dir });


async function fake(options: Parameters<typeof FakePrometheus.start>[0]): Promise<FakePrometheus> {
  const started = await FakePrometheus.start(options);
  fakes.push(started);
  return started;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rollouts-cv-credentials-'));
});

afterEach(async () => {
  await Promise.all(fakes.splice(0).map((running) => running.stop()));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Prometheus health check', () => {
  it("answers the server's version from buildinfo, sent with the credentials folder's token and the config's headers", async () => {
    const prometheus = await fake({ auth: { kind: 'bearer', token: 't0ken-s3cret' }, version: '2.53.3' });
    credential('prom', { address: prometheus.address, token: 't0ken-s3cret' });
    await expect(health({ address: prometheus.address, credentials: 'prom', headers: { 'X-Team': 'web' } })).resolves.toBe(`Prometheus 2.53.3 at ${prometheus.address}`);
    expect(prometheus.journal.map((entry) => [entry.path, entry.status, entry.headers['x-team']])).toEqual([['/api/v1/status/buildinfo', 200, 'web']]);
  });

  it('names the credentials folder a server refuses, never the secret', async () => {
    const prometheus = await fake({ auth: { kind: 'bearer', token: 'right' } });
    credential('prom', { address: prometheus.address, token: 'wr0ng-s3cret' });
    const error = await collectError(health({ address: prometheus.address, credentials: 'prom' }));
    expect(error.message).toBe(`metric "health": Prometheus at ${prometheus.address}: HTTP 401: the backend refused credentials "prom" (it says: Unauthorized)`);
    const anonymous = await collectError(health({ address: prometheus.address }));
    expect(anonymous.causeText).toContain('name a credentials folder in credentials');
  });

  it('checks the query API with vector(1) where no buildinfo is served, and with SigV4 credentials (signed POSTs only)', async () => {
    const mimir = await fake({ prefix: '/prometheus', tenants: { 'team-a': [] }, version: null });
    await expect(health({ address: mimir.address, headers: { 'X-Scope-OrgID': 'team-a' } })).resolves.toBe(`Prometheus-compatible query API at ${mimir.address} (it tells no version: no buildinfo)`);
    expect(mimir.journal.map((entry) => [entry.path, entry.status, entry.form.get('query')])).toEqual([
      ['/prometheus/api/v1/status/buildinfo', 404, null],
      ['/prometheus/api/v1/query', 200, 'vector(1)'],
    ]);

    const keys = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'aws-s3cret-key' };
    const amp = await fake({ prefix: '/workspaces/ws-1', auth: { kind: 'sigv4', region: 'us-west-2', keys: [keys] }, version: null });
    credential('amp', { address: amp.address, aws_access_key_id: keys.accessKeyId, aws_secret_access_key: keys.secretAccessKey, aws_region: 'us-west-2' });
    await expect(health({ address: amp.address, credentials: 'amp' })).resolves.toContain('Prometheus-compatible query API');
    expect(amp.journal.map((entry) => [entry.path, entry.status])).toEqual([['/workspaces/ws-1/api/v1/query', 200]]);
  });

  it('says what answered when it is not a Prometheus API, without quoting its body', async () => {
    const server = createHttpServer((_request, response) => response.writeHead(200, { 'content-type': 'text/html' }).end('<html>sign in</html>\r\n'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const error = await collectError(health({ address }));
      expect(error.causeText).toBe('HTTP 200, not a Prometheus API response (text/html, 22 bytes)');
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('fails naming the source when nothing listens, and a credentials folder the address is not allowed for', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    await new Promise((resolve) => server.close(resolve));
    const error = await collectError(health({ address }));
    expect(error.message).toBe(`metric "health": Prometheus at ${address}: connection refused`);

    credential('elsewhere', { address: 'https://other.example', token: 't0ken-s3cret' });
    const misplaced = await collectError(health({ address, credentials: 'elsewhere' }));
    expect(misplaced.causeText).toContain('credentials "elsewhere" may be sent only to https://other.example');
    expect(misplaced.message).not.toContain('t0ken-s3cret');
  });
});

// The real server, where it is installed (CI installs it, scripts/setup.sh).
let installed = true;
try {
  findPrometheus();
} catch {
  installed = false;
}

describe.skipIf(!installed && !['true', '1'].includes(process.env.CI ?? ''))('Prometheus health check against a real Prometheus', () => {
  let prometheus: LocalPrometheus | undefined;
  beforeAll(async () => {
    prometheus = await startLocalPrometheus({});
  }, 60_000);
  afterAll(async () => prometheus?.stop());

  it('answers its version', async () => {
    await expect(health({ address: prometheus!.url })).resolves.toMatch(new RegExp(`^Prometheus \\d+\\.\\d+\\.\\d+\\S* at ${prometheus!.url.replace(/[.]/g, '\\.')}$`));
  });
});
