import { describe, expect, it } from 'vitest';
import type { HealthSource, InstanceSeries, SeriesRequest } from '../collect/source.js';
import { parseVerifySettings } from '../config/schema.js';
import { checkVerification } from './check.js';
import { formatReport } from './report.js';

const END = new Date('2026-01-01T00:10:00Z');
const WINDOW_MS = 600_000;

const settings = (overrides: Record<string, unknown> = {}) =>
  parseVerifySettings({
    duration: '5m',
    source: { prometheus: { address: 'http://prometheus:9090' } },
    metrics: [
      { name: 'errors', kind: 'ratio', numerator: 'sum by (pod) (errors_total{${selector}})', denominator: 'sum by (pod) (requests_total{${selector}})' },
      { name: 'latency', kind: 'latency', query: 'histogram_quantile(0.9, sum by (pod, le) (rate(latency_bucket{${selector}}[${rateInterval}])))' },
    ],
    ...overrides,
  });

interface Traffic {
  /** Requests per pod per 15 s step. */
  requests: number;
  errors?: boolean;
  pods?: number;
}

/**
 * Pods of each hash: counters growing by `requests` (1% errors) every 15 s from the window's start, latency levels
 * every 15 s, and a sample count per series of the window at `scrapeS`.
 */
function source(traffic: Record<string, Traffic>, options: { scrapeS?: number; warnings?: string[] } = {}, calls: SeriesRequest[] = []): HealthSource {
  return {
    description: 'Prometheus at http://prometheus:9090',
    async fetchSeries(request) {
      calls.push(request);
      const { requests, errors = true, pods = 3 } = traffic[request.group.podTemplateHash] ?? { requests: 0, pods: 0 };
      const series: InstanceSeries = new Map();
      const start = request.start.getTime() / 1000;
      const end = request.end.getTime() / 1000;
      for (let p = 0; p < pods; p++) {
        const pod = `web-${request.group.podTemplateHash}-p${p}`;
        if (request.metric.name.endsWith('(samples)')) series.set(pod, [[end, WINDOW_MS / 1000 / (options.scrapeS ?? 30)]]);
        else if (request.metric.name.endsWith('(numerator)') && !errors) continue;
        else if (request.cumulative) {
          const perStep = request.metric.name.endsWith('(numerator)') ? requests / 100 : requests;
          series.set(pod, Array.from({ length: (end - start) / 15 + 1 }, (_, i) => [start + 15 * i, 1000 + perStep * i] as const));
        } else series.set(pod, Array.from({ length: (end - start) / 15 }, (_, i) => [start + 15 * (i + 1), 0.1 * (1 + 0.01 * p)] as const));
      }
      return { series, warnings: options.warnings ?? [] };
    },
  };
}

const healthy = { canary1: { requests: 50, pods: 1 }, stable1: { requests: 50 } };

describe('checkVerification', () => {
  it('says each metric has enough data, with its series, samples, evidence per verification window and the scrape interval seen', async () => {
    const calls: SeriesRequest[] = [];
    // No warm-up: the check's window does not begin when the canary's pods started, so all of it is evidence.
    const check = await checkVerification({ name: 't', settings: settings({ warmup: '0s' }) }, { canary: 'canary1', stable: 'stable1' }, END, WINDOW_MS, source(healthy, {}, calls));
    expect(check.error).toBeUndefined();
    const [errors, latency] = check.metrics;
    expect(errors).toMatchObject({
      ok: true,
      problems: [],
      canary: { hash: 'canary1', instances: 1, samples: 40, numeratorInstances: 1 },
      baseline: { hash: 'stable1', instances: 3, samples: 120, numeratorInstances: 3 },
      evidence: { unit: 'requests', canary: 2000, baseline: 6000, perWindow: { canary: 1000, baseline: 3000 }, least: 200 },
      seenScrapeIntervalMs: 30_000,
    });
    expect(latency).toMatchObject({ ok: true, evidence: { unit: 'samples', canary: 40, baseline: 120, least: 3 } });
    // The same queries as a verification, over the window before END, plus one sample count per group and metric.
    expect(calls.filter((c) => c.metric.name === 'errors (samples)').map((c) => c.metric.query)).toEqual([
      'max by (pod) (count_over_time(requests_total{${selector}}[600s]))',
      'max by (pod) (count_over_time(requests_total{${selector}}[600s]))',
    ]);
    expect(calls.find((c) => c.metric.name === 'errors (numerator)')).toMatchObject({ start: new Date(END.getTime() - WINDOW_MS), end: END, cumulative: true });
    expect(formatReport([check], []).ok).toBe(true);
  });

  it('says when a verification window would not reach minEvidence, even if the whole check window does', async () => {
    const check = await checkVerification({ name: 't', settings: settings({ warmup: '0s' }) }, { canary: 'canary1', stable: 'stable1' }, END, WINDOW_MS, source({ ...healthy, canary1: { requests: 8, pods: 1 } }));
    expect(check.metrics[0]).toMatchObject({ ok: false, evidence: { canary: 320, perWindow: { canary: 160 } } });
    expect(check.metrics[0]!.problems).toEqual(['at this traffic a 5m verification sees about 160 requests for the canary, and needs at least 200 (minEvidence)']);
  });

  it('names a canary without data, and a counter found for no pod', async () => {
    const idle = await checkVerification({ name: 't', settings: settings() }, { canary: 'gone', stable: 'stable1' }, END, WINDOW_MS, source(healthy));
    expect(idle.metrics.map((m) => [m.ok, m.problems[0]])).toEqual([
      [false, 'no data for the canary'],
      [false, 'no data for the canary'],
    ]);
    const misspelt = await checkVerification(
      { name: 't', settings: settings() },
      { canary: 'canary1', stable: 'stable1' },
      END,
      WINDOW_MS,
      source({ canary1: { requests: 50, pods: 1, errors: false }, stable1: { requests: 50, errors: false } }),
    );
    expect(misspelt.metrics[0]!.problems).toEqual(['no numerator series for any pod: check the counter in the numerator, or export it from the start (at 0) so that it exists before the first event']);
  });

  it('flags ranges that hold fewer than two of the samples seen, and the warnings of a partial answer', async () => {
    const slow = settings({ metrics: [{ name: 'latency', kind: 'latency', query: 'rate(latency_sum{${selector}}[1m]) / rate(latency_count{${selector}}[${rateInterval}])' }] });
    const check = await checkVerification({ name: 't', settings: slow }, { canary: 'canary1', stable: 'stable1' }, END, WINDOW_MS, source(healthy, { scrapeS: 120, warnings: ['partial'] }));
    expect(check.metrics[0]!.seenScrapeIntervalMs).toBe(120_000);
    expect(check.metrics[0]!.problems).toEqual([
      'Prometheus warned that its answer may be partial (a passing verdict would be Inconclusive): partial',
      'the range [1m] holds fewer than two of the samples Prometheus has every 2m: write [${rateInterval}] and set source.prometheus.scrapeInterval: 2m',
      '${rateInterval} (2m) holds fewer than two of the samples Prometheus has every 2m: set source.prometheus.scrapeInterval: 2m',
    ]);
  });

  it('checks the stable pods alone when no canary runs', async () => {
    const check = await checkVerification({ name: 't', settings: settings() }, { stable: 'stable1' }, END, WINDOW_MS, source(healthy));
    expect(check.metrics.map((m) => [m.ok, m.canary, m.baseline.instances])).toEqual([
      [true, null, 3],
      [true, null, 3],
    ]);
    expect(formatReport([check], []).text).toContain('stable (no canary: compared with itself) stable1: 3 pods');
  });

  it('reports queries that could not be run', async () => {
    const failing: HealthSource = { description: 'Prometheus at http://p', fetchSeries: () => Promise.reject(new Error('connection refused')) };
    const check = await checkVerification({ name: 't', settings: settings() }, { stable: 'stable1' }, END, WINDOW_MS, failing);
    expect(check.error).toBe('connection refused');
    expect(formatReport([check], []).ok).toBe(false);
  });

  it('prints each source health check, and is not ok when one failed', async () => {
    const check = await checkVerification({ name: 't', settings: settings({ warmup: '0s' }) }, { canary: 'canary1', stable: 'stable1' }, END, WINDOW_MS, source(healthy));
    const passing = formatReport([{ ...check, sources: [{ setting: 'source', ok: true, detail: 'Prometheus 2.53.3 at http://prometheus:9090' }] }], []);
    expect(passing.ok).toBe(true);
    expect(passing.text).toContain('\n  source: ok — Prometheus 2.53.3 at http://prometheus:9090\n');
    const failing = formatReport(
      [
        {
          ...check,
          sources: [
            { setting: 'source', ok: true, detail: 'Prometheus 2.53.3 at http://prometheus:9090' },
            { setting: 'logs.source', ok: false, detail: 'Loki at http://loki:3100: connection refused' },
          ],
        },
      ],
      [],
    );
    expect(failing.ok).toBe(false);
    expect(failing.text).toContain('\n  logs.source: FAIL — Loki at http://loki:3100: connection refused\n');
    expect(failing.text.trimEnd().split('\n').at(-1)).toBe('1 source failed its health check');
  });
});
