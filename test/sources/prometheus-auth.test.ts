// The Prometheus source reaching the Prometheus-compatible backends users run, each as a fake that checks what the
// real one checks (test/fakes/prometheus/): Mimir's tenant header, Amazon Managed Service for Prometheus' SigV4
// signature (verified by an independent implementation), an OAuth2 gateway's client-credentials tokens, and TLS
// with a private CA. Sources are built from config through the registry, as the engine builds them; credentials
// folders are written as the operator's mounted Secrets would be. Every message is checked for the secrets.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHealthSource, sourceConfigSchema } from '../../plugin/collect/registry.js';
import type { CollectError, HealthSource, SeriesRequest } from '../../plugin/collect/source.js';
import { collectError as rejection } from '../helpers/collect-error.js';
import { makeTestCa, type TestCa } from '../fakes/prometheus/ca.js';
import { FakeTokenServer } from '../fakes/prometheus/oauth2.js';
import { FakePrometheus, type Series } from '../fakes/prometheus/server.js';

const HASH = '7d9f8c6b5';
const start = new Date('2026-01-01T00:00:00Z');
const request: SeriesRequest = {
  metric: { name: 'error-rate', query: 'sum by (pod) (rate(http_requests_total{code=~"5..",${selector}}[${rateInterval}]))' },
  group: { podTemplateHash: HASH, selectBy: 'label', hashLabel: 'rollouts_pod_template_hash', instanceLabel: 'pod' },
  start,
  end: new Date(start.getTime() + 300_000),
};
const seriesOf = (pod: string, value: string): Series[] => [{ metric: { pod }, values: [[start.getTime() / 1000 + 15, value]] }];

const SECRETS = ['t0ken-s3cret', 'cl1ent-s3cret', 'aws-s3cret-key', 'FwoGZXIvYXdzSESSIONs3cret', 'k3y-s3cret'];
const messages: string[] = [];

let dir: string;
const fakes: { stop(): Promise<void> }[] = [];

function credential(name: string, files: Record<string, string>): void {
  rmSync(join(dir, name), { recursive: true, force: true });
  mkdirSync(join(dir, name));
  for (const [file, content] of Object.entries(files)) writeFileSync(join(dir, name, file), content);
}

function sourceFor(settings: Record<string, unknown>): HealthSource {
  const config = sourceConfigSchema.parse({ prometheus: { timeout: '2s', ...settings } });
  const source = createHealthSource(config, { credentialsDir: dir });
  messages.push(source.description);
  return source;
}

async function collectError(promise: Promise<unknown>): Promise<CollectError> {
  const error = await rejection(promise);
  messages.push(error.message);
  return error;
}

async function started<T extends { stop(): Promise<void> }>(fake: Promise<T>): Promise<T> {
  const running = await fake;
  fakes.push(running);
  return running;
}

let ca: TestCa;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rollouts-cv-credentials-'));
  ca = await makeTestCa();
});

afterEach(async () => {
  await Promise.all(fakes.splice(0).map((fake) => fake.stop()));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  // No message, description or error of any case repeated a secret.
  for (const message of messages) for (const secret of SECRETS) expect(message).not.toContain(secret);
});

describe('Grafana Mimir (tenant header)', () => {
  const tenants = { 'team-a': seriesOf(`web-${HASH}-a`, '1'), 'team-b': seriesOf(`web-${HASH}-b`, '2') };

  it("reads the config's tenant", async () => {
    const mimir = await started(FakePrometheus.start({ prefix: '/prometheus', tenants }));
    const { series } = await sourceFor({ address: mimir.address, headers: { 'X-Scope-OrgID': 'team-a' } }).fetchSeries(request);
    expect([...series.keys()]).toEqual([`web-${HASH}-a`]);
  });

  it("reads the tenant the operator pinned in the credentials folder, whatever the template says", async () => {
    const mimir = await started(FakePrometheus.start({ prefix: '/prometheus', tenants, auth: { kind: 'bearer', token: 't0ken-s3cret' } }));
    credential('mimir-team-b', { address: mimir.address, token: 't0ken-s3cret', headers: '{"X-Scope-OrgID": "team-b"}' });
    const { series } = await sourceFor({ address: mimir.address, headers: { 'x-scope-orgid': 'team-a' }, credentials: 'mimir-team-b' }).fetchSeries(request);
    expect([...series.keys()]).toEqual([`web-${HASH}-b`]);
    expect(mimir.journal.map((entry) => entry.headers['x-scope-orgid'])).toEqual(['team-b']);
  });

  it("explains Mimir's refusal without a tenant", async () => {
    const mimir = await started(FakePrometheus.start({ prefix: '/prometheus', tenants }));
    const error = await collectError(sourceFor({ address: mimir.address }).fetchSeries(request));
    expect(error.message).toBe(
      `metric "error-rate": Prometheus at ${mimir.address}: HTTP 401: the backend refused requests without credentials (it says: no org id); Mimir and Cortex read the tenant from X-Scope-OrgID: set it in headers, or pin it in the credentials folder`,
    );
  });
});

describe('Amazon Managed Service for Prometheus (SigV4)', () => {
  const keys = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'aws-s3cret-key', sessionToken: 'FwoGZXIvYXdzSESSIONs3cret' };
  const folder = (address: string, secret = keys.secretAccessKey) => ({
    address,
    aws_access_key_id: keys.accessKeyId,
    aws_secret_access_key: `${secret}\n`,
    aws_session_token: keys.sessionToken,
    aws_region: 'us-west-2',
  });

  it('signs every query so that the workspace verifies it', async () => {
    const amp = await started(FakePrometheus.start({ prefix: '/workspaces/ws-1a2b3c', auth: { kind: 'sigv4', region: 'us-west-2', keys: [keys] }, series: seriesOf(`web-${HASH}-a`, '0.5') }));
    credential('amp', folder(amp.address));
    const source = sourceFor({ address: amp.address, credentials: 'amp' });
    const { series } = await source.fetchSeries(request);
    await source.fetchSeries({ ...request, cumulative: true });
    expect(series.get(`web-${HASH}-a`)).toEqual([[start.getTime() / 1000 + 15, 0.5]]);
    expect(amp.journal.map((entry) => entry.status)).toEqual([200, 200]);
    expect(amp.journal[0]!.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE\/\d{8}\/us-west-2\/aps\/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/);
  });

  it("reports AWS' refusal of a wrong key without the secrets AWS' message quotes, and signs with rotated keys at once", async () => {
    const amp = await started(FakePrometheus.start({ prefix: '/workspaces/ws-1a2b3c', auth: { kind: 'sigv4', region: 'us-west-2', keys: [keys] }, series: [] }));
    credential('amp', folder(amp.address, 'stale-aws-key'));
    const source = sourceFor({ address: amp.address, credentials: 'amp' });
    const error = await collectError(source.fetchSeries(request));
    expect(error.message).toMatch(
      new RegExp(`^metric "error-rate": Prometheus at ${amp.address}: HTTP 403: the backend denies this query to credentials "amp" \\(it says: The request signature we calculated does not match`),
    );
    expect(error.transient).toBe(false);
    credential('amp', folder(amp.address));
    await expect(source.fetchSeries(request)).resolves.toBeTruthy();
  });
});

describe('OAuth2 gateway (client credentials)', () => {
  it('trades the client credentials for a token, reuses it, and gets a new one once the gateway refuses it', async () => {
    const issuer = await started(FakeTokenServer.start({ clients: { 'rollouts-cv': 'cl1ent-s3cret' }, scopes: ['metrics:read'] }));
    const gateway = await started(FakePrometheus.start({ auth: { kind: 'oauth2', issuer }, series: seriesOf(`web-${HASH}-a`, '1') }));
    credential('gateway', { address: gateway.address, oauth2_client_id: 'rollouts-cv', oauth2_client_secret: 'cl1ent-s3cret', oauth2_token_url: issuer.url, oauth2_scopes: 'metrics:read' });
    const source = sourceFor({ address: gateway.address, credentials: 'gateway' });
    await source.fetchSeries(request);
    await source.fetchSeries(request);
    expect(issuer.requests).toHaveLength(1);
    // Revoked before it expired: the gateway answers 401, and the source asks for a new token once.
    for (const token of issuer.tokens()) issuer.revoke(token);
    await expect(source.fetchSeries(request)).resolves.toBeTruthy();
    expect(issuer.requests).toHaveLength(2);
    expect(gateway.journal.map((entry) => entry.status)).toEqual([200, 200, 401, 200]);
  });

  it('names the token URL and the OAuth2 error when the client is refused, sending no query', async () => {
    const issuer = await started(FakeTokenServer.start({ clients: { 'rollouts-cv': 'another-secret' }, echoSecretInErrors: true }));
    const gateway = await started(FakePrometheus.start({ auth: { kind: 'oauth2', issuer } }));
    credential('gateway', { address: gateway.address, oauth2_client_id: 'rollouts-cv', oauth2_client_secret: 'cl1ent-s3cret', oauth2_token_url: issuer.url });
    const error = await collectError(sourceFor({ address: gateway.address, credentials: 'gateway' }).fetchSeries(request));
    expect(error.message).toBe(
      `metric "error-rate": Prometheus at ${gateway.address}: credentials "gateway": OAuth2 token request to ${issuer.url} was refused: HTTP 401 invalid_client: client rollouts-cv authentication failed with secret ***`,
    );
    expect(gateway.journal).toEqual([]);
  });

  it('refuses a folder whose token URL would send the client secret to http://evil, before sending anything', async () => {
    const gateway = await started(FakePrometheus.start({ series: [] }));
    credential('gateway', { address: gateway.address, oauth2_client_id: 'rollouts-cv', oauth2_client_secret: 'cl1ent-s3cret', oauth2_token_url: 'http://evil.example/collect' });
    const error = await collectError(sourceFor({ address: gateway.address, credentials: 'gateway' }).fetchSeries(request));
    expect(error.message).toBe(
      `metric "error-rate": Prometheus at ${gateway.address}: oauth2_token_url in credentials "gateway" must be an https URL (the client secret is sent to it; http only to a loopback address); got "http://evil.example/collect"`,
    );
    expect(gateway.journal).toEqual([]);
  });
});

describe('a private CA', () => {
  it("fails with a clear TLS error without the folder's ca.crt, and works with it", async () => {
    const prometheus = await started(FakePrometheus.start({ tls: { key: ca.key, cert: ca.cert }, auth: { kind: 'basic', username: 'cv', password: 'k3y-s3cret' }, series: seriesOf(`web-${HASH}-a`, '1') }));
    credential('tls', { address: prometheus.address, username: 'cv', password: 'k3y-s3cret' });
    const untrusted = await collectError(sourceFor({ address: prometheus.address, credentials: 'tls' }).fetchSeries(request));
    expect(untrusted.transient).toBe(false);
    expect(untrusted.message).toMatch(/: TLS: the server's certificate is not trusted \(.+\); for a private CA, put its certificate in the credentials folder's ca\.crt$/);
    expect(prometheus.journal).toEqual([]);
    credential('tls', { address: prometheus.address, username: 'cv', password: 'k3y-s3cret', 'ca.crt': ca.ca });
    const { series } = await sourceFor({ address: prometheus.address, credentials: 'tls' }).fetchSeries(request);
    expect([...series.keys()]).toEqual([`web-${HASH}-a`]);
  });
});

describe('what a template cannot do', () => {
  it('set an Authorization (or any credential or framing) header', () => {
    for (const name of ['Authorization', 'cookie', 'Host', 'X-Amz-Security-Token']) {
      const parsed = sourceConfigSchema.safeParse({ prometheus: { address: 'http://prometheus:9090', headers: { [name]: 'Bearer t0ken-s3cret' } } });
      expect(parsed.success, name).toBe(false);
      const text = JSON.stringify(parsed.error?.issues);
      messages.push(text);
      expect(text).toContain(`cannot be set here`);
    }
  });

  it("send a folder's credentials to its own address", async () => {
    const mimir = await started(FakePrometheus.start({ series: [] }));
    credential('mimir', { address: mimir.address, token: 't0ken-s3cret', headers: '{"X-Scope-OrgID": "team-a"}' });
    const error = await collectError(sourceFor({ address: 'http://127.0.0.1:1/prometheus', credentials: 'mimir' }).fetchSeries(request));
    expect(error.message).toContain(`credentials "mimir" may be sent only to ${mimir.address}, not to http://127.0.0.1:1/prometheus`);
    expect(mimir.journal).toEqual([]);
  });
});
