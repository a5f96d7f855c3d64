// The judge's vocabulary: what it is asked to compare and what it answers. Shared by the engine, the
// offline `rollouts-cv judge` command and the benchmark, so all three run the same code.
import type { InstanceSeries } from '../collect/source.js';
import type { Verdict } from '../../shared/verdicts/summary.js';
import type { LogFinding, LogVolumes } from './logs/findings.js';

export type { Verdict };

export const SENSITIVITIES = ['high', 'medium', 'low'] as const;
export const DIRECTIONS = ['higher-is-bad', 'lower-is-bad', 'either'] as const;
export const METRIC_KINDS = ['ratio', 'latency', 'throughput', 'resource', 'gauge'] as const;
export const UNHEALTHY_PHASES = ['Failed', 'Inconclusive'] as const;

export type Sensitivity = (typeof SENSITIVITIES)[number];
export type Direction = (typeof DIRECTIONS)[number];
export type MetricKind = (typeof METRIC_KINDS)[number];
export type UnhealthyPhase = (typeof UNHEALTHY_PHASES)[number];

/** Absolute bounds on the canary's value that fail the verification at once. */
export interface FailFast {
  above?: number;
  below?: number;
}

/** How one metric is judged. Defaults are filled in by the config schemas. */
export interface JudgedMetric {
  name: string;
  kind: MetricKind;
  direction: Direction;
  /** A failure scores the verification 0 and is reported as critical. */
  critical: boolean;
  /** Share in the score, relative to the other metrics. */
  weight: number;
  /** Without data for this metric there is no analysis (else the metric is left out). */
  mustHaveData: boolean;
  /** Canary values below this absolute floor never count as a regression (e.g. 0.001 errors/request, 5 ms). */
  ignoreBelow?: number;
  failFast?: FailFast;
  /** Overrides the verification's sensitivity for this metric. */
  sensitivity?: Sensitivity;
  /**
   * Least evidence per group: for `ratio` the denominator's total (e.g. requests), else the number of samples.
   * Defaults by kind (DEFAULT_MIN_EVIDENCE in metric.ts).
   */
  minEvidence?: number;
}

/** A ratio's counts per step and instance: numerator events (errors) out of denominator events (requests). */
export interface RatioGroup {
  numerator: InstanceSeries;
  denominator: InstanceSeries;
}

export type GroupData = InstanceSeries | RatioGroup;

export interface MetricInput {
  metric: JudgedMetric;
  canary: GroupData;
  baseline: GroupData;
  /**
   * The service's past: each element one period in which these instances (earlier pods of the service) ran side
   * by side. Only used to learn how much pods of this service differ from one another (spread.ts).
   */
  history?: GroupData[];
  /** The source warned that its answer may be partial (e.g. a store not answering): the data may lack some. */
  warnings?: string[];
  /**
   * Unix seconds at which canary instances were first seen, for those seen before the window (already running):
   * their warm-up counts from there, not from their first sample in the window.
   */
  canarySince?: ReadonlyMap<string, number>;
}

export function isRatioGroup(data: GroupData): data is RatioGroup {
  return !(data instanceof Map);
}

/** Where in its window a verification is being judged. */
export interface Look {
  /** Time since the window started (data up to then is in the input). */
  elapsedMs: number;
  durationMs: number;
  /** How often the verification is looked at; it sets the number of interim looks that share the error budget. */
  intervalMs: number;
}

export interface JudgeSettings {
  sensitivity: Sensitivity;
  failOnNoData: boolean;
  unhealthyPhase: UnhealthyPhase;
  /** A canary instance's first samples within this time of its first one are not compared (a cold start). */
  warmupMs: number;
}

/** `inconclusive`: neither shown worse nor shown to be below the failing change: a person decides. */
export type Classification = 'pass' | 'marginal' | 'fail' | 'inconclusive' | 'nodata';
export type Severity = 'none' | 'minor' | 'moderate' | 'critical';

/** What the verdict needs of any judgement: a metric's, or the logs'. */
export interface Judgement {
  name: string;
  classification: Classification;
  severity: Severity;
  critical: boolean;
  weight: number;
  mustHaveData: boolean;
  /** A sentence a person can read. */
  reason: string;
  /** The source's warnings about the data judged: a verdict resting on it may fail but not pass. */
  warnings?: string[];
}

/** The logs' judgement (judge/logs/): the canary's log templates against the baseline's. */
export interface LogsJudgement extends Judgement {
  kind: 'logs';
  /** Risky first; at most MAX_FINDINGS, `more` left out. */
  findings: LogFinding[];
  more: number;
  /** Lines judged per group (a sample of the group's when the source had more than maxLines). */
  volumes: LogVolumes;
  /** The lines a group had in all, where more than were read: its counts are a sample. */
  totals?: { canary?: number | undefined; baseline?: number | undefined };
}

/** One metric's judgement, with everything needed to explain it. */
export interface MetricJudgement extends Judgement {
  kind: MetricKind;
  direction: Direction;
  /** The canary's and baseline's typical value (rate for ratios); null without data. */
  canary: number | null;
  baseline: number | null;
  /** Relative change of the canary against the baseline (0.25 = 25% higher); null without data. */
  change: number | null;
  /** Confidence that the canary is worse than the baseline (1 − p-value); null when not tested. */
  confidence: number | null;
  /**
   * The rule that applied: the effects from which a significant change is marginal or fails, the confidence
   * required to find it worse, the change a pass must make unlikely and the chance of it from which it cannot pass.
   */
  threshold: { marginal: number; fail: number; confidence: number; passBelow: number; inconclusiveFrom: number; sensitivity: Sensitivity } | null;
  /** How likely a change of at least `threshold.passBelow` is, given the data and the prior (likely.ts); null when not tested. */
  chance?: number | null;
  /** The change in the bad direction (> 0 means worse); for ordering. Null without data. */
  regression: number | null;
  /** The canary crossed a fail-fast bound. */
  failedFast?: boolean;
  /** The evidence weighed per group (requests for a ratio, samples otherwise), once both groups had data to compare. */
  evidence?: { canary: number; baseline: number };
}

export type JudgePhase = 'Successful' | 'Failed' | 'Inconclusive' | 'Running';

export interface JudgeResult {
  /** Decided: the window has closed, or a regression was conclusive before it did. */
  final: boolean;
  /** Null while undecided. */
  verdict: Verdict | null;
  phase: JudgePhase;
  /** 0–100 weighted over the judged metrics; null while undecided or when nothing could be judged. */
  score: number | null;
  /** Every metric, worst first. */
  metrics: MetricJudgement[];
  /** The logs, when the verification reads them and the look judged them (once the window closes). */
  logs?: LogsJudgement;
}
