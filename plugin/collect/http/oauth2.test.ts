import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTestCa } from '../../../test/fakes/prometheus/ca.js';
import { FakeTokenServer, type FakeTokenServerOptions } from '../../../test/fakes/prometheus/oauth2.js';
import { CredentialError } from './credentials.js';
import { clientCredentialsToken, forgetToken, type OAuth2Client } from './oauth2.js';
import { agentTrusting } from './tls.js';

const SECRET = 'cl1ent-s3cret&+/=';
let tokenServer: FakeTokenServer | undefined;
let plain: Server | undefined;
let keys = 0;

afterEach(async () => {
  await tokenServer?.stop();
  tokenServer = undefined;
  plain?.closeAllConnections();
  await new Promise((resolve) => (plain ? plain.close(resolve) : resolve(undefined)));
  plain = undefined;
});

async function start(options: Partial<FakeTokenServerOptions> = {}): Promise<{ client: OAuth2Client; key: string }> {
  tokenServer = await FakeTokenServer.start({ clients: { 'rollouts cv': SECRET }, ...options });
  // Each test its own cache entry: tokens are kept per credentials folder.
  return { client: { clientId: 'rollouts cv', clientSecret: SECRET, tokenUrl: tokenServer.url, scopes: [] }, key: `/credentials/oauth-${++keys}` };
}

const options = { name: 'gateway', timeoutMs: 2000 };

async function credentialError(promise: Promise<unknown>): Promise<CredentialError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CredentialError);
  return error as CredentialError;
}

describe('clientCredentialsToken', () => {
  it('asks for a client-credentials token with the client authenticated by HTTP Basic, form-encoded (RFC 6749 §2.3.1)', async () => {
    const { client, key } = await start({ scopes: ['metrics:read', 'tenant:a'] });
    const token = await clientCredentialsToken(key, { ...client, scopes: ['metrics:read', 'tenant:a'] }, options);
    expect(tokenServer!.valid(token)).toBe(true);
    const [request] = tokenServer!.requests;
    expect(request!.form.get('grant_type')).toBe('client_credentials');
    expect(request!.form.get('scope')).toBe('metrics:read tenant:a');
    expect(request!.form.has('client_secret')).toBe(false);
    expect(request!.authorization).toBe(`Basic ${Buffer.from('rollouts+cv:cl1ent-s3cret%26%2B%2F%3D').toString('base64')}`);
  });

  it('keeps the token until shortly before it expires, and shares one request among concurrent callers', async () => {
    const { client, key } = await start({ lifetimeS: 3600 });
    const tokens = await Promise.all([1, 2, 3].map(() => clientCredentialsToken(key, client, options)));
    expect(new Set(tokens).size).toBe(1);
    expect(await clientCredentialsToken(key, client, options)).toBe(tokens[0]);
    expect(tokenServer!.requests).toHaveLength(1);
  });

  it('renews a short-lived token at half its life', async () => {
    const { client, key } = await start({ lifetimeS: 1 });
    const first = await clientCredentialsToken(key, client, options);
    expect(await clientCredentialsToken(key, client, options)).toBe(first);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(await clientCredentialsToken(key, client, options)).not.toBe(first);
    expect(tokenServer!.requests).toHaveLength(2);
  });

  it('fetches anew after a rotated secret, or once the backend refused the token', async () => {
    const { client, key } = await start({ clients: { 'rollouts cv': SECRET, rotated: 'n3w-s3cret' } });
    const first = await clientCredentialsToken(key, client, options);
    const rotated = await clientCredentialsToken(key, { ...client, clientId: 'rotated', clientSecret: 'n3w-s3cret' }, options);
    expect(rotated).not.toBe(first);
    forgetToken(key, first);
    expect(await clientCredentialsToken(key, { ...client, clientId: 'rotated', clientSecret: 'n3w-s3cret' }, options)).toBe(rotated);
    forgetToken(key, rotated);
    expect(await clientCredentialsToken(key, { ...client, clientId: 'rotated', clientSecret: 'n3w-s3cret' }, options)).not.toBe(rotated);
    expect(tokenServer!.requests).toHaveLength(3);
  });

  it("quotes the server's OAuth2 error and names the token URL, never the secret even when the server echoes it", async () => {
    const { client, key } = await start({ echoSecretInErrors: true, scopes: ['metrics:read'] });
    const error = await credentialError(clientCredentialsToken(key, { ...client, clientSecret: 'wr0ng-s3cret' }, options));
    expect(error.message).toBe(
      `credentials "gateway": OAuth2 token request to ${tokenServer!.url} was refused: HTTP 401 invalid_client: client rollouts cv authentication failed with secret ***`,
    );
    expect(error.transient).toBe(false);
    const scope = await credentialError(clientCredentialsToken(`${key}-scope`, { ...client, scopes: ['admin'] }, options));
    expect(scope.message).toContain('was refused: HTTP 400 invalid_scope: scope admin is not allowed');
  });

  it('does not keep a failure: the next call asks again', async () => {
    const { client, key } = await start();
    await credentialError(clientCredentialsToken(key, { ...client, clientSecret: 'wr0ng' }, options));
    expect(await clientCredentialsToken(key, client, options)).toBeTruthy();
  });

  it('reports an answer that is no token response by its shape, a token that is not Bearer, and an unreachable server as transient', async () => {
    plain = createServer((request, response) => {
      if (request.url === '/mac') return response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: 'x', token_type: 'mac' }));
      response.writeHead(502, { 'content-type': 'text/html' }).end('<html>bad gateway, client_secret=hunter2</html>');
    });
    await new Promise<void>((resolve) => plain!.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(plain.address() as AddressInfo).port}`;
    const client = { clientId: 'c', clientSecret: SECRET, scopes: [] };
    const html = await credentialError(clientCredentialsToken(`/credentials/html-${++keys}`, { ...client, tokenUrl: `${base}/token` }, options));
    expect(html.message).toBe(`credentials "gateway": OAuth2 token request to ${base}/token: HTTP 502, not an OAuth2 token response (text/html, 47 bytes)`);
    expect(html.transient).toBe(true);
    const mac = await credentialError(clientCredentialsToken(`/credentials/mac-${++keys}`, { ...client, tokenUrl: `${base}/mac` }, options));
    expect(mac.message).toContain('returned a token of type "mac"; only Bearer tokens can be sent');
    plain.closeAllConnections();
    await new Promise((resolve) => plain!.close(resolve));
    plain = undefined;
    // The kept-alive connection is gone too before the next request.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const down = await credentialError(clientCredentialsToken(`/credentials/down-${++keys}`, { ...client, tokenUrl: `${base}/token` }, options));
    expect(down.message).toBe(`credentials "gateway": OAuth2 token request to ${base}/token failed: connection refused`);
    expect(down.transient).toBe(true);
  });

  it("reaches an https token URL through the folder's CA", async () => {
    const ca = await makeTestCa();
    const { client, key } = await start({ tls: { key: ca.key, cert: ca.cert } });
    const untrusted = await credentialError(clientCredentialsToken(key, client, options));
    expect(untrusted.message).toContain("TLS: the server's certificate is not trusted");
    expect(await clientCredentialsToken(key, client, { ...options, agent: agentTrusting(key, ca.ca) })).toBeTruthy();
  });
});
