// From the judgements (each metric's, the logs') to one verdict, a score and the Argo Rollouts phase.
import type { Classification, Judgement, JudgePhase, JudgeSettings, Severity, Verdict } from './types.js';

export interface Combined<J extends Judgement> {
  verdict: Verdict;
  /** 0–100; null when no metric could be judged. */
  score: number | null;
  /** Every judgement, worst first. */
  judgements: J[];
  /** A judged metric's data came with source warnings (a partial response): a passing verdict cannot be trusted. */
  partial: boolean;
  /** A metric could not be shown below its failing change: a passing verdict would claim more than the data show. */
  unsettled: boolean;
}

const POINTS: Record<Classification, number> = { pass: 1, marginal: 0.5, inconclusive: 0.5, fail: 0, nodata: 0 };
// Worst first: a regression, then missing data, then a marginal change, then one not shown to be small enough.
const CLASS_RANK: Record<Classification, number> = { fail: 0, nodata: 1, marginal: 2, inconclusive: 3, pass: 4 };
const SEVERITY_RANK: Record<Severity, number> = { critical: 0, moderate: 1, minor: 2, none: 3 };

const warned = (j: Judgement): boolean => Boolean(j.warnings?.length);

/** A metric's change in the bad direction, for ordering; 0 for the logs and metrics without data. */
const regressionOf = (j: Judgement): number => ('regression' in j && typeof j.regression === 'number' ? j.regression : 0);

/** Worst first; within a class and severity, metrics judged on partial data first, so that their reason is shown. */
export function worstFirst<J extends Judgement>(judgements: readonly J[]): J[] {
  return [...judgements].sort(
    (a, b) =>
      CLASS_RANK[a.classification] - CLASS_RANK[b.classification] ||
      SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
      Number(warned(b)) - Number(warned(a)) ||
      regressionOf(b) - regressionOf(a),
  );
}

/**
 * Any failed metric makes the verdict Unhealthy, even when another had no data. Otherwise a metric that must
 * have data and has none (or nothing judged at all) makes it NoData — missing evidence is never a pass; then
 * a marginal metric makes it MediumHealthy, and one that could not be shown below its failing change
 * Inconclusive. The score is the weighted share of points (pass 1, marginal and inconclusive ½, fail 0) over
 * the judged metrics, and 0 when a critical metric failed.
 */
export function combineJudgements<J extends Judgement>(all: readonly J[]): Combined<J> {
  const judgements = worstFirst(all);
  const judged = judgements.filter((j) => j.classification !== 'nodata');
  const weight = judged.reduce((sum, j) => sum + j.weight, 0);
  const criticalFailed = judged.some((j) => j.critical && j.classification === 'fail');
  const score =
    judged.length === 0 ? null : criticalFailed || weight === 0 ? 0 : Math.round((100 * judged.reduce((sum, j) => sum + j.weight * POINTS[j.classification], 0)) / weight);
  const has = (classification: Classification) => judgements.some((j) => j.classification === classification);

  let verdict: Verdict;
  if (has('fail')) verdict = 'Unhealthy';
  else if (judged.length === 0 || judgements.some((j) => j.classification === 'nodata' && j.mustHaveData)) verdict = 'NoData';
  else if (has('marginal')) verdict = 'MediumHealthy';
  else if (has('inconclusive')) verdict = 'Inconclusive';
  else verdict = 'Healthy';
  return { verdict, score, judgements, partial: judged.some(warned), unsettled: has('inconclusive') };
}

/**
 * The Argo Rollouts phase of a final verdict. High sensitivity fails on MediumHealthy; Unhealthy maps to the
 * configured phase (Inconclusive pauses the rollout for a person); NoData is Failed with failOnNoData, else
 * Inconclusive — never Successful; Inconclusive is Inconclusive. A verdict that would pass on `partial` data
 * (the source warned that some is missing) or while a metric is `unsettled` (MediumHealthy at medium or low
 * sensitivity beside an inconclusive metric) is Inconclusive: the missing part could hold the regression, so a
 * person decides; such data may still fail.
 */
export function verdictPhase(verdict: Verdict, settings: JudgeSettings, doubt: { partial?: boolean; unsettled?: boolean } = {}): Exclude<JudgePhase, 'Running'> {
  const pass = doubt.partial || doubt.unsettled ? 'Inconclusive' : 'Successful';
  switch (verdict) {
    case 'Healthy':
      return pass;
    case 'Inconclusive':
      return 'Inconclusive';
    case 'MediumHealthy':
      return settings.sensitivity === 'high' ? 'Failed' : pass;
    case 'Unhealthy':
      return settings.unhealthyPhase;
    case 'NoData':
      return settings.failOnNoData ? 'Failed' : 'Inconclusive';
  }
}
