// One metric's judgement: enough evidence? past a fail-fast bound? under the ignore floor? then the kind's
// test, classified against the sensitivity's practical effect and confidence: worse with confidence fails,
// shown to be below the failing change passes, anything between is inconclusive.
import type { Side } from './distributions.js';
import { badChange, type Comparison, type Shift } from './comparison.js';
import { allPositive, compareLevels } from './continuous.js';
import { formatChance, formatChange, formatConfidence, formatMetricValue, formatPercent, worseWord } from './explain.js';
import { chanceOfAtLeast } from './likely.js';
import { compareCounts, MIN_EXCESS_EVENTS, missingNumerator } from './ratio.js';
import { alphaAt, ruleFor, SHIFT_SHARE, type Rule } from './sensitivity.js';
import { levelPrior, ratioPrior } from './spread.js';
import { isRatioGroup, type Classification, type Direction, type Look, type MetricInput, type MetricJudgement, type MetricKind, type Sensitivity, type Severity } from './types.js';

export { badChange };

/** Least evidence per group by default: requests for a ratio, samples (steps × instances) for the rest. */
export const DEFAULT_MIN_EVIDENCE: Record<MetricKind, number> = { ratio: 200, latency: 3, throughput: 3, resource: 3, gauge: 3 };

function compare(input: MetricInput, warmupS: number): Comparison | null {
  const { metric, canary, baseline, history, canarySince: since } = input;
  if (metric.kind === 'ratio') {
    if (!isRatioGroup(canary) || !isRatioGroup(baseline)) throw new TypeError(`${metric.name}: a ratio metric needs numerator and denominator counts`);
    return compareCounts(canary, baseline, { prior: ratioPrior(history), warmupS, ...(since && { since }) });
  }
  if (isRatioGroup(canary) || isRatioGroup(baseline)) throw new TypeError(`${metric.name}: a ${metric.kind} metric needs one series per instance`);
  const positive = allPositive([canary, baseline]);
  return compareLevels(canary, baseline, { prior: levelPrior(history, positive), warmupS, ...(since && { since }) }, positive);
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
  /** How likely a change of at least the rule's `passBelow` is (likely.ts). */
  chance: number;
  /** The change that began inside the window, when it is what decided. */
  shift?: Shift;
  /** The metric's rule, its effects raised to the comparison's floor where that is higher. */
  rule: Rule;
}

// A metric's sides, worst first: a regression, then a marginal one, then missing evidence of a pass.
const RANK: Record<Classification, number> = { fail: 0, nodata: 1, marginal: 2, inconclusive: 3, pass: 4 };

function effectClass(bad: number, rule: Rule): Classification | null {
  return bad >= rule.fail ? 'fail' : bad >= rule.marginal ? 'marginal' : null;
}

/**
 * Worse with the required confidence by at least the rule's marginal or failing effect — over the whole window,
 * or since a change that began inside it — is marginal or fails. Otherwise it passes unless a change that fails
 * the verification is likely (the rule's `inconclusiveFrom`), and is inconclusive when it is.
 */
function classifySide(comparison: Comparison, side: Side, metricRule: Rule, { level, shifted }: { level: number; shifted: number }): SideResult {
  const floor = comparison.floor(side);
  const raised = (effect: number) => Math.max(effect, floor);
  const rule = floor > 0 ? { ...metricRule, marginal: raised(metricRule.marginal), fail: raised(metricRule.fail), passBelow: raised(metricRule.passBelow) } : metricRule;
  const pWorse = comparison.pValue(side);
  const bad = badChange(comparison.change, side);
  const chance = chanceOfAtLeast(comparison, side, rule.passBelow);
  const shift = comparison.shift(side);
  const whole = pWorse <= level ? effectClass(bad, rule) : null;
  // A shift counts by the smaller of its own size and where it left the canary against the baseline.
  const since = shift && shift.pValue <= shifted ? effectClass(Math.min(shift.change, shift.after), rule) : null;
  if (since && (!whole || RANK[since] < RANK[whole])) return { side, classification: since, pWorse: shift!.pValue, bad: Math.min(shift!.change, shift!.after), chance, shift: shift!, rule };
  if (whole) return { side, classification: whole, pWorse, bad, chance, rule };
  return { side, classification: chance < rule.inconclusiveFrom ? 'pass' : 'inconclusive', pWorse, bad, chance, rule };
}

export function sidesOf(direction: Direction): Side[] {
  return direction === 'higher-is-bad' ? ['up'] : direction === 'lower-is-bad' ? ['down'] : ['up', 'down'];
}

/** How the metric is judged at this look: its sensitivity, and its share of the verification's false-alarm budget. */
export interface MetricLook {
  sensitivity: Sensitivity;
  look: Look;
  /** Metric sides in the verification sharing its budget (a two-sided metric counts twice). */
  tests: number;
  warmupMs: number;
}

/**
 * Judges one metric at one look of its window. When the source warned about the data, the judgement says so in
 * its reason and carries the warnings, so that the verdict cannot pass on it (verdict.ts).
 */
export function judgeMetric(input: MetricInput, at: MetricLook): MetricJudgement {
  const judgement = judgeData(input, at);
  if (!input.warnings?.length) return judgement;
  return { ...judgement, warnings: input.warnings, reason: `${judgement.reason}; the source warned that its answer may be partial: ${input.warnings.join('; ')}` };
}

function judgeData(input: MetricInput, { sensitivity, look, tests, warmupMs }: MetricLook): MetricJudgement {
  const { metric } = input;
  const applied = metric.sensitivity ?? sensitivity;
  const rule = ruleFor(applied, metric.kind);
  const sides = sidesOf(metric.direction);
  // The look's false-alarm budget for each side, out of the verification's; this metric's total is reported.
  const alpha = alphaAt(rule.confidence, look, tests);
  // Continuous metrics keep a share of each side's budget for a change that began inside the window (a shift).
  const shifted = metric.kind === 'ratio' ? 0 : alpha * SHIFT_SHARE;
  const budget = { level: alpha - shifted, shifted };
  const threshold = { marginal: rule.marginal, fail: rule.fail, confidence: 1 - budget.level * sides.length, passBelow: rule.passBelow, inconclusiveFrom: rule.inconclusiveFrom, sensitivity: applied };
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
  const missingCounter = isRatioGroup(input.canary) && isRatioGroup(input.baseline) ? missingNumerator(input.canary, input.baseline, ratioPrior(input.history)) : null;
  if (missingCounter) return noData(missingCounter);
  const comparison = compare(input, warmupMs / 1000);
  if (!comparison) return noData('nothing to compare: no step with data for both the canary and the baseline (after the canary’s warm-up)');

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

  const results = sides.map((side) => classifySide(comparison, side, rule, budget));
  const worst = results.sort((a, b) => RANK[a.classification] - RANK[b.classification] || a.pWorse - b.pWorse)[0]!;
  // The floor makes small values harmless; it never hides a drop of an `either` metric.
  const excused = metric.ignoreBelow !== undefined && worst.side === 'up' && comparison.canary < metric.ignoreBelow;
  if (tooLittle && (worst.classification !== 'fail' || excused)) return noData(tooLittle, comparison.evidence);
  const confidence = 1 - Math.min(1, worst.pWorse * sides.length);
  const word = worseWord(worst.side);
  const allowed = `${applied} sensitivity: ${formatConfidence(threshold.confidence)} confidence, marginal from ${formatPercent(rule.marginal)}, failing from ${formatPercent(rule.fail)}`;
  const judgedSide = { ...judged, confidence, regression: worst.bad, chance: worst.chance };

  if (excused) {
    return {
      ...judgedSide,
      classification: 'pass',
      severity: 'none',
      reason: `${metric.name}: ${values}; the canary is below the ignore floor ${value(metric.ignoreBelow!)}, so a rise does not count${notes}`,
    };
  }

  return {
    ...judgedSide,
    classification: worst.classification,
    severity: severityOf(worst, metric.critical, metric.kind),
    reason: `${metric.name}: ${values}; ${finding(worst, confidence, threshold.confidence, word, comparison.missing)} (${allowed}${floorNote(worst, rule)})${notes}`,
  };
}

/** When the comparison's floor raised the failing change: says so, since the reason's figures are the raised ones. */
function floorNote(result: SideResult, rule: Rule): string {
  if (result.rule.fail === rule.fail) return '';
  return `; here failing only from ${formatPercent(result.rule.fail)}: a change of fewer than ${MIN_EXCESS_EVENTS} events over the window does not count`;
}

/** The sentence that says what the test found and why that classifies the metric as it does. */
function finding(result: SideResult, confidence: number, needed: number, word: string, missing: string): string {
  const { rule } = result;
  const sure = formatConfidence(confidence);
  const likely = `a change of ${formatPercent(rule.passBelow)} ${word} or more is ${formatChance(result.chance)} likely given the data`;
  const limit = result.classification === 'fail' ? rule.fail : rule.marginal;
  if (result.shift) {
    const since = new Date(result.shift.sinceS * 1000).toISOString();
    return `${word} since ${since} by ${formatPercent(result.bad)} with ${sure} confidence (against its own level before, the baseline's change taken out), by at least the ${formatPercent(limit)} that ${result.classification === 'fail' ? 'fails' : 'is marginal'}`;
  }
  switch (result.classification) {
    case 'fail':
    case 'marginal':
      return `${word} with ${sure} confidence, by at least the ${formatPercent(limit)} that ${result.classification === 'fail' ? 'fails' : 'is marginal'}`;
    case 'pass':
      return confidence >= needed
        ? `${word} with ${sure} confidence, but by less than the ${formatPercent(rule.marginal)} that matters (${likely})`
        : `not conclusively ${word} (${sure} confidence), and ${likely}, below the ${formatPercent(rule.inconclusiveFrom)} that holds it up`;
    default:
      return `not conclusively ${word} (${sure} confidence, ${formatConfidence(needed)} needed), yet ${likely}, at least the ${formatPercent(rule.inconclusiveFrom)} that holds it up: inconclusive; needs ${missing}`;
  }
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
