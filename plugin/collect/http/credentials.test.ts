import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { authorizationFor, isWithin, readCredentials, secretsOf } from './credentials.js';
import { credentialsFolders } from '../../../test/helpers/credentials-folders.js';

const folders = credentialsFolders();

// A CA certificate: only that it parses matters here.
const CA = `-----BEGIN CERTIFICATE-----
MIIBeDCCAR+gAwIBAgIUBLsv47sQlpJkgm0wkEPDDpzggyQwCgYIKoZIzj0EAwIw
EjEQMA4GA1UEAwwHdGVzdC1DQTAeFw0yNjEyMDUwOTU2MTFaFw0zNjEyMDIwOTU2
MTFaMBIxEDAOBgNVBAMMB3Rlc3QtQ0EwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNC
AASvEMuU+viEOs2hDuOizj77ZruTEpr7vVHezIi0ahJFa2JBUNIsl+9+Iq9honQT
7dm3NUnuekcnzzhiTCoES84yo1MwUTAdBgNVHQ4EFgQUoRbTU9MXXZqu0qv4phIk
3Hia5vYwHwYDVR0jBBgwFoAUoRbTU9MXXZqu0qv4phIk3Hia5vYwDwYDVR0TAQH/
BAUwAwEB/zAKBggqhkjOPQQDAgNHADBEAiBxz0/q/c2jZXk7HmLdm7o4xNARxAdY
jC+1u1pPNLIeHQIgVmLLv36Fi4YV6E1QFG/35cD8lncWQLBmVM/JTaY0HPE=
-----END CERTIFICATE-----
`;

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
    folders.write('prod-prometheus', { address: 'https://prom.example\n', token: 's3cret\n' });
    await expect(authorizationFor(folders.dir, 'prod-prometheus', 'https://prom.example')).resolves.toBe('Bearer s3cret');
  });

  it('builds basic authentication from username and password', async () => {
    folders.write('grafana-cloud', { address: 'https://prom.example/api/prom', username: '12345', password: 'glc_x' });
    await expect(authorizationFor(folders.dir, 'grafana-cloud', 'https://prom.example/api/prom')).resolves.toBe(
      `Basic ${Buffer.from('12345:glc_x').toString('base64')}`,
    );
  });

  it('re-reads the files at every call, so a rotated Secret applies without a restart', async () => {
    folders.write('rotating', { address: 'https://prom.example', token: 'old' });
    await expect(authorizationFor(folders.dir, 'rotating', 'https://prom.example')).resolves.toBe('Bearer old');
    writeFileSync(join(folders.dir, 'rotating', 'token'), 'new');
    await expect(authorizationFor(folders.dir, 'rotating', 'https://prom.example')).resolves.toBe('Bearer new');
  });

  it('refuses to send a credential to another address, without revealing it', async () => {
    folders.write('prod-prometheus', { address: 'https://prom.example', token: 's3cret' });
    const failure = authorizationFor(folders.dir, 'prod-prometheus', 'https://collector.evil.example');
    await expect(failure).rejects.toThrow('credentials "prod-prometheus" may be sent only to https://prom.example, not to https://collector.evil.example');
    await expect(failure).rejects.not.toThrow('s3cret');
  });

  it('never repeats a user name or password written into the allowed address', async () => {
    folders.write('prod-prometheus', { address: 'https://admin:s3cretpw@prom.example/?key=s3cretpw', token: 't' });
    const failure = authorizationFor(folders.dir, 'prod-prometheus', 'https://collector.evil.example');
    await expect(failure).rejects.toThrow('may be sent only to https://…@prom.example/?…, not to https://collector.evil.example');
    await expect(failure).rejects.not.toThrow('s3cretpw');
  });

  it('explains what is missing', async () => {
    await expect(authorizationFor(undefined, 'x', 'https://prom.example')).rejects.toThrow('the engine runs without --credentials-dir');
    await expect(authorizationFor(folders.dir, 'absent', 'https://prom.example')).rejects.toThrow(`credentials "absent" not found: ${join(folders.dir, 'absent', 'address')} does not exist`);
    await expect(authorizationFor(folders.dir, '../etc', 'https://prom.example')).rejects.toThrow('is not a Kubernetes name');
    folders.write('empty', { address: 'https://prom.example' });
    await expect(authorizationFor(folders.dir, 'empty', 'https://prom.example')).rejects.toThrow(`credentials "empty" hold nothing to use in ${join(folders.dir, 'empty')}`);
  });

  it('refuses a folder with what it cannot apply rather than leave a pinned tenant out', async () => {
    folders.write('mimir', { address: 'https://prom.example', token: 't0ken', headers: '{"X-Scope-OrgID": "team-a"}' });
    await expect(authorizationFor(folders.dir, 'mimir', 'https://prom.example')).rejects.toThrow(
      'credentials "mimir" hold headers, which this source does not apply: it sends a token or username and password only',
    );
    folders.write('amp', { address: 'https://prom.example', aws_access_key_id: 'AKIA1', aws_secret_access_key: 'k', aws_region: 'us-east-1' });
    await expect(authorizationFor(folders.dir, 'amp', 'https://prom.example')).rejects.toThrow('credentials "amp" hold aws_* files, which this source does not apply');
  });
});

describe('readCredentials', () => {
  it('reads each kind of authentication', async () => {
    folders.write('bearer', { address: 'https://prom.example', token: 't0ken\n' });
    folders.write('basic', { address: 'https://prom.example', username: 'u', password: '' });
    folders.write('oauth', {
      address: 'https://prom.example',
      oauth2_client_id: 'rollouts-cv',
      oauth2_client_secret: 'cl1ent-s3cret',
      oauth2_token_url: 'https://auth.example/oauth2/token',
      oauth2_scopes: 'metrics:read  tenant:a\n',
    });
    folders.write('amp', { address: 'https://prom.example', aws_access_key_id: 'AKIAIOSFODNN7EXAMPLE', aws_secret_access_key: 'k3y', aws_session_token: 'sess', aws_region: 'eu-west-1' });
    const read = (name: string) => readCredentials(folders.dir, name, 'https://prom.example').then((credentials) => credentials.authentication);
    expect(await read('bearer')).toEqual({ kind: 'bearer', token: 't0ken' });
    expect(await read('basic')).toEqual({ kind: 'basic', username: 'u', password: '' });
    expect(await read('oauth')).toEqual({ kind: 'oauth2', clientId: 'rollouts-cv', clientSecret: 'cl1ent-s3cret', tokenUrl: 'https://auth.example/oauth2/token', scopes: ['metrics:read', 'tenant:a'] });
    expect(await read('amp')).toEqual({ kind: 'sigv4', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'k3y', sessionToken: 'sess', region: 'eu-west-1', service: 'aps' });
  });

  it('reads pinned headers and a CA, with or without authentication', async () => {
    folders.write('tenant', { address: 'https://prom.example', headers: '{"X-Scope-OrgID": "team-a"}', 'ca.crt': CA });
    expect(await readCredentials(folders.dir, 'tenant', 'https://prom.example')).toEqual({
      name: 'tenant',
      folder: join(folders.dir, 'tenant'),
      address: 'https://prom.example',
      ca: CA.trim(),
      headers: { 'X-Scope-OrgID': 'team-a' },
    });
  });

  it('refuses mixed or partial kinds of authentication, naming the files', async () => {
    folders.write('mixed', { address: 'https://prom.example', token: 't', oauth2_client_id: 'c' });
    await expect(readCredentials(folders.dir, 'mixed', 'https://prom.example')).rejects.toThrow(
      'credentials "mixed" hold files of more than one kind of authentication (token; oauth2_client_id): keep the files of one kind',
    );
    folders.write('partial', { address: 'https://prom.example', oauth2_client_id: 'c', oauth2_client_secret: 's3cret' });
    await expect(readCredentials(folders.dir, 'partial', 'https://prom.example')).rejects.toThrow(
      'credentials "partial" hold oauth2_client_id, oauth2_client_secret but not oauth2_token_url: oauth2_client_id, oauth2_client_secret, oauth2_token_url go together',
    );
    folders.write('half-basic', { address: 'https://prom.example', username: 'u' });
    await expect(readCredentials(folders.dir, 'half-basic', 'https://prom.example')).rejects.toThrow('hold username but not password');
  });

  it("refuses a token URL that would send the client secret in the clear or to a look-alike, without repeating what is secret in it", async () => {
    const oauth = { address: 'https://prom.example', oauth2_client_id: 'c', oauth2_client_secret: 'cl1ent-s3cret' };
    folders.write('evil', { ...oauth, oauth2_token_url: 'http://evil.example/token?key=hunter2' });
    const failure = readCredentials(folders.dir, 'evil', 'https://prom.example');
    await expect(failure).rejects.toThrow(
      'oauth2_token_url in credentials "evil" must be an https URL (the client secret is sent to it; http only to a loopback address); got "http://evil.example/token?…"',
    );
    await expect(failure).rejects.not.toThrow(/hunter2|cl1ent-s3cret/);
    folders.write('userinfo', { ...oauth, oauth2_token_url: 'https://user:pw@auth.example/token' });
    await expect(readCredentials(folders.dir, 'userinfo', 'https://prom.example')).rejects.toThrow('must not contain a user name or password');
    folders.write('loopback', { ...oauth, oauth2_token_url: 'http://127.0.0.1:8080/token' });
    await expect(readCredentials(folders.dir, 'loopback', 'https://prom.example')).resolves.toBeTruthy();
  });

  it('refuses malformed files with the file named and its content never repeated', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ token: 'has a space-s3cret' }, 'token in credentials "bad" holds characters a request header cannot carry'],
      [{ headers: 'X-Scope-OrgID: s3cret' }, 'headers in credentials "bad" must be a JSON object of header names to string values, e.g. {"X-Scope-OrgID": "team-a"}; it is not JSON'],
      [{ headers: '{"X-Scope-OrgID": ["s3cret"]}' }, 'headers in credentials "bad" must be a JSON object of header names to string values'],
      [{ headers: '{"Authorization": "Bearer s3cret"}' }, 'headers in credentials "bad": header Authorization cannot be set here'],
      [{ headers: '{"X-Key": "s3cret\\r\\nHost: evil"}' }, 'headers in credentials "bad": the value of header X-Key must be printable ASCII'],
      [{ 'ca.crt': 's3cret' }, 'ca.crt in credentials "bad" holds no PEM certificate'],
      [{ 'ca.crt': '-----BEGIN CERTIFICATE-----\ns3cret\n-----END CERTIFICATE-----' }, 'ca.crt in credentials "bad" certificate 1 of 1 does not parse as X.509'],
      [{ aws_access_key_id: 'AKIA1', aws_secret_access_key: 's3cret', aws_region: 'moon' }, 'aws_region in credentials "bad" must be an AWS region such as us-east-1'],
      [{ aws_access_key_id: 'AKIA1', aws_secret_access_key: 's3cret', aws_region: 'us-east-1', aws_service: 'APS!' }, 'aws_service in credentials "bad" must be an AWS signing name'],
    ];
    for (const [files, message] of cases) {
      rmSync(join(folders.dir, 'bad'), { recursive: true, force: true });
      folders.write('bad', { address: 'https://prom.example', ...files });
      const failure = readCredentials(folders.dir, 'bad', 'https://prom.example');
      await expect(failure, message).rejects.toThrow(message);
      await expect(failure).rejects.not.toThrow('s3cret');
    }
  });

  it('lists every secret for messages to leave out', async () => {
    folders.write('oauth', { address: 'https://prom.example', oauth2_client_id: 'c', oauth2_client_secret: 'cl1ent-s3cret', oauth2_token_url: 'https://a.example/t', headers: '{"X-Api-Key": "k3y-s3cret"}' });
    folders.write('amp', { address: 'https://prom.example', aws_access_key_id: 'AKIA1', aws_secret_access_key: 'aws-s3cret', aws_session_token: 'sess-s3cret', aws_region: 'us-east-1' });
    expect(secretsOf(await readCredentials(folders.dir, 'oauth', 'https://prom.example'))).toEqual(['k3y-s3cret', 'cl1ent-s3cret']);
    expect(secretsOf(await readCredentials(folders.dir, 'amp', 'https://prom.example'))).toEqual(['aws-s3cret', 'sess-s3cret']);
  });

  it("reads api_key alone as an API key, and with an app_key as Datadog's pair", async () => {
    folders.write('es', { address: 'https://prom.example', api_key: 'a9i-s3cret' });
    folders.write('dd', { address: 'https://prom.example', api_key: 'a9i-s3cret', app_key: 'app-s3cret' });
    folders.write('app-only', { address: 'https://prom.example', app_key: 'app-s3cret' });
    folders.write('mixed', { address: 'https://prom.example', api_key: 'a9i-s3cret', app_key: 'app-s3cret', token: 't0k-s3cret' });
    expect((await readCredentials(folders.dir, 'es', 'https://prom.example')).authentication).toEqual({ kind: 'apikey', key: 'a9i-s3cret' });
    const dd = await readCredentials(folders.dir, 'dd', 'https://prom.example');
    expect(dd.authentication).toEqual({ kind: 'datadog', apiKey: 'a9i-s3cret', appKey: 'app-s3cret' });
    expect(secretsOf(dd)).toEqual(['a9i-s3cret', 'app-s3cret']);
    await expect(readCredentials(folders.dir, 'app-only', 'https://prom.example')).rejects.toThrow('credentials "app-only" hold app_key but not api_key: api_key, app_key go together');
    await expect(readCredentials(folders.dir, 'mixed', 'https://prom.example')).rejects.toThrow('credentials "mixed" hold files of more than one kind of authentication (token; api_key, app_key)');
  });
});
