import { mean, median } from 'simple-statistics';
import type { InstanceSeries } from '../collect/source.js';
import type { Direction, Sensitivity } from '../config/schema.js';

export type Outcome = 'pass' | 'marginal' | 'fail' | 'nodata';
export type Severity = 'none' | 'minor' | 'moderate' | 'critical';

/** Largest acceptable change in the bad direction, as a fraction of the baseline. */
export const TOLERANCE: Record<Sensitivity, number> = { high: 0.1, medium: 0.25, low: 0.5 };

export interface MetricJudgement {
  metric: string;
  outcome: Outcome;
  severity: Severity;
  direction: Direction;
  /** Median over instances of each instance's mean; null without data. */
  canary: number | null;
  baseline: number | null;
  /** (canary − baseline) / |baseline|; ±Infinity when the baseline is 0 and the canary is not. */
  change: number | null;
  tolerance: number;
  /** The change in the bad direction (≥ 0 means worse); null without data. */
  regression: number | null;
  reason: string;
}

export interface JudgeInput {
  metric: { name: string; direction: Direction; ignoreBelow?: number };
  canary: InstanceSeries;
  baseline: InstanceSeries;
  sensitivity: Sensitivity;
}

/**
 * Typical value of a group: each instance's mean over the window, then the median across instances, so one
 * outlier pod moves it less than a pooled mean would. Null when no instance has a sample.
 */
export function groupValue(series: InstanceSeries): number | null {
  const instanceMeans = [...series.values()].filter((samples) => samples.length > 0).map((samples) => mean(samples.map(([, value]) => value)));
  return instanceMeans.length ? median(instanceMeans) : null;
}

export function relativeChange(canary: number, baseline: number): number {
  if (baseline === 0) return canary === 0 ? 0 : canary > 0 ? Infinity : -Infinity;
  return (canary - baseline) / Math.abs(baseline);
}

/** How far the change went the bad way: increases for higher-is-bad, decreases for lower-is-bad, both for either. */
function badMovement(change: number, direction: Direction): number {
  if (direction === 'higher-is-bad') return change;
  if (direction === 'lower-is-bad') return -change;
  return Math.abs(change);
}

/**
 * Classifies one metric by the relative change of the canary against the baseline.
 * Within the tolerance → pass; up to twice it → marginal (minor); beyond → fail, moderate up to four times the
 * tolerance and critical past that.
 */
export function judgeRelativeChange(input: JudgeInput): MetricJudgement {
  const { metric, sensitivity } = input;
  const tolerance = TOLERANCE[sensitivity];
  const canary = groupValue(input.canary);
  const baseline = groupValue(input.baseline);
  const base = { metric: metric.name, direction: metric.direction, tolerance, canary, baseline };

  if (canary === null || baseline === null) {
    const missing = [canary === null ? 'canary' : '', baseline === null ? 'baseline' : ''].filter(Boolean).join(' and ');
    return { ...base, outcome: 'nodata', severity: 'none', change: null, regression: null, reason: `${metric.name}: no data for the ${missing}` };
  }

  const change = relativeChange(canary, baseline);
  const regression = badMovement(change, metric.direction);
  const values = `canary ${formatValue(canary)} vs baseline ${formatValue(baseline)} (${formatChange(change)})`;
  const judged = { ...base, change, regression };

  if (metric.ignoreBelow !== undefined && canary < metric.ignoreBelow) {
    return { ...judged, outcome: 'pass', severity: 'none', reason: `${metric.name}: ${values}, canary below the ignoreBelow floor ${formatValue(metric.ignoreBelow)}` };
  }
  const side = metric.direction === 'lower-is-bad' || (metric.direction === 'either' && change < 0) ? 'below' : 'above';
  const limit = `${side === 'below' ? '−' : ''}${formatPercent(tolerance)}`;
  const rule = `for ${metric.direction}`;
  if (regression <= tolerance) {
    return { ...judged, outcome: 'pass', severity: 'none', reason: `${metric.name}: ${values}, within the ${formatPercent(tolerance)} tolerance ${rule}` };
  }
  if (regression <= 2 * tolerance) {
    return { ...judged, outcome: 'marginal', severity: 'minor', reason: `${metric.name}: ${values}, ${side} the ${limit} tolerance but within twice it ${rule}` };
  }
  const severity = regression <= 4 * tolerance ? 'moderate' : 'critical';
  return { ...judged, outcome: 'fail', severity, reason: `${metric.name}: ${values}, ${side} the ${limit} tolerance ${rule}` };
}

/** Three significant digits: 0.05234 → "0.0523", 1234.5 → "1230". */
export function formatValue(value: number): string {
  return String(Number(value.toPrecision(3)));
}

function formatPercent(fraction: number): string {
  return `${Number((fraction * 100).toPrecision(3))}%`;
}

function formatChange(change: number): string {
  if (change === Infinity) return 'up from 0';
  if (change === -Infinity) return 'down from 0';
  return `${change > 0 ? '+' : change < 0 ? '−' : '±'}${formatPercent(Math.abs(change))}`;
}
