import { describe, expect, it } from 'vitest';
import type { InstanceSeries } from '../collect/source.js';
import { compareCounts } from './ratio.js';
import { fixedCounts, ratioGroup, seededRandom, stepTimes } from './synthetic.test-helpers.js';
import type { RatioGroup } from './types.js';

// 9 baseline pods and 1 canary pod, 10 steps of 30 s at ~10 requests/s each.
const REQUESTS = 300;

const copy = (group: RatioGroup): RatioGroup => ({
  numerator: new Map([...group.numerator].map(([pod, s]) => [pod, [...s]])),
  denominator: new Map([...group.denominator].map(([pod, s]) => [pod, [...s]])),
});

describe('compareCounts', () => {
  it('finds no regression when the canary errs at the baseline’s rate', () => {
    const random = seededRandom(31);
    const baseline = ratioGroup(random, { pods: 9, requests: REQUESTS, rate: 0.01, prefix: 'stable' });
    const canary = ratioGroup(random, { pods: 1, requests: REQUESTS, rate: 0.01, prefix: 'canary' });
    const c = compareCounts(canary, baseline)!;
    expect(Math.abs(c.change)).toBeLessThan(0.3);
    expect(c.pValue('up')).toBeGreaterThan(0.05);
    expect(c.pValue('down')).toBeGreaterThan(0.05);
    expect(c.baseline).toBeCloseTo(0.01, 2);
    expect(c.notes).toEqual([]);
  });

  it('counts requests as the evidence and reports rates', () => {
    const c = compareCounts(fixedCounts([[30, 3000]], 'canary'), fixedCounts(Array(9).fill([60, 3000])))!;
    expect(c.evidence).toEqual({ canary: 3000, baseline: 27000 });
    expect(c.canary).toBeCloseTo(0.01, 12);
    expect(c.baseline).toBeCloseTo(0.02, 12);
    expect(c.change).toBeCloseTo(-0.5, 12);
  });

  it('finds a canary erring three times as often with plenty of requests', () => {
    const random = seededRandom(1);
    const baseline = ratioGroup(random, { pods: 9, requests: REQUESTS, rate: 0.01 });
    const canary = ratioGroup(random, { pods: 1, requests: REQUESTS, rate: 0.03, prefix: 'canary' });
    const c = compareCounts(canary, baseline)!;
    expect(c.change).toBeGreaterThan(1.4);
    expect(c.change).toBeLessThan(2.8);
    expect(c.pValue('up')).toBeLessThan(1e-4);
    // Not evidence of being better.
    expect(c.pValue('down')).toBeGreaterThan(0.999);
  });

  it('finds a threefold rate significant at the judge’s final level (0.0045) whatever the draw', () => {
    for (let seed = 100; seed < 130; seed++) {
      const random = seededRandom(seed);
      const baseline = ratioGroup(random, { pods: 9, requests: REQUESTS, rate: 0.01 });
      const canary = ratioGroup(random, { pods: 1, requests: REQUESTS, rate: 0.03, prefix: 'canary' });
      expect(compareCounts(canary, baseline)!.pValue('up')).toBeLessThan(0.0045);
    }
  });

  it('is not conclusive about a threefold rate on few requests', () => {
    const random = seededRandom(33);
    const baseline = ratioGroup(random, { pods: 9, requests: 10, rate: 0.01 });
    const canary = ratioGroup(random, { pods: 1, requests: 10, rate: 0.03, prefix: 'canary' });
    expect(compareCounts(canary, baseline)!.pValue('up')).toBeGreaterThan(0.005);
  });

  it('finds a canary that errs far less on the down side (for success counts)', () => {
    const baseline = fixedCounts(Array(9).fill([300, 3000]));
    const c = compareCounts(fixedCounts([[150, 3000]], 'canary'), baseline)!;
    expect(c.change).toBeCloseTo(-0.5, 10);
    // Large counts: the 10% floor on pod spread, not Poisson noise, sets the width.
    expect(c.pValue('down')).toBeLessThan(0.0045);
    expect(c.pValue('up')).toBeGreaterThan(0.999);
  });

  it('widens the test when baseline pods disagree beyond Poisson noise', () => {
    const canary = fixedCounts([[50, 3000]], 'canary');
    // Same total (270 errors in 27,000 requests), once in agreement and once spread out.
    const agreeing = fixedCounts(Array(9).fill([30, 3000]));
    const disagreeing = fixedCounts([12, 48, 15, 45, 20, 40, 25, 35, 30].map((e) => [e, 3000] as const));
    const tight = compareCounts(canary, agreeing)!;
    const wide = compareCounts(canary, disagreeing)!;
    expect(wide.baseline).toBeCloseTo(tight.baseline, 12);
    expect(wide.change).toBeCloseTo(tight.change, 12);
    expect(wide.notes).toEqual([]);
    expect(tight.pValue('up')).toBeLessThan(0.02);
    expect(wide.pValue('up')).toBeGreaterThan(3 * tight.pValue('up'));
  });

  it('keeps some allowance for pod differences even when the baseline pods agree exactly', () => {
    // Identical pods measure no spread; the floor under the dispersion still makes the test wider than Poisson.
    const canary = fixedCounts([[50, 3000]], 'canary');
    const c = compareCounts(canary, fixedCounts(Array(9).fill([30, 3000])))!;
    // Plain Poisson: P(X ≥ 50 | mean 30) ≈ 0.0007
    expect(c.pValue('up')).toBeGreaterThan(0.002);
  });

  it('allows pods of one version to differ by ~10% in rate even where Poisson noise is small', () => {
    // 300 errors in 30,000 requests per pod: Poisson alone would call a 20% higher canary (360) conclusive.
    const baseline = fixedCounts(Array(9).fill([300, 30_000]));
    const c = compareCounts(fixedCounts([[360, 30_000]], 'canary'), baseline)!;
    expect(c.change).toBeCloseTo(0.2, 10);
    expect(c.pValue('up')).toBeGreaterThan(0.03);
    // ...while a canary twice the rate is conclusive.
    expect(compareCounts(fixedCounts([[600, 30_000]], 'canary'), baseline)!.pValue('up')).toBeLessThan(1e-3);
  });

  it('is more cautious when the pods’ spread is measured from only a few baseline pods, yet finds a clear rise', () => {
    const canary = fixedCounts([[60, 3000]], 'canary');
    const few = compareCounts(canary, fixedCounts(Array(3).fill([30, 3000])))!;
    const many = compareCounts(canary, fixedCounts(Array(9).fill([30, 3000])))!;
    expect(few.change).toBeCloseTo(many.change, 12);
    expect(many.pValue('up')).toBeLessThan(few.pValue('up') / 3);
    // Five times the baseline's rate on 30,000 requests is conclusive even against three pods.
    const fiveTimes = compareCounts(fixedCounts([[1500, 30_000]], 'canary'), fixedCounts(Array(3).fill([300, 30_000])))!;
    expect(fiveTimes.pValue('up')).toBeLessThan(1e-4);
  });

  it('does not make one canary error infinitely significant against a baseline without errors', () => {
    const baseline = fixedCounts(Array(9).fill([0, 3000]));
    const one = compareCounts(fixedCounts([[1, 3000]], 'canary'), baseline)!;
    expect(one.change).toBe(Infinity);
    expect(one.baseline).toBe(0);
    expect(one.pValue('up')).toBeGreaterThan(0.01);
    // Many errors where the baseline has none is conclusive, though.
    const five = compareCounts(fixedCounts([[5, 3000]], 'canary'), baseline)!;
    expect(five.pValue('up')).toBeLessThan(1e-3);
    expect(five.pValue('up')).toBeLessThan(one.pValue('up'));
  });

  it('finds no change when neither group has errors', () => {
    const c = compareCounts(fixedCounts([[0, 3000]], 'canary'), fixedCounts(Array(9).fill([0, 3000])))!;
    expect(c.change).toBe(0);
    expect(c.pValue('up')).toBe(1);
  });

  it('sets aside a baseline pod with a rate far from the others and says so', () => {
    const random = seededRandom(34);
    const healthy = ratioGroup(random, { pods: 8, requests: REQUESTS, rate: 0.01, prefix: 'stable' });
    const broken = ratioGroup(random, { pods: 1, requests: REQUESTS, rate: 0.1, podSpread: 0, prefix: 'bad-node' });
    const baseline: RatioGroup = {
      numerator: new Map([...healthy.numerator, ...broken.numerator]),
      denominator: new Map([...healthy.denominator, ...broken.denominator]),
    };
    const canary = ratioGroup(random, { pods: 1, requests: REQUESTS, rate: 0.01, prefix: 'canary' });
    const c = compareCounts(canary, baseline)!;
    const reference = compareCounts(canary, healthy)!;
    expect(c.notes.join(' ')).toContain('bad-node-0');
    expect(c.notes.join(' ')).toMatch(/set aside/);
    expect(c.baseline).toBeCloseTo(reference.baseline, 12);
    expect(c.evidence.baseline).toBe(reference.evidence.baseline);
    expect(c.pValue('down')).toBeCloseTo(reference.pValue('down'), 12);
    // Without setting it aside the baseline rate would be ~0.02 and the canary would look better.
    expect(c.baseline).toBeLessThan(0.015);
  });

  it('does not set pods aside with fewer than four baseline pods', () => {
    const baseline = fixedCounts([[30, 3000], [30, 3000], [300, 3000]]);
    const c = compareCounts(fixedCounts([[30, 3000]], 'canary'), baseline)!;
    expect(c.notes).toEqual([]);
    expect(c.baseline).toBeCloseTo(360 / 9000, 12);
  });

  it('drops negative and non-finite steps (counter resets, gaps) from numerator and denominator alike', () => {
    const random = seededRandom(35);
    const baseline = ratioGroup(random, { pods: 9, requests: REQUESTS, rate: 0.01 });
    const canary = ratioGroup(random, { pods: 1, requests: REQUESTS, rate: 0.02, prefix: 'canary' });
    const clean = compareCounts(canary, baseline)!;

    // Add extra steps after the window that are corrupt: each must be ignored entirely.
    const corrupt = copy(canary);
    const extra = stepTimes(5, 10);
    const bad: Array<[number, number]> = [
      [-40, 300],
      [Number.NaN, 300],
      [5, -300],
      [5, Number.NaN],
      [Number.POSITIVE_INFINITY, 300],
    ];
    extra.forEach((t, i) => {
      corrupt.numerator.get('canary-0')!.push([t, bad[i]![0]]);
      corrupt.denominator.get('canary-0')!.push([t, bad[i]![1]]);
    });
    const c = compareCounts(corrupt, baseline)!;
    expect(c.evidence).toEqual(clean.evidence);
    expect(c.canary).toBe(clean.canary);
    expect(c.pValue('up')).toBe(clean.pValue('up'));
    expect(Number.isFinite(c.change)).toBe(true);
  });

  it('counts requests by the denominator’s steps: errors without a request count are ignored, a missing error count is 0 errors', () => {
    const base = fixedCounts(Array(9).fill([30, 3000]));
    const canary = fixedCounts([[30, 3000]], 'canary');
    const clean = compareCounts(canary, base)!;

    const skewed = copy(canary);
    const [late] = stepTimes(1, 20);
    // Errors at a time without a request count: not counted.
    skewed.numerator.get('canary-0')!.push([late!, 500]);
    const withStrayErrors = compareCounts(skewed, base)!;
    expect(withStrayErrors.evidence.canary).toBe(3000);
    expect(withStrayErrors.canary).toBeCloseTo(clean.canary, 12);

    // A canary without any error series (its error counter never existed): 0 errors over its requests.
    const noErrorSeries = { numerator: new Map(), denominator: canary.denominator };
    const c = compareCounts(noErrorSeries, base)!;
    expect(c.evidence.canary).toBe(3000);
    expect(c.canary).toBe(0);
  });

  it('returns null without a step both counts cover, for either group', () => {
    const baseline = fixedCounts(Array(9).fill([30, 3000]));
    const onlyErrors: RatioGroup = { numerator: fixedCounts([[30, 3000]], 'canary').numerator, denominator: new Map() };
    expect(compareCounts(onlyErrors, baseline)).toBeNull();
    const noRequests: RatioGroup = {
      numerator: new Map([['canary-0', stepTimes().map((t) => [t, 0] as const)]]),
      denominator: new Map([['canary-0', stepTimes().map((t) => [t, 0] as const)]]) as InstanceSeries,
    };
    expect(compareCounts(noRequests, baseline)).toBeNull();
    expect(compareCounts(fixedCounts([[30, 3000]], 'canary'), { numerator: new Map(), denominator: new Map() })).toBeNull();
  });
});
