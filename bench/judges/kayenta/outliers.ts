// Outlier detectors: each returns, per value, whether it is an outlier.
import { mean, percentile, sampleStd } from './stats.js';

export type OutlierDetector = (values: readonly number[]) => boolean[];

/**
 * Tukey's fences: outside [P25 - factor·IQR, P75 + factor·IQR] (R-7 percentiles). With `reduceSensitivity`
 * the fences are widened to at least the 1st and 99th percentiles, so on near-constant data (IQR ≈ 0) only
 * the extreme 1% can go; this is how Kayenta's judge removes outliers (factor 3 by default).
 */
export function iqrDetector(factor = 1.5, reduceSensitivity = false): OutlierDetector {
  if (!(factor > 0)) throw new RangeError('factor must be greater than zero');
  return (values) => {
    if (values.length === 0) return [];
    const p25 = percentile(values, 25);
    const p75 = percentile(values, 75);
    const iqr = p75 - p25;
    let lowerFence = p25 - factor * iqr;
    let upperFence = p75 + factor * iqr;
    if (reduceSensitivity) {
      lowerFence = Math.min(lowerFence, percentile(values, 1));
      upperFence = Math.max(upperFence, percentile(values, 99));
    }
    return values.map((v) => v < lowerFence || v > upperFence);
  };
}

/** k-sigma rule: farther than k sample standard deviations from the mean. */
export function kSigmaDetector(k = 3): OutlierDetector {
  if (!(k > 0)) throw new RangeError('k must be greater than zero');
  return (values) => {
    if (values.length === 0) return [];
    const centre = mean(values);
    const spread = sampleStd(values);
    return values.map((v) => Math.abs(v - centre) > k * spread);
  };
}
