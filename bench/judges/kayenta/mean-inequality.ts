// Kayenta's mean-inequality classifier: High whenever the canary mean is above the baseline mean, Low when
// below. It has no notion of noise and exists as a naive yardstick for benchmarking other classifiers.
import { missingData, type MetricOptions } from './classifier.js';
import { mean } from './stats.js';
import type { MetricClassification } from './types.js';

export function classifyMeanInequality(
  control: readonly number[],
  experiment: readonly number[],
  options: MetricOptions,
): MetricClassification {
  const name = options.name ?? 'metric';
  if (experiment.length === 0 || control.length === 0) return missingData(name, options);
  const e = mean(experiment);
  const c = mean(control);
  const ratio = e / c;
  if ((options.direction === 'increase' || options.direction === 'either') && e > c) {
    return { classification: 'High', reason: `The canary mean of ${name} was greater than the baseline mean`, deviation: ratio, critical: options.critical };
  }
  if ((options.direction === 'decrease' || options.direction === 'either') && e < c) {
    return { classification: 'Low', reason: `The canary mean of ${name} was less than the baseline mean`, deviation: ratio, critical: options.critical };
  }
  return { classification: 'Pass', deviation: 1, critical: false };
}
