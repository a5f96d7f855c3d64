import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeLoki } from '../../../test/fakes/loki/server.js';
import { checkSourceHealth, logSourceConfigSchema } from '../registry.js';
import { collectError } from '../../../test/helpers/collect-error.js';

let dir: string;
const fakes: FakeLoki[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rollouts-cv-credentials-'));
});
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((fake) => fake.stop()));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function fake(options: Parameters<typeof FakeLoki.start>[0] = {}): Promise<FakeLoki> {
  const started = await FakeLoki.start(options);
  fakes.push(started);
  return started;
}

const health = (settings: Record<string, unknown>) => checkSourceHealth(logSourceConfigSchema.parse({ loki: { timeout: '2s', ...settings } }), { credentialsDir: dir });


describe('Loki health check', () => {
  it("answers Loki's version from buildinfo, with the tenant and the credentials folder's authorization", async () => {
    const loki = await fake({ authorization: 'Bearer t0ken-s3cret', version: '3.1.1' });
    mkdirSync(join(dir, 'loki'), { recursive: true });
    writeFileSync(join(dir, 'loki', 'address'), loki.url);
    writeFileSync(join(dir, 'loki', 'token'), 't0ken-s3cret');
    await expect(health({ address: loki.url, tenant: 'team-a', credentials: 'loki' })).resolves.toBe(`Loki 3.1.1 at ${loki.url}`);
    expect(loki.requests.map((r) => [r.path, r.headers['x-scope-orgid']])).toEqual([['/loki/api/v1/status/buildinfo', 'team-a']]);
  });

  it('falls back to /ready where buildinfo is not served', async () => {
    const loki = await fake({ version: null });
    await expect(health({ address: loki.url })).resolves.toBe(`Loki at ${loki.url} is ready (it tells no version: no buildinfo)`);
    expect(loki.requests.map((r) => r.path)).toEqual(['/loki/api/v1/status/buildinfo', '/ready']);
  });

  it('names the credentials a gateway refuses, never the secret, and says what answered instead of Loki', async () => {
    const loki = await fake({ authorization: 'Bearer right' });
    mkdirSync(join(dir, 'wrong'), { recursive: true });
    writeFileSync(join(dir, 'wrong', 'address'), loki.url);
    writeFileSync(join(dir, 'wrong', 'token'), 'wr0ng-s3cret');
    const refused = await collectError(health({ address: loki.url, credentials: 'wrong' }));
    expect(refused.message).toBe(`metric "health": Loki at ${loki.url}: HTTP 401: unauthorized (sent with the credentials "wrong")`);
    expect(refused.message).not.toContain('wr0ng-s3cret');

    const frontend = await fake();
    for (let i = 0; i < 3; i++) frontend.failNext(503, 'too many outstanding requests');
    const busy = await collectError(health({ address: frontend.url }));
    expect(busy).toMatchObject({ transient: true, causeText: 'HTTP 503: too many outstanding requests' });
  });

  it('fails naming the source when nothing listens', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    await new Promise((resolve) => server.close(resolve));
    const error = await collectError(health({ address }));
    expect(error.message).toBe(`metric "health": Loki at ${address}: connection refused`);
  });
});
