// One metric's judgement: enough evidence? past a fail-fast bound? under the ignore floor? then the kind's
// test, classified against the sensitivity's practical effect and confidence.
import type { Side } from './distributions.js';
import type { Comparison } from './comparison.js';
import { compareLevels } from './continuous.js';
import { formatChange, formatConfidence, formatMetricValue, formatPercent, worseWord } from './explain.js';
import { compareCounts, missingNumerator } from './ratio.js';
import { alphaAt, ruleFor, type Rule } from './sensitivity.js';
import { isRatioGroup, type Classification, type Look, type MetricInput, type MetricJudgement, type MetricKind, type Sensitivity, type Severity } from './types.js';

/** Least evidence per group by default: requests for a ratio, samples (steps × instances) for the rest. */
export const DEFAULT_MIN_EVIDENCE: Record<MetricKind, number> = { ratio: 200, latency: 3, throughput: 3, resource: 3, gauge: 3 };

function compare(input: MetricInput): Comparison | null {
  const { metric, canary, baseline } = input;
  if (metric.kind === 'ratio') {
    if (!isRatioGroup(canary) || !isRatioGroup(baseline)) throw new TypeError(`${metric.name}: a ratio metric needs numerator and denominator counts`);
    return compareCounts(canary, baseline);
  }
  if (isRatioGroup(canary) || isRatioGroup(baseline)) throw new TypeError(`${metric.name}: a ${metric.kind} metric needs one series per instance`);
  return compareLevels(canary, baseline);
}

function hasData(group: MetricInput['canary']): boolean {
  const series = isRatioGroup(group) ? group.denominator : group;
  for (const samples of series.values()) if (samples.length > 0) return true;
  return false;
}

interface SideResult {
  side: Side;
  classification: Classification;
  pWorse: number;
  /** The change in this side's bad direction. */
  bad: number;
}

const RANK: Record<Classification, number> = { fail: 0, nodata: 1, marginal: 2, pass: 3 };

/**
 * Statistically and practically significant: the canary is worse with the required confidence, and its
 * estimated change reaches the rule's marginal or failing effect.
 */
function classifySide(comparison: Comparison, side: Side, rule: Rule, alpha: number): SideResult {
  const pWorse = comparison.pValue(side);
  const bad = badChange(comparison.change, side);
  const classification: Classification = pWorse > alpha ? 'pass' : bad >= rule.fail ? 'fail' : bad >= rule.marginal ? 'marginal' : 'pass';
  return { side, classification, pWorse, bad };
}

/**
 * How much worse the canary is on `side`, as the factor it is off by minus one, so thresholds are symmetric:
 * 0.25 is 1.25 times the baseline (up) or the baseline 1.25 times the canary (down, i.e. 20% lower).
 */
export function badChange(change: number, side: Side): number {
  if (side === 'up') return change;
  return change <= -1 ? Infinity : -change / (1 + change);
}

function sidesOf(direction: MetricInput['metric']['direction']): Side[] {
  return direction === 'higher-is-bad' ? ['up'] : direction === 'lower-is-bad' ? ['down'] : ['up', 'down'];
}

/**
 * Judges one metric at one look of its window. When the source warned about the data, the judgement says so in
 * its reason and carries the warnings, so that the verdict cannot pass on it (verdict.ts).
 */
export function judgeMetric(input: MetricInput, sensitivity: Sensitivity, look: Look): MetricJudgement {
  const judgement = judgeData(input, sensitivity, look);
  if (!input.warnings?.length) return judgement;
  return { ...judgement, warnings: input.warnings, reason: `${judgement.reason}; the source warned that its answer may be partial: ${input.warnings.join('; ')}` };
}

function judgeData(input: MetricInput, sensitivity: Sensitivity, look: Look): MetricJudgement {
  const { metric } = input;
  const applied = metric.sensitivity ?? sensitivity;
  const rule = ruleFor(applied, metric.kind);
  const sides = sidesOf(metric.direction);
  // The look's false-alarm budget; each side of a two-sided metric gets half of it.
  const budget = alphaAt(rule.confidence, look);
  const alpha = budget / sides.length;
  const threshold = { marginal: rule.marginal, fail: rule.fail, confidence: 1 - budget, sensitivity: applied };
  const base = {
    name: metric.name,
    kind: metric.kind,
    direction: metric.direction,
    critical: metric.critical,
    weight: metric.weight,
    mustHaveData: metric.mustHaveData,
  };
  const noData = (reason: string, evidence?: MetricJudgement['evidence']): MetricJudgement => ({
    ...base,
    ...(evidence ? { evidence } : {}),
    classification: 'nodata',
    severity: 'none',
    canary: null,
    baseline: null,
    change: null,
    confidence: null,
    threshold: null,
    regression: null,
    reason: `${metric.name}: ${reason}`,
  });

  const missing = (['canary', 'baseline'] as const).filter((group) => !hasData(input[group]));
  if (missing.length) return noData(`no data for the ${missing.join(' and ')}`);
  const missingCounter = isRatioGroup(input.canary) && isRatioGroup(input.baseline) ? missingNumerator(input.canary, input.baseline) : null;
  if (missingCounter) return noData(missingCounter);
  const comparison = compare(input);
  if (!comparison) return noData('nothing to compare: no step with data for both the canary and the baseline');

  const unit = metric.kind === 'ratio' ? 'requests' : 'samples';
  const least = metric.minEvidence ?? DEFAULT_MIN_EVIDENCE[metric.kind];
  const short = (['canary', 'baseline'] as const).filter((group) => comparison.evidence[group] < least);
  // Too little data is "no analysis" — unless the test already finds a conclusive regression in it.
  const tooLittle = short.length
    ? `too little data to judge: ${short.map((group) => `${group} ${Math.round(comparison.evidence[group])}`).join(', ')} ${unit}, at least ${least} needed per group`
    : null;

  const value = (v: number) => formatMetricValue(v, metric.kind);
  const values = `canary ${value(comparison.canary)} vs baseline ${value(comparison.baseline)} (${formatChange(comparison.change)})`;
  const notes = comparison.notes.length ? ` (${comparison.notes.join('; ')})` : '';
  const judged = { ...base, evidence: comparison.evidence, canary: comparison.canary, baseline: comparison.baseline, change: comparison.change, threshold };

  const breached = tooLittle ? null : breachedBound(comparison.canary, metric.failFast);
  if (breached) {
    return {
      ...judged,
      classification: 'fail',
      severity: 'critical',
      confidence: null,
      regression: Infinity,
      failedFast: true,
      reason: `${metric.name}: ${values}; the canary is ${breached.side} the fail-fast bound ${value(breached.bound)}${notes}`,
    };
  }

  const results = sides.map((side) => classifySide(comparison, side, rule, alpha));
  const worst = results.sort((a, b) => RANK[a.classification] - RANK[b.classification] || a.pWorse - b.pWorse)[0]!;
  // The floor makes small values harmless; it never hides a drop of an `either` metric.
  const excused = metric.ignoreBelow !== undefined && worst.side === 'up' && comparison.canary < metric.ignoreBelow;
  if (tooLittle && (worst.classification !== 'fail' || excused)) return noData(tooLittle, comparison.evidence);
  const confidence = 1 - Math.min(1, worst.pWorse * sides.length);
  const word = worseWord(worst.side);
  const allowed = `${applied} sensitivity: ${formatConfidence(threshold.confidence)} confidence, marginal from ${formatPercent(rule.marginal)}, failing from ${formatPercent(rule.fail)}`;

  if (excused) {
    return {
      ...judged,
      classification: 'pass',
      severity: 'none',
      confidence,
      regression: worst.bad,
      reason: `${metric.name}: ${values}; the canary is below the ignore floor ${value(metric.ignoreBelow!)}, so a rise does not count${notes}`,
    };
  }

  const sure = formatConfidence(confidence);
  const sentence =
    worst.classification === 'fail'
      ? `${word} with ${sure} confidence, by at least the ${formatPercent(rule.fail)} that fails`
      : worst.classification === 'marginal'
        ? `${word} with ${sure} confidence, by at least the ${formatPercent(rule.marginal)} that is marginal`
        : confidence >= threshold.confidence
          ? `${word} with ${sure} confidence, but by less than the ${formatPercent(rule.marginal)} that matters`
          : `not conclusively ${word} (${sure} confidence, ${formatConfidence(threshold.confidence)} needed)`;
  return {
    ...judged,
    classification: worst.classification,
    severity: severityOf(worst, metric.critical, metric.kind),
    confidence,
    regression: worst.bad,
    reason: `${metric.name}: ${values}; ${sentence} (${allowed})${notes}`,
  };
}

/** fail → critical for a critical metric or a change that even low sensitivity would fail, else moderate. */
function severityOf(result: SideResult, critical: boolean, kind: MetricKind): Severity {
  if (result.classification === 'marginal') return 'minor';
  if (result.classification !== 'fail') return 'none';
  return critical || result.bad >= ruleFor('low', kind).fail ? 'critical' : 'moderate';
}

function breachedBound(value: number, failFast: MetricInput['metric']['failFast']): { side: 'above' | 'below'; bound: number } | null {
  if (failFast?.above !== undefined && value > failFast.above) return { side: 'above', bound: failFast.above };
  if (failFast?.below !== undefined && value < failFast.below) return { side: 'below', bound: failFast.below };
  return null;
}
