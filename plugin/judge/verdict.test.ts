import { describe, expect, it } from 'vitest';
import type { Classification, JudgeSettings, MetricJudgement, Severity, Verdict } from './types.js';
import { combineJudgements, verdictPhase, worstFirst } from './verdict.js';

const SEVERITY: Record<Classification, Severity> = { pass: 'none', marginal: 'minor', inconclusive: 'none', fail: 'moderate', nodata: 'none' };

function judgement(name: string, classification: Classification, overrides: Partial<MetricJudgement> = {}): MetricJudgement {
  const judged = classification !== 'nodata';
  return {
    name,
    kind: 'latency',
    direction: 'higher-is-bad',
    classification,
    severity: SEVERITY[classification],
    critical: false,
    weight: 1,
    mustHaveData: true,
    canary: judged ? 1.2 : null,
    baseline: judged ? 1 : null,
    change: judged ? 0.2 : null,
    confidence: judged ? 0.999 : null,
    threshold: judged ? { marginal: 0.12, fail: 0.2, confidence: 0.99625, passBelow: 0.2, inconclusiveFrom: 0.64, sensitivity: 'medium' } : null,
    reason: `${name}: ${classification}`,
    regression: judged ? 0.2 : null,
    ...overrides,
  };
}

const combine = (classes: Classification[], overrides: Partial<MetricJudgement> = {}) =>
  combineJudgements(classes.map((c, i) => judgement(`m${i}`, c, overrides)));

describe('combineJudgements', () => {
  it.each<[Classification[], Verdict, number | null]>([
    [['pass', 'pass'], 'Healthy', 100],
    [['pass', 'marginal'], 'MediumHealthy', 75],
    [['pass', 'marginal', 'fail'], 'Unhealthy', 50],
    [['fail'], 'Unhealthy', 0],
    [['fail', 'nodata'], 'Unhealthy', 0],
    [['pass', 'fail', 'nodata'], 'Unhealthy', 50],
    [['pass', 'nodata'], 'NoData', 100],
    [['marginal', 'nodata'], 'NoData', 50],
    [['nodata', 'nodata'], 'NoData', null],
    [[], 'NoData', null],
  ])('%j (data required) → %s, score %s', (classes, verdict, score) => {
    expect(combine(classes)).toMatchObject({ verdict, score });
  });

  it('leaves out a metric without data that need not have it', () => {
    const optional = { mustHaveData: false };
    expect(combineJudgements([judgement('a', 'pass'), judgement('b', 'nodata', optional)])).toMatchObject({ verdict: 'Healthy', score: 100 });
    expect(combineJudgements([judgement('a', 'marginal'), judgement('b', 'nodata', optional)])).toMatchObject({ verdict: 'MediumHealthy', score: 50 });
    // ...but it is still listed.
    expect(combineJudgements([judgement('a', 'pass'), judgement('b', 'nodata', optional)]).judgements.map((m) => m.name)).toEqual(['b', 'a']);
  });

  it('is NoData when nothing at all could be judged, even if no metric had to have data', () => {
    expect(combine(['nodata', 'nodata'], { mustHaveData: false })).toMatchObject({ verdict: 'NoData', score: null });
  });

  it('is Unhealthy on any failure, even when a required metric had no data', () => {
    expect(combineJudgements([judgement('a', 'nodata'), judgement('b', 'pass'), judgement('c', 'fail')]).verdict).toBe('Unhealthy');
  });

  it('weights the score by each metric’s weight', () => {
    const c = combineJudgements([judgement('a', 'pass', { weight: 3 }), judgement('b', 'fail', { weight: 1 })]);
    expect(c.score).toBe(75);
    const d = combineJudgements([judgement('a', 'pass', { weight: 1 }), judgement('b', 'fail', { weight: 3 })]);
    expect(d.score).toBe(25);
    const e = combineJudgements([judgement('a', 'marginal', { weight: 2 }), judgement('b', 'pass', { weight: 2 }), judgement('c', 'pass', { weight: 4 })]);
    expect(e.score).toBe(88); // (1 + 2 + 4) / 8 = 87.5, rounded
  });

  it('does not let a metric without data weigh in the score', () => {
    const c = combineJudgements([judgement('a', 'pass', { weight: 1 }), judgement('b', 'nodata', { weight: 100, mustHaveData: false })]);
    expect(c.score).toBe(100);
  });

  it('rounds the score', () => {
    expect(combine(['pass', 'pass', 'marginal']).score).toBe(83);
  });

  it('scores 0 when a critical metric fails, however much else passes', () => {
    const c = combineJudgements([
      judgement('a', 'pass', { weight: 10 }),
      judgement('b', 'pass', { weight: 10 }),
      judgement('c', 'fail', { critical: true, severity: 'critical', weight: 0.1 }),
    ]);
    expect(c).toMatchObject({ verdict: 'Unhealthy', score: 0 });
    // A critical metric that passes does not zero anything.
    expect(combineJudgements([judgement('a', 'pass', { critical: true }), judgement('b', 'marginal')]).score).toBe(75);
  });

  it('orders every judgement worst first: fail, nodata, marginal, inconclusive, pass', () => {
    const c = combine(['pass', 'inconclusive', 'marginal', 'nodata', 'fail']);
    expect(c.judgements.map((j) => j.classification)).toEqual(['fail', 'nodata', 'marginal', 'inconclusive', 'pass']);
    expect(c.judgements).toHaveLength(5);
  });

  it('is Inconclusive when a metric could not be shown below its failing change, and nothing worse happened', () => {
    expect(combine(['pass', 'inconclusive'])).toMatchObject({ verdict: 'Inconclusive', unsettled: true, score: 75 });
    expect(combine(['pass', 'pass'])).toMatchObject({ verdict: 'Healthy', unsettled: false });
    expect(combine(['inconclusive', 'fail']).verdict).toBe('Unhealthy');
    expect(combine(['inconclusive', 'nodata']).verdict).toBe('NoData');
    expect(combine(['inconclusive', 'marginal'])).toMatchObject({ verdict: 'MediumHealthy', unsettled: true });
  });
});

describe('combineJudgements on partial data', () => {
  const warned = { warnings: ['partial response'] };

  it('says the verdict rests on partial data when a judged metric came with a warning', () => {
    expect(combineJudgements([judgement('a', 'pass', warned), judgement('b', 'pass')])).toMatchObject({ verdict: 'Healthy', partial: true });
    expect(combineJudgements([judgement('a', 'pass'), judgement('b', 'pass')])).toMatchObject({ verdict: 'Healthy', partial: false });
  });

  it('does not count a metric left out for lack of data', () => {
    expect(combineJudgements([judgement('a', 'pass'), judgement('b', 'nodata', { ...warned, mustHaveData: false })])).toMatchObject({ verdict: 'Healthy', partial: false });
  });

  it('puts a warned metric first among those of its class, so its reason is shown', () => {
    expect(worstFirst([judgement('a', 'pass', { regression: 0.1 }), judgement('b', 'pass', { ...warned, regression: 0 })]).map((j) => j.name)).toEqual(['b', 'a']);
  });
});

describe('worstFirst', () => {
  it('ranks critical before moderate, then the larger regression first', () => {
    const ordered = worstFirst([
      judgement('small', 'fail', { severity: 'moderate', regression: 0.6 }),
      judgement('critical', 'fail', { severity: 'critical', regression: 0.3 }),
      judgement('large', 'fail', { severity: 'moderate', regression: 0.9 }),
      judgement('fast', 'fail', { severity: 'critical', regression: Infinity, failedFast: true }),
    ]);
    expect(ordered.map((j) => j.name)).toEqual(['fast', 'critical', 'large', 'small']);
  });

  it('puts the larger regression first among passes, and does not change its input', () => {
    const input = [judgement('better', 'pass', { regression: -0.2 }), judgement('none', 'pass', { regression: null }), judgement('worse', 'pass', { regression: 0.05 })];
    expect(worstFirst(input).map((j) => j.name)).toEqual(['worse', 'none', 'better']);
    expect(input.map((j) => j.name)).toEqual(['better', 'none', 'worse']);
  });
});

describe('verdictPhase', () => {
  const settings: JudgeSettings = { sensitivity: 'medium', unhealthyPhase: 'Failed', failOnNoData: true, warmupMs: 0 };

  it.each<[Verdict, Partial<JudgeSettings>, string]>([
    ['Healthy', {}, 'Successful'],
    ['Healthy', { sensitivity: 'high' }, 'Successful'],
    ['MediumHealthy', {}, 'Successful'],
    ['MediumHealthy', { sensitivity: 'low' }, 'Successful'],
    ['MediumHealthy', { sensitivity: 'high' }, 'Failed'],
    ['MediumHealthy', { sensitivity: 'high', unhealthyPhase: 'Inconclusive' }, 'Failed'],
    ['Unhealthy', {}, 'Failed'],
    ['Unhealthy', { unhealthyPhase: 'Inconclusive' }, 'Inconclusive'],
    ['NoData', {}, 'Failed'],
    ['NoData', { failOnNoData: false }, 'Inconclusive'],
    ['NoData', { failOnNoData: false, unhealthyPhase: 'Failed' }, 'Inconclusive'],
    ['Inconclusive', {}, 'Inconclusive'],
    ['Inconclusive', { sensitivity: 'high' }, 'Inconclusive'],
  ])('%s with %j → %s', (verdict, overrides, phase) => {
    expect(verdictPhase(verdict, { ...settings, ...overrides })).toBe(phase);
  });

  it('makes a passing verdict on partial data (the source warned) Inconclusive, and leaves the others as they are', () => {
    const partial = { partial: true };
    expect(verdictPhase('Healthy', settings, partial)).toBe('Inconclusive');
    expect(verdictPhase('MediumHealthy', settings, partial)).toBe('Inconclusive');
    expect(verdictPhase('MediumHealthy', { ...settings, sensitivity: 'high' }, partial)).toBe('Failed');
    expect(verdictPhase('Unhealthy', settings, partial)).toBe('Failed');
    expect(verdictPhase('NoData', settings, partial)).toBe('Failed');
    expect(verdictPhase('NoData', { ...settings, failOnNoData: false }, partial)).toBe('Inconclusive');
  });

  it('does not pass MediumHealthy beside a metric that is unsettled (inconclusive), and still fails it at high sensitivity', () => {
    expect(verdictPhase('MediumHealthy', settings, { unsettled: true })).toBe('Inconclusive');
    expect(verdictPhase('MediumHealthy', { ...settings, sensitivity: 'high' }, { unsettled: true })).toBe('Failed');
  });

  it('never maps NoData, Unhealthy or Inconclusive to Successful', () => {
    for (const sensitivity of ['high', 'medium', 'low'] as const) {
      for (const failOnNoData of [true, false]) {
        for (const unhealthyPhase of ['Failed', 'Inconclusive'] as const) {
          const s = { sensitivity, failOnNoData, unhealthyPhase, warmupMs: 0 };
          expect(verdictPhase('NoData', s)).not.toBe('Successful');
          expect(verdictPhase('Unhealthy', s)).not.toBe('Successful');
          expect(verdictPhase('Inconclusive', s)).not.toBe('Successful');
        }
      }
    }
  });
});
