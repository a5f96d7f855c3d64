// The New Relic source read against the fake NerdGraph (test/fakes/newrelic): ten minutes of Transaction and Log
// events of a canary and a baseline — a pod started late, errors, an unrelated ReplicaSet's pod that neither group
// may pick up — built through the registry from `source.newrelic` as the engine builds it. Each case compares the
// series with what the events say, computed here directly; the failure cases check what a message may say and
// that the User key is in none.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { increasesPerStep } from '../../plugin/collect/counters.js';
import { createHealthSource, createLogSource, sourceConfigSchema, logSourceConfigSchema } from '../../plugin/collect/registry.js';
import { newrelic } from '../../plugin/collect/newrelic/backend.js';
import { PAGE_LINES } from '../../plugin/collect/newrelic/logs.js';
import { NRQL_DOCUMENT } from '../../plugin/collect/newrelic/nerdgraph.js';
import { RequestQueue } from '../../plugin/collect/request-queue.js';
import type { CollectError, GroupSelection, HealthSource, InstanceSeries, LogGroupSelection } from '../../plugin/collect/source.js';
import { collectError as rejection } from '../helpers/collect-error.js';
import type { FakeEvent } from '../fakes/newrelic/nrql.js';
import { FakeNewRelic } from '../fakes/newrelic/server.js';

const CANARY = '7d9f8c6b5';
const BASELINE = '5b8c4d7f9';
const OTHER = '9f8e7d6c5';
// Whole minutes, long ago: the data do not move while the suite runs.
const START_MS = Date.UTC(2026, 0, 1, 12, 0, 0);
const END_MS = START_MS + 10 * 60_000;
const STEP_S = 30;

interface PodPlan {
  name: string;
  hash: string;
  /** Milliseconds between transactions, their duration (s), every how many one fails. */
  everyMs: number;
  duration: number;
  failEvery: number;
  /** Seconds after START_MS of its first event (a pod started late). */
  startsAt?: number;
}

const PODS: PodPlan[] = [
  { name: `web-${CANARY}-x2k4p`, hash: CANARY, everyMs: 2000, duration: 0.25, failEvery: 10 },
  { name: `web-${CANARY}-q8m3n`, hash: CANARY, everyMs: 3000, duration: 0.3, failEvery: 5, startsAt: 200 },
  { name: `web-${BASELINE}-a1b2c`, hash: BASELINE, everyMs: 2000, duration: 0.2, failEvery: 50 },
  { name: `web-${BASELINE}-d3e4f`, hash: BASELINE, everyMs: 2500, duration: 0.21, failEvery: 40 },
  // Another ReplicaSet's pod: in neither group.
  { name: `web-${OTHER}-zzzzz`, hash: OTHER, everyMs: 1000, duration: 9, failEvery: 2 },
];

function transactions(): FakeEvent[] {
  return PODS.flatMap((pod) => {
    const events: FakeEvent[] = [];
    let n = 0;
    for (let t = START_MS + (pod.startsAt ?? 0) * 1000 + 700; t < END_MS; t += pod.everyMs) {
      n++;
      // Durations vary by event so that averages per bucket differ.
      const duration = pod.duration + (n % 7) * 0.01;
      events.push({ eventType: 'Transaction', timestamp: t, attributes: { appName: 'web', 'k8s.podName': pod.name, rollouts_pod_template_hash: pod.hash, duration, error: n % pod.failEvery === 0 } });
    }
    // Another service's transactions on the same pod names: the query's own condition leaves them out.
    events.push({ eventType: 'Transaction', timestamp: START_MS + 60_500, attributes: { appName: 'batch', 'k8s.podName': pod.name, rollouts_pod_template_hash: pod.hash, duration: 100, error: true } });
    return events;
  });
}

function logs(): FakeEvent[] {
  return PODS.flatMap((pod, p) =>
    Array.from({ length: 40 }, (_, i): FakeEvent => ({
      eventType: 'Log',
      timestamp: START_MS + 1000 * (i * 15 + p),
      attributes: { 'service.name': 'web', 'k8s.podName': pod.name, rollouts_pod_template_hash: pod.hash, message: `GET /orders/${i} took ${i}ms`, ...(i % 10 === 0 ? { level: 'ERROR' } : {}) },
    })),
  );
}

let fake: FakeNewRelic;
let credentialsDir: string;

function credential(name: string, files: Record<string, string>): void {
  mkdirSync(join(credentialsDir, name), { recursive: true });
  for (const [file, content] of Object.entries(files)) writeFileSync(join(credentialsDir, name, file), content);
}

beforeAll(async () => {
  fake = await FakeNewRelic.start({ events: [...transactions(), ...logs()] });
  credentialsDir = mkdtempSync(join(tmpdir(), 'rollouts-cv-newrelic-'));
  credential('newrelic', { address: `${fake.url}\n`, api_key: `${fake.apiKey}\n` });
  credential('wrong-key', { address: fake.url, api_key: 'NRAK-WRONG0KEY' });
  credential('real-newrelic', { address: 'https://api.newrelic.com/graphql', api_key: fake.apiKey });
});

afterAll(async () => {
  await fake.close();
  rmSync(credentialsDir, { recursive: true, force: true });
});

afterEach(() => {
  fake.journal.length = 0;
  fake.messages = [];
});

const settings = (overrides: Record<string, unknown> = {}) => ({ newrelic: { accountId: fake.accountId, credentials: 'newrelic', address: fake.url, step: `${STEP_S}s`, ...overrides } });
const metricsSource = (overrides: Record<string, unknown> = {}): HealthSource =>
  createHealthSource(sourceConfigSchema.parse(settings(overrides)), { credentialsDir, queue: new RequestQueue() });
const logSource = (overrides: Record<string, unknown> = {}) => createLogSource(logSourceConfigSchema.parse(settings(overrides)), { credentialsDir, queue: new RequestQueue() });

const selection = (podTemplateHash: string, selectBy: 'label' | 'podName' = 'podName'): GroupSelection => ({ podTemplateHash, selectBy, hashLabel: 'rollouts_pod_template_hash', instanceLabel: 'k8s.podName' });
const logSelection = (podTemplateHash: string, selectBy: 'label' | 'podName' = 'podName'): LogGroupSelection => ({ podTemplateHash, selectBy, hashField: 'rollouts_pod_template_hash', instanceField: 'k8s.podName' });

const LATENCY = "SELECT average(duration) FROM Transaction WHERE appName = 'web' AND ${selector}";
const ERRORS = "SELECT count(*) FROM Transaction WHERE appName = 'web' AND error IS true AND ${selector}";
const REQUESTS = "SELECT count(*) FROM Transaction WHERE appName = 'web' AND ${selector}";

/** Per pod of `hash`, what the events say for each 30 s bucket of the range, stamped at its end. */
function expected(hash: string, value: (events: FakeEvent[]) => number | null): InstanceSeries {
  const series: InstanceSeries = new Map();
  const events = transactions().filter((e) => e.attributes.appName === 'web');
  for (const pod of PODS.filter((p) => p.hash === hash)) {
    const samples: [number, number][] = [];
    for (let end = START_MS + STEP_S * 1000; end <= END_MS; end += STEP_S * 1000) {
      const inBucket = events.filter((e) => e.attributes['k8s.podName'] === pod.name && e.timestamp >= end - STEP_S * 1000 && e.timestamp < end);
      const v = value(inBucket);
      if (v !== null) samples.push([end / 1000, v]);
    }
    series.set(pod.name, samples);
  }
  return series;
}

const average = (events: FakeEvent[]) => (events.length ? events.reduce((sum, e) => sum + (e.attributes.duration as number), 0) / events.length : null);

async function collectError(promise: Promise<unknown>): Promise<CollectError> {
  const error = await rejection(promise);
  expect(error.message).not.toContain(fake.apiKey);
  return error;
}

describe('New Relic metrics', () => {
  const range = { start: new Date(START_MS), end: new Date(END_MS) };

  it('reads both groups in one NerdGraph request, each pod its own series, stamped at the end of each bucket', async () => {
    const source = metricsSource();
    expect(source.description).toBe(`New Relic account ${fake.accountId} (${fake.url})`);
    const [canary, baseline] = await source.fetchGroups!({ metric: { name: 'latency', query: LATENCY }, groups: [selection(CANARY), selection(BASELINE)], ...range });
    expect(fake.journal).toHaveLength(1);
    for (const [fetched, hash] of [[canary!, CANARY], [baseline!, BASELINE]] as const) {
      expect(fetched.warnings).toEqual([]);
      expect([...fetched.series.keys()].sort()).toEqual(PODS.filter((p) => p.hash === hash).map((p) => p.name).sort());
      for (const [pod, samples] of expected(hash, average)) {
        expect(fetched.series.get(pod)!.map(([t]) => t)).toEqual(samples.map(([t]) => t));
        fetched.series.get(pod)!.forEach(([, v], i) => expect(v).toBeCloseTo(samples[i]![1], 12));
      }
    }
  });

  it('sends the NRQL as a GraphQL variable, with the User key and the NRQL timeout', async () => {
    await metricsSource({ timeout: '20s' }).fetchSeries({ metric: { name: 'latency', query: LATENCY }, group: selection(CANARY), ...range });
    const [request] = fake.journal;
    expect(request).toMatchObject({ apiKey: fake.apiKey, contentType: 'application/json', document: NRQL_DOCUMENT, status: 200 });
    expect(request!.variables).toEqual({
      accountId: fake.accountId,
      timeout: 20,
      nrql: `SELECT average(duration) FROM Transaction WHERE appName = 'web' AND (\`k8s.podName\` RLIKE '.+-${CANARY}-[a-z0-9]+') FACET \`k8s.podName\` LIMIT MAX SINCE ${START_MS} UNTIL ${END_MS} TIMESERIES 30 SECONDS`,
    });
  });

  it('selects by the hash attribute alike', async () => {
    const source = metricsSource();
    const byLabel = await source.fetchGroups!({ metric: { name: 'latency', query: LATENCY }, groups: [selection(CANARY, 'label'), selection(BASELINE, 'label')], ...range });
    const byName = await source.fetchGroups!({ metric: { name: 'latency', query: LATENCY }, groups: [selection(CANARY), selection(BASELINE)], ...range });
    expect(byLabel).toEqual(byName);
    expect(fake.queries[0]).toContain("FACET `k8s.podName`, `rollouts_pod_template_hash` LIMIT MAX");
  });

  it("gives a ratio's counters whose increases are the events of each bucket", async () => {
    const source = metricsSource();
    const request = { groups: [selection(CANARY), selection(BASELINE)], ...range, cumulative: true };
    const [errors, requests] = await Promise.all([
      source.fetchGroups!({ ...request, metric: { name: 'error-rate (numerator)', query: ERRORS } }),
      source.fetchGroups!({ ...request, metric: { name: 'error-rate (denominator)', query: REQUESTS } }),
    ]);
    for (const [i, hash] of [CANARY, BASELINE].entries()) {
      const counts = increasesPerStep(errors[i]!.series, requests[i]!.series, START_MS / 1000);
      const wanted = (count: (events: FakeEvent[]) => number) => {
        const all = expected(hash, count);
        // A pod's steps begin at its first request (the buckets before it started have none).
        for (const [pod, samples] of all) all.set(pod, samples.slice(samples.findIndex(([, n]) => n > 0)));
        return all;
      };
      expect(counts.denominator).toEqual(wanted((events) => events.length));
      // The errors of each of those steps.
      const failed = expected(hash, (events) => events.filter((e) => e.attributes.error === true).length);
      expect(counts.numerator.size).toBe(2);
      for (const [pod, steps] of counts.denominator) {
        const times = new Set(steps.map(([t]) => t));
        expect(counts.numerator.get(pod)).toEqual(failed.get(pod)!.filter(([t]) => times.has(t)));
      }
    }
    // The late pod's series starts where its requests do, not at the start.
    const late = requests[0]!.series.get(`web-${CANARY}-q8m3n`)!;
    expect(late[0]![0]).toBe((START_MS + 210_000) / 1000);
    expect(requests[0]!.series.get(`web-${CANARY}-x2k4p`)![0]).toEqual([START_MS / 1000, 0]);
  });

  it('reads coarser buckets when asked, within 366 per query', async () => {
    const day = { start: new Date(END_MS - 86_400_000), end: new Date(END_MS) };
    const { series } = await metricsSource().fetchSeries({ metric: { name: 'latency', query: LATENCY }, group: selection(CANARY), ...day, stepMs: 60_000 });
    expect(fake.queries[0]).toContain('TIMESERIES 237 SECONDS');
    const times = series.get(`web-${CANARY}-x2k4p`)!.map(([t]) => t);
    expect(times.every((t) => t > day.start.getTime() / 1000 && t <= END_MS / 1000 && (END_MS / 1000 - t) % 237 === 0)).toBe(true);
  });

  it("passes New Relic's messages on as warnings", async () => {
    fake.messages = ['Your query time range was adjusted'];
    const { warnings } = await metricsSource().fetchSeries({ metric: { name: 'latency', query: LATENCY }, group: selection(CANARY), ...range });
    expect(warnings).toEqual(['Your query time range was adjusted']);
  });

  it('warns when the answer holds as many instances as New Relic returns', async () => {
    const many = Array.from({ length: 5001 }, (_, i): FakeEvent => ({ eventType: 'Busy', timestamp: START_MS + 1000, attributes: { 'k8s.podName': `web-${CANARY}-p${i}`, v: i } }));
    const saved = fake.events;
    fake.events = many;
    try {
      const fetched = await metricsSource().fetchSeries({ metric: { name: 'busy', query: 'SELECT max(v) FROM Busy WHERE ${selector}' }, group: selection(CANARY), start: new Date(START_MS), end: new Date(START_MS + 30_000) });
      expect(fetched.series.size).toBe(5000);
      expect(fetched.warnings).toEqual(['the answer holds 5000 instances, as many as New Relic returns (LIMIT MAX): instances beyond them are missing']);
    } finally {
      fake.events = saved;
    }
  });

  it('passes a query that would break a GraphQL document through verbatim, as a variable', async () => {
    const hostile = 'SELECT average(duration) FROM Transaction WHERE appName = \'"){ x } } } mutation { y(id: $accountId) }\' AND ${selector}';
    const { series } = await metricsSource().fetchSeries({ metric: { name: 'latency', query: hostile }, group: selection(CANARY), ...range });
    expect(series.size).toBe(0);
    expect(fake.journal[0]!.document).toBe(NRQL_DOCUMENT);
    expect(fake.queries[0]).toContain('appName = \'"){ x } } } mutation { y(id: $accountId) }\'');
  });

  it('asks nothing before a whole second has passed', async () => {
    expect(await metricsSource().fetchSeries({ metric: { name: 'latency', query: LATENCY }, group: selection(CANARY), start: new Date(START_MS), end: new Date(START_MS + 500) })).toEqual({ series: new Map(), warnings: [] });
    expect(fake.journal).toHaveLength(0);
  });
});

describe('New Relic failures', () => {
  const request = { metric: { name: 'latency', query: LATENCY }, group: selection(CANARY), start: new Date(START_MS), end: new Date(END_MS) };

  it("quotes an NRQL error NerdGraph answers with HTTP 200, as final", async () => {
    const error = await collectError(metricsSource().fetchSeries({ ...request, metric: { name: 'latency', query: 'SELECT average(duration FROM Transaction WHERE ${selector}' } }));
    expect(error.message).toMatch(new RegExp(`^metric "latency": New Relic account ${fake.accountId} \\(http://127\\.0\\.0\\.1:\\d+/graphql\\): HTTP 200 INVALID_INPUT: NRQL Syntax Error: Error at line 1 position \\d+, unexpected 'FROM', expected '\\)'$`));
    expect(error.transient).toBe(false);
    expect(fake.journal).toHaveLength(1);
  });

  it('names the credentials folder of a refused key, never the key', async () => {
    const error = await collectError(metricsSource({ credentials: 'wrong-key' }).fetchSeries(request));
    expect(error.message).toContain('HTTP 401: New Relic refused the User key of credentials "wrong-key" for account 1234567; check that its api_key file holds a valid User key');
    expect(error.message).not.toContain('NRAK-WRONG0KEY');
    expect(error.transient).toBe(false);
  });

  it('says so when the key has no access to the account', async () => {
    const error = await collectError(metricsSource({ accountId: 7654321 }).fetchSeries(request));
    expect(error.message).toContain('HTTP 200 FORBIDDEN: New Relic refused the User key of credentials "newrelic" for account 7654321');
  });

  it('sends the key nowhere its folder does not allow', async () => {
    const error = await collectError(metricsSource({ credentials: 'real-newrelic' }).fetchSeries(request));
    expect(error.message).toContain(`credentials "real-newrelic" may be sent only to https://api.newrelic.com/graphql, not to ${fake.url}`);
    expect(fake.journal).toHaveLength(0);
  });

  it('tries a rate-limited request again', async () => {
    fake.inject('too-many-requests');
    const { series } = await metricsSource().fetchSeries(request);
    expect(series.size).toBe(2);
    expect(fake.journal.map((entry) => entry.status)).toEqual([429, 200]);
  });

  it("reports NerdGraph's timeouts as transient after the retries", async () => {
    fake.inject('nrql-timeout', 'nrql-timeout', 'nrql-timeout');
    const error = await collectError(metricsSource().fetchSeries(request));
    expect(error.message).toContain('HTTP 200 TIMEOUT: NRDB query duration exceeded the timeout');
    expect(error.transient).toBe(true);
    expect(fake.journal).toHaveLength(3);
  });

  it('tells only the shape of a body that is not from NerdGraph', async () => {
    fake.inject('bad-gateway', 'bad-gateway', 'bad-gateway');
    const error = await collectError(metricsSource().fetchSeries(request));
    expect(error.message).toMatch(/: HTTP 502, not a NerdGraph response \(text\/html, 41 bytes\)$/);
    expect(error.transient).toBe(true);
  });

  it('gives up a cancelled request', async () => {
    fake.inject('no-answer');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const error = await collectError(metricsSource().fetchSeries({ ...request, signal: controller.signal }));
    expect(error.message).toContain('the call was cancelled or ran out of time before the query was answered');
    expect(error.transient).toBe(true);
  });

  it('tells only the shape of a 200 answer that is not from NerdGraph', async () => {
    fake.inject('login-page');
    const error = await collectError(metricsSource().fetchSeries(request));
    expect(error.message).toMatch(/: HTTP 200, not a NerdGraph response \(text\/html, 50 bytes\)$/);
    expect(error.message).not.toContain('s3cr3t');
    expect(error.transient).toBe(false);
  });
});

describe('New Relic logs', () => {
  const range = { start: new Date(START_MS), end: new Date(END_MS) };
  const QUERY = "service.name = 'web'";

  it("reads one group's lines over (start, end], with their pod and level", async () => {
    const source = logSource();
    const { lines, total, warnings } = await source.fetchLogs({ query: QUERY, group: logSelection(CANARY), ...range, limit: 1000 });
    expect(warnings).toEqual([]);
    const wanted = logs().filter((e) => e.attributes.rollouts_pod_template_hash === CANARY && e.timestamp > START_MS && e.timestamp <= END_MS);
    expect(lines).toHaveLength(wanted.length);
    expect(total).toBe(wanted.length);
    expect(new Set(lines.map((l) => l.instance))).toEqual(new Set([`web-${CANARY}-x2k4p`, `web-${CANARY}-q8m3n`]));
    expect(lines.find((l) => l.message === 'GET /orders/10 took 10ms' && l.instance === `web-${CANARY}-x2k4p`)).toEqual({ time: START_MS + 150_000, instance: `web-${CANARY}-x2k4p`, message: 'GET /orders/10 took 10ms', level: 'ERROR' });
    // The line at the start itself is before the range; no count query was needed.
    expect(lines.some((l) => l.time === START_MS)).toBe(false);
    expect(fake.queries).toEqual([
      `SELECT \`timestamp\`, \`message\`, \`k8s.podName\`, \`level\` FROM Log WHERE (service.name = 'web') AND \`k8s.podName\` RLIKE '.+-${CANARY}-[a-z0-9]+' SINCE ${START_MS + 1} UNTIL ${END_MS + 1} ORDER BY timestamp DESC LIMIT 1000`,
    ]);
  });

  it('counts the lines beyond the limit', async () => {
    const { lines, total } = await logSource().fetchLogs({ query: QUERY, group: logSelection(BASELINE, 'label'), ...range, limit: 10 });
    expect(lines).toHaveLength(10);
    // The newest first.
    expect(Math.min(...lines.map((l) => l.time))).toBeGreaterThan(START_MS + 500_000);
    expect(total).toBe(80);
    expect(fake.queries[1]).toBe(`SELECT count(*) FROM Log WHERE (service.name = 'web') AND \`rollouts_pod_template_hash\` = '${BASELINE}' SINCE ${START_MS + 1} UNTIL ${END_MS + 1}`);
  });

  it('reads a page at a time, each line once, lines of one instant split between pages included', async () => {
    const saved = fake.events;
    const pod = `web-${CANARY}-x2k4p`;
    const line = (timestamp: number, i: number): FakeEvent => ({ eventType: 'Log', timestamp, attributes: { 'service.name': 'web', 'k8s.podName': pod, message: `line ${i}` } });
    // 2,990 lines a millisecond apart, and 20 older ones at one instant that the third page cuts through.
    fake.events = [...Array.from({ length: 2990 }, (_, i) => line(END_MS - i, i)), ...Array.from({ length: 20 }, (_, i) => line(END_MS - 6000, 5000 + i))];
    try {
      const { lines, total } = await logSource().fetchLogs({ query: QUERY, group: logSelection(CANARY), ...range, limit: 20_000 });
      expect(fake.queries).toHaveLength(4);
      expect(fake.queries.map((q) => /UNTIL (\d+) ORDER BY timestamp DESC LIMIT (\d+)$/.exec(q)!.slice(1).map(Number))).toEqual([
        [END_MS + 1, PAGE_LINES],
        // Each page's oldest instant is read again with the next.
        [END_MS - 999 + 1, PAGE_LINES],
        [END_MS - 1998 + 1, PAGE_LINES],
        [END_MS - 6000 + 1, PAGE_LINES],
      ]);
      expect(lines).toHaveLength(3010);
      expect(new Set(lines.map((l) => l.message)).size).toBe(3010);
      expect(total).toBe(3010);
    } finally {
      fake.events = saved;
    }
  });

  it('asks for the attribute naming the pod when lines lack it', async () => {
    const error = await collectError(logSource().fetchLogs({ query: QUERY, group: { ...logSelection(CANARY, 'label'), instanceField: 'pod_name' }, ...range, limit: 10 }));
    expect(error.message).toContain('a Log event has no "pod_name" attribute');
    expect(error.message).toContain('set logs.instanceField to the attribute naming the pod');
    expect(error.message).toContain("(query service.name = 'web')");
  });

  it('refuses a condition that would escape its parentheses and widen the group, before asking', async () => {
    const hostile = "service.name = 'web') OR (true";
    expect(newrelic.logs!.queryProblems(hostile, newrelic.settings.parse(settings().newrelic))).toEqual(['a ) at character 21 closes no (']);
    const error = await collectError(logSource().fetchLogs({ query: hostile, group: logSelection(CANARY), ...range, limit: 10 }));
    expect(error.message).toContain('expected an NRQL condition on Log events: a ) at character 21 closes no (');
    expect(fake.journal).toHaveLength(0);
  });
});
