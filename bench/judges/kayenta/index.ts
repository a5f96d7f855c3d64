// Kayenta-style canary judge: Spinnaker Kayenta's judge (NetflixACAJudge) in TypeScript. Each metric is
// pre-processed, classified with the Mann-Whitney classifier, and the results are scored by weighted sum.
import { classifyMannWhitney, type EffectSizeThresholds, type MannWhitneyClassification } from './classifier.js';
import { preprocess, type NanStrategy, type OutlierStrategy } from './preprocessing.js';
import { classifyScore, scoreMetrics, type GroupScore, type ScoreClassification, type ScoreThresholds } from './scoring.js';
import { summarize, type SummaryStatistics } from './stats.js';
import type { Direction, EffectSizeMeasure, MetricLabel } from './types.js';

export type { Direction, EffectSizeMeasure, MetricLabel, NanStrategy, OutlierStrategy, GroupScore, ScoreClassification, ScoreThresholds, SummaryStatistics };
export { classifyScore, didPassThresholds } from './scoring.js';

/** Kayenta's per-metric `analysisConfigurations.canary` settings; every field is optional. */
export interface KayentaMetricConfig {
  /** Default 'either'. */
  direction?: Direction;
  /** Default 'remove'. */
  nanStrategy?: NanStrategy;
  /** A critical metric that is not Pass (subject to the critical thresholds) scores the canary 0. */
  critical?: boolean;
  /** Missing data counts as a failure (NodataFailMetric) instead of being ignored. */
  mustHaveData?: boolean;
  /** Classified and reported, but left out of the score. */
  muted?: boolean;
  effectSize?: {
    /** Default 'meanRatio'. */
    measure?: EffectSizeMeasure;
    /** Defaults: 1 for meanRatio, 0.5 for cles (i.e. no gate). */
    allowedIncrease?: number;
    allowedDecrease?: number;
    criticalIncrease?: number;
    criticalDecrease?: number;
  };
  outliers?: {
    /** Default 'keep'. */
    strategy?: OutlierStrategy;
    /** IQR factor when removing outliers; default 3. */
    outlierFactor?: number;
  };
}

export interface KayentaMetricInput {
  name: string;
  /** Baseline (stable) values, one per time step; NaN marks a missing sample. */
  control: readonly number[];
  /** Canary values. */
  experiment: readonly number[];
  /** Score groups of the metric; default ['default']. */
  groups?: readonly string[];
  config?: KayentaMetricConfig;
}

export interface KayentaJudgeRequest {
  metrics: readonly KayentaMetricInput[];
  /** Score thresholds sent with the request, e.g. { pass: 95, marginal: 75 }. */
  thresholds: ScoreThresholds;
  /** Group weights in percent; unweighted groups share the remainder of 100 equally. */
  groupWeights?: Readonly<Record<string, number>>;
  /** Dead-band fraction of the estimate; Kayenta's judge fixes it at 0.25. */
  tolerance?: number;
  /** Confidence level of the interval; Kayenta's judge fixes it at 0.98. */
  confidenceLevel?: number;
}

export interface KayentaMetricResult {
  name: string;
  classification: MetricLabel;
  reason?: string;
  /** Effect size (mean ratio or CLES); NaN when undefined, 1 when nothing was compared. */
  deviation: number;
  critical: boolean;
  muted: boolean;
  groups: readonly string[];
  /** Confidence interval and estimate of the canary-minus-baseline shift, when the rank test ran. */
  interval?: { lower: number; upper: number; estimate: number };
  /** Statistics of the values after pre-processing. */
  controlStats: SummaryStatistics;
  experimentStats: SummaryStatistics;
}

export interface KayentaJudgeResult {
  /** Summary score 0-100 (two decimals). */
  score: number;
  /** Verdict from the thresholds (a score forced to 0 is a Fail unless the thresholds are 0). */
  classification: ScoreClassification;
  /** Why the score was forced to 0 (critical failure or too many Nodata), if it was. */
  reason?: string;
  groupScores: GroupScore[];
  metrics: KayentaMetricResult[];
  /** Notes on weak evidence, e.g. metrics with fewer than 50 points on a side. */
  warnings: string[];
}

export const KAYENTA_DEFAULTS = {
  tolerance: 0.25,
  confidenceLevel: 0.98,
  direction: 'either' as Direction,
  nanStrategy: 'remove' as NanStrategy,
  outlierStrategy: 'keep' as OutlierStrategy,
  outlierFactor: 3,
  /** Below this many points per side Kayenta's documentation warns the test has little power. */
  minimumPoints: 50,
  groups: ['default'] as readonly string[],
};

/** Effect-size thresholds with Kayenta's defaults: no gate, i.e. 1 for a ratio and 0.5 for CLES. */
export function effectSizeThresholds(config: KayentaMetricConfig['effectSize'] = {}): EffectSizeThresholds {
  const measure = config.measure ?? 'meanRatio';
  const neutral = measure === 'cles' ? 0.5 : 1;
  return {
    measure,
    allowedIncrease: config.allowedIncrease ?? neutral,
    allowedDecrease: config.allowedDecrease ?? neutral,
    criticalIncrease: config.criticalIncrease ?? neutral,
    criticalDecrease: config.criticalDecrease ?? neutral,
  };
}

/** Classifies one metric as Kayenta's judge does: NaN handling, optional outlier removal, Mann-Whitney test. */
export function classifyKayentaMetric(
  metric: KayentaMetricInput,
  settings: { tolerance?: number; confidenceLevel?: number } = {},
): KayentaMetricResult {
  const config = metric.config ?? {};
  const nanStrategy = config.nanStrategy ?? KAYENTA_DEFAULTS.nanStrategy;
  const options = {
    nanStrategy,
    outlierStrategy: config.outliers?.strategy ?? KAYENTA_DEFAULTS.outlierStrategy,
    outlierFactor: config.outliers?.outlierFactor ?? KAYENTA_DEFAULTS.outlierFactor,
  };
  const control = preprocess(metric.control, options);
  const experiment = preprocess(metric.experiment, options);
  const critical = config.critical ?? false;
  const base = {
    name: metric.name,
    muted: config.muted ?? false,
    groups: metric.groups ?? KAYENTA_DEFAULTS.groups,
    controlStats: summarize(control),
    experimentStats: summarize(experiment),
  };
  let classification: MannWhitneyClassification;
  try {
    classification = classifyMannWhitney(
      control,
      experiment,
      { name: metric.name, direction: config.direction ?? KAYENTA_DEFAULTS.direction, nanStrategy, critical, mustHaveData: config.mustHaveData ?? false },
      {
        tolerance: settings.tolerance ?? KAYENTA_DEFAULTS.tolerance,
        confidenceLevel: settings.confidenceLevel ?? KAYENTA_DEFAULTS.confidenceLevel,
        effectSize: effectSizeThresholds(config.effectSize),
      },
    );
  } catch (error) {
    // Kayenta records a failed classification as Error, not critical even for a critical metric: it neither
    // passes nor fails its group, and does not zero the score.
    const detail = error instanceof Error ? error.message : String(error);
    return { ...base, classification: 'Error', reason: `Metric Classification Failed: ${detail}`, deviation: Number.NaN, critical: false };
  }
  const { interval, ...rest } = classification;
  return { ...base, ...rest, ...(interval ? { interval } : {}) };
}

/**
 * Judges a canary against its baseline with Kayenta's method: every metric classified, non-muted metrics
 * scored by weighted sum (0 on a critical failure or when half or more have no data), and the score turned
 * into Pass / Marginal / Fail by the request's thresholds.
 */
export function judgeKayenta(request: KayentaJudgeRequest): KayentaJudgeResult {
  const settings = {
    tolerance: request.tolerance ?? KAYENTA_DEFAULTS.tolerance,
    confidenceLevel: request.confidenceLevel ?? KAYENTA_DEFAULTS.confidenceLevel,
  };
  return scoreKayenta(request.metrics.map((metric) => classifyKayentaMetric(metric, settings)), request);
}

/** Kayenta's verdict on classified metrics: the scoring and thresholds half of judgeKayenta. */
export function scoreKayenta(metrics: KayentaMetricResult[], request: Pick<KayentaJudgeRequest, 'thresholds' | 'groupWeights'>): KayentaJudgeResult {
  const warnings = metrics
    .filter((m) => m.classification !== 'Nodata' && m.classification !== 'NodataFailMetric')
    .filter((m) => Math.min(m.controlStats.count, m.experimentStats.count) < KAYENTA_DEFAULTS.minimumPoints)
    .map((m) => `${m.name}: fewer than ${KAYENTA_DEFAULTS.minimumPoints} data points on a side (baseline ${m.controlStats.count}, canary ${m.experimentStats.count})`);
  const scored = metrics.filter((m) => !m.muted);
  if (scored.length === 0) {
    return { score: 0, classification: classifyScore(0, request.thresholds), reason: 'No metrics to score', groupScores: [], metrics, warnings };
  }
  const result = scoreMetrics(scored, request.groupWeights ?? {});
  return {
    score: result.summaryScore,
    classification: classifyScore(result.summaryScore, request.thresholds),
    ...(result.reason ? { reason: result.reason } : {}),
    groupScores: result.groupScores,
    metrics,
    warnings,
  };
}
