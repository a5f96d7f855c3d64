// Effect sizes between the canary (experiment) and the baseline (control).
import { averageRanks } from './ranks.js';
import { mean, summarize, type SummaryStatistics } from './stats.js';

/**
 * Ratio of means, experiment / control. NaN when either mean is zero: a ratio against zero says nothing
 * about the size of a change, and Kayenta then disables its effect-size gate.
 */
export function meanRatio(control: readonly number[], experiment: readonly number[]): number {
  const c = mean(control);
  const e = mean(experiment);
  return c === 0 || e === 0 ? Number.NaN : e / c;
}

/**
 * Cohen's d with the pooled sample standard deviation, as an absolute value (the direction is read from the
 * classification, not from d).
 */
export function cohenD(control: readonly number[], experiment: readonly number[]): number {
  return cohenDFromSummaries(summarize(control), summarize(experiment));
}

export function cohenDFromSummaries(control: SummaryStatistics, experiment: SummaryStatistics): number {
  const pooledVariance =
    ((experiment.count - 1) * experiment.std ** 2 + (control.count - 1) * control.std ** 2) /
    (control.count + experiment.count - 2);
  return Math.abs(experiment.mean - control.mean) / Math.sqrt(pooledVariance);
}

/**
 * Common-language effect size: the probability that a random experiment value exceeds a random control
 * value, ties counting one half (Vargha & Delaney's A, 2000). Computed from the rank sum of the experiment
 * in the pooled sample, (2·R₁ - m(m+1)) / (2·m·n), which avoids the m·n pairwise comparisons.
 */
export function cles(control: readonly number[], experiment: readonly number[]): number {
  const m = experiment.length;
  const n = control.length;
  const ranks = averageRanks([...experiment, ...control]);
  let r1 = 0;
  for (let i = 0; i < m; i++) r1 += ranks[i] as number;
  return (2 * r1 - m * (m + 1)) / (2 * n * m);
}
