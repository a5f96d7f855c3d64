import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { classCounts, generateScenario, generateScenarios, METRICS, START_S, STEP_S, STEPS, WINDOW_S } from './generator.js';
import { CLASSES, type RatioSeries, type Scenario, type Series } from './types.js';

const point = z.tuple([z.number().int(), z.number().finite().nonnegative()]);
const series = z.array(point);
const ratio = z.strictObject({ numerator: series, denominator: series });
const group = z.record(z.string(), z.union([series, ratio]));
const judgeInput = z.strictObject({
  config: z.strictObject({
    sensitivity: z.enum(['high', 'medium', 'low']),
    duration: z.string(),
    failOnNoData: z.boolean(),
    metrics: z.array(
      z.strictObject({
        name: z.string(),
        kind: z.enum(['ratio', 'latency', 'throughput', 'resource', 'gauge']),
        direction: z.enum(['higher-is-bad', 'lower-is-bad', 'either']),
        critical: z.boolean().optional(),
      }),
    ),
  }),
  start: z.iso.datetime(),
  now: z.iso.datetime(),
  data: z.record(z.string(), z.strictObject({ canary: group, baseline: group })),
});

const SEED = 11;
const oneOfEach = CLASSES.map((label, id) => generateScenario(SEED, id, label));

function mean(xs: readonly number[]): number {
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}

/** Canary mean over baseline mean of a plain metric, pooled over pods and steps. */
function canaryOverBaseline(scenario: Scenario, metric: string): number {
  const values = (side: 'canary' | 'baseline') => Object.values(scenario.input.data[metric]![side]).flatMap((s) => (s as Series).map(([, v]) => v));
  return mean(values('canary')) / mean(values('baseline'));
}

/** Canary error rate over baseline error rate, on the summed counts. */
function errorRateRatio(scenario: Scenario): number {
  const rate = (side: 'canary' | 'baseline') => {
    const all = Object.values(scenario.input.data.errors![side]) as RatioSeries[];
    const sum = (pick: (s: RatioSeries) => Series) => all.flatMap(pick).reduce((s, [, v]) => s + v, 0);
    return sum((s) => s.numerator) / sum((s) => s.denominator);
  };
  return rate('canary') / rate('baseline');
}

describe('generateScenarios', () => {
  it('is deterministic: the same seed gives the same data, another seed different data', () => {
    expect(generateScenarios({ seed: SEED, count: 30 })).toEqual(generateScenarios({ seed: SEED, count: 30 }));
    expect(generateScenarios({ seed: SEED + 1, count: 30 })).not.toEqual(generateScenarios({ seed: SEED, count: 30 }));
  });

  it('splits the count across every class exactly', () => {
    for (const count of [13, 100, 2000]) {
      const counts = classCounts(count);
      expect(Object.values(counts).reduce((s, n) => s + n, 0)).toBe(count);
    }
    expect(classCounts(2000)).toMatchObject({ healthy: 600, 'outlier baseline pod': 160, 'no data': 60, 'errors x2': 120 });
    const scenarios = generateScenarios({ seed: SEED, count: 200 });
    const counts = classCounts(200);
    for (const label of CLASSES) expect(scenarios.filter((s) => s.label === label)).toHaveLength(counts[label]);
    expect(scenarios.map((s) => s.id)).toEqual(scenarios.map((_, i) => i));
  });

  it('labels each class with the answer a good judge gives', () => {
    const expected = Object.fromEntries(oneOfEach.map((s) => [s.label, [s.expected, s.healthy, s.onsetS === null]]));
    expect(expected).toMatchObject({
      healthy: ['pass', true, true],
      'outlier baseline pod': ['pass', true, true],
      'low traffic': ['no-analysis', true, true],
      'no data': ['no-analysis', true, true],
      'latency+25%': ['flag', false, false],
      'errors x2': ['flag', false, false],
      'resource+50%': ['flag', false, false],
    });
  });

  it('emits the judge input format: one series per pod, counts for ratios, 10 steps of 30 s in a 5-minute window', () => {
    for (const scenario of oneOfEach) {
      const { input } = scenario;
      expect(() => judgeInput.parse(input)).not.toThrow();
      expect(input.config.duration).toBe('5m');
      expect(Date.parse(input.now) - Date.parse(input.start)).toBe(WINDOW_S * 1000);
      expect(Object.keys(input.data)).toEqual(METRICS.map((m) => m.name));
      for (const metric of METRICS) {
        const { canary, baseline } = input.data[metric.name]!;
        const baselinePods = Object.keys(baseline).length;
        expect([9, 18]).toContain(baselinePods);
        expect(Object.keys(canary)).toHaveLength(scenario.label === 'no data' ? 0 : baselinePods / 9);
        for (const s of [...Object.values(canary), ...Object.values(baseline)]) {
          expect(Array.isArray(s)).toBe(metric.kind !== 'ratio');
          for (const [t] of Array.isArray(s) ? s : s.denominator) {
            expect((t - START_S) % STEP_S).toBe(0);
            expect(t > START_S && t <= START_S + STEPS * STEP_S).toBe(true);
          }
        }
      }
    }
  });

  it('leaves gaps (missing scrapes, restarts) in some series', () => {
    const scenarios = generateScenarios({ seed: SEED, count: 100 });
    const lengths = scenarios.flatMap((s) => Object.values(s.input.data.cpu_cores!.baseline).map((series) => (series as Series).length));
    expect(lengths.some((n) => n < STEPS)).toBe(true);
    expect(lengths.filter((n) => n === STEPS).length / lengths.length).toBeGreaterThan(0.8);
  });

  it('injects each regression with its size, on average over scenarios', () => {
    const average = (label: (typeof CLASSES)[number], measure: (s: Scenario) => number) =>
      mean(Array.from({ length: 60 }, (_, i) => measure(generateScenario(SEED, 1000 + i, label))));
    const latency = (s: Scenario) => canaryOverBaseline(s, 'latency_p95_ms');
    expect(average('healthy', latency)).toBeCloseTo(1, 1);
    // One in five regressions starts mid-window, so the window's average shows a little less than the full effect.
    expect(average('latency+50%', latency)).toBeGreaterThan(1.4);
    expect(average('latency+50%', latency)).toBeLessThan(1.55);
    expect(average('latency+100%', latency)).toBeGreaterThan(1.8);
    expect(average('resource+50%', (s) => canaryOverBaseline(s, 'cpu_cores'))).toBeGreaterThan(1.4);
    expect(average('throughput-30%', (s) => canaryOverBaseline(s, 'throughput_rps'))).toBeLessThan(0.75);
    expect(average('healthy', errorRateRatio)).toBeCloseTo(1, 0);
    expect(average('errors x5', errorRateRatio)).toBeGreaterThan(4);
  });

  it('gives low-traffic canaries only a few requests per step', () => {
    const scenario = generateScenario(SEED, 5, 'low traffic');
    const requests = Object.values(scenario.input.data.errors!.canary).flatMap((s) => (s as RatioSeries).denominator.map(([, v]) => v));
    expect(mean(requests)).toBeLessThan(STEP_S * 0.2 * 1.5);
  });
});
