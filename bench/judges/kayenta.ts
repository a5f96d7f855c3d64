// Kayenta-style judge (bench/judges/kayenta) as Spinnaker runs it for a canary whose analysis interval is the
// whole window: one batch judgement at the end, on one time series per group and metric.
//
// Mapping of the judge input to Kayenta's control (baseline) and experiment (canary) series: one value per
// sample time in the window, as a query aggregating over the group's pods returns it (see groupValueAt) —
// errors as sum(numerator) / sum(denominator), latency, throughput, CPU and gauges as the mean over pods (a
// per-pod average, so a canary with a tenth of the pods is not "low throughput"). A time with no sample from
// the group, or 0 / 0 errors, is NaN, which Kayenta's default NaN strategy removes.
import type { Direction as KayentaDirection, KayentaMetricInput, ScoreThresholds } from './kayenta/index.js';
import { KAYENTA_DEFAULTS, judgeKayenta } from './kayenta/index.js';
import { tooManyNodata } from './kayenta/scoring.js';
import type { JudgeInput, MetricDirection, Scenario } from '../scenarios/types.js';
import { UNDECIDED, type BenchJudge } from './bench-judge.js';
import { groupValueAt, sampleTimes, windowSeconds } from './series.js';

export interface KayentaSettings {
  confidenceLevel: number;
  tolerance: number;
  /** The effect-size gate as a relative change: allowedIncrease 1 + x, allowedDecrease 1 − x (0: Kayenta's default, no gate). */
  allowedChange: number;
  /** Score thresholds sent with the request. */
  thresholds: ScoreThresholds;
}

/** Kayenta's judge defaults, with the pass 95 / marginal 75 score thresholds Kayenta users commonly set. */
export const KAYENTA_BENCH_DEFAULTS: KayentaSettings = {
  confidenceLevel: KAYENTA_DEFAULTS.confidenceLevel,
  tolerance: KAYENTA_DEFAULTS.tolerance,
  allowedChange: 0,
  thresholds: { pass: 95, marginal: 75 },
};

const DIRECTIONS: Record<MetricDirection, KayentaDirection> = { 'higher-is-bad': 'increase', 'lower-is-bad': 'decrease', either: 'either' };

/** Kayenta's per-metric input: control and experiment series on the window's sample times. */
export function kayentaMetrics(input: JudgeInput): KayentaMetricInput[] {
  const window = windowSeconds(input);
  return input.config.metrics.map((metric) => {
    const data = input.data[metric.name] ?? { canary: {}, baseline: {} };
    const times = sampleTimes([data.canary, data.baseline], window, window.endS);
    const series = (group: typeof data.canary) => times.map((t) => groupValueAt(group, metric.kind, t) ?? Number.NaN);
    return {
      name: metric.name,
      control: series(data.baseline),
      experiment: series(data.canary),
      config: { direction: DIRECTIONS[metric.direction], critical: metric.critical ?? false },
    };
  });
}

/** The verdict on prepared metric inputs: a score below the pass threshold fails the canary at the end. */
export function kayentaVerdict(metrics: readonly KayentaMetricInput[], settings: KayentaSettings): { flagged: boolean; noAnalysis: boolean } {
  const gated = settings.allowedChange
    ? metrics.map((m) => ({ ...m, config: { ...m.config, effectSize: { allowedIncrease: 1 + settings.allowedChange, allowedDecrease: Math.max(0, 1 - settings.allowedChange) } } }))
    : metrics;
  const result = judgeKayenta({ metrics: gated, thresholds: settings.thresholds, tolerance: settings.tolerance, confidenceLevel: settings.confidenceLevel });
  // Kayenta zeroes the score when half or more of the metrics have no data: a failure for lack of evidence.
  const noAnalysis = tooManyNodata(result.metrics);
  return { flagged: !noAnalysis && result.classification !== 'Pass', noAnalysis };
}

export function kayentaJudge(settings: KayentaSettings = KAYENTA_BENCH_DEFAULTS, calibrated = false): BenchJudge {
  return {
    name: 'kayenta',
    sensitivity: null,
    ...(calibrated ? { calibrated } : {}),
    settings: { ...settings },
    evaluate({ input }: Scenario, nowS: number) {
      if (nowS < windowSeconds(input).endS) return UNDECIDED;
      return { final: true, ...kayentaVerdict(kayentaMetrics(input), settings) };
    },
  };
}
