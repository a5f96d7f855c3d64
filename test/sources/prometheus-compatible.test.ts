// The Prometheus source read against two real PromQL servers holding the same samples: Prometheus (backfilled
// with promtool) and VictoriaMetrics (imported), side by side. Both get ten minutes of history for a canary and a
// baseline, scraped every 15 s: request counters by status code (a pod restarting, an error counter created by the
// first error, a pod started late) and a gauge, and an unrelated pod that neither group may pick up. Each case
// reads both groups through the source, as the engine does, and compares instance by instance.
//
// Where the servers legitimately differ, the case says how and asserts what must still hold:
// - VictoriaMetrics keeps about 12 significant digits of a value (a block of samples shares one exponent): values
//   are compared within a relative 1e-9;
// - rate() over a range reaching back before a series' first sample (a pod just started, an error counter created
//   by its first error): Prometheus extrapolates the increase to at most half a scrape interval beyond the samples
//   and divides by the whole range, VictoriaMetrics divides the increase by the time its samples span, so
//   Prometheus' rate is the lower one there;
// - staleness: without staleness markers (none are written for backfilled or imported samples, nor for series a
//   remote writer stops sending) Prometheus repeats a series' last value for its 5 min lookback, VictoriaMetrics
//   stops a step after it;
// - alignment: left to itself, VictoriaMetrics moves a range query of 50 points or more to multiples of the step
//   (so that its response cache can be used), up to a step before the times asked for; the source sends
//   nocache=1, so both servers answer at the times asked for.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPrometheus, type LocalPrometheus, startLocalPrometheus } from '../../plugin/demo/local-prometheus.js';
import { findVictoriaMetrics, type LocalVictoriaMetrics, startLocalVictoriaMetrics } from '../../plugin/demo/local-victoriametrics.js';
import type { PastSeries } from '../../plugin/demo/past-series.js';
import { createHealthSource, sourceConfigSchema } from '../../plugin/collect/registry.js';
import { seededRandom } from '../../shared/random.js';
import { CollectError, type FetchedSeries, type GroupSelection, type GroupsRequest, type HealthSource, type InstanceSeries } from '../../plugin/collect/source.js';

const SCRAPE_S = 15;
// Whole minutes, the last sample 7 min ago: the staleness case reads 5 min past it, and VictoriaMetrics shows
// nothing younger than 30 s.
const DATA_END_S = Math.floor(Date.now() / 60_000) * 60 - 7 * 60;
const DATA_START_S = DATA_END_S - 10 * 60;
const HASH_LABEL = 'rollouts_pod_template_hash';

interface PodPlan {
  name: string;
  hash: string;
  /** Requests per second and the share of them failing. */
  rps: number;
  errorRate: number;
  /** Seconds after DATA_START_S of its first scrape (a pod started late). */
  startsAt?: number;
  /** Seconds after DATA_START_S when its container restarts, its counters starting over. */
  restartsAt?: number;
}

const CANARY = '7d9f8c6b5';
const BASELINE = '5b8c4d7f9';
const PODS: PodPlan[] = [
  { name: `web-${CANARY}-x2k4p`, hash: CANARY, rps: 20, errorRate: 0.05 },
  { name: `web-${CANARY}-q8m3n`, hash: CANARY, rps: 18, errorRate: 0.05, restartsAt: 360 },
  { name: `web-${BASELINE}-a1b2c`, hash: BASELINE, rps: 22, errorRate: 0.001 },
  { name: `web-${BASELINE}-d3e4f`, hash: BASELINE, rps: 21, errorRate: 0.01 },
  { name: `web-${BASELINE}-g5h6j`, hash: BASELINE, rps: 19, errorRate: 0.01, startsAt: 240 },
  // Another ReplicaSet's pod: in neither group.
  { name: 'web-9f8e7d6c5-zzzzz', hash: '9f8e7d6c5', rps: 25, errorRate: 0.5 },
];

/** Each pod's scrapes: cumulative requests by code (the 500 series from the first error on) and a CPU gauge. */
function history(): PastSeries[] {
  // Seeded, so that a failure can be reproduced.
  const next = seededRandom(20_260_301);
  return PODS.flatMap((pod) => {
    const labels = { pod: pod.name, [HASH_LABEL]: pod.hash };
    const ok: [number, number][] = [];
    const failed: [number, number][] = [];
    const cpu: [number, number][] = [];
    let [okTotal, failedTotal] = [0, 0];
    for (let s = pod.startsAt ?? 0; s <= DATA_END_S - DATA_START_S; s += SCRAPE_S) {
      if (s === pod.restartsAt) [okTotal, failedTotal] = [0, 0];
      const requests = Math.round(pod.rps * SCRAPE_S * (0.8 + 0.4 * next()));
      const errors = Math.round(requests * pod.errorRate * 2 * next());
      okTotal += requests - errors;
      failedTotal += errors;
      const at = (DATA_START_S + s) * 1000;
      ok.push([at, okTotal]);
      // A labelled counter exists from its first increment on: no 500 series before the first error.
      if (failedTotal > 0 || failed.length) failed.push([at, failedTotal]);
      cpu.push([at, 0.2 + 0.6 * next()]);
    }
    return [
      { labels: { __name__: 'http_requests_total', code: '200', ...labels }, samples: ok },
      { labels: { __name__: 'http_requests_total', code: '500', ...labels }, samples: failed },
      { labels: { __name__: 'cpu_usage_ratio', ...labels }, samples: cpu },
    ].filter((series) => series.samples.length);
  });
}

// Label values that end a string or a line in the text formats the samples travel in.
const ODD_LABEL_VALUE = 'quote " backslash \\ newline \n brace } comma , equals = ünïcode';
const LATE_POD = PODS.find((pod) => pod.startsAt !== undefined)!;
const RESTARTED_POD = PODS.find((pod) => pod.restartsAt !== undefined)!;
const HISTORY = [...history(), { labels: { __name__: 'build_info', version: ODD_LABEL_VALUE }, samples: [[DATA_START_S * 1000, 1]] } satisfies PastSeries];

/** What a sum by (pod) of the selected series is at `t` from the raw samples: each series' last sample at or before it. */
function expectedAt(pod: string, metric: string, t: number, code?: RegExp): number | undefined {
  let sum: number | undefined;
  for (const { labels, samples } of HISTORY) {
    if (labels.pod !== pod || labels.__name__ !== metric || (code && !code.test(labels.code!))) continue;
    const last = samples.filter(([time]) => time <= t * 1000).at(-1);
    if (last) sum = (sum ?? 0) + last[1];
  }
  return sum;
}

const missing = [findPrometheus, findVictoriaMetrics].flatMap((find) => {
  try {
    find();
    return [];
  } catch (error) {
    return [(error as Error).message];
  }
});
// Skipped only where a server is not installed, and never in CI, which runs scripts/setup.sh: there a missing
// binary fails the suite with the command that installs it.
const skip = missing.length > 0 && !['true', '1'].includes(process.env.CI ?? '');
if (skip) console.warn(`skipping the Prometheus-compatible servers suite: ${missing.join('; ')}`);

interface Server {
  source: HealthSource;
  address: string;
}

let prometheus: LocalPrometheus | undefined;
let victoriaMetrics: LocalVictoriaMetrics | undefined;
let servers: Server[] = [];

function sourceFor(address: string): HealthSource {
  const config = sourceConfigSchema.parse({ prometheus: { address, step: `${SCRAPE_S}s`, scrapeInterval: `${SCRAPE_S}s`, timeout: '10s' } });
  return createHealthSource(config);
}

beforeAll(async () => {
  if (skip) return;
  if (missing.length) throw new Error(missing.join('\n'));
  [prometheus, victoriaMetrics] = await Promise.all([startLocalPrometheus({ history: HISTORY }), startLocalVictoriaMetrics()]);
  await victoriaMetrics.importSamples(HISTORY);
  servers = [
    { source: sourceFor(prometheus.url), address: prometheus.url },
    { source: sourceFor(victoriaMetrics.url), address: victoriaMetrics.url },
  ];
}, 60_000);

afterAll(async () => {
  await Promise.all([prometheus?.stop(), victoriaMetrics?.stop()]);
});

const selections = {
  label: (hash: string): GroupSelection => ({ podTemplateHash: hash, selectBy: 'label', hashLabel: HASH_LABEL, instanceLabel: 'pod' }),
  podName: (hash: string): GroupSelection => ({ podTemplateHash: hash, selectBy: 'podName', hashLabel: HASH_LABEL, instanceLabel: 'pod' }),
};
type SelectBy = keyof typeof selections;

/** Canary then baseline, from each server. */
async function fromBoth(selectBy: SelectBy, request: Omit<GroupsRequest, 'groups'>): Promise<[FetchedSeries[], FetchedSeries[]]> {
  const groups = [selections[selectBy](CANARY), selections[selectBy](BASELINE)];
  const [fromPrometheus, fromVictoriaMetrics] = await Promise.all(servers.map(({ source }) => source.fetchGroups!({ ...request, groups })));
  for (const fetched of [...fromPrometheus!, ...fromVictoriaMetrics!]) expect(fetched.warnings).toEqual([]);
  return [fromPrometheus!, fromVictoriaMetrics!];
}

function close(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}

/** Differences between two instances' samples, one line each: none when the timestamps match and values are close. */
function differences(expected: InstanceSeries, actual: InstanceSeries): string[] {
  const lines: string[] = [];
  for (const pod of new Set([...expected.keys(), ...actual.keys()])) {
    const [a, b] = [expected.get(pod), actual.get(pod)];
    if (!a || !b) {
      lines.push(`${pod}: only in ${a ? 'the first' : 'the second'}`);
      continue;
    }
    const times = (samples: typeof a) => samples.map(([t]) => t - DATA_START_S).join(',');
    if (times(a) !== times(b)) lines.push(`${pod}: points at ${times(a)} vs ${times(b)} s after the data's start`);
    else a.forEach(([t, value], i) => close(value, b[i]![1]) || lines.push(`${pod} at ${t}: ${value} vs ${b[i]![1]}`));
  }
  return lines;
}

const podsOf = (hash: string) => PODS.filter((pod) => pod.hash === hash).map((pod) => pod.name).sort();
const firstScrapeOf = (pod: string) => DATA_START_S + (PODS.find((plan) => plan.name === pod)!.startsAt ?? 0);
const instances = (series: InstanceSeries) => [...series.keys()].sort();
const window = (fromS: number, toS: number) => ({ start: new Date(fromS * 1000), end: new Date(toS * 1000) });

describe.skipIf(skip)(`the Prometheus source against Prometheus and VictoriaMetrics${skip ? ` (skipped: ${missing.join('; ')})` : ''}`, () => {
  describe.each(['label', 'podName'] as const)('groups selected by %s', (selectBy) => {
    it('reads the same gauge from both, as the samples were', async () => {
      const [fromPrometheus, fromVictoriaMetrics] = await fromBoth(selectBy, {
        metric: { name: 'cpu', query: 'sum by (pod) (cpu_usage_ratio{${selector}})' },
        ...window(DATA_START_S, DATA_END_S),
      });
      [CANARY, BASELINE].forEach((hash, group) => {
        const [p, v] = [fromPrometheus[group]!.series, fromVictoriaMetrics[group]!.series];
        expect(instances(p)).toEqual(podsOf(hash));
        expect(differences(p, v)).toEqual([]);
        // Neither server invents or moves a sample: each point is the pod's last scrape at or before it.
        for (const [pod, samples] of p) {
          for (const [t, value] of samples) expect(close(value, expectedAt(pod, 'cpu_usage_ratio', t)!), `${pod} at ${t}`).toBe(true);
        }
      });
      // (start, end]: the first point a step after the start; the late pod from its first scrape on.
      expect(fromPrometheus[0]!.series.get(PODS[0]!.name)![0]![0]).toBe(DATA_START_S + SCRAPE_S);
      expect(fromPrometheus[1]!.series.get(LATE_POD.name)![0]![0]).toBe(firstScrapeOf(LATE_POD.name));
    });

    it('reads the same cumulative counters from both, including the start, a restart and a late error counter', async () => {
      const range = window(DATA_START_S, DATA_END_S);
      const [errors, requests] = await Promise.all([
        fromBoth(selectBy, { metric: { name: 'errors', query: 'sum by (pod) (http_requests_total{code=~"5..",${selector}})' }, ...range, cumulative: true }),
        fromBoth(selectBy, { metric: { name: 'requests', query: 'sum by (pod) (http_requests_total{${selector}})' }, ...range, cumulative: true }),
      ]);
      for (const [[fromPrometheus, fromVictoriaMetrics], code] of [
        [errors, /^5..$/],
        [requests, undefined],
      ] as const) {
        [CANARY, BASELINE].forEach((hash, group) => {
          const [p, v] = [fromPrometheus[group]!.series, fromVictoriaMetrics[group]!.series];
          expect(instances(p)).toEqual(podsOf(hash));
          expect(differences(p, v)).toEqual([]);
          for (const [pod, samples] of p) expect(samples).toEqual(samples.map(([t]) => [t, expectedAt(pod, 'http_requests_total', t, code)]));
        });
      }
      // A cumulative read has the value at the start itself, the base its increases are taken from.
      expect(requests[0][0]!.series.get(PODS[0]!.name)![0]![0]).toBe(DATA_START_S);
      // The restart shows as a counter going down; an error counter created after the start has no point there.
      const restarted = requests[1][0]!.series.get(RESTARTED_POD.name)!;
      expect(restarted.some(([, value], i) => i > 0 && value < restarted[i - 1]![1])).toBe(true);
      expect([...errors[1][1]!.series.values()].some((samples) => samples[0]![0] > DATA_START_S + SCRAPE_S)).toBe(true);
    });
  });

  it("agrees on rate() where its range is covered by samples; before a series' first one, VictoriaMetrics does not extrapolate", async () => {
    // ${rateInterval} is 60 s here: four scrape intervals.
    const [fromPrometheus, fromVictoriaMetrics] = await fromBoth('label', {
      metric: { name: 'throughput', query: 'sum by (pod) (rate(http_requests_total{${selector}}[${rateInterval}]))' },
      ...window(DATA_START_S, DATA_END_S),
    });
    const RANGE_S = 60;
    let extrapolated = 0;
    [CANARY, BASELINE].forEach((hash, group) => {
      const [p, v] = [fromPrometheus[group]!.series, fromVictoriaMetrics[group]!.series];
      expect(instances(p)).toEqual(podsOf(hash));
      expect(instances(v)).toEqual(podsOf(hash));
      for (const [pod, samples] of p) {
        // When each of the pod's counters (the error counter is created by the first error) began.
        const starts = HISTORY.filter(({ labels }) => labels.pod === pod && labels.__name__ === 'http_requests_total').map(({ samples: [first] }) => first![0] / 1000);
        const vm = new Map(v.get(pod));
        for (const [t, value] of samples) {
          const other = vm.get(t);
          expect(other, `${pod} at ${t}`).toBeDefined();
          if (starts.every((start) => start > t || start <= t - RANGE_S)) {
            // The range holds each counter's scrapes from its start to its end: the same increase over the same time.
            expect(close(value, other!), `${pod} at ${t}: ${value} vs ${other}`).toBe(true);
          } else {
            // The range reaches back before a counter's first sample: Prometheus extrapolates the increase by at
            // most half a scrape interval (all the way only when the gap is shorter than 1.1 intervals) and divides
            // by the whole range, VictoriaMetrics divides by the time its samples span.
            expect(value <= other! || close(value, other!), `${pod} at ${t}: ${value} vs ${other}`).toBe(true);
            if (!close(value, other!)) extrapolated += 1;
          }
        }
        expect(v.get(pod)!.map(([t]) => t), pod).toEqual(samples.map(([t]) => t));
      }
    });
    expect(extrapolated).toBeGreaterThan(0);
  });

  it('repeats a series that stopped for 5 min on Prometheus; VictoriaMetrics stops a step after its last sample', async () => {
    const [fromPrometheus, fromVictoriaMetrics] = await fromBoth('label', {
      metric: { name: 'cpu', query: 'sum by (pod) (cpu_usage_ratio{${selector}})' },
      ...window(DATA_END_S - 60, DATA_END_S + 300),
    });
    for (const group of [0, 1]) {
      const [p, v] = [fromPrometheus[group]!.series, fromVictoriaMetrics[group]!.series];
      expect(instances(v)).toEqual(instances(p));
      for (const [pod, samples] of p) {
        const last = expectedAt(pod, 'cpu_usage_ratio', DATA_END_S)!;
        // Prometheus: up to the end of the window, the last value from the last sample on.
        expect(samples.at(-1)).toEqual([DATA_END_S + 300, last]);
        expect(samples.filter(([t]) => t >= DATA_END_S).every(([, value]) => value === last)).toBe(true);
        // VictoriaMetrics: the same points up to a step after the last sample, then none.
        const kept = v.get(pod)!;
        expect(kept.at(-1)![0]).toBe(DATA_END_S + SCRAPE_S);
        expect(differences(new Map([[pod, samples.slice(0, kept.length)]]), new Map([[pod, kept]]))).toEqual([]);
      }
    }
  });

  it('gets the points at the times asked for from both servers, also for 50 points or more (VictoriaMetrics would align them to the step)', async () => {
    const STEP_S = 5;
    // 62 s after a whole minute: not a multiple of the step; 107 points.
    const [fromPrometheus, fromVictoriaMetrics] = await fromBoth('label', {
      metric: { name: 'cpu', query: 'sum by (pod) (cpu_usage_ratio{${selector}})' },
      ...window(DATA_START_S + 62, DATA_END_S),
      stepMs: STEP_S * 1000,
    });
    const shift = (DATA_START_S + 62 + STEP_S) % STEP_S;
    expect(shift).not.toBe(0);
    for (const group of [0, 1]) {
      const [p, v] = [fromPrometheus[group]!.series, fromVictoriaMetrics[group]!.series];
      expect(instances(v)).toEqual(instances(p));
      for (const [pod, samples] of p) {
        expect(samples[0]![0]).toBe(Math.max(DATA_START_S + 62 + STEP_S, firstScrapeOf(pod) + shift));
        expect(v.get(pod)!.map(([t]) => t)).toEqual(samples.map(([t]) => t));
        for (const [[t, value], server] of [...samples.map((s) => [s, 'Prometheus'] as const), ...v.get(pod)!.map((s) => [s, 'VictoriaMetrics'] as const)]) {
          expect(close(value, expectedAt(pod, 'cpu_usage_ratio', t)!), `${server}: ${pod} at ${t}`).toBe(true);
        }
      }
    }
  });

  it('holds label values as they were given, on both servers', async () => {
    for (const { address } of servers) {
      const form = new URLSearchParams({ 'match[]': '{__name__="build_info"}', start: String(DATA_START_S), end: String(DATA_END_S) });
      const answer = (await (await fetch(`${address}/api/v1/series`, { method: 'POST', body: form })).json()) as { data: unknown };
      expect(answer.data, address).toEqual([{ __name__: 'build_info', version: ODD_LABEL_VALUE }]);
    }
  });

  it('reports a query either server refuses as a CollectError naming the metric and the server', async () => {
    const broken = { name: 'broken-query', query: 'sum by (pod) (rate(http_requests_total{${selector}}[${rateInterval}])' };
    for (const { source, address } of servers) {
      const error = await source.fetchGroups!({ metric: broken, groups: [selections.label(CANARY), selections.label(BASELINE)], ...window(DATA_START_S, DATA_END_S) }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(CollectError);
      expect(error).toMatchObject({ metric: 'broken-query', source: `Prometheus at ${address}`, transient: false });
      expect((error as CollectError).message.startsWith(`metric "broken-query": Prometheus at ${address}: HTTP 4`)).toBe(true);
    }
  });
});
