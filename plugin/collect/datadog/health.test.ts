import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeDatadog, VALIDATE_PATH } from '../../../test/fakes/datadog/server.js';
import { checkSourceHealth, sourceConfigSchema } from '../registry.js';
import { collectError } from '../../../test/helpers/collect-error.js';

let fake: FakeDatadog;
let dir: string;

function folder(name: string, address: string, apiKey: string, appKey = fake.appKey): void {
  mkdirSync(join(dir, name));
  writeFileSync(join(dir, name, 'address'), `${address}\n`);
  writeFileSync(join(dir, name, 'api_key'), `${apiKey}\n`);
  writeFileSync(join(dir, name, 'app_key'), `${appKey}\n`);
}

beforeEach(async () => {
  fake = await FakeDatadog.start();
  dir = mkdtempSync(join(tmpdir(), 'rollouts-cv-datadog-'));
});

afterEach(async () => {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

const health = (address: string, credentials: string) => checkSourceHealth(sourceConfigSchema.parse({ datadog: { address, credentials, timeout: '2s' } }), { credentialsDir: dir });


describe('Datadog health check', () => {
  it('validates the API key of the credentials folder, and says that the application key is checked by the first query', async () => {
    folder('datadog', fake.url, fake.apiKey);
    await expect(health(fake.url, 'datadog')).resolves.toBe(`Datadog API key valid (${fake.url}); the application key is checked by the first query`);
    expect(fake.requestsTo(VALIDATE_PATH).map((r) => r.headers['dd-api-key'])).toEqual([fake.apiKey]);
  });

  it('names the credentials folder whose API key Datadog refuses, never the key', async () => {
    folder('stale', fake.url, 'd34db33fd34db33fd34db33fd34db33f');
    const error = await collectError(health(fake.url, 'stale'));
    expect(error.source).toBe(`Datadog at ${fake.url}`);
    expect(error.causeText).toMatch(/^HTTP 403: Forbidden \(the keys in credentials "stale" were refused/);
    expect(error.message).not.toContain('d34db33f');
  });

  it('fails naming the source when nothing listens', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    await new Promise((resolve) => server.close(resolve));
    folder('datadog', address, fake.apiKey);
    const error = await collectError(health(address, 'datadog'));
    expect(error.message).toBe(`metric "health": Datadog at ${address}: connection refused`);
  });
});
