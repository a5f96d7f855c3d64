import { describe, expect, it } from 'vitest';
import type { InstanceSeries } from '../collect/source.js';
import { FALLBACK_PRIOR } from './comparison.js';
import { levelPrior, MAX_PRIOR_DF, ratioPrior } from './spread.js';
import { fixedCounts, levelSeries, ratioGroup, seededRandom, stepTimes } from './synthetic.test-helpers.js';
import type { RatioGroup } from './types.js';

/** `count` periods of `pods` pods each, named apart per period unless `samePods`. */
function levelHistory(seed: number, count: number, pods: number, podSpread: number, samePods = false): InstanceSeries[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, (_, i) => levelSeries(random, { pods, level: 0.1, podSpread, prefix: samePods ? 'pod' : `period${i}` }));
}

function ratioHistory(seed: number, count: number, pods: number, options: { requests: number; rate: number; podSpread: number }): RatioGroup[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, (_, i) => ratioGroup(random, { pods, ...options, prefix: `period${i}` }));
}

function constantPods(values: Record<string, number>): InstanceSeries {
  return new Map(Object.entries(values).map(([pod, v]) => [pod, stepTimes().map((t) => [t, v] as const)]));
}

describe('levelPrior', () => {
  it('recovers the pods’ spread from history, worth at most MAX_PRIOR_DF pods', () => {
    // 20 periods of 6 pods 10% apart: 100 degrees of freedom measured, capped.
    const prior = levelPrior(levelHistory(41, 20, 6, 0.1), true);
    expect(prior.from).toBe('history');
    expect(prior.df).toBe(MAX_PRIOR_DF);
    expect(Math.sqrt(prior.variance)).toBeGreaterThan(0.085);
    expect(Math.sqrt(prior.variance)).toBeLessThan(0.12);
  });

  it('is worth the pods less one per period below the cap', () => {
    const prior = levelPrior(levelHistory(42, 3, 4, 0.05), true);
    expect(prior.df).toBe(9);
    expect(Math.sqrt(prior.variance)).toBeGreaterThan(0.025);
    expect(Math.sqrt(prior.variance)).toBeLessThan(0.08);
  });

  it('counts a pod seen in several periods once', () => {
    const prior = levelPrior(levelHistory(43, 10, 4, 0.1, true), true);
    expect(prior).toMatchObject({ df: 3, from: 'history' });
  });

  it('falls back without history, or without a period of two pods', () => {
    expect(levelPrior(undefined, true)).toEqual(FALLBACK_PRIOR.level);
    expect(levelPrior([], true)).toEqual(FALLBACK_PRIOR.level);
    expect(levelPrior(levelHistory(44, 5, 1, 0.1), true)).toEqual(FALLBACK_PRIOR.level);
    // Counts are not levels.
    expect(levelPrior([fixedCounts([[10, 1000], [20, 1000]])], true)).toEqual(FALLBACK_PRIOR.level);
  });

  it('works on the raw scale relative to the level', () => {
    // 10 below and above 100: 10% apart, at any level.
    expect(levelPrior([constantPods({ a: 90, b: 100, c: 110 })], false)).toEqual({ variance: 0.01, df: 2, from: 'history' });
    expect(levelPrior([constantPods({ a: 900, b: 1000, c: 1100 })], false).variance).toBeCloseTo(0.01, 12);
    // On the log scale the same pods are log(0.9), 0 and log(1.1) from the middle one.
    const logs = [Math.log(0.9), 0, Math.log(1.1)];
    const mean = (logs[0]! + logs[2]!) / 3;
    expect(levelPrior([constantPods({ a: 90, b: 100, c: 110 })], true).variance).toBeCloseTo(logs.reduce((sum, x) => sum + (x - mean) ** 2, 0) / 2, 12);
    // Around a level of 0 nothing is relative to it.
    expect(levelPrior([constantPods({ a: -1, b: 0, c: 1 })], false)).toEqual(FALLBACK_PRIOR.level);
  });
});

describe('ratioPrior', () => {
  it('recovers the pods’ spread in rate from history', () => {
    // Lognormal rates with log sd 0.3: a squared coefficient of variation of e^0.09 − 1 ≈ 0.094.
    const prior = ratioPrior(ratioHistory(51, 20, 6, { requests: 10_000, rate: 0.05, podSpread: 0.3 }));
    expect(prior).toMatchObject({ df: MAX_PRIOR_DF, from: 'history' });
    expect(prior.variance).toBeGreaterThan(0.094 * 0.7);
    expect(prior.variance).toBeLessThan(0.094 * 1.4);
  });

  it('leaves Poisson noise out of the spread', () => {
    // About 20 events per pod: Poisson noise alone is a squared coefficient of variation of 1/20.
    const prior = ratioPrior(ratioHistory(52, 20, 6, { requests: 100, rate: 0.02, podSpread: 0 }));
    expect(prior.from).toBe('history');
    expect(prior.variance).toBeLessThan(0.02);
  });

  it('falls back without history, without a period of two pods, or without events', () => {
    expect(ratioPrior(undefined)).toEqual(FALLBACK_PRIOR.ratio);
    expect(ratioPrior([fixedCounts([[10, 1000]]), fixedCounts([[12, 1000]], 'other')])).toEqual(FALLBACK_PRIOR.ratio);
    expect(ratioPrior([fixedCounts([[0, 1000], [0, 1000]])])).toEqual(FALLBACK_PRIOR.ratio);
    // Levels are not counts.
    expect(ratioPrior(levelHistory(53, 3, 4, 0.1))).toEqual(FALLBACK_PRIOR.ratio);
  });

  it('counts a pod seen in several periods once', () => {
    const periods = Array.from({ length: 10 }, () => fixedCounts([[10, 1000], [30, 1000], [20, 1000]]));
    expect(ratioPrior(periods)).toMatchObject({ df: 2, from: 'history' });
  });
});

describe('priors are learnt once per history', () => {
  it('answers the same history object with the same prior, per scale, and learns a new history afresh', () => {
    const history = levelHistory(71, 4, 5, 0.05);
    const first = levelPrior(history, true);
    expect(levelPrior(history, true)).toBe(first);
    expect(levelPrior(history, false)).not.toBe(first);
    const copy = [...history];
    expect(levelPrior(copy, true)).not.toBe(first);
    expect(levelPrior(copy, true)).toEqual(first);
    const counts = ratioHistory(72, 4, 5, { requests: 10_000, rate: 0.01, podSpread: 0.1 });
    expect(ratioPrior(counts)).toBe(ratioPrior(counts));
  });
});
