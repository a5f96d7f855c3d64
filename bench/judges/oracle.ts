// An upper reference for the judges: a test that knows how each scenario was generated (the window's levels,
// the noise and drift, the warm-up, the step model; Scenario.truth) except the canary pods' own persistent
// factors, which are random per pod as they are for any judge, so it integrates them out with their known
// distribution. It does not know the class, the effect size or the onset, and does not need the stable pods.
//
// Per metric, the efficient score of the canary's data for a regression in the metric's bad direction (latency,
// errors and CPU up, throughput down, goroutines either way), against the healthy model in which every sample's
// level is known; standardised so that it is N(0, 1) without a regression. Latency, throughput, CPU and
// goroutines are Gaussian on the log scale: sample k of a pod is log(level) + a + e_k, with a ~ N(0, σ²) the
// pod's factor and e_k ~ N(0, s_k²) the step's noise, and a shift δ of every sample is scored by
// Σ_pods Σ_k (y_k / s_k²) / (1 + σ² W), W = Σ_k 1 / s_k², whose null variance is Σ_pods W / (1 + σ² W) — the most
// powerful test of a common shift. Errors are counts: the pods' total against its expected total, with the
// over-dispersion of the pod factor and of each step, as a negative binomial tail (mid-p) turned into a z.
// The verdict, at the window's end, flags when the largest metric's z exceeds a threshold calibrated on the
// healthy scenarios.
import { errorFunction } from 'simple-statistics';
import { countTail } from '../../plugin/judge/distributions.js';
import { canaryEffect, cpuLevel, latencyStepSigma, progressOf, stepLevels, type PodModel } from '../scenarios/simulate.js';
import type { Effect, GroupSeries, MetricKind, Scenario, ScenarioTruth } from '../scenarios/types.js';
import { STEP_S, STEPS } from '../scenarios/window.js';
import { UNDECIDED, type BenchJudge } from './bench-judge.js';
import { normalQuantile } from './kayenta/normal-quantile.js';
import { isRatio, windowSeconds } from './series.js';

/** The healthy model of one canary pod's step: its levels, and its request count if scraped. */
interface Step {
  level: ReturnType<typeof stepLevels>;
  effect: Effect;
  requests: number | undefined;
}

/** What the statistics read: the truth, and the healthy model of a canary pod's step ending at `t`. */
interface Context {
  truth: ScenarioTruth;
  model: PodModel;
  step(pod: string, t: number): Step;
}

/** A sample on the log scale: its departure from the healthy level, and the variance of the step's noise. */
interface LogSample {
  y: number;
  variance: number;
}

/** The standardised score of a common shift of every pod's samples, each pod's own factor N(0, σ²) integrated out. */
function shiftScore(pods: readonly LogSample[][], sigma: number): number | undefined {
  let score = 0;
  let variance = 0;
  for (const samples of pods) {
    const weight = samples.reduce((sum, s) => sum + 1 / s.variance, 0);
    const weighted = samples.reduce((sum, s) => sum + s.y / s.variance, 0);
    score += weighted / (1 + sigma ** 2 * weight);
    variance += weight / (1 + sigma ** 2 * weight);
  }
  return variance > 0 ? score / Math.sqrt(variance) : undefined;
}

/** The canary pods' samples of a plain metric, each mapped to the log scale (or dropped). */
function logSamples(canary: GroupSeries, context: Context, sample: (value: number, step: Step) => LogSample | undefined): LogSample[][] {
  return Object.entries(canary).map(([pod, series]) => (isRatio(series) ? [] : series.flatMap(([t, value]) => sample(value, context.step(pod, t)) ?? [])));
}

/** A two-sided z on the one-sided scale: the z whose upper tail equals the two-sided tail of `z`. */
function twoSided(z: number): number {
  return -normalQuantile(1 - errorFunction(Math.abs(z) / Math.SQRT2));
}

const negated = (z: number | undefined) => (z === undefined ? undefined : -z);

/** The request count of a step, expected when the pod's count was not scraped. */
const requestsOf = (step: Step) => step.requests ?? step.level.rps * STEP_S;

/** Below this many expected requests a step, the logarithm of a Poisson count is too far from Gaussian to score. */
const MIN_REQUESTS = 20;
const tooFewRequests = (step: Step) => step.level.rps * STEP_S < MIN_REQUESTS;

/** Each metric kind's standardised statistic of the canary's series, positive in the regression's direction. */
const STATISTICS: Record<MetricKind, (canary: GroupSeries, context: Context) => number | undefined> = {
  latency: (canary, context) => {
    const { noise, stepModel } = context.truth;
    const samples = logSamples(canary, context, (value, step) => ({
      y: Math.log(value / step.level.latencyMs),
      variance: latencyStepSigma(stepModel, requestsOf(step)) ** 2,
    }));
    return shiftScore(samples, noise.latencySigma);
  },
  // Poisson counts on the log scale.
  throughput: (canary, context) => {
    const { noise, stepModel } = context.truth;
    const samples = logSamples(canary, context, (value, step) => {
      if (tooFewRequests(step)) return undefined;
      const expected = step.level.rps * STEP_S;
      return { y: Math.log((value * STEP_S) / expected), variance: stepModel.trafficSigma ** 2 + 1 / expected };
    });
    return negated(shiftScore(samples, noise.trafficSigma));
  },
  // CPU follows the pod's load, read from its request count, whose Poisson noise adds to the step's in
  // proportion to the load's share of the CPU.
  resource: (canary, context) => {
    const { noise, stepModel } = context.truth;
    const { profile } = context.model;
    const samples = logSamples(canary, context, (value, step) => {
      if (step.requests === undefined || tooFewRequests(step)) return undefined;
      const rps = step.requests / STEP_S;
      const load = ((1 - stepModel.cpuIdleShare) * rps) / profile.rpsPerPod;
      const loadShare = load / (stepModel.cpuIdleShare + load);
      return { y: Math.log(value / cpuLevel(context.model, rps, step.effect)), variance: stepModel.cpuSigma ** 2 + loadShare ** 2 / step.requests };
    });
    return shiftScore(samples, noise.cpuSigma);
  },
  // Whole goroutines: rounding adds a uniform error of variance 1/12.
  gauge: (canary, context) => {
    const { noise, stepModel } = context.truth;
    const samples = logSamples(canary, context, (value, step) => ({
      y: Math.log(value / step.level.goroutines),
      variance: stepModel.goroutineSigma ** 2 + 1 / 12 / step.level.goroutines ** 2,
    }));
    const z = shiftScore(samples, noise.goroutineSigma);
    return z === undefined ? undefined : twoSided(z);
  },
  // The canary's total errors against its expected total (requests × the healthy error rate), over-dispersed by
  // the step multipliers and the pod multiplier: a negative binomial's upper tail (mid-p) as a z.
  ratio: (canary, context) => {
    const podShape = context.truth.noise.errorShape;
    const stepShape = context.truth.stepModel.errorShape;
    let errors = 0;
    let mean = 0;
    let variance = 0;
    for (const [pod, series] of Object.entries(canary)) {
      if (!isRatio(series)) continue;
      let m = 0;
      let squares = 0;
      for (const [t, count] of series.numerator) {
        const requests = series.denominator.find(([time]) => time === t)?.[1];
        if (requests === undefined) continue;
        const expected = requests * context.step(pod, t).level.errorRate;
        errors += count;
        m += expected;
        squares += expected ** 2;
      }
      mean += m;
      variance += m + ((1 + 1 / podShape) * squares) / stepShape + m ** 2 / podShape;
    }
    if (mean <= 0) return undefined;
    return -normalQuantile((countTail(errors, mean, variance, 'up') + countTail(errors + 1, mean, variance, 'up')) / 2);
  },
};

function hasPoints(group: GroupSeries): boolean {
  return Object.values(group).some((series) => (isRatio(series) ? series.denominator : series).length > 0);
}

export interface MetricStatistic {
  name: string;
  z: number;
}

/** Each metric's standardised statistic, for the metrics on which the canary has data; empty when it has none. */
export function oracleStatistics({ input, truth }: Scenario): MetricStatistic[] {
  const { startS } = windowSeconds(input);
  const model: PodModel = { profile: truth.today, noise: truth.noise, stepModel: truth.stepModel };
  const canaryOf = (kind: MetricKind) => {
    const metric = input.config.metrics.find((m) => m.kind === kind);
    return metric ? (input.data[metric.name]?.canary ?? {}) : {};
  };
  const errors = canaryOf('ratio');
  const throughput = canaryOf('throughput');
  // A pod's request count in a step: the error ratio's denominator, or else its throughput.
  const requests = (pod: string, t: number): number | undefined => {
    const ratio = errors[pod];
    const rate = throughput[pod];
    const counted = ratio && isRatio(ratio) ? ratio.denominator.find(([time]) => time === t)?.[1] : undefined;
    const perSecond = rate && !isRatio(rate) ? rate.find(([time]) => time === t)?.[1] : undefined;
    return counted ?? (perSecond === undefined ? undefined : perSecond * STEP_S);
  };
  const context: Context = {
    truth,
    model,
    step(pod, t) {
      const step = Math.round((t - startS) / STEP_S);
      const effect = canaryEffect(truth, (step - 1) * STEP_S, step * STEP_S, false);
      return { level: stepLevels(model, progressOf(step, STEPS), effect), effect, requests: requests(pod, t) };
    },
  };
  return input.config.metrics.flatMap((metric) => {
    const canary = input.data[metric.name]?.canary ?? {};
    const z = hasPoints(canary) ? STATISTICS[metric.kind](canary, context) : undefined;
    return z === undefined ? [] : [{ name: metric.name, z }];
  });
}

/** The largest metric statistic; null when the canary has no data. */
export function oracleStatistic(scenario: Scenario): number | null {
  const statistics = oracleStatistics(scenario);
  return statistics.length ? Math.max(...statistics.map((s) => s.z)) : null;
}

/** The oracle deciding at the window's end: flagged above `threshold`, "no analysis" without canary data. */
export function oracleJudge(threshold: number): BenchJudge {
  return {
    name: 'oracle',
    sensitivity: null,
    variant: 'LRT, true parameters',
    settings: { threshold },
    evaluate(scenario: Scenario, nowS: number) {
      if (nowS < windowSeconds(scenario.input).endS) return UNDECIDED;
      const statistic = oracleStatistic(scenario);
      return { final: true, flagged: statistic !== null && statistic > threshold, noAnalysis: statistic === null };
    },
  };
}
