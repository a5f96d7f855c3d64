// The Datadog source, built from a config through the registry as the engine builds it, against the fake Datadog
// (test/fakes/datadog): a canary and a baseline ReplicaSet of a web service, pods of another ReplicaSet and of
// another service that neither group may pick up, per-pod latency gauges and request counters, and their logs.
// Each case reads through the source and compares with what the fake holds: rollup intervals stamped at their
// ends, counts added up into counters whose increases the engine takes back exactly, pages of logs followed by
// their cursors, rate limits, refusals — and no key in any message.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { increasesPerStep } from '../../plugin/collect/counters.js';
import { createHealthSource, createLogSource, logSourceConfigSchema, sourceConfigSchema } from '../../plugin/collect/registry.js';
import { RequestQueue } from '../../plugin/collect/request-queue.js';
import type { CollectError, GroupSelection, LogGroupSelection, LogsRequest, SeriesRequest } from '../../plugin/collect/source.js';
import { collectError as rejection } from '../helpers/collect-error.js';
import { FakeDatadog, type FakeLog, type FakeSeries, LOGS_AGGREGATE_PATH, LOGS_SEARCH_PATH, TIMESERIES_PATH } from '../fakes/datadog/server.js';

const CANARY = '7d9f8c6b5';
const BASELINE = '5b8c4d7f9';
// Whole minutes: intervals aligned to UNIX time start on them.
const T0 = Date.parse('2026-03-02T10:00:00Z');
const SCRAPE_MS = 10_000;
const WINDOW_MS = 10 * 60_000;

const PODS = [
  { name: `web-${CANARY}-x2k4p`, hash: CANARY, rps: 20, errorRate: 0.05, latency: 0.3 },
  { name: `web-${CANARY}-q8m3n`, hash: CANARY, rps: 18, errorRate: 0.05, latency: 0.32 },
  { name: `web-${BASELINE}-a1b2c`, hash: BASELINE, rps: 22, errorRate: 0.01, latency: 0.2 },
  { name: `web-${BASELINE}-d3e4f`, hash: BASELINE, rps: 21, errorRate: 0.01, latency: 0.21 },
  // Another ReplicaSet's pod, and a pod whose name holds the canary's hash but is none of its pods.
  { name: 'web-9f8e7d6c5-zzzzz', hash: '9f8e7d6c5', rps: 25, errorRate: 0.5, latency: 2 },
  { name: `web-${CANARY}-x2k4p-debug`, hash: 'other', rps: 5, errorRate: 0.5, latency: 2 },
];

/** Each pod's points every 10 s: a latency gauge, and per-flush request and error counts (a count metric). */
function metricSeries(): FakeSeries[] {
  return PODS.flatMap((pod, i) => {
    const tags = ['service:web', 'env:prod', `pod_name:${pod.name}`, `rollouts_pod_template_hash:${pod.hash}`];
    const times = Array.from({ length: WINDOW_MS / SCRAPE_MS }, (_, k) => T0 + k * SCRAPE_MS);
    const requests = times.map((t, k) => [t, pod.rps * 10 + ((k * 7 + i) % 5)] as [number, number]);
    return [
      { metric: 'trace.http.request.duration', tags, points: times.map((t, k) => [t, pod.latency + ((k + i) % 3) * 0.01] as [number, number]) },
      { metric: 'trace.http.request.hits', tags, points: requests },
      // An error count exists from the first error on; none in the first minute.
      { metric: 'trace.http.request.errors', tags, points: requests.filter(([t]) => t >= T0 + 60_000).map(([t, n]) => [t, Math.round(n * pod.errorRate)] as [number, number]) },
    ];
  });
}

let fake: FakeDatadog;
let dir: string;

beforeEach(async () => {
  fake = await FakeDatadog.start();
  fake.series = metricSeries();
  dir = mkdtempSync(join(tmpdir(), 'rollouts-cv-datadog-'));
  mkdirSync(join(dir, 'datadog'));
  writeFileSync(join(dir, 'datadog', 'address'), `${fake.url}\n`);
  writeFileSync(join(dir, 'datadog', 'api_key'), `${fake.apiKey}\n`);
  writeFileSync(join(dir, 'datadog', 'app_key'), `${fake.appKey}\n`);
});

afterEach(async () => {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

function settings(overrides: Record<string, unknown> = {}) {
  return { address: fake.url, credentials: 'datadog', timeout: '2s', ...overrides };
}

function metrics(overrides: Record<string, unknown> = {}) {
  return createHealthSource(sourceConfigSchema.parse({ datadog: settings(overrides) }), { credentialsDir: dir, queue: new RequestQueue() });
}

function logs(overrides: Record<string, unknown> = {}) {
  return createLogSource(logSourceConfigSchema.parse({ datadog: settings(overrides) }), { credentialsDir: dir, queue: new RequestQueue() });
}

const group = (hash: string, selectBy: 'label' | 'podName' = 'podName'): GroupSelection => ({ podTemplateHash: hash, selectBy, hashLabel: 'rollouts_pod_template_hash', instanceLabel: 'pod_name' });
const range = { start: new Date(T0 + 15_000), end: new Date(T0 + WINDOW_MS) };
const LATENCY = 'avg:trace.http.request.duration{service:web,${selector}} by {pod_name}';

function podPoints(pod: string, metric: string): [number, number][] {
  return fake.series.find((s) => s.metric === metric && s.tags.includes(`pod_name:${pod}`))!.points;
}

/** What Datadog's interval [from, from + 30 s) aggregates for a pod: the mean or the sum of its points. */
function interval(pod: string, metric: string, from: number, how: 'avg' | 'sum'): number | undefined {
  const values = podPoints(pod, metric).filter(([t]) => t >= from && t < from + 30_000).map(([, v]) => v);
  if (!values.length) return undefined;
  const sum = values.reduce((a, b) => a + b, 0);
  return how === 'sum' ? sum : sum / values.length;
}

async function collectError(promise: Promise<unknown>): Promise<CollectError> {
  const error = await rejection(promise);
  expect(error.message).not.toContain(fake.apiKey);
  expect(error.message).not.toContain(fake.appKey);
  return error;
}

describe('Datadog metrics', () => {
  it("reads both groups in one request, each pod's intervals stamped at their ends inside the range", async () => {
    const request: Omit<SeriesRequest, 'group'> = { metric: { name: 'latency', query: LATENCY }, ...range };
    const [canary, baseline] = await metrics().fetchGroups!({ ...request, groups: [group(CANARY), group(BASELINE)] });
    expect(fake.requestsTo(TIMESERIES_PATH)).toHaveLength(1);
    const body = fake.requestsTo(TIMESERIES_PATH)[0]!.body as { data: { attributes: Record<string, unknown> } };
    expect(body.data.attributes).toEqual({
      from: range.start.getTime(),
      to: range.end.getTime(),
      interval: 30_000,
      queries: [
        { data_source: 'metrics', name: 'q0', query: `avg:trace.http.request.duration{service:web,pod_name:*-${CANARY}-*} by {pod_name}` },
        { data_source: 'metrics', name: 'q1', query: `avg:trace.http.request.duration{service:web,pod_name:*-${BASELINE}-*} by {pod_name}` },
      ],
      formulas: [{ formula: 'q0' }, { formula: 'q1' }],
    });
    expect([...canary!.series.keys()].sort()).toEqual([`web-${CANARY}-q8m3n`, `web-${CANARY}-x2k4p`]);
    expect([...baseline!.series.keys()].sort()).toEqual([`web-${BASELINE}-a1b2c`, `web-${BASELINE}-d3e4f`]);
    expect(canary!.warnings).toEqual([`left out 1 series of pods not named <name>-<hash>-<suffix>: web-${CANARY}-x2k4p-debug`]);
    for (const [pod, samples] of [...canary!.series, ...baseline!.series]) {
      // The first interval, [10:00:00, 10:00:30), begins before the range's start: left out; the last ends at its end.
      const expected = Array.from({ length: 19 }, (_, k) => T0 + 30_000 * (k + 2)).map((end) => [end / 1000, interval(pod, 'trace.http.request.duration', end - 30_000, 'avg')]);
      expect(samples.map(([t]) => t)).toEqual(expected.map(([t]) => t));
      samples.forEach(([, value], k) => expect(value).toBeCloseTo(expected[k]![1]!, 12));
    }
  });

  it('selects by the hash tag', async () => {
    const { series } = await metrics().fetchSeries({ metric: { name: 'latency', query: LATENCY }, group: group(BASELINE, 'label'), ...range });
    expect([...series.keys()].sort()).toEqual([`web-${BASELINE}-a1b2c`, `web-${BASELINE}-d3e4f`]);
    expect((fake.requestsTo(TIMESERIES_PATH)[0]!.body as { data: { attributes: { queries: { query: string }[] } } }).data.attributes.queries[0]!.query).toBe(
      `avg:trace.http.request.duration{service:web,rollouts_pod_template_hash:${BASELINE}} by {pod_name}`,
    );
  });

  it('gives counters whose increases per step are exactly the counts Datadog holds', async () => {
    const read = (metric: string) =>
      metrics().fetchGroups!({ metric: { name: 'error-rate', query: `sum:${metric}{service:web,\${selector}} by {pod_name}.as_count()` }, ...range, cumulative: true, groups: [group(CANARY), group(BASELINE)] });
    const [hits, errors] = await Promise.all([read('trace.http.request.hits'), read('trace.http.request.errors')]);
    for (const g of [0, 1]) {
      const { numerator, denominator } = increasesPerStep(errors[g]!.series, hits[g]!.series, range.start.getTime() / 1000);
      for (const [pod, steps] of denominator) {
        expect(hits[g]!.series.get(pod)![0]).toEqual([range.start.getTime() / 1000, 0]);
        for (const [t, requests] of steps) expect(requests).toBe(interval(pod, 'trace.http.request.hits', t * 1000 - 30_000, 'sum'));
        for (const [t, failed] of numerator.get(pod)!) expect(failed).toBe(interval(pod, 'trace.http.request.errors', t * 1000 - 30_000, 'sum') ?? 0);
        expect(steps).toHaveLength(19);
      }
    }
  });

  it('asks nothing before a whole interval has passed', async () => {
    const { series } = await metrics().fetchSeries({ metric: { name: 'latency', query: LATENCY }, group: group(CANARY), start: new Date(T0 + 15_000), end: new Date(T0 + 45_000) });
    expect(series.size).toBe(0);
    expect(fake.requests).toHaveLength(0);
  });

  it('rolls a long range up over longer intervals, within Datadog\'s points', async () => {
    const week = { start: new Date(T0 - 7 * 86_400_000), end: new Date(T0 + WINDOW_MS) };
    const { series, warnings } = await metrics().fetchSeries({ metric: { name: 'latency', query: LATENCY }, group: group(CANARY), ...week });
    const interval = (fake.requestsTo(TIMESERIES_PATH)[0]!.body as { data: { attributes: { interval: number } } }).data.attributes.interval;
    expect((week.end.getTime() - week.start.getTime()) / interval).toBeLessThanOrEqual(1500);
    expect(warnings).toEqual([`left out 1 series of pods not named <name>-<hash>-<suffix>: web-${CANARY}-x2k4p-debug`]);
    expect(series.size).toBe(2);
  });

  it("waits out a rate limit when Datadog's reset comes within the call's time", async () => {
    const headers = { 'content-type': 'application/json', 'x-ratelimit-limit': '100', 'x-ratelimit-period': '10', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1' };
    fake.injectNext(TIMESERIES_PATH, { status: 429, headers, body: JSON.stringify({ errors: ['Rate limit exceeded'] }) });
    const began = Date.now();
    const { series } = await metrics().fetchSeries({ metric: { name: 'latency', query: LATENCY }, group: group(CANARY), ...range, deadline: Date.now() + 10_000 });
    expect(series.size).toBe(2);
    expect(fake.requestsTo(TIMESERIES_PATH)).toHaveLength(2);
    expect(Date.now() - began).toBeGreaterThanOrEqual(1000);
  });

  it('says when the limit resets when it comes too late to wait for', async () => {
    fake.rateLimit(TIMESERIES_PATH, 1, 3600);
    const source = metrics();
    const request = { metric: { name: 'latency', query: LATENCY }, group: group(CANARY), ...range };
    await source.fetchSeries(request);
    const error = await collectError(source.fetchSeries(request));
    expect(error.transient).toBe(true);
    expect(error.message).toMatch(new RegExp(`^metric "latency": Datadog at ${fake.url}: HTTP 429: Rate limit exceeded; Datadog allows 1 of these requests per 3600s; the limit resets in \\d+s$`));
    expect(fake.requestsTo(TIMESERIES_PATH)).toHaveLength(2);
  });

  it('names the credentials folder whose keys Datadog refused, never the keys', async () => {
    writeFileSync(join(dir, 'datadog', 'app_key'), 'revoked0123456789');
    const error = await collectError(metrics().fetchSeries({ metric: { name: 'latency', query: LATENCY }, group: group(CANARY), ...range }));
    expect(error.message).toBe(
      `metric "latency": Datadog at ${fake.url}: HTTP 403: Forbidden (the keys in credentials "datadog" were refused: api_key must be an API key of the organization, and app_key an application key whose user or service account may read metrics — permission timeseries_query)`,
    );
    expect(error.message).not.toContain('revoked0123456789');
    expect(error.transient).toBe(false);
  });

  it("quotes Datadog's reason for a query it cannot read", async () => {
    const error = await collectError(metrics().fetchSeries({ metric: { name: 'latency', query: 'avg:trace.http.request.duration{${selector}} by {pod_name}.bogus()' }, group: group(CANARY), ...range }));
    expect(error.message).toBe(`metric "latency": Datadog at ${fake.url}: HTTP 400: Error parsing query: unknown function ".bogus()"`);
  });

  it('sends no key to an address its folder does not allow', async () => {
    writeFileSync(join(dir, 'datadog', 'address'), 'https://api.datadoghq.com');
    const error = await collectError(metrics().fetchSeries({ metric: { name: 'latency', query: LATENCY }, group: group(CANARY), ...range }));
    expect(error.message).toBe(`metric "latency": Datadog at ${fake.url}: credentials "datadog" may be sent only to https://api.datadoghq.com, not to ${fake.url}`);
    expect(fake.requests).toHaveLength(0);
  });

  it('refuses a hostile hash before asking anything', async () => {
    const error = await collectError(metrics().fetchSeries({ metric: { name: 'latency', query: LATENCY }, group: group('*,service:*'), ...range }));
    expect(error.message).toMatch(/pod-template hash "\*,service:\*" is not a Datadog tag value/);
    expect(fake.requests).toHaveLength(0);
  });
});

describe('Datadog logs', () => {
  const LOG_RANGE = { start: new Date(T0), end: new Date(T0 + WINDOW_MS) };
  const logGroup = (hash: string): LogGroupSelection => ({ podTemplateHash: hash, selectBy: 'podName', hashField: 'rollouts_pod_template_hash', instanceField: 'pod_name' });

  /** `perPod` lines a pod over the window, every `WINDOW_MS / perPod` ms, the first one at the window's start. */
  function podLogs(pod: string, perPod: number, service = 'web'): FakeLog[] {
    return Array.from({ length: perPod }, (_, k) => ({
      timestamp: T0 + Math.floor((k * WINDOW_MS) / perPod),
      message: `GET /cart/${k} 200 in ${k % 50}ms`,
      status: k % 10 === 0 ? 'error' : 'info',
      service,
      tags: [`pod_name:${pod}`, 'kube_namespace:shop'],
    }));
  }

  const request = (overrides: Partial<LogsRequest> = {}): LogsRequest => ({ query: 'service:web', group: logGroup(CANARY), ...LOG_RANGE, limit: 20_000, ...overrides });

  it("follows the cursor through every page of a group's lines, newest first, from (start, end]", async () => {
    fake.logs = [...podLogs(`web-${CANARY}-x2k4p`, 1500), ...podLogs(`web-${CANARY}-q8m3n`, 1001), ...podLogs(`web-${BASELINE}-a1b2c`, 800), ...podLogs(`web-${CANARY}-x2k4p-debug`, 30)];
    fake.logs.push({ timestamp: LOG_RANGE.end.getTime(), message: 'at the end', service: 'web', tags: [`pod_name:web-${CANARY}-x2k4p`] });
    const fetched = await logs().fetchLogs(request());
    // The lines at the start itself are before the range.
    expect(fetched.lines).toHaveLength(1500 + 1001 - 2 + 1);
    expect(fetched.total).toBe(fetched.lines.length);
    // (Its line at the start itself is not asked for.)
    expect(fetched.warnings).toEqual(['left out 29 events of pods not named <name>-<hash>-<suffix>']);
    expect(new Set(fetched.lines.map((line) => line.instance))).toEqual(new Set([`web-${CANARY}-x2k4p`, `web-${CANARY}-q8m3n`]));
    expect(fetched.lines[0]).toEqual({ time: LOG_RANGE.end.getTime(), instance: `web-${CANARY}-x2k4p`, message: 'at the end', level: 'info' });
    expect(fetched.lines.find((line) => line.message === 'GET /cart/10 200 in 10ms')).toMatchObject({ level: 'error' });
    const searches = fake.requestsTo(LOGS_SEARCH_PATH).map((r) => r.body as { filter: Record<string, string>; page: { limit: number; cursor?: string }; sort: string });
    expect(searches.map((s) => [s.page.limit, s.page.cursor !== undefined])).toEqual([
      [1000, false],
      [1000, true],
      [1000, true],
    ]);
    expect(searches[0]).toMatchObject({ filter: { query: `(service:web) AND pod_name:*\\-${CANARY}\\-*`, from: String(T0 + 1), to: String(LOG_RANGE.end.getTime() + 1) }, sort: '-timestamp' });
    expect(fake.requestsTo(LOGS_AGGREGATE_PATH)).toHaveLength(0);
  });

  it('stops at the limit and counts the lines left out', async () => {
    fake.logs = [...podLogs(`web-${CANARY}-x2k4p`, 2500), ...podLogs(`web-${BASELINE}-a1b2c`, 100)];
    const fetched = await logs().fetchLogs(request({ limit: 1200 }));
    expect(fetched.lines).toHaveLength(1200);
    expect(fetched.total).toBe(2499);
    expect(fake.requestsTo(LOGS_SEARCH_PATH).map((r) => (r.body as { page: { limit: number } }).page.limit)).toEqual([1000, 200]);
    // The newest lines are the ones read.
    expect(Math.min(...fetched.lines.map((line) => line.time))).toBeGreaterThan(Math.max(...podLogs(`web-${CANARY}-x2k4p`, 2500).slice(0, 1299).map((l) => l.timestamp)));
    expect(fake.requestsTo(LOGS_AGGREGATE_PATH)[0]!.body).toEqual({ compute: [{ aggregation: 'count', type: 'total' }], filter: { query: `(service:web) AND pod_name:*\\-${CANARY}\\-*`, from: String(T0 + 1), to: String(LOG_RANGE.end.getTime() + 1) } });
  });

  it("keeps the group filter on every alternative of the config's query", async () => {
    fake.logs = [...podLogs(`web-${CANARY}-x2k4p`, 10), ...podLogs(`api-${BASELINE}-a1b2c`, 10, 'api')];
    const fetched = await logs().fetchLogs(request({ query: 'service:web OR service:api' }));
    expect(new Set(fetched.lines.map((line) => line.instance))).toEqual(new Set([`web-${CANARY}-x2k4p`]));
  });

  it('reads the pod and the hash from attributes too', async () => {
    fake.logs = [
      { timestamp: T0 + 1000, message: 'hello', tags: [], attributes: { kubernetes: { pod_name: `web-${CANARY}-x2k4p`, labels: { hash: CANARY } } } },
      { timestamp: T0 + 2000, message: 'other', tags: [], attributes: { kubernetes: { pod_name: `web-${BASELINE}-a1b2c`, labels: { hash: BASELINE } } } },
    ];
    const fetched = await logs().fetchLogs(request({ query: '*', group: { podTemplateHash: CANARY, selectBy: 'label', hashField: '@kubernetes.labels.hash', instanceField: '@kubernetes.pod_name' } }));
    expect(fetched.lines).toEqual([{ time: T0 + 1000, instance: `web-${CANARY}-x2k4p`, message: 'hello', level: 'info' }]);
  });

  it("quotes Datadog's reason for a search it cannot read, naming the query", async () => {
    const error = await collectError(logs().fetchLogs(request({ query: 'service:"web' })));
    expect(error.message).toBe(`metric "logs": Datadog at ${fake.url}: HTTP 400: Invalid query: unterminated quote (query service:"web)`);
  });

  it('names the permission logs need when the keys are refused', async () => {
    writeFileSync(join(dir, 'datadog', 'api_key'), 'revoked0123456789');
    const error = await collectError(logs().fetchLogs(request()));
    expect(error.message).toMatch(/HTTP 403: Forbidden \(the keys in credentials "datadog" were refused: .* may read logs — permission logs_read_data\) \(query service:web\)$/);
  });
});

describe('the fake Datadog refuses what Datadog refuses', () => {
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${fake.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'dd-api-key': fake.apiKey, 'dd-application-key': fake.appKey, ...headers }, body: JSON.stringify(body) });

  it('a request without both keys', async () => {
    const response = await post(LOGS_SEARCH_PATH, {}, { 'dd-application-key': '' });
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ errors: ['Forbidden'] });
  });

  it('a page of more than 1000 logs, a cursor of another search, a timeseries request without its type', async () => {
    expect((await post(LOGS_SEARCH_PATH, { page: { limit: 1001 } })).status).toBe(400);
    expect((await post(LOGS_SEARCH_PATH, { page: { cursor: Buffer.from('0000:1').toString('base64url') } })).status).toBe(400);
    expect((await post(TIMESERIES_PATH, { data: { attributes: { from: 1, to: 2, queries: [] } } })).status).toBe(400);
  });
});
