import type { Sensitivity } from '../config/schema.js';
import type { MeasurementPhase } from '../verify/types.js';
import type { MetricJudgement, Outcome, Severity } from './relative-change.js';

export type Verdict = 'Healthy' | 'MediumHealthy' | 'Unhealthy' | 'NoData';

export interface VerdictResult {
  verdict: Verdict;
  /** 0–100: mean of pass 1, marginal 0.5, fail 0 over the judged metrics; null when none could be judged. */
  score: number | null;
  /** Every judgement, worst first. */
  judgements: MetricJudgement[];
}

const POINTS: Partial<Record<Outcome, number>> = { pass: 1, marginal: 0.5, fail: 0 };
// Worst first: a regression, then missing evidence, then a marginal change.
const OUTCOME_RANK: Record<Outcome, number> = { fail: 0, nodata: 1, marginal: 2, pass: 3 };
const SEVERITY_RANK: Record<Severity, number> = { critical: 0, moderate: 1, minor: 2, none: 3 };

export function worstFirst(judgements: readonly MetricJudgement[]): MetricJudgement[] {
  return [...judgements].sort(
    (a, b) =>
      OUTCOME_RANK[a.outcome] - OUTCOME_RANK[b.outcome] ||
      SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
      (b.regression ?? 0) - (a.regression ?? 0),
  );
}

/**
 * Combines metric judgements. A regression is reported as Unhealthy even when another metric had no data;
 * otherwise, with failOnNoData, a metric without data makes the whole verdict NoData (missing evidence is
 * never a pass).
 */
export function combineJudgements(judgements: readonly MetricJudgement[], options: { failOnNoData: boolean }): VerdictResult {
  const ordered = worstFirst(judgements);
  const judged = ordered.filter((j) => j.outcome !== 'nodata');
  const score = judged.length ? Math.round((100 * judged.reduce((sum, j) => sum + (POINTS[j.outcome] ?? 0), 0)) / judged.length) : null;
  const has = (outcome: Outcome) => ordered.some((j) => j.outcome === outcome);

  let verdict: Verdict;
  if (has('fail')) verdict = 'Unhealthy';
  else if (judged.length === 0 || (options.failOnNoData && has('nodata'))) verdict = 'NoData';
  else if (has('marginal')) verdict = 'MediumHealthy';
  else verdict = 'Healthy';
  return { verdict, score, judgements: ordered };
}

export interface PhasePolicy {
  sensitivity: Sensitivity;
  unhealthyPhase: 'Failed' | 'Inconclusive';
  failOnNoData: boolean;
}

/**
 * The Argo Rollouts phase for a final verdict. High sensitivity fails on MediumHealthy; NoData is Failed with
 * failOnNoData, else Inconclusive (the rollout pauses for a person) — never Successful.
 */
export function verdictPhase(verdict: Verdict, policy: PhasePolicy): MeasurementPhase {
  switch (verdict) {
    case 'Healthy':
      return 'Successful';
    case 'MediumHealthy':
      return policy.sensitivity === 'high' ? 'Failed' : 'Successful';
    case 'Unhealthy':
      return policy.unhealthyPhase;
    case 'NoData':
      return policy.failOnNoData ? 'Failed' : 'Inconclusive';
  }
}
