// Vocabulary shared by the Kayenta-style classifier, scorer and judge.

/** Per-metric outcome, with Kayenta's labels. */
export type MetricLabel = 'Pass' | 'High' | 'Low' | 'Nodata' | 'NodataFailMetric' | 'Error';

/** Which change counts against the canary: a rise, a fall, or either. */
export type Direction = 'increase' | 'decrease' | 'either';

/** Effect size gating High/Low: ratio of means, or the common-language effect size. */
export type EffectSizeMeasure = 'meanRatio' | 'cles';

export interface MetricClassification {
  classification: MetricLabel;
  /** Why the metric failed or had no data; absent for an ordinary Pass. */
  reason?: string;
  /** The effect size (mean ratio or CLES); 1 when there was nothing to compare. NaN if undefined. */
  deviation: number;
  /** True when this result must fail the whole canary (a critical metric that failed or had no data). */
  critical: boolean;
}
