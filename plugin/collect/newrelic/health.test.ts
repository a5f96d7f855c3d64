import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeNewRelic } from '../../../test/fakes/newrelic/server.js';
import { collectError } from '../../../test/helpers/collect-error.js';
import { checkSourceHealth, sourceConfigSchema } from '../registry.js';
import { ACCOUNT_DOCUMENT } from './health.js';

let fake: FakeNewRelic;
let dir: string;

function folder(name: string, address: string, apiKey: string): void {
  mkdirSync(join(dir, name));
  writeFileSync(join(dir, name, 'address'), `${address}\n`);
  writeFileSync(join(dir, name, 'api_key'), `${apiKey}\n`);
}

beforeEach(async () => {
  fake = await FakeNewRelic.start({ accountName: 'Shop Production' });
  dir = mkdtempSync(join(tmpdir(), 'rollouts-cv-newrelic-'));
});

afterEach(async () => {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

const health = (settings: Record<string, unknown>) =>
  checkSourceHealth(sourceConfigSchema.parse({ newrelic: { accountId: fake.accountId, credentials: 'newrelic', address: fake.url, timeout: '5s', ...settings } }), { credentialsDir: dir });

describe('New Relic health check', () => {
  it("answers the account's name, asked with the account as a GraphQL variable and the folder's User key", async () => {
    folder('newrelic', fake.url, fake.apiKey);
    await expect(health({ region: 'eu' })).resolves.toBe(`New Relic account ${fake.accountId} (Shop Production) reachable in region eu`);
    expect(fake.journal.map(({ apiKey, document, variables, status }) => ({ apiKey, document, variables, status }))).toEqual([
      { apiKey: fake.apiKey, document: ACCOUNT_DOCUMENT, variables: { accountId: fake.accountId }, status: 200 },
    ]);
  });

  it('names the credentials folder whose key New Relic refuses, never the key', async () => {
    folder('stale', fake.url, 'NRAK-STALE0S3CRET0KEY');
    const error = await collectError(health({ credentials: 'stale' }));
    expect(error.source).toBe(`New Relic account ${fake.accountId} (${fake.url})`);
    expect(error.transient).toBe(false);
    expect(error.causeText).toMatch(/^HTTP 401: New Relic refused the User key of credentials "stale" for account 1234567;/);
    expect(error.message).not.toContain('S3CRET');
  });

  it('says that the key has no access to an account it cannot see', async () => {
    folder('newrelic', fake.url, fake.apiKey);
    const error = await collectError(health({ accountId: 7_654_321 }));
    expect(error.transient).toBe(false);
    expect(error.causeText).toMatch(/^HTTP 200 FORBIDDEN: New Relic refused the User key of credentials "newrelic" for account 7654321; .* of a user with access to the account$/);
  });

  it("shows a hostile account name on one clipped line, and only the shape of a page that is not NerdGraph's", async () => {
    const hostile = await FakeNewRelic.start({ accountName: `evil\n${'x'.repeat(500)}` });
    try {
      folder('newrelic', hostile.url, hostile.apiKey);
      const line = await health({ address: hostile.url });
      expect(line).not.toContain('\n');
      expect(line.length).toBeLessThan(200);
      hostile.inject('login-page');
      const error = await collectError(health({ address: hostile.url }));
      expect(error.causeText).toBe('HTTP 200, not a NerdGraph response (text/html, 50 bytes)');
    } finally {
      await hostile.close();
    }
  });

  it('fails naming the source when nothing listens', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = `http://127.0.0.1:${(server.address() as { port: number }).port}/graphql`;
    await new Promise((resolve) => server.close(resolve));
    folder('newrelic', address, fake.apiKey);
    const error = await collectError(health({ address }));
    expect(error.message).toBe(`metric "health": New Relic account ${fake.accountId} (${address}): connection refused`);
  });
});
