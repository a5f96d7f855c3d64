// Kayenta's weighted-sum scoring of classified metrics, and the verdict drawn from the score.
import type { MetricLabel } from './types.js';

export interface ScorableMetric {
  name: string;
  classification: MetricLabel;
  groups: readonly string[];
  critical: boolean;
  reason?: string;
}

export interface GroupScore {
  name: string;
  /** 100 · Pass / (Pass + High + Low + NodataFailMetric); 0 when the group has none of those. */
  score: number;
  /** True when every metric of the group was Nodata or Error: the group then neither helps nor hurts. */
  noData: boolean;
  labelCounts: Partial<Record<MetricLabel, number>>;
  numMetrics: number;
}

export interface ScoreResult {
  groupScores: GroupScore[];
  /** 0-100, rounded to two decimals. */
  summaryScore: number;
  numMetrics: number;
  /** Set when the score was forced to 0. */
  reason?: string;
}

/** At or above this share of Nodata metrics (in percent) the canary scores 0: too little evidence to judge. */
export const NODATA_THRESHOLD_PERCENT = 50;

function groupScore(name: string, labels: readonly MetricLabel[]): GroupScore {
  const labelCounts: Partial<Record<MetricLabel, number>> = {};
  for (const label of labels) labelCounts[label] = (labelCounts[label] ?? 0) + 1;
  const pass = labelCounts.Pass ?? 0;
  // Nodata and Error are left out of the denominator; missing data that was required counts as a failure.
  const total = pass + (labelCounts.High ?? 0) + (labelCounts.Low ?? 0) + (labelCounts.NodataFailMetric ?? 0);
  const noData = total === 0;
  return { name, score: noData ? 0 : (pass / total) * 100, noData, labelCounts, numMetrics: labels.length };
}

/** Group scores, one per group named by any metric (a metric in several groups counts in each). */
export function groupScores(metrics: readonly ScorableMetric[]): GroupScore[] {
  const byGroup = new Map<string, MetricLabel[]>();
  for (const metric of metrics) {
    for (const group of metric.groups) {
      const labels = byGroup.get(group) ?? [];
      labels.push(metric.classification);
      byGroup.set(group, labels);
    }
  }
  return [...byGroup].map(([name, labels]) => groupScore(name, labels));
}

/**
 * Weighted sum of group scores. `groupWeights` are percentages; groups without a weight share what is left
 * of 100 equally. A group with no scorable metric counts as 100 so that it does not drag the score down.
 */
export function summaryScore(groups: readonly GroupScore[], groupWeights: Readonly<Record<string, number>>): number {
  const weightSum = Object.values(groupWeights).reduce((sum, w) => sum + w, 0);
  const unweighted = groups.filter((g) => !(g.name in groupWeights));
  const sharedWeight = unweighted.length > 0 ? (100 - weightSum) / unweighted.length : 0;
  let score = 0;
  for (const group of groups) {
    const effective = group.noData ? 100 : group.score;
    const weight = groupWeights[group.name] ?? sharedWeight;
    score += effective * (weight / 100);
  }
  return roundHalfUp(score, 2);
}

/** Critical metrics that did not pass: any of them fails the canary. */
export function criticalFailures<T extends ScorableMetric>(metrics: readonly T[]): T[] {
  return metrics.filter((m) => m.critical && m.classification !== 'Pass');
}

/** Whether half or more of the metrics had no data. */
export function tooManyNodata(metrics: readonly ScorableMetric[]): boolean {
  const nodata = metrics.filter((m) => m.classification === 'Nodata').length;
  return (nodata / metrics.length) * 100 >= NODATA_THRESHOLD_PERCENT;
}

/** Scores classified metrics the way Kayenta's weighted-sum scorer does. Muted metrics must be left out first. */
export function scoreMetrics(metrics: readonly ScorableMetric[], groupWeights: Readonly<Record<string, number>> = {}): ScoreResult {
  const groups = groupScores(metrics);
  const failures = criticalFailures(metrics);
  if (failures.length > 0) {
    const first = failures[0] as ScorableMetric;
    const reason = `Canary Failed: ${first.reason ?? `${first.name} is critical and was classified as ${first.classification}`}`;
    return { groupScores: groups, summaryScore: 0, numMetrics: metrics.length, reason };
  }
  if (tooManyNodata(metrics)) {
    const reason = `Canary Failed: ${NODATA_THRESHOLD_PERCENT}% or more metrics returned NODATA`;
    return { groupScores: groups, summaryScore: 0, numMetrics: metrics.length, reason };
  }
  return { groupScores: groups, summaryScore: summaryScore(groups, groupWeights), numMetrics: metrics.length };
}

export type ScoreClassification = 'Pass' | 'Marginal' | 'Fail';

export interface ScoreThresholds {
  /** Scores at or above this pass. */
  pass: number;
  /** Scores at or above this (and below `pass`) are Marginal; below, Fail. */
  marginal: number;
}

/** Pass / Marginal / Fail by thresholds. */
export function classifyScore(score: number, thresholds: ScoreThresholds): ScoreClassification {
  if (score >= thresholds.pass) return 'Pass';
  if (score >= thresholds.marginal) return 'Marginal';
  return 'Fail';
}

/**
 * Whether a final canary score passes when the thresholds may be missing, as Kayenta's standalone canary
 * analysis decides after its last interval: no thresholds pass; a score not above the marginal threshold
 * fails; otherwise the score must reach the pass threshold if one is given.
 */
export function didPassThresholds(finalScore: number, marginal: number | null | undefined, pass: number | null | undefined): boolean {
  if (marginal == null && pass == null) return true;
  if (marginal != null && finalScore <= marginal) return false;
  if (pass == null) return true;
  return finalScore >= pass;
}

/**
 * Rounds half away from zero at `decimals` places on the number's shortest decimal form (so 0.125 → 0.13
 * even though its binary value is slightly below), matching decimal rounding of the printed score.
 */
export function roundHalfUp(value: number, decimals: number): number {
  if (!Number.isFinite(value)) return value;
  const factor = 10 ** decimals;
  const scaled = Number((Math.abs(value) * factor).toPrecision(15));
  return (Math.sign(value) * Math.round(scaled)) / factor;
}
