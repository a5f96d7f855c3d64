import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CLASS_SPECS, classCounts, isRegression } from './classes.js';
import { generateScenario, generateScenarios, METRICS, streamScenarios } from './generator.js';
import { HISTORY } from './history.js';
import { CLASSES, type RatioSeries, type Scenario, type ScenarioClass, type Series } from './types.js';
import { START_S, STEP_S, STEPS, WINDOW_S } from './window.js';

const point = z.tuple([z.number().int(), z.number().finite().nonnegative()]);
const series = z.array(point);
const ratio = z.strictObject({ numerator: series, denominator: series });
const group = z.record(z.string(), z.union([series, ratio]));
const judgeInput = z.strictObject({
  config: z.strictObject({
    sensitivity: z.enum(['high', 'medium', 'low']),
    duration: z.string(),
    warmup: z.string().optional(),
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
  history: z.record(z.string(), z.array(group)).optional(),
});

const SEED = 11;
const oneOfEach = CLASSES.map((label, id) => generateScenario(SEED, id, label));

function mean(xs: readonly number[]): number {
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}

/** Canary mean over baseline mean of a plain metric, pooled over pods and the steps ending in (fromS, toS] of the window. */
function canaryOverBaseline(scenario: Scenario, metric: string, fromS = 0, toS = WINDOW_S): number {
  const values = (side: 'canary' | 'baseline') =>
    Object.values(scenario.input.data[metric]![side]).flatMap((s) => (s as Series).filter(([t]) => t - START_S > fromS && t - START_S <= toS).map(([, v]) => v));
  return mean(values('canary')) / mean(values('baseline'));
}

const many = (label: ScenarioClass, n = 60) => Array.from({ length: n }, (_, i) => generateScenario(SEED, 1000 + i, label));
const average = (label: ScenarioClass, measure: (s: Scenario) => number) => mean(many(label).map(measure));

function sd(xs: readonly number[]): number {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((sum, x) => sum + (x - m) ** 2, 0) / (xs.length - 1));
}

/** The spread of pods' mean log latency: among the window's stable pods, and within each past period (averaged). */
function latencySpread(scenario: Scenario): { today: number; history: number } {
  const podMeans = (group: Record<string, unknown>) => Object.values(group).map((s) => mean((s as Series).map(([, v]) => Math.log(v))));
  const periods = scenario.input.history!.latency_p95_ms!;
  return { today: sd(podMeans(scenario.input.data.latency_p95_ms!.baseline)), history: mean(periods.map((period) => sd(podMeans(period)))) };
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

  it('draws the history last, so that a scenario without it is otherwise the same', () => {
    for (const scenario of generateScenarios({ seed: SEED, count: 50 })) {
      const { history: _, ...input } = scenario.input;
      expect(generateScenario(SEED, scenario.id, scenario.label, { history: false })).toEqual({ ...scenario, input });
    }
    expect([...streamScenarios({ seed: SEED, count: 30, history: false })].every((s) => s.input.history === undefined)).toBe(true);
  });

  it('splits the count across every class exactly, with at least 5,000 healthy and 150 of each regression in 8,000', () => {
    expect(CLASSES.reduce((sum, label) => sum + CLASS_SPECS[label].share, 0)).toBeCloseTo(1, 12);
    for (const count of [13, 100, 2000]) {
      const counts = classCounts(count);
      expect(Object.values(counts).reduce((s, n) => s + n, 0)).toBe(count);
    }
    const counts = classCounts(8000);
    const healthy = CLASSES.filter((label) => CLASS_SPECS[label].expected === 'pass');
    expect(healthy.reduce((sum, label) => sum + counts[label], 0)).toBeGreaterThanOrEqual(5000);
    for (const label of CLASSES.filter(isRegression)) expect(counts[label]).toBeGreaterThanOrEqual(150);
    expect(Math.max(...CLASSES.filter((label) => label !== 'healthy').map((label) => counts[label]))).toBeLessThan(counts.healthy);
    const scenarios = generateScenarios({ seed: SEED, count: 200 });
    for (const label of CLASSES) expect(scenarios.filter((s) => s.label === label)).toHaveLength(classCounts(200)[label]);
    expect(scenarios.map((s) => s.id)).toEqual(scenarios.map((_, i) => i));
  });

  it('labels each class with the answer a good judge gives', () => {
    const expected = Object.fromEntries(oneOfEach.map((s) => [s.label, [s.expected, s.healthy, s.truth.onsetS === null]]));
    expect(expected).toMatchObject({
      healthy: ['pass', true, true],
      'healthy 1 stable pod': ['pass', true, true],
      'healthy 2-3 stable pods': ['pass', true, true],
      'cold canary': ['pass', true, true],
      'healthy wider spread': ['pass', true, true],
      'healthy no history': ['pass', true, true],
      'outlier baseline pod': ['pass', true, true],
      'low traffic': ['no-analysis', true, true],
      'no data': ['no-analysis', true, true],
      'latency+25%': ['flag', false, false],
      'errors x2': ['flag', false, false],
      'resource+50%': ['flag', false, false],
      '2 stable: errors x5': ['flag', false, false],
      'late latency+25%': ['flag', false, false],
      'canary outlier pod': ['flag', false, false],
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
        expect(Object.keys(canary)).toEqual(scenario.label === 'no data' ? [] : scenario.truth.pods.filter((p) => p.canary).map((p) => p.name));
        expect(Object.keys(baseline)).toEqual(scenario.truth.pods.filter((p) => !p.canary).map((p) => p.name));
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

  it('gives each class its canary and stable pods', () => {
    const pods = (s: Scenario) => [s.truth.pods.filter((p) => p.canary).length, s.truth.pods.filter((p) => !p.canary).length].join('/');
    const seen = (label: ScenarioClass) => [...new Set(many(label, 40).map(pods))].sort();
    for (const label of ['healthy', 'outlier baseline pod', 'low traffic', 'no data', 'latency+10%', 'errors x5', 'resource+50%'] as const) {
      expect(seen(label)).toEqual(['1/9', '2/18']);
    }
    for (const label of ['cold canary', 'healthy wider spread', 'healthy no history', 'late latency+25%'] as const) expect(seen(label)).toEqual(['1/9']);
    expect(seen('healthy 1 stable pod')).toEqual(['1/1']);
    expect(seen('healthy 2-3 stable pods')).toEqual(['1/2', '1/3']);
    for (const label of ['2 stable: latency+50%', '2 stable: latency+100%', '2 stable: errors x5'] as const) expect(seen(label)).toEqual(['1/2']);
    expect(seen('canary outlier pod')).toEqual(['3/9']);
  });

  it('starts the main regressions at the first step and the late one at a step boundary from 60 to 180 s', () => {
    for (const label of CLASSES.filter((label) => isRegression(label) && label !== 'late latency+25%')) {
      expect(new Set(many(label, 20).map((s) => s.truth.onsetS))).toEqual(new Set([0]));
    }
    const late = many('late latency+25%', 100);
    expect(new Set(late.map((s) => s.truth.onsetS))).toEqual(new Set([60, 90, 120, 150, 180]));
    const ratio = (fromS: number, toS: number) => mean(late.map((s) => canaryOverBaseline(s, 'latency_p95_ms', fromS, toS)));
    expect(ratio(0, 60)).toBeCloseTo(1, 1);
    expect(ratio(210, WINDOW_S)).toBeCloseTo(1.25, 1);
  });

  it('runs a cold canary 30% slower and hotter in its first 60 s only', () => {
    for (const metric of ['latency_p95_ms', 'cpu_cores']) {
      expect(average('cold canary', (s) => canaryOverBaseline(s, metric, 0, 60))).toBeCloseTo(1.3, 1);
      expect(average('cold canary', (s) => canaryOverBaseline(s, metric, 60, WINDOW_S))).toBeCloseTo(1, 1);
    }
    expect(oneOfEach.find((s) => s.label === 'cold canary')!.truth.warmup).toEqual({ untilS: 60, latency: 1.3, cpu: 1.3 });
  });

  it('puts one canary pod of a canary-outlier scenario on a bad node, always the worse way', () => {
    for (const scenario of many('canary outlier pod', 30)) {
      const bad = scenario.truth.pods.filter((p) => p.latency > 1.6);
      expect(bad).toHaveLength(1);
      expect(bad[0]).toMatchObject({ canary: true });
      expect(bad[0]!.errors).toBeGreaterThan(3);
      expect(bad[0]!.cpu).toBeGreaterThan(1.2);
    }
  });

  it("adds the stable version's history: 8 past periods of max(2, stable pods) fresh pods, 12 steps of 300 s before the window", () => {
    for (const scenario of oneOfEach) {
      const { history } = scenario.input;
      if (scenario.label === 'healthy no history') {
        expect(history).toBeUndefined();
        continue;
      }
      expect(Object.keys(history!)).toEqual(METRICS.map((m) => m.name));
      const stable = scenario.truth.pods.filter((p) => !p.canary).length;
      for (const metric of METRICS) {
        const periods = history![metric.name]!;
        expect(periods).toHaveLength(HISTORY.periods);
        periods.forEach((period, p) => {
          expect(Object.keys(period)).toEqual(Array.from({ length: Math.max(2, stable) }, (_, i) => `web-old${p}-${i}`));
          for (const series of Object.values(period)) {
            expect(Array.isArray(series)).toBe(metric.kind !== 'ratio');
            const times = (Array.isArray(series) ? series : series.denominator).map(([t]) => t - (START_S - (p + 1) * HISTORY.periodS));
            expect(times.length).toBeGreaterThan(0);
            // Step ends within the period's hour, the same time of day as the window, every one before it.
            for (const t of times) {
              expect(t % HISTORY.stepS).toBe(0);
              expect(t > 0 && t <= HISTORY.steps * HISTORY.stepS).toBe(true);
            }
          }
        });
      }
    }
  });

  it("spreads today's pods twice as wide as the history's for `healthy wider spread`, and alike otherwise", () => {
    const noisier = generateScenario(SEED, 7, 'healthy wider spread').truth.noise;
    const usual = generateScenario(SEED, 7, 'healthy no history').truth.noise;
    expect(noisier).toEqual({ ...usual, latencySigma: 2 * usual.latencySigma, cpuSigma: 2 * usual.cpuSigma, errorShape: usual.errorShape / 4 });
    const ratio = (label: ScenarioClass) => {
      const spreads = many(label).map(latencySpread);
      return mean(spreads.map((s) => s.today)) / mean(spreads.map((s) => s.history));
    };
    expect(ratio('healthy wider spread')).toBeGreaterThan(1.6);
    expect(ratio('healthy wider spread')).toBeLessThan(2.4);
    expect(ratio('healthy')).toBeGreaterThan(0.8);
    expect(ratio('healthy')).toBeLessThan(1.25);
  });

  it('leaves gaps (missing scrapes, restarts) in some series', () => {
    const scenarios = generateScenarios({ seed: SEED, count: 100 });
    const lengths = scenarios.flatMap((s) => Object.values(s.input.data.cpu_cores!.baseline).map((series) => (series as Series).length));
    expect(lengths.some((n) => n < STEPS)).toBe(true);
    expect(lengths.filter((n) => n === STEPS).length / lengths.length).toBeGreaterThan(0.8);
  });

  it('injects each regression with its size, on average over scenarios, and records it in the truth', () => {
    const latency = (s: Scenario) => canaryOverBaseline(s, 'latency_p95_ms');
    expect(average('healthy', latency)).toBeCloseTo(1, 1);
    expect(average('latency+50%', latency)).toBeCloseTo(1.5, 1);
    expect(average('latency+100%', latency)).toBeGreaterThan(1.85);
    expect(average('2 stable: latency+100%', latency)).toBeGreaterThan(1.85);
    expect(average('resource+50%', (s) => canaryOverBaseline(s, 'cpu_cores'))).toBeGreaterThan(1.4);
    expect(average('throughput-30%', (s) => canaryOverBaseline(s, 'throughput_rps'))).toBeLessThan(0.75);
    expect(average('healthy', errorRateRatio)).toBeCloseTo(1, 0);
    expect(average('errors x5', errorRateRatio)).toBeGreaterThan(4);
    expect(average('2 stable: errors x5', errorRateRatio)).toBeGreaterThan(4);
    expect(oneOfEach.find((s) => s.label === 'errors x2')!.truth.effect).toEqual({ latency: 1, errors: 2, traffic: 1, cpu: 1 });
    expect(oneOfEach.find((s) => s.label === 'healthy')!.truth.effect).toEqual({ latency: 1, errors: 1, traffic: 1, cpu: 1 });
  });

  it('gives low-traffic canaries only a few requests per step', () => {
    const scenario = generateScenario(SEED, 5, 'low traffic');
    const requests = Object.values(scenario.input.data.errors!.canary).flatMap((s) => (s as RatioSeries).denominator.map(([, v]) => v));
    expect(mean(requests)).toBeLessThan(STEP_S * 0.2 * 1.5);
  });
});
