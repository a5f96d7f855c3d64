import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readDatadogKeys } from './keys.js';

const API_KEY = 'f1e2d3c4b5a60718293a4b5c6d7e8f90';
const APP_KEY = '0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3';
let dir: string;

function folder(name: string, files: Record<string, string>): void {
  mkdirSync(join(dir, name));
  for (const [file, content] of Object.entries(files)) writeFileSync(join(dir, name, file), content);
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(() => undefined, (e: unknown) => e as Error);
  expect(error).toBeInstanceOf(Error);
  expect(error!.message).not.toContain(API_KEY);
  expect(error!.message).not.toContain(APP_KEY);
  return error!.message;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rollouts-cv-datadog-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('readDatadogKeys', () => {
  it('reads both keys, trimming the newline a Secret file may end with, afresh at every call', async () => {
    folder('datadog', { address: 'https://api.datadoghq.eu\n', api_key: `${API_KEY}\n`, app_key: APP_KEY });
    await expect(readDatadogKeys(dir, 'datadog', 'https://api.datadoghq.eu')).resolves.toEqual({ apiKey: API_KEY, appKey: APP_KEY });
    writeFileSync(join(dir, 'datadog', 'app_key'), 'rotated0123');
    await expect(readDatadogKeys(dir, 'datadog', 'https://api.datadoghq.eu')).resolves.toEqual({ apiKey: API_KEY, appKey: 'rotated0123' });
  });

  it('sends the keys only where the folder allows', async () => {
    folder('datadog', { address: 'https://api.datadoghq.com', api_key: API_KEY, app_key: APP_KEY });
    expect(await refusal(readDatadogKeys(dir, 'datadog', 'http://127.0.0.1:9999'))).toBe('credentials "datadog" may be sent only to https://api.datadoghq.com, not to http://127.0.0.1:9999');
    expect(await refusal(readDatadogKeys(dir, 'datadog', 'https://api.datadoghq.com.evil.example'))).toMatch(/may be sent only to/);
  });

  it('explains what is missing or unusable, never the keys', async () => {
    expect(await refusal(readDatadogKeys(undefined, 'datadog', 'https://api.datadoghq.com'))).toBe('credentials "datadog" requested, but the engine runs without --credentials-dir');
    expect(await refusal(readDatadogKeys(dir, '../etc', 'https://api.datadoghq.com'))).toMatch(/is not a Kubernetes name/);
    expect(await refusal(readDatadogKeys(dir, 'absent', 'https://api.datadoghq.com'))).toBe(`credentials "absent" not found: ${join(dir, 'absent', 'address')} does not exist`);
    folder('half', { address: 'https://api.datadoghq.com', api_key: API_KEY });
    expect(await refusal(readDatadogKeys(dir, 'half', 'https://api.datadoghq.com'))).toBe(
      `credentials "half" hold no app_key in ${join(dir, 'half')} (a Datadog source needs an API key and an application key)`,
    );
    folder('broken', { address: 'https://api.datadoghq.com', api_key: `${API_KEY}\r\nX-Injected: 1`, app_key: APP_KEY });
    expect(await refusal(readDatadogKeys(dir, 'broken', 'https://api.datadoghq.com'))).toBe(
      'api_key in credentials "broken" holds characters a request header cannot carry (spaces, line breaks or non-ASCII)',
    );
  });
});
