// Kayenta-style judge (bench/judges/kayenta) as Spinnaker runs it for a canary whose analysis interval is the
// whole window: one batch judgement at the end, on one time series per group and metric.
//
// Mapping of the judge input to Kayenta's control (baseline) and experiment (canary) series: one value per
// sample time in the window, as a query aggregating over the group's pods returns it (see groupValueAt) —
// errors as sum(numerator) / sum(denominator), latency, throughput, CPU and gauges as the mean over pods (a
// per-pod average, so a canary with a tenth of the pods is not "low throughput"). A time with no sample from
// the group, or 0 / 0 errors, is NaN, which Kayenta's default NaN strategy removes.
import type { Direction as KayentaDirection, KayentaJudgeResult, KayentaMetricInput, KayentaMetricResult, ScoreThresholds } from './kayenta/index.js';
import { KAYENTA_DEFAULTS, judgeKayenta, scoreKayenta } from './kayenta/index.js';
import { tooManyNodata } from './kayenta/scoring.js';
import type { JudgeInput, MetricDirection, Scenario } from '../scenarios/types.js';
import { UNDECIDED, type BenchJudge } from './bench-judge.js';
import { groupValueAt, sampleTimes, windowSeconds } from './series.js';

export interface KayentaSettings {
  confidenceLevel: number;
  tolerance: number;
  /** The effect-size gate as a relative change: allowedIncrease 1 + x, allowedDecrease 1 − x (0: Kayenta's default, no gate). */
  allowedChange: number;
  /** The gate of each named metric, in place of allowedChange: Kayenta's effectSize is set per metric. */
  metricGates?: Readonly<Record<string, number>>;
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

export interface KayentaVerdict {
  flagged: boolean;
  noAnalysis: boolean;
}

/** A score below the pass threshold fails the canary. */
function verdictOf(result: KayentaJudgeResult): KayentaVerdict {
  // Kayenta zeroes the score when half or more of the metrics have no data: a failure for lack of evidence.
  const noAnalysis = tooManyNodata(result.metrics);
  return { flagged: !noAnalysis && result.classification !== 'Pass', noAnalysis };
}

/** The verdict on prepared metric inputs, at the end of the window. */
export function kayentaVerdict(metrics: readonly KayentaMetricInput[], settings: KayentaSettings): KayentaVerdict {
  const gated = metrics.map((m) => {
    const gate = settings.metricGates?.[m.name] ?? settings.allowedChange;
    return gate ? { ...m, config: { ...m.config, effectSize: { allowedIncrease: 1 + gate, allowedDecrease: Math.max(0, 1 - gate) } } } : m;
  });
  return verdictOf(judgeKayenta({ metrics: gated, thresholds: settings.thresholds, tolerance: settings.tolerance, confidenceLevel: settings.confidenceLevel }));
}

/** Each metric classified without an effect-size gate, at the settings' confidence and tolerance. */
export function ungatedMetrics(metrics: readonly KayentaMetricInput[], settings: KayentaSettings): KayentaMetricResult[] {
  return judgeKayenta({ metrics, thresholds: settings.thresholds, tolerance: settings.tolerance, confidenceLevel: settings.confidenceLevel }).metrics;
}

/**
 * The largest gate an ungated High or Low still clears (High needs a mean ratio of at least 1 + gate, Low at most
 * 1 − gate): −Infinity for any other label, Infinity for an undefined ratio, which no gate vetoes.
 */
export function gateMargin(metric: KayentaMetricResult): number {
  if (metric.classification !== 'High' && metric.classification !== 'Low') return Number.NEGATIVE_INFINITY;
  if (Number.isNaN(metric.deviation)) return Number.POSITIVE_INFINITY;
  return metric.classification === 'High' ? metric.deviation - 1 : 1 - metric.deviation;
}

/**
 * The verdict when the gates let through exactly the ungated Highs and Lows of the metrics in `flags` (the others
 * pass): what kayentaVerdict answers with those gates, without classifying the metrics again.
 */
export function verdictWithFlags(ungated: readonly KayentaMetricResult[], flags: readonly boolean[], thresholds: ScoreThresholds): KayentaVerdict {
  const metrics = ungated.map((m, i): KayentaMetricResult => (flags[i] || gateMargin(m) === Number.NEGATIVE_INFINITY ? m : { ...m, classification: 'Pass' }));
  return verdictOf(scoreKayenta(metrics, { thresholds }));
}

export function kayentaJudge(settings: KayentaSettings = KAYENTA_BENCH_DEFAULTS, calibrated = false, variant?: string): BenchJudge {
  return {
    name: 'kayenta',
    sensitivity: null,
    ...(calibrated ? { calibrated } : {}),
    ...(variant ? { variant } : {}),
    settings: { ...settings },
    evaluate({ input }: Scenario, nowS: number) {
      if (nowS < windowSeconds(input).endS) return UNDECIDED;
      return { final: true, ...kayentaVerdict(kayentaMetrics(input), settings) };
    },
  };
}
