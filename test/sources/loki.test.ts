// The Loki source read against the fake Loki (test/fakes/loki), built from a config as the engine builds it: a
// canary and a baseline, another ReplicaSet's pod and a namesake in another tenant that neither group may pick up,
// lines at the very ends of the range, levels from stream labels, a hostile message, and pages smaller than the
// lines so that the source pages and counts. The fake checks what Loki checks (X-Scope-OrgID, limits, LogQL), so a
// request Loki would refuse fails here too.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogSource, logSourceConfigSchema } from '../../plugin/collect/registry.js';
import { RequestQueue } from '../../plugin/collect/request-queue.js';
import type { LogGroupSelection, LogLine, LogsRequest, SourceOptions } from '../../plugin/collect/source.js';
import { collectError } from '../helpers/collect-error.js';
import { FakeLoki } from '../fakes/loki/server.js';

const CANARY = '7d9f8c6b5';
const BASELINE = '5b8c4d7f9';
const TENANT = 'team-a';
/** Whole seconds, an hour ago. */
const T0 = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
const START = new Date(T0 + 60_000);
const END = new Date(T0 + 10 * 60_000);
const ns = (ms: number, extra = 0n) => BigInt(ms) * 1_000_000n + extra;

const group = (podTemplateHash: string, selectBy: LogGroupSelection['selectBy'] = 'podName'): LogGroupSelection => ({
  podTemplateHash,
  selectBy,
  hashField: 'rollouts_pod_template_hash',
  instanceField: 'pod',
});

let loki: FakeLoki;
let dir: string | undefined;

beforeEach(async () => {
  loki = await FakeLoki.start();
});

afterEach(async () => {
  await loki.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function source(settings: Record<string, unknown> = {}, options: SourceOptions = {}) {
  const config = logSourceConfigSchema.parse({ loki: { address: loki.url, tenant: TENANT, ...settings } });
  return createLogSource(config, { queue: new RequestQueue(), ...options });
}

function request(overrides: Partial<LogsRequest> = {}): LogsRequest {
  return { query: '{namespace="shop", app="web"}', group: group(CANARY), start: START, end: END, limit: 1000, ...overrides };
}

function pod(hash: string, suffix: string, extra: Record<string, string> = {}) {
  return { namespace: 'shop', app: 'web', pod: `web-${hash}-${suffix}`, rollouts_pod_template_hash: hash, ...extra };
}

const byTime = (a: LogLine, b: LogLine) => a.time - b.time || a.message.localeCompare(b.message);

describe('the Loki source', () => {
  it("reads exactly one group's lines in (start, end], with their pod and level", async () => {
    const canary = pod(CANARY, 'x2k4p', { level: 'error' });
    loki.push(
      canary,
      [
        [ns(START.getTime()), 'at the start: before the range'],
        [ns(START.getTime(), 1n), 'a nanosecond after the start'],
        [ns(T0 + 5 * 60_000), 'GET /api/orders 500'],
        [ns(END.getTime()), 'at the end'],
        [ns(END.getTime(), 1n), 'a nanosecond after the end'],
      ],
      TENANT,
    );
    loki.push(pod(CANARY, 'q8m3n', { detected_level: 'warn' }), [[ns(T0 + 2 * 60_000), 'slow query']], TENANT);
    loki.push(pod(CANARY, 'z9z9z'), [[ns(T0 + 3 * 60_000), 'no level label']], TENANT);
    loki.push(pod(BASELINE, 'a1b2c'), [[ns(T0 + 2 * 60_000), 'baseline line']], TENANT);
    loki.push(pod('9f8e7d6c5', 'zzzzz'), [[ns(T0 + 2 * 60_000), 'another ReplicaSet']], TENANT);
    loki.push({ ...pod('1a2b3c4d5', 'zzzzz'), pod: `web-${CANARY}-x2k4p-other` }, [[ns(T0 + 2 * 60_000), 'a pod whose name only contains the hash']], TENANT);
    loki.push(canary, [[ns(T0 + 2 * 60_000), 'the same pod name in another tenant']], 'team-b');
    loki.push({ ...canary, app: 'worker' }, [[ns(T0 + 2 * 60_000), 'another app']], TENANT);

    const fetched = await source().fetchLogs(request());
    expect(fetched.lines.sort(byTime)).toEqual([
      { time: START.getTime() + 1, instance: `web-${CANARY}-x2k4p`, message: 'a nanosecond after the start', level: 'error' },
      { time: T0 + 2 * 60_000, instance: `web-${CANARY}-q8m3n`, message: 'slow query', level: 'warn' },
      { time: T0 + 3 * 60_000, instance: `web-${CANARY}-z9z9z`, message: 'no level label' },
      { time: T0 + 5 * 60_000, instance: `web-${CANARY}-x2k4p`, message: 'GET /api/orders 500', level: 'error' },
      { time: END.getTime(), instance: `web-${CANARY}-x2k4p`, message: 'at the end', level: 'error' },
    ]);
    // Every line read in one page: their number is the total, without a count query.
    expect(fetched).toMatchObject({ total: 5, warnings: [] });
    expect(loki.requests).toHaveLength(1);
    const [sent] = loki.requests;
    expect(sent!.path).toBe('/loki/api/v1/query_range');
    expect(sent!.headers['x-scope-orgid']).toBe(TENANT);
    expect(Object.fromEntries(sent!.params)).toEqual({
      query: `{namespace="shop", app="web", pod=~".+-${CANARY}-[a-z0-9]+"\n}`,
      start: String(ns(START.getTime(), 1n)),
      end: String(ns(END.getTime(), 1n)),
      limit: '1000',
      direction: 'backward',
    });
  });

  it('selects by the hash label, and applies the line filters of the config query', async () => {
    loki.push(pod(CANARY, 'x2k4p'), [[ns(T0 + 120_000), 'GET /healthz 200'], [ns(T0 + 180_000), 'GET /api 200']], TENANT);
    loki.push({ ...pod(BASELINE, 'a1b2c'), pod: `web-${CANARY}-lookalike` }, [[ns(T0 + 120_000), 'named like a canary, labelled baseline']], TENANT);
    const fetched = await source().fetchLogs(request({ query: '{app="web"} != "/healthz" # not the probes', group: group(CANARY, 'label') }));
    expect(fetched.lines.map((line) => line.message)).toEqual(['GET /api 200']);
    expect(loki.requests[0]!.params.get('query')).toBe(`{app="web", rollouts_pod_template_hash="${CANARY}"\n} != "/healthz" # not the probes`);
  });

  it('reads past the page size, lines sharing a nanosecond at a page boundary once each', async () => {
    // 60 lines of 3 pods, three at every instant: pages of 10 split the instants.
    for (const suffix of ['aaaaa', 'bbbbb', 'ccccc']) {
      loki.push(pod(CANARY, suffix), Array.from({ length: 20 }, (_, k): [bigint, string] => [ns(T0 + 120_000 + k * 1000, 7n), `line ${k} of ${suffix}`]), TENANT);
    }
    const fetched = await source({ maxEntriesPerQuery: 10 }).fetchLogs(request());
    expect(fetched.lines).toHaveLength(60);
    expect(new Set(fetched.lines.map((line) => `${line.instance} ${line.message}`)).size).toBe(60);
    expect(fetched.total).toBe(60);
    const ranges = loki.requests.map((r) => r.params);
    expect(ranges.every((params) => Number(params.get('limit')) <= 10)).toBe(true);
    // The first page held three lines at each of 19 s, 18 s, 17 s and one at 16 s: the next ends just after 16 s.
    expect(ranges[1]!.get('end')).toBe(String(ns(T0 + 120_000 + 16_000, 8n)));
  });

  it('stops at the limit with the newest lines, and counts all of them over the same range', async () => {
    loki.push(pod(CANARY, 'x2k4p'), Array.from({ length: 180 }, (_, k): [bigint, string] => [ns(T0 + 120_000 + k * 1000), `line ${k}`]), TENANT);
    const fetched = await source({ maxEntriesPerQuery: 50 }).fetchLogs(request({ limit: 120 }));
    expect(fetched.lines).toHaveLength(120);
    expect(Math.min(...fetched.lines.map((line) => line.time))).toBe(T0 + 120_000 + 60_000);
    expect(fetched.total).toBe(180);
    const count = loki.requests.at(-1)!;
    expect(count.path).toBe('/loki/api/v1/query');
    expect(count.headers['x-scope-orgid']).toBe(TENANT);
    expect(Object.fromEntries(count.params)).toEqual({
      query: `sum(count_over_time({namespace="shop", app="web", pod=~".+-${CANARY}-[a-z0-9]+"\n}\n[540s]))`,
      time: String(ns(END.getTime())),
    });
  });

  it('counts none when the lines at the limit were all there were', async () => {
    loki.push(pod(CANARY, 'x2k4p'), [[ns(T0 + 120_000), 'one'], [ns(T0 + 180_000), 'two']], TENANT);
    const fetched = await source().fetchLogs(request({ limit: 2 }));
    expect(fetched).toMatchObject({ total: 2 });
    expect(loki.requests.map((r) => r.path)).toEqual(['/loki/api/v1/query_range', '/loki/api/v1/query']);
  });

  it('returns a message an attacker chose as written', async () => {
    const message = 'ok"}\n{"stream":{"pod":"web-1"},"values":[["1","forged"]]}\t\\u0000 \u0000\u0007\r ünïcode ✓ ]}';
    loki.push(pod(CANARY, 'x2k4p'), [[ns(T0 + 120_000), message]], TENANT);
    const fetched = await source().fetchLogs(request());
    expect(fetched.lines).toEqual([{ time: T0 + 120_000, instance: `web-${CANARY}-x2k4p`, message }]);
  });

  it('asks nothing for an empty range', async () => {
    expect(await source().fetchLogs(request({ end: START }))).toEqual({ lines: [], total: 0, warnings: [] });
    expect(loki.requests).toEqual([]);
  });

  it("quotes Loki's plain-text refusal of a query, clipped to one line", async () => {
    const error = await collectError(source().fetchLogs(request({ query: '{app="web"} |~ "(["' })));
    expect(error.transient).toBe(false);
    expect(error.message).toMatch(new RegExp(`^metric "logs": Loki at ${loki.url}: HTTP 400: parse error : error parsing regexp: .* \\(query \\{app="web"\\} \\|~ "\\(\\["\\)$`));
  });

  it('says a page larger than the Loki allows is refused, naming the setting to lower', async () => {
    await loki.stop();
    loki = await FakeLoki.start({ maxEntries: 1000 });
    loki.push(pod(CANARY, 'x2k4p'), [[ns(T0 + 120_000), 'one']], TENANT);
    const error = await collectError(source().fetchLogs(request({ limit: 20_000 })));
    expect(error.message).toContain('HTTP 400: max entries limit per query exceeded, limit > max_entries_limit_per_query (5000 > 1000)');
    expect((await source({ maxEntriesPerQuery: 1000 }).fetchLogs(request({ limit: 20_000 }))).lines).toHaveLength(1);
  });

  it('tells to set the tenant when Loki runs multi-tenant', async () => {
    const config = logSourceConfigSchema.parse({ loki: { address: loki.url } });
    const error = await collectError(createLogSource(config, { queue: new RequestQueue() }).fetchLogs(request()));
    expect(error.message).toContain('HTTP 401: no org id (Loki runs multi-tenant: set tenant, sent as X-Scope-OrgID)');
    expect(error.transient).toBe(false);
  });

  it('tries again after a full query queue, as long as Loki asks to wait', async () => {
    loki.push(pod(CANARY, 'x2k4p'), [[ns(T0 + 120_000), 'one']], TENANT);
    loki.failNext(429, 'too many outstanding requests', { 'retry-after': '1' });
    loki.failNext(502, 'bad gateway');
    const began = Date.now();
    expect((await source().fetchLogs(request())).lines).toHaveLength(1);
    expect(Date.now() - began).toBeGreaterThanOrEqual(1000);
    expect(loki.requests).toHaveLength(3);
  });

  it('gives up on a Loki that stays overloaded, as a failure that may pass', async () => {
    for (let i = 0; i < 3; i++) loki.failNext(503, 'Service Unavailable');
    const error = await collectError(source().fetchLogs(request()));
    expect(error.transient).toBe(true);
    expect(error.message).toContain('HTTP 503: Service Unavailable');
    expect(loki.requests).toHaveLength(3);
  });

  it('sends the named credential, and never repeats it', async () => {
    await loki.stop();
    loki = await FakeLoki.start({ authorization: 'Bearer s3cret-t0ken' });
    loki.push(pod(CANARY, 'x2k4p'), [[ns(T0 + 120_000), 'one']], TENANT);
    dir = mkdtempSync(join(tmpdir(), 'rollouts-cv-credentials-'));
    mkdirSync(join(dir, 'loki'));
    writeFileSync(join(dir, 'loki', 'address'), loki.url);
    writeFileSync(join(dir, 'loki', 'token'), 's3cret-t0ken\n');
    expect((await source({ credentials: 'loki' }, { credentialsDir: dir }).fetchLogs(request())).lines).toHaveLength(1);

    writeFileSync(join(dir, 'loki', 'token'), 'r0tated-wrong');
    const refused = await collectError(source({ credentials: 'loki' }, { credentialsDir: dir }).fetchLogs(request()));
    expect(refused.message).toContain('HTTP 401: unauthorized (sent with the credentials "loki")');
    const elsewhere = await collectError(source({ credentials: 'loki', address: 'http://127.0.0.1:1' }, { credentialsDir: dir }).fetchLogs(request()));
    expect(elsewhere.message).toContain(`credentials "loki" may be sent only to ${loki.url}, not to http://127.0.0.1:1`);
    for (const error of [refused, elsewhere]) expect(`${error.message} ${error.source}`).not.toMatch(/s3cret|r0tated/);
    expect(source({ credentials: 'loki' }).description).toBe(`Loki at ${loki.url}`);
  });

  it("sends the tenant an operator pinned in the credentials folder, whatever the config's tenant", async () => {
    loki.push(pod(CANARY, 'x2k4p'), [[ns(T0 + 120_000), "team-b's line"]], 'team-b');
    loki.push(pod(CANARY, 'x2k4p'), [[ns(T0 + 120_000), "team-a's line"]], TENANT);
    dir = mkdtempSync(join(tmpdir(), 'rollouts-cv-credentials-'));
    mkdirSync(join(dir, 'team-b'));
    writeFileSync(join(dir, 'team-b', 'address'), loki.url);
    writeFileSync(join(dir, 'team-b', 'headers'), '{"x-scope-orgid": "team-b"}');
    const fetched = await source({ tenant: TENANT, credentials: 'team-b' }, { credentialsDir: dir }).fetchLogs(request());
    expect(fetched.lines.map((line) => line.message)).toEqual(["team-b's line"]);
    expect(loki.requests.map((r) => r.headers['x-scope-orgid'])).toEqual(['team-b']);
  });

  it('refuses AWS keys, which sign POST requests, rather than send an unsigned query', async () => {
    dir = mkdtempSync(join(tmpdir(), 'rollouts-cv-credentials-'));
    mkdirSync(join(dir, 'aws'));
    const files = { address: loki.url, aws_access_key_id: 'AKIDEXAMPLE', aws_secret_access_key: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', aws_region: 'us-east-1' };
    for (const [file, content] of Object.entries(files)) writeFileSync(join(dir, 'aws', file), content);
    const error = await collectError(source({ credentials: 'aws' }, { credentialsDir: dir }).fetchLogs(request()));
    expect(error.message).toContain('credentials "aws" sign requests with AWS SigV4, which this source cannot use: Loki is read with GET requests');
    expect(error.message).not.toContain('wJalrXUtnFEMI');
    expect(loki.requests).toEqual([]);
  });

  it("never repeats a secret of the folder that the store's refusal quotes", async () => {
    dir = mkdtempSync(join(tmpdir(), 'rollouts-cv-credentials-'));
    mkdirSync(join(dir, 'loki'));
    writeFileSync(join(dir, 'loki', 'address'), loki.url);
    writeFileSync(join(dir, 'loki', 'token'), 's3cret-t0ken');
    loki.failNext(403, 'token s3cret-t0ken may not read tenant team-a');
    const error = await collectError(source({ credentials: 'loki' }, { credentialsDir: dir }).fetchLogs(request()));
    expect(error.message).toContain('HTTP 403: token *** may not read tenant team-a (sent with the credentials "loki")');
  });

  it('gives up after the timeout', async () => {
    const never = await import('node:http').then(({ createServer }) => createServer(() => undefined));
    await new Promise<void>((resolve) => never.listen(0, '127.0.0.1', resolve));
    const address = `http://127.0.0.1:${(never.address() as { port: number }).port}`;
    try {
      const error = await collectError(source({ address, timeout: '200ms' }).fetchLogs(request()));
      expect(error.message).toMatch(new RegExp(`^metric "logs": Loki at ${address}: no response within 200ms \\(query `));
      expect(error.transient).toBe(true);
    } finally {
      never.closeAllConnections();
      await new Promise((resolve) => never.close(resolve));
    }
  });
});

describe('source.loki settings', () => {
  it('fills the defaults', () => {
    expect(logSourceConfigSchema.parse({ loki: { address: 'http://loki:3100' } })).toEqual({
      kind: 'loki',
      settings: { address: 'http://loki:3100', timeout: 10_000, maxEntriesPerQuery: 5000 },
    });
  });

  it('refuses bad settings, naming the field', () => {
    const problems = (loki: Record<string, unknown>) => logSourceConfigSchema.safeParse({ loki: { address: 'http://loki:3100', ...loki } }).error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    expect(problems({ tenant: 'team a' })).toEqual([`loki.tenant: expected a Loki tenant ID (up to 150 letters, digits and !-_.*'(), not "." or ".."), or several separated by |; got "team a"`]);
    expect(problems({ tenant: '..' })?.[0]).toMatch(/^loki\.tenant: expected a Loki tenant ID/);
    expect(problems({ tenant: 'a|b' })).toBeUndefined();
    expect(problems({ maxEntriesPerQuery: 6000 })).toEqual([`loki.maxEntriesPerQuery: expected at most 5000 lines (Loki's default max_entries_limit_per_query, and a response the engine reads whole)`]);
    expect(problems({ address: 'http://user:pw@loki:3100' })?.[0]).toMatch(/^loki\.address: must not contain a user name or password/);
    expect(problems({ timeout: '5m' })).toEqual(['loki.timeout: expected at most 1m; got "5m"']);
  });
});
