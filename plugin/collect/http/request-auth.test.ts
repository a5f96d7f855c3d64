import { describe, expect, it } from 'vitest';
import { makeTestCa } from '../../../test/fakes/prometheus/ca.js';
import { FakeTokenServer } from '../../../test/fakes/prometheus/oauth2.js';
import { verifySigV4 } from '../../../test/fakes/prometheus/sigv4-verifier.js';
import { requestAuth } from './request-auth.js';
import { credentialsFolders } from '../../../test/helpers/credentials-folders.js';

const ADDRESS = 'https://prom.example/prometheus';
const url = new URL(`${ADDRESS}/api/v1/query_range`);
const body = 'query=up&start=1&end=2&step=1';
const folders = credentialsFolders();

const auth = (credentials: string | undefined, headers?: Record<string, string>) => requestAuth({ credentialsDir: folders.dir, credentials, address: ADDRESS, headers, timeoutMs: 2000 });

describe('requestAuth', () => {
  it("sends the config's headers as they are without credentials", async () => {
    const none = await auth(undefined, { 'X-Scope-OrgID': 'team-a' });
    expect(await none.prepare(url, body)).toEqual({ headers: { 'X-Scope-OrgID': 'team-a' } });
    expect(none.agent).toBeUndefined();
    expect(none.credentials).toBeUndefined();
  });

  it("applies the folder's pinned headers over the config's, with its token", async () => {
    folders.write('mimir', { address: ADDRESS, token: 't0ken-s3cret', headers: '{"X-Scope-OrgID": "team-a"}' });
    const mimir = await auth('mimir', { 'x-scope-orgid': 'team-b', 'X-Source': 'cv' });
    expect(await mimir.prepare(url, body)).toEqual({ headers: { 'X-Source': 'cv', 'X-Scope-OrgID': 'team-a', authorization: 'Bearer t0ken-s3cret' } });
    expect(mimir.credentials).toBe('mimir');
  });

  it('authenticates with basic authentication and API keys', async () => {
    folders.write('basic', { address: ADDRESS, username: 'cv', password: 'pa55-s3cret' });
    expect((await (await auth('basic')).prepare(url, body)).headers.authorization).toBe(`Basic ${Buffer.from('cv:pa55-s3cret').toString('base64')}`);
    folders.write('es', { address: ADDRESS, api_key: 'a9i-k3y' });
    expect((await (await auth('es')).prepare(url, body)).headers.authorization).toBe('ApiKey a9i-k3y');
    folders.write('dd', { address: ADDRESS, api_key: 'a9i-k3y', app_key: 'app-k3y' });
    expect((await (await auth('dd')).prepare(url, body)).headers).toMatchObject({ 'dd-api-key': 'a9i-k3y', 'dd-application-key': 'app-k3y' });
  });

  it('signs each request with the AWS keys, verifiably', async () => {
    const keys = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'aws-s3cret', sessionToken: 'sess-s3cret' };
    folders.write('amp', { address: ADDRESS, aws_access_key_id: keys.accessKeyId, aws_secret_access_key: keys.secretAccessKey, aws_session_token: keys.sessionToken, aws_region: 'eu-west-1' });
    const amp = await auth('amp', { 'X-Source': 'cv' });
    const { headers } = await amp.prepare(url, body);
    expect(headers['X-Source']).toBe('cv');
    expect(verifySigV4({ method: 'POST', url: url.pathname, headers, body }, [keys], 'eu-west-1', 'aps')).toBeNull();
    expect(verifySigV4({ method: 'POST', url: url.pathname, headers, body: `${body}0` }, [keys], 'eu-west-1', 'aps')).not.toBeNull();
    const json = await amp.prepare(url, '{"query":{}}', 'application/json');
    expect(json.headers['content-type']).toBe('application/json');
    expect(verifySigV4({ method: 'POST', url: url.pathname, headers: json.headers, body: '{"query":{}}' }, [keys], 'eu-west-1', 'aps')).toBeNull();
    expect(amp.scrub('token sess-s3cret and key aws-s3cret')).toBe('token *** and key ***');
  });

  it('sends an OAuth2 token, forgets it when told it was refused, and keeps it out of messages', async () => {
    const issuer = await FakeTokenServer.start({ clients: { cv: 'cl1ent-s3cret' } });
    try {
      folders.write('gateway', { address: ADDRESS, oauth2_client_id: 'cv', oauth2_client_secret: 'cl1ent-s3cret', oauth2_token_url: issuer.url });
      const gateway = await auth('gateway');
      const first = await gateway.prepare(url, body);
      const token = first.headers.authorization!.replace('Bearer ', '');
      expect(issuer.valid(token)).toBe(true);
      expect((await gateway.prepare(url, body)).headers.authorization).toBe(`Bearer ${token}`);
      first.renew!();
      expect((await gateway.prepare(url, body)).headers.authorization).not.toBe(`Bearer ${token}`);
      expect(gateway.scrub(`bad token ${token}, secret cl1ent-s3cret`)).toBe('bad token ***, secret ***');
    } finally {
      await issuer.stop();
    }
  });

  it("gives an https agent trusting the folder's ca.crt", async () => {
    const ca = await makeTestCa();
    folders.write('private', { address: ADDRESS, 'ca.crt': ca.ca });
    expect((await auth('private')).agent).toBeDefined();
  });

  it('refuses a folder for another address before anything is sent', async () => {
    folders.write('elsewhere', { address: 'https://other.example', token: 't0ken-s3cret' });
    await expect(auth('elsewhere')).rejects.toThrow('credentials "elsewhere" may be sent only to https://other.example, not to https://prom.example/prometheus');
  });
});
