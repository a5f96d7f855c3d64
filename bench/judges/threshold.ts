// Argo-style fixed-threshold judge: an AnalysisTemplate whose metrics query the canary alone every 30 s and
// compare the result with a successCondition, with Argo's failureLimit and consecutiveErrorLimit semantics.
//
// Defaults (a plausible template an operator writes from the service's dashboards, ServiceProfile being its
// usual levels): error rate ≤ max(1%, 2 × usual); p95 latency ≤ 1.2 × usual; per-pod throughput ≥ 0.5 × usual;
// CPU ≤ 1.5 × usual; goroutines within 0.5–2 × usual. failureLimit 3 (the run fails on the fourth failed
// measurement of a metric, as in Argo's documented examples); consecutiveErrorLimit 4 (Argo's default: five
// queries in a row without a result end the run in Error, counted here as "no analysis"). A NaN result, e.g.
// 0 errors / 0 requests, fails its condition, as it does in Argo.
import type { MetricKind, Scenario, ServiceProfile } from '../scenarios/types.js';
import { STEP_S } from '../scenarios/window.js';
import { UNDECIDED, type BenchJudge, type Evaluation } from './bench-judge.js';
import { groupValueAt, windowSeconds, type WindowSeconds } from './series.js';

export interface ThresholdSettings {
  /** Error rate bound: the larger of this absolute rate and errorRateMax × the usual rate. */
  errorRateFloor: number;
  errorRateMax: number;
  /** Multiples of the usual level. */
  latencyMax: number;
  throughputMin: number;
  cpuMax: number;
  gaugeMin: number;
  gaugeMax: number;
  failureLimit: number;
  consecutiveErrorLimit: number;
}

export const THRESHOLD_DEFAULTS: ThresholdSettings = {
  errorRateFloor: 0.01,
  errorRateMax: 2,
  latencyMax: 1.2,
  throughputMin: 0.5,
  cpuMax: 1.5,
  gaugeMin: 0.5,
  gaugeMax: 2,
  failureLimit: 3,
  consecutiveErrorLimit: 4,
};

/**
 * The bounds widened (slack > 1) or narrowed (slack < 1) around the usual level: each multiple's distance
 * from 1, and the absolute error-rate floor, scaled by `slack`. The one knob calibration turns.
 */
export function scaleBounds(settings: ThresholdSettings, slack: number): ThresholdSettings {
  const upper = (multiple: number) => 1 + slack * (multiple - 1);
  const lower = (multiple: number) => Math.max(0, 1 - slack * (1 - multiple));
  return {
    ...settings,
    errorRateFloor: settings.errorRateFloor * slack,
    errorRateMax: upper(settings.errorRateMax),
    latencyMax: upper(settings.latencyMax),
    throughputMin: lower(settings.throughputMin),
    cpuMax: upper(settings.cpuMax),
    gaugeMin: lower(settings.gaugeMin),
    gaugeMax: upper(settings.gaugeMax),
  };
}

/** The successCondition of a metric of `kind` for this service. */
function successCondition(kind: MetricKind, usual: ServiceProfile, s: ThresholdSettings): (value: number) => boolean {
  switch (kind) {
    case 'ratio':
      return (v) => v <= Math.max(s.errorRateFloor, s.errorRateMax * usual.errorRate);
    case 'latency':
      return (v) => v <= s.latencyMax * usual.latencyMs;
    case 'throughput':
      return (v) => v >= s.throughputMin * usual.rpsPerPod;
    case 'resource':
      return (v) => v <= s.cpuMax * usual.cpuCores;
    case 'gauge':
      return (v) => v >= s.gaugeMin * usual.goroutines && v <= s.gaugeMax * usual.goroutines;
  }
}

/** What the template's queries return of the canary: each metric's kind and its value at each step (undefined: no result). */
export interface CanaryMeasurements {
  profile: ServiceProfile;
  window: WindowSeconds;
  metrics: { kind: MetricKind; values: (number | undefined)[] }[];
}

/** The query results at every step of the window, read once for any number of replays. */
export function measureCanary({ input, profile }: Scenario): CanaryMeasurements {
  const window = windowSeconds(input);
  const steps = Math.floor((window.endS - window.startS) / STEP_S);
  return {
    profile,
    window,
    metrics: input.config.metrics.map((metric) => {
      const canary = input.data[metric.name]?.canary ?? {};
      return { kind: metric.kind, values: Array.from({ length: steps }, (_, i) => groupValueAt(canary, metric.kind, window.startS + (i + 1) * STEP_S)) };
    }),
  };
}

/** Replays the analysis run's measurements up to `nowS`; the run's state is a function of the data so far. */
export function replayThreshold({ profile, window, metrics }: CanaryMeasurements, nowS: number, settings: ThresholdSettings): Evaluation {
  const measured = Math.floor((Math.min(nowS, window.endS) - window.startS) / STEP_S);
  const runs = metrics.map((metric) => ({ ...metric, passes: successCondition(metric.kind, profile, settings), failed: 0, consecutiveErrors: 0 }));
  for (let step = 0; step < measured; step++) {
    for (const metric of runs) {
      const value = metric.values[step];
      if (value === undefined) {
        // The query returned nothing: an Error measurement.
        if (++metric.consecutiveErrors > settings.consecutiveErrorLimit) return { final: true, flagged: false, noAnalysis: true };
        continue;
      }
      metric.consecutiveErrors = 0;
      if (!metric.passes(value) && ++metric.failed > settings.failureLimit) return { final: true, flagged: true, noAnalysis: false };
    }
  }
  return window.startS + measured * STEP_S >= window.endS ? { final: true, flagged: false, noAnalysis: false } : UNDECIDED;
}

/** The analysis run's state at `nowS`. */
export function thresholdEvaluation(scenario: Scenario, nowS: number, settings: ThresholdSettings): Evaluation {
  return replayThreshold(measureCanary(scenario), nowS, settings);
}

/** The default template, its bounds scaled by `slack` (1 keeps them). */
export function thresholdJudge(slack = 1, calibrated = false): BenchJudge {
  const settings = scaleBounds(THRESHOLD_DEFAULTS, slack);
  return {
    name: 'threshold',
    sensitivity: null,
    ...(calibrated ? { calibrated } : {}),
    settings: { slack, ...settings },
    evaluate: (scenario, nowS) => thresholdEvaluation(scenario, nowS, settings),
  };
}
