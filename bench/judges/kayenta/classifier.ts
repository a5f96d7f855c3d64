// Kayenta's Mann-Whitney metric classifier.
//
// A metric is High (Low) when the confidence interval for the canary-minus-baseline shift lies entirely above
// (below) a dead band of ±tolerance·|estimate| and the effect size clears `allowedIncrease`
// (`allowedDecrease`). The dead band scales with the estimate, so a statistically clear but relatively tiny
// shift still passes; the effect gate stops large samples from failing a canary on a negligible change.
import { cles, meanRatio } from './effect-sizes.js';
import { mannWhitneyShift, type ShiftInterval } from './mann-whitney.js';
import type { NanStrategy } from './preprocessing.js';
import type { Direction, EffectSizeMeasure, MetricClassification, MetricLabel } from './types.js';

export interface EffectSizeThresholds {
  measure: EffectSizeMeasure;
  /** High needs an effect size at least this large. */
  allowedIncrease: number;
  /** Low needs an effect size at most this large. */
  allowedDecrease: number;
  /** A critical metric's High only fails the canary outright at or above this. */
  criticalIncrease: number;
  /** A critical metric's Low only fails the canary outright at or below this. */
  criticalDecrease: number;
}

export interface MannWhitneySettings {
  /** Half-width of the dead band, as a fraction of |estimate| (Kayenta's judge: 0.25). */
  tolerance: number;
  /** Two-sided confidence level of the interval (Kayenta's judge: 0.98). */
  confidenceLevel: number;
  effectSize: EffectSizeThresholds;
}

export interface MetricOptions {
  /** Used in reasons only. */
  name?: string;
  direction: Direction;
  /** With 'replace' a side without data cannot happen upstream, so an empty side counts as Pass. */
  nanStrategy: NanStrategy;
  critical: boolean;
  mustHaveData: boolean;
}

export interface MannWhitneyClassification extends MetricClassification {
  /** The interval and estimate behind a High/Low/Pass decision, when a test was run. */
  interval?: ShiftInterval;
}

/** Classifier defaults when a caller passes no thresholds: no effect-size gate (ratios of 1). */
export const NO_EFFECT_GATE: EffectSizeThresholds = {
  measure: 'meanRatio',
  allowedIncrease: 1,
  allowedDecrease: 1,
  criticalIncrease: 1,
  criticalDecrease: 1,
};

/**
 * Classifies the canary (`experiment`) against the baseline (`control`). The arrays are used as given; the
 * judge removes NaNs and outliers before calling this. Throws AllTiedError if the rank test is undefined.
 */
export function classifyMannWhitney(
  control: readonly number[],
  experiment: readonly number[],
  options: MetricOptions,
  settings: MannWhitneySettings,
): MannWhitneyClassification {
  const name = options.name ?? 'metric';
  if (experiment.length === 0 || control.length === 0) return missingData(name, options);

  if (sameMultiset(experiment, control)) {
    return { classification: 'Pass', reason: 'The canary and baseline data are identical', deviation: 1, critical: false };
  }
  if (new Set([...experiment, ...control]).size === 1) return { classification: 'Pass', deviation: 1, critical: false };

  const interval = shiftInterval(experiment, control, settings.confidenceLevel);
  const thresholds = settings.effectSize;
  const deviation = thresholds.measure === 'cles' ? cles(control, experiment) : meanRatio(control, experiment);
  // An undefined effect size (a zero mean) cannot veto a clear shift.
  const clearsIncrease = (limit: number) => Number.isNaN(deviation) || deviation >= limit;
  const clearsDecrease = (limit: number) => Number.isNaN(deviation) || deviation <= limit;

  const band = settings.tolerance * Math.abs(interval.estimate);
  const watchIncrease = options.direction === 'increase' || options.direction === 'either';
  const watchDecrease = options.direction === 'decrease' || options.direction === 'either';
  let label: MetricLabel = 'Pass';
  if (watchIncrease && interval.lower > band && clearsIncrease(thresholds.allowedIncrease)) label = 'High';
  else if (watchDecrease && interval.upper < -band && clearsDecrease(thresholds.allowedDecrease)) label = 'Low';

  if (label === 'Pass') return { classification: 'Pass', deviation, critical: false, interval };
  const critical =
    options.critical &&
    (label === 'High' ? clearsIncrease(thresholds.criticalIncrease) : clearsDecrease(thresholds.criticalDecrease));
  const reason = `${name} was classified as ${label}${critical ? ' (Critical)' : ''}`;
  return { classification: label, reason, deviation, critical, interval };
}

/** Nodata, NodataFailMetric (data required but not critical) or, when NaNs are replaced, Pass. */
export function missingData(name: string, options: MetricOptions): MetricClassification {
  if (options.nanStrategy !== 'remove') return { classification: 'Pass', deviation: 1, critical: false };
  const reason = `Missing data for ${name}`;
  if (options.mustHaveData && !options.critical) {
    return { classification: 'NodataFailMetric', reason, deviation: 1, critical: false };
  }
  return { classification: 'Nodata', reason, deviation: 1, critical: options.critical };
}

/**
 * The rank interval, except when each side is a single repeated value: then the rank statistic is undefined
 * at the one shift that matters. Kayenta jitters both sides with Gaussian noise of relative size 1e-5 so
 * the test can run; the samples are then fully separated and the interval collapses onto the difference of
 * the two values, which is what this returns, deterministically.
 */
function shiftInterval(experiment: readonly number[], control: readonly number[], confidenceLevel: number): ShiftInterval {
  if (isConstant(experiment) && isConstant(control)) {
    const difference = (experiment[0] as number) - (control[0] as number);
    return { lower: difference, upper: difference, estimate: difference };
  }
  return mannWhitneyShift(experiment, control, confidenceLevel);
}

function isConstant(values: readonly number[]): boolean {
  return values.every((v) => v === values[0]);
}

function sameMultiset(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  const sa = [...a].sort((x, y) => x - y);
  const sb = [...b].sort((x, y) => x - y);
  return sa.every((v, i) => v === sb[i]);
}
