// One pod's series over a run of equal steps: its levels, its persistent departures from them, and the noise
// of each step. The window and the history are both drawn with it.
import type { Random } from './random.js';
import type { Effect, Noise, Point, PodTruth, ServiceProfile, StepModel, Warmup } from './types.js';

export const STEP_MODEL: StepModel = {
  trafficSigma: 0.05,
  errorShape: 30,
  latencySigma: 0.03,
  latencySigmaPerRoot: 0.6,
  cpuSigma: 0.05,
  goroutineSigma: 0.04,
  cpuIdleShare: 0.3,
};

export const NO_EFFECT: Effect = { latency: 1, errors: 1, traffic: 1, cpu: 1 };

/** What a pod's series are drawn from. */
export interface PodModel {
  profile: ServiceProfile;
  noise: Noise;
  stepModel: StepModel;
}

/** `steps` steps of `stepS` seconds after `startS` (unix seconds); a sample is stamped at its step's end. */
export interface Timing {
  startS: number;
  stepS: number;
  steps: number;
}

export interface Pod extends PodTruth {
  /** Steps (1-based) lost to a restart: the counters reset, so the step's increase is unknown. */
  lost: ReadonlySet<number>;
}

/** A pod's series under its name. */
export interface SimulatedPod {
  name: string;
  series: PodSeries;
}

export interface PodSeries {
  errors: Point[];
  requests: Point[];
  latency: Point[];
  throughput: Point[];
  cpu: Point[];
  goroutines: Point[];
}

/** A pod with fresh persistent factors: the same image still runs hotter or cooler from pod to pod. */
export function drawPod(random: Random, noise: Noise, name: string, canary: boolean): Pod {
  return {
    name,
    canary,
    traffic: random.lognormalFactor(noise.trafficSigma),
    errors: random.gammaFactor(noise.errorShape),
    latency: random.lognormalFactor(noise.latencySigma),
    cpu: random.lognormalFactor(noise.cpuSigma),
    goroutines: random.lognormalFactor(noise.goroutineSigma),
    lost: new Set<number>(),
  };
}

function multiply(a: Effect, b: Effect): Effect {
  return { latency: a.latency * b.latency, errors: a.errors * b.errors, traffic: a.traffic * b.traffic, cpu: a.cpu * b.cpu };
}

/** What the canary changes and when: its regression from `onsetS` on, its warm-up before. */
export interface CanaryPlan {
  onsetS: number | null;
  effect: Effect;
  warmup: Warmup | null;
}

/**
 * The multipliers of a canary pod's levels in the step from `fromS` to `toS` seconds into the window: its
 * warm-up while it lasts, and the regression once begun (left out with `regression` false: the healthy model).
 */
export function canaryEffect(plan: CanaryPlan, fromS: number, toS: number, regression = true): Effect {
  const warm = plan.warmup && toS <= plan.warmup.untilS ? { ...NO_EFFECT, latency: plan.warmup.latency, cpu: plan.warmup.cpu } : NO_EFFECT;
  const regressed = regression && plan.onsetS !== null && fromS >= plan.onsetS;
  return regressed ? multiply(warm, plan.effect) : warm;
}

/** Medians of a pod's values in a step `progress` (0 to 1) through the run, before its own factors and the step's noise. */
export function stepLevels({ profile, noise }: PodModel, progress: number, effect: Effect) {
  return {
    rps: profile.rpsPerPod * (1 + noise.drift.traffic * progress) * effect.traffic,
    errorRate: profile.errorRate * (1 + noise.drift.errors * progress) * effect.errors,
    latencyMs: profile.latencyMs * (1 + noise.drift.latency * progress) * effect.latency,
    goroutines: profile.goroutines * (1 + noise.drift.goroutines * progress),
  };
}

/** A pod's CPU level at a request rate of `rps`: an idle share plus a share proportional to its load. */
export function cpuLevel({ profile, stepModel }: PodModel, rps: number, effect: Effect): number {
  return profile.cpuCores * (stepModel.cpuIdleShare + ((1 - stepModel.cpuIdleShare) * rps) / profile.rpsPerPod) * effect.cpu;
}

/** The step noise of a p95 over `requests` requests: it grows as the requests fall. */
export function latencyStepSigma(stepModel: StepModel, requests: number): number {
  return stepModel.latencySigma + stepModel.latencySigmaPerRoot / Math.sqrt(Math.max(requests, 1));
}

/** Midway through step `step` (1-based) of `steps`: where the shared drift is evaluated. */
export function progressOf(step: number, steps: number): number {
  return (step - 0.5) / steps;
}

function round(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}

/** The pod's series; `effectAt` gives the multipliers of the step from `fromS` to `toS` seconds after `timing.startS`. */
export function simulatePod(random: Random, pod: Pod, model: PodModel, timing: Timing, effectAt: (fromS: number, toS: number) => Effect): PodSeries {
  const { stepModel, noise } = model;
  const series: PodSeries = { errors: [], requests: [], latency: [], throughput: [], cpu: [], goroutines: [] };
  for (let step = 1; step <= timing.steps; step++) {
    const t = timing.startS + step * timing.stepS;
    const effect = effectAt((step - 1) * timing.stepS, step * timing.stepS);
    const level = stepLevels(model, progressOf(step, timing.steps), effect);
    const rps = level.rps * pod.traffic * random.lognormalFactor(stepModel.trafficSigma);
    const requests = random.poisson(rps * timing.stepS);
    const errorRate = level.errorRate * pod.errors * random.gammaFactor(stepModel.errorShape);
    const errors = Math.min(requests, random.poisson(requests * errorRate));
    const latency = level.latencyMs * pod.latency * random.lognormalFactor(latencyStepSigma(stepModel, requests));
    const cpu = cpuLevel(model, rps, effect) * pod.cpu * random.lognormalFactor(stepModel.cpuSigma);
    const goroutines = Math.round(level.goroutines * pod.goroutines * random.lognormalFactor(stepModel.goroutineSigma));
    if (pod.lost.has(step)) continue;
    const scraped = () => !random.chance(noise.missingScrape);
    if (scraped()) {
      series.errors.push([t, errors]);
      series.requests.push([t, requests]);
    }
    // Without requests there is no latency to report.
    if (requests > 0 && scraped()) series.latency.push([t, round(latency, 3)]);
    if (scraped()) series.throughput.push([t, round(requests / timing.stepS, 4)]);
    if (scraped()) series.cpu.push([t, round(cpu, 5)]);
    if (scraped()) series.goroutines.push([t, goroutines]);
  }
  return series;
}
