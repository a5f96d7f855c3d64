// Pre-processing applied to each side of a metric before classification.
import { iqrDetector, type OutlierDetector } from './outliers.js';

export type NanStrategy = 'remove' | 'replace';
export type OutlierStrategy = 'keep' | 'remove';

/** Drops NaN values (missing samples). */
export function removeNaNs(values: readonly number[]): number[] {
  return values.filter((v) => !Number.isNaN(v));
}

/** Replaces NaN values with `value` (0 by default: for counters, no sample usually means no events). */
export function replaceNaNs(values: readonly number[], value = 0): number[] {
  return values.map((v) => (Number.isNaN(v) ? value : v));
}

/** Drops the values `detector` flags. */
export function removeOutliers(values: readonly number[], detector: OutlierDetector): number[] {
  const flagged = detector(values);
  return values.filter((_, i) => !flagged[i]);
}

export interface PreprocessOptions {
  nanStrategy: NanStrategy;
  outlierStrategy: OutlierStrategy;
  /** IQR factor for outlier removal (Kayenta's default is 3). */
  outlierFactor: number;
}

/**
 * Kayenta's judge pipeline for one side of a metric: NaNs removed or replaced, then optionally the outliers
 * removed with the widened IQR rule (never the k-sigma rule, which a single spike inflates).
 */
export function preprocess(values: readonly number[], options: PreprocessOptions): number[] {
  const cleaned = options.nanStrategy === 'remove' ? removeNaNs(values) : replaceNaNs(values);
  if (options.outlierStrategy !== 'remove') return cleaned;
  return removeOutliers(cleaned, iqrDetector(options.outlierFactor, true));
}
