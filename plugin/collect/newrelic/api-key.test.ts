import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { apiKeyFor } from './api-key.js';
import { credentialsFolders } from '../../../test/helpers/credentials-folders.js';

const ENDPOINT = 'https://api.newrelic.com/graphql';
const folders = credentialsFolders();

describe('apiKeyFor', () => {
  it('reads the key afresh each time, trimming the newline a Secret file may end with', async () => {
    folders.write('newrelic', { address: 'https://api.newrelic.com\n', api_key: 'NRAK-OLD\n' });
    await expect(apiKeyFor(folders.dir, 'newrelic', ENDPOINT)).resolves.toBe('NRAK-OLD');
    writeFileSync(join(folders.dir, 'newrelic', 'api_key'), 'NRAK-NEW');
    await expect(apiKeyFor(folders.dir, 'newrelic', ENDPOINT)).resolves.toBe('NRAK-NEW');
  });

  it('sends the key only where the folder allows, without repeating it', async () => {
    folders.write('newrelic', { address: 'https://api.eu.newrelic.com/graphql', api_key: 'NRAK-SECRET' });
    const failure = apiKeyFor(folders.dir, 'newrelic', ENDPOINT);
    await expect(failure).rejects.toThrow('credentials "newrelic" may be sent only to https://api.eu.newrelic.com/graphql, not to https://api.newrelic.com/graphql');
    await expect(failure).rejects.not.toThrow('NRAK-SECRET');
  });

  it('explains what is missing, naming files and never their content', async () => {
    await expect(apiKeyFor(undefined, 'newrelic', ENDPOINT)).rejects.toThrow('the engine runs without --credentials-dir');
    await expect(apiKeyFor(folders.dir, '../etc', ENDPOINT)).rejects.toThrow('is not a Kubernetes name');
    await expect(apiKeyFor(folders.dir, 'absent', ENDPOINT)).rejects.toThrow(`credentials "absent" not found: ${join(folders.dir, 'absent', 'address')} does not exist`);
    folders.write('empty', { address: ENDPOINT, api_key: '\n' });
    await expect(apiKeyFor(folders.dir, 'empty', ENDPOINT)).rejects.toThrow('credentials "empty" hold nothing to use');
    folders.write('two-lines', { address: ENDPOINT, api_key: 'NRAK-ONE\nNRAK-TWO' });
    const failure = apiKeyFor(folders.dir, 'two-lines', ENDPOINT);
    await expect(failure).rejects.toThrow('api_key in credentials "two-lines" holds characters a request header cannot carry');
    await expect(failure).rejects.not.toThrow('NRAK-ONE');
  });

  it("refuses a folder meant for another source rather than half applying it", async () => {
    folders.write('prometheus', { address: ENDPOINT, token: 't0ken' });
    await expect(apiKeyFor(folders.dir, 'prometheus', ENDPOINT)).rejects.toThrow('credentials "prometheus" hold token, which New Relic does not take: expected address and api_key (a New Relic User key, NRAK-…) only');
    folders.write('tenant', { address: ENDPOINT, api_key: 'NRAK-KEY', headers: '{"X-Scope-OrgID": "team-a"}' });
    await expect(apiKeyFor(folders.dir, 'tenant', ENDPOINT)).rejects.toThrow('credentials "tenant" hold headers, which New Relic does not take');
    folders.write('datadog', { address: ENDPOINT, api_key: 'NRAK-KEY', app_key: 'app-key' });
    await expect(apiKeyFor(folders.dir, 'datadog', ENDPOINT)).rejects.toThrow('credentials "datadog" hold app_key, which New Relic does not take');
  });
});
