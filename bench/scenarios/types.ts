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
}

export const CLASSES = [
  'healthy',
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

export interface Scenario {
  id: number;
  label: ScenarioClass;
  /** No regression was injected (true also for `low traffic` and `no data`). */
  healthy: boolean;
  expected: Expected;
  /** Seconds after the window start at which the regression begins; null without one. */
  onsetS: number | null;
  /** The usual levels operators know; the window itself runs at levels a shared factor away (time of day, load). */
  profile: ServiceProfile;
  /** The full window; judges look at it as of earlier `now`s, step by step. */
  input: JudgeInput;
}
