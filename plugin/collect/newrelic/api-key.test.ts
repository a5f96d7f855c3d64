import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiKeyFor } from './api-key.js';

const ENDPOINT = 'https://api.newrelic.com/graphql';
let dir: string;

function credential(name: string, files: Record<string, string>): void {
  mkdirSync(join(dir, name));
  for (const [file, content] of Object.entries(files)) writeFileSync(join(dir, name, file), content);
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rollouts-cv-credentials-'));
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('apiKeyFor', () => {
  it('reads the key afresh each time, trimming the newline a Secret file may end with', async () => {
    credential('newrelic', { address: 'https://api.newrelic.com\n', api_key: 'NRAK-OLD\n' });
    await expect(apiKeyFor(dir, 'newrelic', ENDPOINT)).resolves.toBe('NRAK-OLD');
    writeFileSync(join(dir, 'newrelic', 'api_key'), 'NRAK-NEW');
    await expect(apiKeyFor(dir, 'newrelic', ENDPOINT)).resolves.toBe('NRAK-NEW');
  });

  it('sends the key only where the folder allows, without repeating it', async () => {
    credential('newrelic', { address: 'https://api.eu.newrelic.com/graphql', api_key: 'NRAK-SECRET' });
    const failure = apiKeyFor(dir, 'newrelic', ENDPOINT);
    await expect(failure).rejects.toThrow('credentials "newrelic" may be sent only to https://api.eu.newrelic.com/graphql, not to https://api.newrelic.com/graphql');
    await expect(failure).rejects.not.toThrow('NRAK-SECRET');
  });

  it('explains what is missing, naming files and never their content', async () => {
    await expect(apiKeyFor(undefined, 'newrelic', ENDPOINT)).rejects.toThrow('the engine runs without --credentials-dir');
    await expect(apiKeyFor(dir, '../etc', ENDPOINT)).rejects.toThrow('is not a Kubernetes name');
    await expect(apiKeyFor(dir, 'absent', ENDPOINT)).rejects.toThrow(`credentials "absent" not found: ${join(dir, 'absent', 'address')} does not exist`);
    credential('empty', { address: ENDPOINT, api_key: '\n' });
    await expect(apiKeyFor(dir, 'empty', ENDPOINT)).rejects.toThrow('credentials "empty" hold nothing to use');
    credential('two-lines', { address: ENDPOINT, api_key: 'NRAK-ONE\nNRAK-TWO' });
    const failure = apiKeyFor(dir, 'two-lines', ENDPOINT);
    await expect(failure).rejects.toThrow('api_key in credentials "two-lines" holds characters a request header cannot carry');
    await expect(failure).rejects.not.toThrow('NRAK-ONE');
  });

  it("refuses a folder meant for another source rather than half applying it", async () => {
    credential('prometheus', { address: ENDPOINT, token: 't0ken' });
    await expect(apiKeyFor(dir, 'prometheus', ENDPOINT)).rejects.toThrow('credentials "prometheus" hold token, which New Relic does not take: expected address and api_key (a New Relic User key, NRAK-…) only');
    credential('tenant', { address: ENDPOINT, api_key: 'NRAK-KEY', headers: '{"X-Scope-OrgID": "team-a"}' });
    await expect(apiKeyFor(dir, 'tenant', ENDPOINT)).rejects.toThrow('credentials "tenant" hold headers, which New Relic does not take');
  });
});
