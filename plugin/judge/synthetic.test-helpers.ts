// Synthetic, seeded inputs for the judge's unit tests: pods of one version that differ by a few percent, steps
// of 30 s, and Poisson counts for ratio metrics. Not a test file itself (vitest collects only *.test.ts).
import { poisson, seededRandom, standardNormal, type Random } from '../../shared/random.js';
import type { InstanceSeries, Sample } from '../collect/source.js';
import type { SpreadPrior } from './comparison.js';
import type { JudgedMetric, Look, RatioGroup } from './types.js';

export const STEP_S = 30;
export const STEPS = 10;
export const DURATION_MS = STEPS * STEP_S * 1000;
export const INTERVAL_MS = STEP_S * 1000;
/** The window's start, in unix seconds. */
export const T0 = 1_700_000_000;

export { seededRandom };

/** What a long history says of pods that differ by `spread` (log sd of levels, or coefficient of variation of rates). */
export function historyPrior(spread: number, df = 20): SpreadPrior {
  return { variance: spread ** 2, df, from: 'history' };
}

/** Step timestamps (unix seconds) of steps first..last-1. */
export function stepTimes(steps = STEPS, first = 0): number[] {
  return Array.from({ length: steps }, (_, i) => T0 + (first + i + 1) * STEP_S);
}

/** `count` quantiles of the standard normal, evenly spaced: a deterministic "typical" sample of pod offsets. */
export function normalQuantiles(count: number): number[] {
  // Bisection on the normal CDF: plenty for tests.
  const cdf = (x: number) => 0.5 * (1 + erf(x / Math.SQRT2));
  return Array.from({ length: count }, (_, i) => {
    const p = (i + 0.5) / count;
    let lo = -10;
    let hi = 10;
    for (let k = 0; k < 80; k++) {
      const mid = (lo + hi) / 2;
      if (cdf(mid) < p) lo = mid;
      else hi = mid;
    }
    return (lo + hi) / 2;
  });
}

function erf(x: number): number {
  const sign = Math.sign(x);
  const a = Math.abs(x);
  // Numerical Recipes erfc approximation (relative error < 1.2e-7).
  const t = 1 / (1 + 0.5 * a);
  const y =
    t *
    Math.exp(
      -a * a -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return sign * (1 - y);
}

export interface LevelOptions {
  /** Number of pods (instances) in the group. */
  pods: number;
  /** The group's typical value (e.g. 0.1 s). */
  level: number;
  /** Standard deviation of each pod's log offset (0.03 ≈ pods differ by 3%); ignored with `podOffsets`. */
  podSpread?: number;
  /** Explicit log offsets per pod, instead of random ones. */
  podOffsets?: readonly number[];
  /** Standard deviation of the per-step log noise of each pod. */
  noise?: number;
  /** A factor shared by every pod of every group at step i (load swings, drift over the window). */
  drift?: (step: number) => number;
  steps?: number;
  /** Index of the first step (a pod that starts later). */
  firstStep?: number;
  /** Instance name prefix. */
  prefix?: string;
}

/** A latency-like series per pod: level × pod offset × drift × step noise, all lognormal. */
export function levelSeries(random: Random, options: LevelOptions): InstanceSeries {
  const { pods, level, podSpread = 0.03, noise = 0.02, drift = () => 1, steps = STEPS, firstStep = 0, prefix = 'pod' } = options;
  const series: InstanceSeries = new Map();
  for (let p = 0; p < pods; p++) {
    const offset = options.podOffsets ? options.podOffsets[p]! : podSpread * standardNormal(random);
    const samples: Sample[] = stepTimes(steps, firstStep).map((t, i) => [t, level * drift(firstStep + i) * Math.exp(offset + noise * standardNormal(random))]);
    series.set(`${prefix}-${p}`, samples);
  }
  return series;
}

export interface RatioOptions {
  pods: number;
  /** Mean requests per pod per step. */
  requests: number;
  /** The group's typical error rate. */
  rate: number;
  /** Coefficient of variation (log sd) of the pods' true rates. */
  podSpread?: number;
  /** Explicit rate multipliers per pod. */
  podFactors?: readonly number[];
  steps?: number;
  prefix?: string;
}

/** Errors out of requests per pod per step, Poisson around each pod's own rate. */
export function ratioGroup(random: Random, options: RatioOptions): RatioGroup {
  const { pods, requests, rate, podSpread = 0.1, steps = STEPS, prefix = 'pod' } = options;
  const numerator: InstanceSeries = new Map();
  const denominator: InstanceSeries = new Map();
  for (let p = 0; p < pods; p++) {
    const factor = options.podFactors ? options.podFactors[p]! : Math.exp(podSpread * standardNormal(random) - podSpread ** 2 / 2);
    const errors: Sample[] = [];
    const total: Sample[] = [];
    for (const t of stepTimes(steps)) {
      const n = poisson(random, requests);
      errors.push([t, Math.min(n, poisson(random, n * rate * factor))]);
      total.push([t, n]);
    }
    numerator.set(`${prefix}-${p}`, errors);
    denominator.set(`${prefix}-${p}`, total);
  }
  return { numerator, denominator };
}

/** A ratio group from fixed totals per pod (events, exposure), spread evenly over the steps. */
export function fixedCounts(pods: ReadonlyArray<readonly [events: number, exposure: number]>, prefix = 'pod'): RatioGroup {
  const numerator: InstanceSeries = new Map();
  const denominator: InstanceSeries = new Map();
  pods.forEach(([events, exposure], p) => {
    const times = stepTimes();
    numerator.set(
      `${prefix}-${p}`,
      times.map((t, i) => [t, Math.floor(events / STEPS) + (i < events % STEPS ? 1 : 0)]),
    );
    denominator.set(
      `${prefix}-${p}`,
      times.map((t, i) => [t, Math.floor(exposure / STEPS) + (i < exposure % STEPS ? 1 : 0)]),
    );
  });
  return { numerator, denominator };
}

/** Only the samples up to `elapsedS` seconds into the window: what a look at that time sees. */
export function upTo<T extends InstanceSeries | RatioGroup>(data: T, elapsedS: number): T {
  const cut = (series: InstanceSeries): InstanceSeries => new Map([...series].map(([pod, samples]) => [pod, samples.filter(([t]) => t <= T0 + elapsedS)]));
  if (data instanceof Map) return cut(data) as T;
  const group = data as RatioGroup;
  return { numerator: cut(group.numerator), denominator: cut(group.denominator) } as T;
}

export function metric(overrides: Partial<JudgedMetric> = {}): JudgedMetric {
  return { name: 'latency_p95', kind: 'latency', direction: 'higher-is-bad', critical: false, weight: 1, mustHaveData: true, ...overrides };
}

/** A look `elapsedS` seconds into a 5-minute window looked at every 30 s. */
export function lookAt(elapsedS: number, durationMs = DURATION_MS, intervalMs = INTERVAL_MS): Look {
  return { elapsedMs: elapsedS * 1000, durationMs, intervalMs };
}

export const FINAL: Look = lookAt(DURATION_MS / 1000);
