import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDatadogKeys } from './keys.js';
import { credentialsFolders } from '../../../test/helpers/credentials-folders.js';

const API_KEY = 'f1e2d3c4b5a60718293a4b5c6d7e8f90';
const APP_KEY = '0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3';
const folders = credentialsFolders();

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(() => undefined, (e: unknown) => e as Error);
  expect(error).toBeInstanceOf(Error);
  expect(error!.message).not.toContain(API_KEY);
  expect(error!.message).not.toContain(APP_KEY);
  return error!.message;
}

describe('readDatadogKeys', () => {
  it('reads both keys, trimming the newline a Secret file may end with, afresh at every call', async () => {
    folders.write('datadog', { address: 'https://api.datadoghq.eu\n', api_key: `${API_KEY}\n`, app_key: APP_KEY });
    await expect(readDatadogKeys(folders.dir, 'datadog', 'https://api.datadoghq.eu')).resolves.toMatchObject({ apiKey: API_KEY, appKey: APP_KEY });
    writeFileSync(join(folders.dir, 'datadog', 'app_key'), 'rotated0123');
    await expect(readDatadogKeys(folders.dir, 'datadog', 'https://api.datadoghq.eu')).resolves.toMatchObject({ apiKey: API_KEY, appKey: 'rotated0123' });
  });

  it('sends the keys only where the folder allows', async () => {
    folders.write('datadog', { address: 'https://api.datadoghq.com', api_key: API_KEY, app_key: APP_KEY });
    expect(await refusal(readDatadogKeys(folders.dir, 'datadog', 'http://127.0.0.1:9999'))).toBe('credentials "datadog" may be sent only to https://api.datadoghq.com, not to http://127.0.0.1:9999');
    expect(await refusal(readDatadogKeys(folders.dir, 'datadog', 'https://api.datadoghq.com.evil.example'))).toMatch(/may be sent only to/);
  });

  it('explains what is missing or unusable, never the keys', async () => {
    expect(await refusal(readDatadogKeys(undefined, 'datadog', 'https://api.datadoghq.com'))).toBe('credentials "datadog" requested, but the engine runs without --credentials-dir');
    expect(await refusal(readDatadogKeys(folders.dir, '../etc', 'https://api.datadoghq.com'))).toMatch(/is not a Kubernetes name/);
    expect(await refusal(readDatadogKeys(folders.dir, 'absent', 'https://api.datadoghq.com'))).toBe(`credentials "absent" not found: ${join(folders.dir, 'absent', 'address')} does not exist`);
    folders.write('half', { address: 'https://api.datadoghq.com', api_key: API_KEY });
    expect(await refusal(readDatadogKeys(folders.dir, 'half', 'https://api.datadoghq.com'))).toBe(
      `credentials "half" hold no app_key in ${join(folders.dir, 'half')} (a Datadog source needs an API key and an application key)`,
    );
    folders.write('broken', { address: 'https://api.datadoghq.com', api_key: `${API_KEY}\r\nX-Injected: 1`, app_key: APP_KEY });
    expect(await refusal(readDatadogKeys(folders.dir, 'broken', 'https://api.datadoghq.com'))).toBe(
      'api_key in credentials "broken" holds characters a request header cannot carry (spaces, line breaks or non-ASCII)',
    );
  });

  it("refuses a folder meant for another source rather than half applying it", async () => {
    folders.write('tenant', { address: 'https://api.datadoghq.com', api_key: API_KEY, app_key: APP_KEY, headers: '{"X-Scope-OrgID": "team-a"}' });
    expect(await refusal(readDatadogKeys(folders.dir, 'tenant', 'https://api.datadoghq.com'))).toBe(
      'credentials "tenant" hold headers, which a Datadog source does not take: expected address, api_key and app_key only',
    );
    folders.write('token', { address: 'https://api.datadoghq.com', token: 't0k3n' });
    expect(await refusal(readDatadogKeys(folders.dir, 'token', 'https://api.datadoghq.com'))).toBe(
      'credentials "token" hold token, which a Datadog source does not take: expected address, api_key and app_key only',
    );
  });

  it('lists both keys as the secrets a message must leave out', async () => {
    folders.write('datadog', { address: 'https://api.datadoghq.com', api_key: API_KEY, app_key: APP_KEY });
    expect((await readDatadogKeys(folders.dir, 'datadog', 'https://api.datadoghq.com')).secrets).toEqual([API_KEY, APP_KEY]);
  });
});
