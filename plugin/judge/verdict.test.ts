import { describe, expect, it } from 'vitest';
import type { MetricJudgement, Outcome, Severity } from './relative-change.js';
import { combineJudgements, verdictPhase, worstFirst, type PhasePolicy, type Verdict } from './verdict.js';

const SEVERITY: Record<Outcome, Severity> = { pass: 'none', marginal: 'minor', fail: 'moderate', nodata: 'none' };

function judgement(metric: string, outcome: Outcome, overrides: Partial<MetricJudgement> = {}): MetricJudgement {
  return {
    metric,
    outcome,
    severity: SEVERITY[outcome],
    direction: 'higher-is-bad',
    canary: outcome === 'nodata' ? null : 1,
    baseline: outcome === 'nodata' ? null : 1,
    change: outcome === 'nodata' ? null : 0,
    regression: outcome === 'nodata' ? null : 0,
    tolerance: 0.25,
    reason: `${metric} ${outcome}`,
    ...overrides,
  };
}

const combine = (outcomes: Outcome[], failOnNoData = true) =>
  combineJudgements(
    outcomes.map((outcome, i) => judgement(`m${i}`, outcome)),
    { failOnNoData },
  );

describe('combineJudgements', () => {
  it.each<[Outcome[], boolean, Verdict, number | null]>([
    [['pass', 'pass'], true, 'Healthy', 100],
    [['pass', 'marginal'], true, 'MediumHealthy', 75],
    [['pass', 'marginal', 'fail'], true, 'Unhealthy', 50],
    [['fail'], true, 'Unhealthy', 0],
    [['nodata', 'nodata'], false, 'NoData', null],
    [['nodata', 'nodata'], true, 'NoData', null],
    [['pass', 'nodata'], true, 'NoData', 100],
    [['pass', 'nodata'], false, 'Healthy', 100],
    [['marginal', 'nodata'], false, 'MediumHealthy', 50],
    [['fail', 'nodata'], true, 'Unhealthy', 0],
    [[], true, 'NoData', null],
  ])('%j with failOnNoData=%s → %s, score %s', (outcomes, failOnNoData, verdict, score) => {
    expect(combine(outcomes, failOnNoData)).toMatchObject({ verdict, score });
  });

  it('rounds the score', () => {
    expect(combine(['pass', 'pass', 'marginal']).score).toBe(83);
  });

  it('orders judgements worst first', () => {
    expect(combine(['pass', 'marginal', 'nodata', 'fail'], false).judgements.map((j) => j.outcome)).toEqual(['fail', 'nodata', 'marginal', 'pass']);
  });
});

describe('worstFirst', () => {
  it('ranks critical before moderate, then by the size of the regression', () => {
    const ordered = worstFirst([
      judgement('small', 'fail', { severity: 'moderate', regression: 0.6 }),
      judgement('critical', 'fail', { severity: 'critical', regression: 5 }),
      judgement('large', 'fail', { severity: 'moderate', regression: 0.9 }),
    ]);
    expect(ordered.map((j) => j.metric)).toEqual(['critical', 'large', 'small']);
  });
});

describe('verdictPhase', () => {
  const policy: PhasePolicy = { sensitivity: 'medium', unhealthyPhase: 'Failed', failOnNoData: true };

  it.each<[Verdict, Partial<PhasePolicy>, string]>([
    ['Healthy', {}, 'Successful'],
    ['Healthy', { sensitivity: 'high' }, 'Successful'],
    ['MediumHealthy', {}, 'Successful'],
    ['MediumHealthy', { sensitivity: 'low' }, 'Successful'],
    ['MediumHealthy', { sensitivity: 'high' }, 'Failed'],
    ['Unhealthy', {}, 'Failed'],
    ['Unhealthy', { unhealthyPhase: 'Inconclusive' }, 'Inconclusive'],
    ['NoData', {}, 'Failed'],
    ['NoData', { failOnNoData: false }, 'Inconclusive'],
  ])('%s with %j → %s', (verdict, overrides, phase) => {
    expect(verdictPhase(verdict, { ...policy, ...overrides })).toBe(phase);
  });
});
