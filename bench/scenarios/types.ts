// The `rollouts-cv judge` input format, shared by the benchmark and the offline judge CLI,
// and the labelled scenarios the benchmark wraps around it.

export type Sensitivity = 'high' | 'medium' | 'low';
export type MetricKind = 'ratio' | 'latency' | 'throughput' | 'resource' | 'gauge';
export type MetricDirection = 'higher-is-bad' | 'lower-is-bad' | 'either';

/** [unix seconds, value]. */
export type Point = [number, number];
export type Series = Point[];

/** Counts per step: `numerator` events (e.g. errors) out of `denominator` events (e.g. requests). */
export interface RatioSeries {
  numerator: Series;
  denominator: Series;
}

export type AnySeries = Series | RatioSeries;

export interface MetricSpec {
  name: string;
  kind: MetricKind;
  direction: MetricDirection;
  critical?: boolean;
}

export interface JudgeConfig {
  sensitivity: Sensitivity;
  /** e.g. "5m". */
  duration: string;
  /** A Go duration, e.g. "1m": how long a new canary may run hotter before it is judged on that; the judge's default when absent. */
  warmup?: string;
  failOnNoData: boolean;
  metrics: MetricSpec[];
}

/** One group's series, one entry per instance (pod). */
export type GroupSeries = Record<string, AnySeries>;

export interface MetricData {
  canary: GroupSeries;
  baseline: GroupSeries;
}

export interface JudgeInput {
  config: JudgeConfig;
  /** RFC 3339. */
  start: string;
  /** RFC 3339; data after it is ignored. */
  now: string;
  data: Record<string, MetricData>;
  /**
   * Past periods of the service's stable version, by metric: each element one period in which its instances ran
   * side by side, every time before `start`. Tells the judge how far apart pods of this service usually are.
   */
  history?: Record<string, GroupSeries[]>;
}

export const CLASSES = [
  'healthy',
  'healthy 1 stable pod',
  'healthy 2-3 stable pods',
  'cold canary',
  'healthy wider spread',
  'healthy no history',
  'outlier baseline pod',
  'low traffic',
  'no data',
  'latency+10%',
  'latency+25%',
  'latency+50%',
  'latency+100%',
  'errors x1.5',
  'errors x2',
  'errors x5',
  'throughput-30%',
  'resource+50%',
  '2 stable: latency+50%',
  '2 stable: latency+100%',
  '2 stable: errors x5',
  'late latency+25%',
  'canary outlier pod',
] as const;

export type ScenarioClass = (typeof CLASSES)[number];

/** What a good judge answers: pass a healthy canary, flag a regression, and say "no analysis" without evidence. */
export type Expected = 'pass' | 'flag' | 'no-analysis';

/** The service's usual levels, as its operators know them from dashboards (the threshold judge's SLOs). */
export interface ServiceProfile {
  /** Errors / requests. */
  errorRate: number;
  latencyMs: number;
  /** Requests per second per pod. */
  rpsPerPod: number;
  cpuCores: number;
  goroutines: number;
}

/** How noisy and how drifting this service is; drawn per scenario so no two look alike. */
export interface Noise {
  /** Gamma shape of the per-pod error-rate multiplier (smaller = more over-dispersion). */
  errorShape: number;
  /** Lognormal sigmas of the per-pod multipliers. */
  latencySigma: number;
  trafficSigma: number;
  cpuSigma: number;
  goroutineSigma: number;
  /** Change over the window shared by both groups, as a fraction: traffic, error rate, latency, goroutines. */
  drift: { traffic: number; errors: number; latency: number; goroutines: number };
  missingScrape: number;
}

/** How a pod's value in one step scatters around its level: the same for every scenario. */
export interface StepModel {
  /** Lognormal sigma of a pod's request rate from step to step. */
  trafficSigma: number;
  /** Gamma shape of a pod's error-rate multiplier from step to step. */
  errorShape: number;
  /** Lognormal sigma of a p95 over n requests: latencySigma + latencySigmaPerRoot / √n (few requests, poor estimate). */
  latencySigma: number;
  latencySigmaPerRoot: number;
  cpuSigma: number;
  goroutineSigma: number;
  /** Share of a pod's CPU spent whatever its load; the rest scales with its request rate. */
  cpuIdleShare: number;
}

/** Multipliers of a canary pod's levels. */
export interface Effect {
  latency: number;
  errors: number;
  traffic: number;
  cpu: number;
}

/** A new canary's first seconds in the window, running hotter: not a regression. */
export interface Warmup {
  /** Steps ending at or before this many seconds into the window are affected. */
  untilS: number;
  latency: number;
  cpu: number;
}

/** A pod and its persistent departures from the service's levels (multipliers with median or mean 1). */
export interface PodTruth {
  name: string;
  canary: boolean;
  traffic: number;
  errors: number;
  latency: number;
  cpu: number;
  goroutines: number;
}

/** What the generator drew for a scenario: enough to compute the likelihood of its canary's data. */
export interface ScenarioTruth {
  /** The service's levels during this window. */
  today: ServiceProfile;
  /** The window's noise (for `healthy wider spread` twice the history's spread). */
  noise: Noise;
  stepModel: StepModel;
  /** Seconds after the window start at which the regression begins; null without one. */
  onsetS: number | null;
  /** The regression's multipliers of the canary's levels (all 1 without one, and for a canary pod on a bad node). */
  effect: Effect;
  warmup: Warmup | null;
  /** Every pod of the window with its realised factors (no judge, the oracle included, may read a canary's). */
  pods: PodTruth[];
}

export interface Scenario {
  id: number;
  label: ScenarioClass;
  /** No regression was injected (true also for `low traffic` and `no data`). */
  healthy: boolean;
  expected: Expected;
  /** The usual levels operators know; the window itself runs at levels a shared factor away (time of day, load). */
  profile: ServiceProfile;
  /** The full window; judges look at it as of earlier `now`s, step by step. */
  input: JudgeInput;
  truth: ScenarioTruth;
}
