// Descriptive statistics reported with each metric and used by the outlier detectors.
import { mean as ssMean, sampleStandardDeviation } from 'simple-statistics';

export interface SummaryStatistics {
  min: number;
  max: number;
  mean: number;
  /** Sample (n - 1) standard deviation; 0 for a single value. */
  std: number;
  count: number;
}

/** Arithmetic mean; NaN for an empty sample (so ratios of empty means are NaN, not errors). */
export function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : ssMean(values as number[]);
}

/** Sample standard deviation; 0 below two values, NaN for none. */
export function sampleStd(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  return values.length < 2 ? 0 : sampleStandardDeviation(values as number[]);
}

/** Summary of a sample; all zeros for an empty one, which is how Kayenta reports a metric without data. */
export function summarize(values: readonly number[]): SummaryStatistics {
  if (values.length === 0) return { min: 0, max: 0, mean: 0, std: 0, count: 0 };
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max, mean: mean(values), std: sampleStd(values), count: values.length };
}

/**
 * Percentile p (0 < p <= 100) by linear interpolation between order statistics, Hyndman & Fan's
 * definition 7 (R's default `quantile` type, "R-7"): position h = 1 + (n - 1)·p/100 in the sorted sample.
 * simple-statistics' `quantile` uses a different definition, hence this routine. NaN for an empty sample.
 */
export function percentile(values: readonly number[], p: number): number {
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  const n = values.length;
  if (n === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  if (n === 1) return sorted[0] as number;
  const position = 1 + ((n - 1) * p) / 100;
  const below = Math.floor(position);
  const fraction = position - below;
  if (below >= n) return sorted[n - 1] as number;
  const low = sorted[below - 1] as number;
  const high = sorted[below] as number;
  return low + fraction * (high - low);
}
