import { describe, expect, it } from 'vitest';
import type { InstanceSeries } from '../collect/source.js';
import { badChange, FALLBACK_PRIOR, type SpreadPrior } from './comparison.js';
import { compareCounts, MIN_EXCESS_EVENTS } from './ratio.js';
import { fixedCounts, historyPrior, ratioGroup, seededRandom, stepTimes } from './synthetic.test-helpers.js';
import type { RatioGroup } from './types.js';

// 9 baseline pods and 1 canary pod, 10 steps of 30 s at ~10 requests/s each.
const REQUESTS = 300;

/** Options for pods known from history to differ in rate by `spread` (ratioGroup's default 10%), without warm-up unless given. */
const known = (spread = 0.1, warmupS = 0) => ({ prior: historyPrior(spread), warmupS });

const copy = (group: RatioGroup): RatioGroup => ({
  numerator: new Map([...group.numerator].map(([pod, s]) => [pod, [...s]])),
  denominator: new Map([...group.denominator].map(([pod, s]) => [pod, [...s]])),
});

describe('compareCounts', () => {
  it('finds no regression when the canary errs at the baseline’s rate', () => {
    const random = seededRandom(31);
    const baseline = ratioGroup(random, { pods: 9, requests: REQUESTS, rate: 0.01, prefix: 'stable' });
    const canary = ratioGroup(random, { pods: 1, requests: REQUESTS, rate: 0.01, prefix: 'canary' });
    const c = compareCounts(canary, baseline, known())!;
    expect(Math.abs(c.change)).toBeLessThan(0.3);
    expect(c.pValue('up')).toBeGreaterThan(0.05);
    expect(c.pValue('down')).toBeGreaterThan(0.05);
    expect(c.baseline).toBeCloseTo(0.01, 2);
    expect(c.notes).toEqual([]);
  });

  it('counts requests as the evidence and reports rates', () => {
    const c = compareCounts(fixedCounts([[30, 3000]], 'canary'), fixedCounts(Array(9).fill([60, 3000])), known())!;
    expect(c.evidence).toEqual({ canary: 3000, baseline: 27000 });
    expect(c.canary).toBeCloseTo(0.01, 12);
    expect(c.baseline).toBeCloseTo(0.02, 12);
    expect(c.change).toBeCloseTo(-0.5, 12);
  });

  it('finds a canary erring three times as often with plenty of requests', () => {
    const random = seededRandom(1);
    const baseline = ratioGroup(random, { pods: 9, requests: REQUESTS, rate: 0.01 });
    const canary = ratioGroup(random, { pods: 1, requests: REQUESTS, rate: 0.03, prefix: 'canary' });
    const c = compareCounts(canary, baseline, known())!;
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
      expect(compareCounts(canary, baseline, known())!.pValue('up')).toBeLessThan(0.0045);
    }
  });

  it('is not conclusive about a threefold rate on few requests', () => {
    const random = seededRandom(33);
    const baseline = ratioGroup(random, { pods: 9, requests: 10, rate: 0.01 });
    const canary = ratioGroup(random, { pods: 1, requests: 10, rate: 0.03, prefix: 'canary' });
    expect(compareCounts(canary, baseline, known())!.pValue('up')).toBeGreaterThan(0.005);
  });

  it('finds a canary that errs far less on the down side (for success counts)', () => {
    const baseline = fixedCounts(Array(9).fill([300, 3000]));
    const c = compareCounts(fixedCounts([[150, 3000]], 'canary'), baseline, known())!;
    expect(c.change).toBeCloseTo(-0.5, 10);
    // Large counts: the pods' 10% spread, not Poisson noise, sets the width.
    expect(c.pValue('down')).toBeLessThan(0.0045);
    expect(c.pValue('up')).toBeGreaterThan(0.999);
  });

  it('widens the test when baseline pods disagree beyond Poisson noise', () => {
    const canary = fixedCounts([[50, 3000]], 'canary');
    // Same total (270 errors in 27,000 requests), once in agreement and once spread out.
    const agreeing = fixedCounts(Array(9).fill([30, 3000]));
    const disagreeing = fixedCounts([12, 48, 15, 45, 20, 40, 25, 35, 30].map((e) => [e, 3000] as const));
    const tight = compareCounts(canary, agreeing, known())!;
    const wide = compareCounts(canary, disagreeing, known())!;
    expect(wide.baseline).toBeCloseTo(tight.baseline, 12);
    expect(wide.change).toBeCloseTo(tight.change, 12);
    expect(wide.notes).toEqual([]);
    expect(tight.pValue('up')).toBeLessThan(0.02);
    expect(wide.pValue('up')).toBeGreaterThan(3 * tight.pValue('up'));
    // A history of pods closer together does not narrow what today's pods measure.
    expect(compareCounts(canary, disagreeing, known(0.02))!.pValue('up')).toBe(wide.pValue('up'));
  });

  it('keeps an allowance of 5% for pod differences even when history and today’s pods agree exactly', () => {
    const canary = fixedCounts([[50, 3000]], 'canary');
    const baseline = fixedCounts(Array(9).fill([30, 3000]));
    const identical = compareCounts(canary, baseline, known(0))!;
    expect(identical.pValue('up')).toBe(compareCounts(canary, baseline, known(0.05))!.pValue('up'));
    expect(compareCounts(canary, baseline, known(0.07))!.pValue('up')).toBeGreaterThan(identical.pValue('up'));
  });

  it('allows pods of one version to differ in rate as history says (10%), even where Poisson noise is small', () => {
    // 300 errors in 30,000 requests per pod: Poisson alone would call a 20% higher canary (360) conclusive.
    const baseline = fixedCounts(Array(9).fill([300, 30_000]));
    const c = compareCounts(fixedCounts([[360, 30_000]], 'canary'), baseline, known())!;
    expect(c.change).toBeCloseTo(0.2, 10);
    expect(c.pValue('up')).toBeGreaterThan(0.03);
    // ...while a canary twice the rate is conclusive.
    expect(compareCounts(fixedCounts([[600, 30_000]], 'canary'), baseline, known())!.pValue('up')).toBeLessThan(1e-3);
  });

  it('is more cautious with only a few baseline pods and no history, says so, yet finds a clear rise', () => {
    const noHistory = { prior: FALLBACK_PRIOR.ratio, warmupS: 0 };
    const canary = fixedCounts([[60, 3000]], 'canary');
    const few = compareCounts(canary, fixedCounts(Array(3).fill([30, 3000])), noHistory)!;
    const many = compareCounts(canary, fixedCounts(Array(9).fill([30, 3000])), noHistory)!;
    expect(few.change).toBeCloseTo(many.change, 12);
    expect(many.pValue('up')).toBeLessThan(few.pValue('up') / 3);
    expect(few.notes).toEqual(['few pods and no history of how much this service’s pods differ in rate: a wide allowance is assumed']);
    expect(many.notes).toEqual([]);
    // Five times the baseline's rate on 30,000 requests is conclusive at the judge's final level even against three pods.
    const fiveTimes = compareCounts(fixedCounts([[1500, 30_000]], 'canary'), fixedCounts(Array(3).fill([300, 30_000])), noHistory)!;
    expect(fiveTimes.pValue('up')).toBeLessThan(0.0045);
  });

  it('takes the pods’ spread from history: narrower than the fallback where pods are known to agree, wider where they differ', () => {
    const canary = fixedCounts([[60, 3000]], 'canary');
    const baseline = fixedCounts(Array(3).fill([30, 3000]));
    const p = (prior: SpreadPrior) => compareCounts(canary, baseline, { prior, warmupS: 0 })!.pValue('up');
    expect(p(historyPrior(0.1))).toBeLessThan(p(FALLBACK_PRIOR.ratio) / 5);
    expect(p(historyPrior(0.3))).toBeGreaterThan(3 * p(historyPrior(0.1)));
  });

  it('does not make one canary error infinitely significant against a baseline without errors', () => {
    const baseline = fixedCounts(Array(9).fill([0, 3000]));
    const one = compareCounts(fixedCounts([[1, 3000]], 'canary'), baseline, known())!;
    expect(one.change).toBe(Infinity);
    expect(one.baseline).toBe(0);
    expect(one.pValue('up')).toBeGreaterThan(0.01);
    // Many errors where the baseline has none is conclusive, though.
    const five = compareCounts(fixedCounts([[5, 3000]], 'canary'), baseline, known())!;
    expect(five.pValue('up')).toBeLessThan(1e-3);
    expect(five.pValue('up')).toBeLessThan(one.pValue('up'));
  });

  it('finds no change when neither group has errors', () => {
    const c = compareCounts(fixedCounts([[0, 3000]], 'canary'), fixedCounts(Array(9).fill([0, 3000])), known())!;
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
    const c = compareCounts(canary, baseline, known())!;
    const reference = compareCounts(canary, healthy, known())!;
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
    const c = compareCounts(fixedCounts([[30, 3000]], 'canary'), baseline, known())!;
    expect(c.notes).toEqual([]);
    expect(c.baseline).toBeCloseTo(360 / 9000, 12);
  });

  it('drops negative and non-finite steps (counter resets, gaps) from numerator and denominator alike', () => {
    const random = seededRandom(35);
    const baseline = ratioGroup(random, { pods: 9, requests: REQUESTS, rate: 0.01 });
    const canary = ratioGroup(random, { pods: 1, requests: REQUESTS, rate: 0.02, prefix: 'canary' });
    const clean = compareCounts(canary, baseline, known())!;

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
    const c = compareCounts(corrupt, baseline, known())!;
    expect(c.evidence).toEqual(clean.evidence);
    expect(c.canary).toBe(clean.canary);
    expect(c.pValue('up')).toBe(clean.pValue('up'));
    expect(Number.isFinite(c.change)).toBe(true);
  });

  it('counts requests by the denominator’s steps: errors without a request count are ignored, a missing error count is 0 errors', () => {
    const base = fixedCounts(Array(9).fill([30, 3000]));
    const canary = fixedCounts([[30, 3000]], 'canary');
    const clean = compareCounts(canary, base, known())!;

    const skewed = copy(canary);
    const [late] = stepTimes(1, 20);
    // Errors at a time without a request count: not counted.
    skewed.numerator.get('canary-0')!.push([late!, 500]);
    const withStrayErrors = compareCounts(skewed, base, known())!;
    expect(withStrayErrors.evidence.canary).toBe(3000);
    expect(withStrayErrors.canary).toBeCloseTo(clean.canary, 12);

    // A canary without any error series (its error counter never existed): 0 errors over its requests.
    const noErrorSeries = { numerator: new Map(), denominator: canary.denominator };
    const c = compareCounts(noErrorSeries, base, known())!;
    expect(c.evidence.canary).toBe(3000);
    expect(c.canary).toBe(0);
  });

  it('returns null without a step both counts cover, for either group', () => {
    const baseline = fixedCounts(Array(9).fill([30, 3000]));
    const onlyErrors: RatioGroup = { numerator: fixedCounts([[30, 3000]], 'canary').numerator, denominator: new Map() };
    expect(compareCounts(onlyErrors, baseline, known())).toBeNull();
    const noRequests: RatioGroup = {
      numerator: new Map([['canary-0', stepTimes().map((t) => [t, 0] as const)]]),
      denominator: new Map([['canary-0', stepTimes().map((t) => [t, 0] as const)]]) as InstanceSeries,
    };
    expect(compareCounts(noRequests, baseline, known())).toBeNull();
    expect(compareCounts(fixedCounts([[30, 3000]], 'canary'), { numerator: new Map(), denominator: new Map() }, known())).toBeNull();
  });

  it('leaves each canary pod’s first warmupS seconds of requests out', () => {
    const baseline = fixedCounts(Array(9).fill([30, 3000]));
    // At the baseline's 1%, but ten times that in its first two steps (60 s).
    const canary = fixedCounts([[30, 3000]], 'canary');
    canary.numerator.set('canary-0', canary.numerator.get('canary-0')!.map(([t, n], i) => [t, i < 2 ? 30 : n] as const));
    const cold = compareCounts(canary, baseline, known(0.1, 0))!;
    const warm = compareCounts(canary, baseline, known(0.1, 60))!;
    expect(cold.pValue('up')).toBeLessThan(1e-4);
    expect(warm.evidence.canary).toBe(2400);
    expect(warm.change).toBeCloseTo(0, 12);
    expect(warm.pValue('up')).toBeGreaterThan(0.3);
  });

  it('does not count a change of fewer than MIN_EXCESS_EVENTS events over the window', () => {
    const baseline = fixedCounts(Array(9).fill([10, 3000]));
    // 10 events expected at the baseline's rate.
    const c = compareCounts(fixedCounts([[10, 3000]], 'canary'), baseline, known())!;
    expect(c.floor('up')).toBeCloseTo(MIN_EXCESS_EVENTS / 10, 12);
    expect(c.floor('down')).toBeCloseTo(badChange(-MIN_EXCESS_EVENTS / 10, 'down'), 12);
    // Ten times the requests: the same few events are a tenth of the change.
    const busy = compareCounts(fixedCounts([[100, 30_000]], 'canary'), baseline, known())!;
    expect(busy.floor('up')).toBeCloseTo(MIN_EXCESS_EVENTS / 100, 12);
    // With only MIN_EXCESS_EVENTS expected, no fall is that many events.
    const quiet = compareCounts(fixedCounts([[MIN_EXCESS_EVENTS, 300 * MIN_EXCESS_EVENTS]], 'canary'), baseline, known())!;
    expect(quiet.floor('up')).toBeCloseTo(1, 12);
    expect(quiet.floor('down')).toBe(Infinity);
  });

  describe('bound', () => {
    it('is the rate ratio at 50% confidence (but for half an event shared by the groups) and reaches further with more', () => {
      const c = compareCounts(fixedCounts([[45, 3000]], 'canary'), fixedCounts(Array(9).fill([30, 3000])), known())!;
      expect(c.change).toBeCloseTo(0.5, 12);
      expect(c.bound('up', 0.5)).toBeCloseTo((45.05 / 3000 / (270.45 / 27000)) - 1, 12);
      expect(c.bound('up', 0.9)).toBeGreaterThan(0.5);
      expect(c.bound('up', 0.99)).toBeGreaterThan(c.bound('up', 0.9));
      // On the down side, how much lower the canary may be: at 50% higher it is not, −1/3 as badChange counts a fall.
      expect(c.bound('down', 0.5)).toBeCloseTo(1 / ((45.05 / 3000 / (270.45 / 27000))) - 1, 12);
      expect(c.bound('down', 0.99)).toBeGreaterThan(c.bound('down', 0.9));
    });

    it('covers the true change at its confidence in most draws', () => {
      const draws = 300;
      let covered = 0;
      for (let seed = 0; seed < draws; seed++) {
        const random = seededRandom(2000 + seed);
        const baseline = ratioGroup(random, { pods: 6, requests: REQUESTS, rate: 0.01 });
        const canary = ratioGroup(random, { pods: 3, requests: REQUESTS, rate: 0.02, prefix: 'canary' });
        if (compareCounts(canary, baseline, known())!.bound('up', 0.9) >= 1) covered++;
      }
      expect(covered / draws).toBeGreaterThan(0.86);
      expect(covered / draws).toBeLessThan(0.98);
    });

    it('narrows with more requests, down to what the pods’ spread allows', () => {
      const bound = (scale: number) => {
        const c = compareCounts(fixedCounts([[30 * scale, 3000 * scale]], 'canary'), fixedCounts(Array(9).fill([30 * scale, 3000 * scale])), known())!;
        return c.bound('up', 0.95);
      };
      expect(bound(10)).toBeLessThan(0.6 * bound(1));
      // One canary pod among pods 10% apart: about +19% remains plausible however many requests.
      expect(bound(1000)).toBeGreaterThan(0.15);
    });
  });
});
