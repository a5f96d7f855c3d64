import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { authorizationFor, isWithin } from './credentials.js';

let dir: string;

function credential(name: string, files: Record<string, string>): void {
  mkdirSync(join(dir, name));
  for (const [file, content] of Object.entries(files)) writeFileSync(join(dir, name, file), content);
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rollouts-cv-credentials-'));
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('isWithin', () => {
  it('accepts the same origin under the allowed path', () => {
    expect(isWithin('https://prom.example:9090', 'https://prom.example:9090')).toBe(true);
    expect(isWithin('https://thanos.example/prometheus', 'https://thanos.example/')).toBe(true);
    expect(isWithin('https://thanos.example/prometheus/', 'https://thanos.example/prometheus')).toBe(true);
  });

  it('refuses look-alike hosts, other ports, schemes and paths', () => {
    expect(isWithin('http://prom:9090.evil.example', 'http://prom:9090')).toBe(false);
    expect(isWithin('http://prom.evil.example:9090', 'http://prom:9090')).toBe(false);
    expect(isWithin('http://prom:9091', 'http://prom:9090')).toBe(false);
    expect(isWithin('http://prom:443', 'https://prom')).toBe(false);
    expect(isWithin('https://thanos.example/prometheus-other', 'https://thanos.example/prometheus')).toBe(false);
    expect(isWithin('not a url', 'https://thanos.example')).toBe(false);
  });
});

describe('authorizationFor', () => {
  it('reads a bearer token, trimming the newline a Secret file may end with', async () => {
    credential('prod-prometheus', { address: 'https://prom.example\n', token: 's3cret\n' });
    await expect(authorizationFor(dir, 'prod-prometheus', 'https://prom.example')).resolves.toBe('Bearer s3cret');
  });

  it('builds basic authentication from username and password', async () => {
    credential('grafana-cloud', { address: 'https://prom.example/api/prom', username: '12345', password: 'glc_x' });
    await expect(authorizationFor(dir, 'grafana-cloud', 'https://prom.example/api/prom')).resolves.toBe(
      `Basic ${Buffer.from('12345:glc_x').toString('base64')}`,
    );
  });

  it('re-reads the files at every call, so a rotated Secret applies without a restart', async () => {
    credential('rotating', { address: 'https://prom.example', token: 'old' });
    await expect(authorizationFor(dir, 'rotating', 'https://prom.example')).resolves.toBe('Bearer old');
    writeFileSync(join(dir, 'rotating', 'token'), 'new');
    await expect(authorizationFor(dir, 'rotating', 'https://prom.example')).resolves.toBe('Bearer new');
  });

  it('refuses to send a credential to another address, without revealing it', async () => {
    credential('prod-prometheus', { address: 'https://prom.example', token: 's3cret' });
    const failure = authorizationFor(dir, 'prod-prometheus', 'https://collector.evil.example');
    await expect(failure).rejects.toThrow('credentials "prod-prometheus" may be sent only to https://prom.example, not to https://collector.evil.example');
    await expect(failure).rejects.not.toThrow('s3cret');
  });

  it('never repeats a user name or password written into the allowed address', async () => {
    credential('prod-prometheus', { address: 'https://admin:s3cretpw@prom.example/?key=s3cretpw', token: 't' });
    const failure = authorizationFor(dir, 'prod-prometheus', 'https://collector.evil.example');
    await expect(failure).rejects.toThrow('may be sent only to https://…@prom.example/?…, not to https://collector.evil.example');
    await expect(failure).rejects.not.toThrow('s3cretpw');
  });

  it('explains what is missing', async () => {
    await expect(authorizationFor(undefined, 'x', 'https://prom.example')).rejects.toThrow('the engine runs without --credentials-dir');
    await expect(authorizationFor(dir, 'absent', 'https://prom.example')).rejects.toThrow(`credentials "absent" not found: ${join(dir, 'absent', 'address')} does not exist`);
    await expect(authorizationFor(dir, '../etc', 'https://prom.example')).rejects.toThrow('is not a Kubernetes name');
    credential('empty', { address: 'https://prom.example' });
    await expect(authorizationFor(dir, 'empty', 'https://prom.example')).rejects.toThrow('hold neither a token file nor username and password files');
  });
});
