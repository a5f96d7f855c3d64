import { describe, expect, it } from 'vitest';
import type { InstanceSeries } from '../collect/source.js';
import { badChange, FALLBACK_PRIOR } from './comparison.js';
import { compareLevels } from './continuous.js';
import { studentTail } from './distributions.js';
import { historyPrior, levelSeries, normalQuantiles, seededRandom, stepTimes } from './synthetic.test-helpers.js';

// 9 baseline pods whose levels differ by a few percent, deterministic (normal quantiles × spread).
const offsets = (spread: number, pods = 9) => normalQuantiles(pods).map((z) => spread * z);

/** Options for pods known from history to differ by `spread`, without warm-up unless given. */
const known = (spread: number, warmupS = 0) => ({ prior: historyPrior(spread), warmupS });

function constantSeries(values: Record<string, number>): InstanceSeries {
  return new Map(Object.entries(values).map(([pod, v]) => [pod, stepTimes().map((t) => [t, v] as const)]));
}

describe('compareLevels', () => {
  it('finds no difference between a canary and baseline drawn alike', () => {
    const random = seededRandom(11);
    const baseline = levelSeries(random, { pods: 9, level: 0.2, podOffsets: offsets(0.03), prefix: 'stable' });
    const canary = levelSeries(random, { pods: 1, level: 0.2, podOffsets: [0], prefix: 'canary' });
    const c = compareLevels(canary, baseline, known(0.03))!;
    expect(Math.abs(c.change)).toBeLessThan(0.02);
    expect(c.pValue('up')).toBeGreaterThan(0.2);
    expect(c.pValue('down')).toBeGreaterThan(0.2);
    expect(c.baseline).toBeCloseTo(0.2, 1);
    expect(c.canary).toBeCloseTo(0.2, 1);
    expect(c.evidence).toEqual({ canary: 10, baseline: 90 });
    expect(c.notes).toEqual([]);
  });

  it('gives p-values that do not reject anything for an exact copy of a baseline pod', () => {
    const baseline = levelSeries(seededRandom(12), { pods: 9, level: 0.2, podOffsets: offsets(0.03) });
    const canary = new Map([['canary-0', baseline.get('pod-4')!]]);
    const c = compareLevels(canary, baseline, known(0.03))!;
    expect(Math.abs(c.change)).toBeLessThan(0.03);
    expect(Math.min(c.pValue('up'), c.pValue('down'))).toBeGreaterThan(0.1);
  });

  it('reads a canary 30% higher with tight pods as +30%, conclusively', () => {
    const random = seededRandom(13);
    const baseline = levelSeries(random, { pods: 9, level: 0.1, podSpread: 0.01, noise: 0.02 });
    const canary = levelSeries(random, { pods: 1, level: 0.13, podSpread: 0.01, noise: 0.02, prefix: 'canary' });
    const c = compareLevels(canary, baseline, known(0.01))!;
    expect(c.change).toBeGreaterThan(0.25);
    expect(c.change).toBeLessThan(0.35);
    expect(c.canary / c.baseline).toBeCloseTo(1 + c.change, 10);
    expect(c.pValue('up')).toBeLessThan(1e-6);
    expect(c.pValue('down')).toBeGreaterThan(0.999);
  });

  it('reads a canary 25% lower as a negative change, conclusive on the down side', () => {
    const random = seededRandom(15);
    const baseline = levelSeries(random, { pods: 9, level: 400, podSpread: 0.01 });
    const canary = levelSeries(random, { pods: 1, level: 300, podOffsets: [0], prefix: 'canary' });
    const c = compareLevels(canary, baseline, known(0.01))!;
    expect(c.change).toBeGreaterThan(-0.3);
    expect(c.change).toBeLessThan(-0.2);
    expect(c.pValue('down')).toBeLessThan(1e-6);
    expect(c.pValue('up')).toBeGreaterThan(0.999);
  });

  it('does not mistake a drift shared by both groups for a difference', () => {
    // Load doubles over the window; every pod (canary and baseline) follows it.
    const drift = (step: number) => 1 + step / 9;
    const random = seededRandom(16);
    const baseline = levelSeries(random, { pods: 9, level: 0.1, podOffsets: offsets(0.03), drift });
    const canary = levelSeries(random, { pods: 1, level: 0.1, podOffsets: [0], drift, prefix: 'canary' });
    const c = compareLevels(canary, baseline, known(0.03))!;
    expect(Math.abs(c.change)).toBeLessThan(0.03);
    expect(Math.min(c.pValue('up'), c.pValue('down'))).toBeGreaterThan(0.05);
  });

  it('does not mistake the drift for a regression when the canary has only the later, higher steps', () => {
    const drift = (step: number) => 1 + step / 9;
    const random = seededRandom(17);
    const baseline = levelSeries(random, { pods: 9, level: 0.1, podOffsets: offsets(0.03), drift });
    // A canary pod that started half way through, when the level had already risen by 50%.
    const canary = levelSeries(random, { pods: 1, level: 0.1, podOffsets: [0], drift, firstStep: 5, steps: 5, prefix: 'canary' });
    const c = compareLevels(canary, baseline, known(0.03))!;
    expect(Math.abs(c.change)).toBeLessThan(0.03);
    expect(c.pValue('up')).toBeGreaterThan(0.05);
    expect(c.evidence.canary).toBe(5);
  });

  it('sets one extreme baseline pod aside, says so, and keeps the baseline where the others are', () => {
    const random = seededRandom(18);
    const healthy = levelSeries(random, { pods: 8, level: 0.1, podOffsets: offsets(0.03).slice(0, 8), prefix: 'stable' });
    const bad = levelSeries(random, { pods: 1, level: 0.3, podOffsets: [0], prefix: 'bad-node' });
    const baseline = new Map([...healthy, ...bad]);
    const canary = levelSeries(random, { pods: 1, level: 0.1, podOffsets: [0], prefix: 'canary' });

    const withOutlier = compareLevels(canary, baseline, known(0.03))!;
    const without = compareLevels(canary, healthy, known(0.03))!;
    expect(withOutlier.notes.join(' ')).toContain('bad-node-0');
    expect(withOutlier.notes.join(' ')).toMatch(/set aside/);
    expect(without.notes).toEqual([]);
    // The baseline moves by little more than the shift of the step medians, not the 3× pod.
    expect(withOutlier.baseline / without.baseline).toBeGreaterThan(0.97);
    expect(withOutlier.baseline / without.baseline).toBeLessThan(1.03);
    expect(Math.abs(withOutlier.change)).toBeLessThan(0.05);
    expect(withOutlier.pValue('down')).toBeGreaterThan(0.05);
  });

  it('does not set aside pods when the baseline is merely spread out', () => {
    const random = seededRandom(19);
    const baseline = levelSeries(random, { pods: 9, level: 0.1, podSpread: 0.2 });
    const canary = levelSeries(random, { pods: 1, level: 0.1, prefix: 'canary' });
    expect(compareLevels(canary, baseline, known(0.2))!.notes).toEqual([]);
  });

  it('names a canary pod far from the other canary pods', () => {
    const random = seededRandom(26);
    // Pods 3% apart; one canary pod 65% off the other two.
    const baseline = levelSeries(random, { pods: 9, level: 0.1, podOffsets: offsets(0.03), prefix: 'stable' });
    const canary = levelSeries(random, { pods: 3, level: 0.1, podOffsets: [0.01, -0.01, 0.5], prefix: 'canary' });
    const c = compareLevels(canary, baseline, known(0.03))!;
    expect(c.notes).toHaveLength(1);
    expect(c.notes[0]).toMatch(/^canary instance canary-2 is far from the other canary instances \(\+6\d(\.\d+)?% against their median\)/);
    const alike = levelSeries(random, { pods: 3, level: 0.1, podOffsets: [0.01, -0.01, 0.03], prefix: 'canary' });
    expect(compareLevels(alike, baseline, known(0.03))!.notes).toEqual([]);
  });

  it('with one baseline pod, takes the pods’ spread from history, not from the steps', () => {
    const random = seededRandom(20);
    const baseline = levelSeries(random, { pods: 1, level: 0.1, podOffsets: [0], noise: 0.02, prefix: 'stable' });
    // Pods of this service differ by 10%: a canary pod 10% off is one such pod. Step by step, ten steps with 2%
    // noise would make it certain (t ≈ 10).
    const apart = compareLevels(levelSeries(random, { pods: 1, level: 0.11, podOffsets: [0], noise: 0.02, prefix: 'canary' }), baseline, known(0.1))!;
    expect(apart.change).toBeGreaterThan(0.07);
    expect(apart.pValue('up')).toBeGreaterThan(0.005);
    expect(apart.notes).toEqual([]);

    const twice = compareLevels(levelSeries(random, { pods: 1, level: 0.2, podOffsets: [0], noise: 0.02, prefix: 'canary' }), baseline, known(0.1))!;
    expect(twice.pValue('up')).toBeLessThan(1e-3);
  });

  it('with few pods and no history, assumes a wide spread and says what would help', () => {
    const random = seededRandom(27);
    const baseline = levelSeries(random, { pods: 2, level: 0.1, podOffsets: [-0.01, 0.01], prefix: 'stable' });
    const canary = levelSeries(random, { pods: 1, level: 0.125, podOffsets: [0], prefix: 'canary' });
    const fallback = compareLevels(canary, baseline, { prior: FALLBACK_PRIOR.level, warmupS: 0 })!;
    const history = compareLevels(canary, baseline, known(0.01))!;
    expect(history.pValue('up')).toBeLessThan(0.001);
    expect(fallback.pValue('up')).toBeGreaterThan(0.05);
    expect(fallback.notes).toEqual(['few pods and no history of how much this service’s pods differ: a wide allowance is assumed']);
    expect(fallback.missing).toMatch(/history/);
    expect(history.missing).not.toMatch(/history/);
  });

  it('with one pod and one step each, judges on the prior’s spread alone', () => {
    const oneStep = (s: InstanceSeries) => new Map([...s].map(([pod, samples]) => [pod, samples.slice(0, 1)]));
    const c = compareLevels(oneStep(constantSeries({ canary: 0.12 })), oneStep(constantSeries({ stable: 0.1 })), known(0.1))!;
    expect(c.change).toBeCloseTo(0.2, 10);
    // Two pods, each 10% (log sd) from the typical pod, with the prior's 20 degrees of freedom.
    expect(c.pValue('up')).toBeCloseTo(studentTail(Math.log(1.2) / Math.sqrt(2 * 0.1 ** 2), 20, 'up'), 10);
  });

  it('does not let a history of tighter pods narrow the test when today’s pods differ more', () => {
    const random = seededRandom(61);
    // Today's pods 7% apart; a canary pod 10% off.
    const baseline = levelSeries(random, { pods: 9, level: 0.1, podOffsets: offsets(0.07) });
    const canary = levelSeries(random, { pods: 1, level: 0.11, podOffsets: [0], prefix: 'canary' });
    const p = (spread: number) => compareLevels(canary, baseline, known(spread))!.pValue('up');
    // Histories of pods 5% or 6% apart both leave today's spread as it is, and one of pods 1% apart, plainly
    // not today's, does not narrow it either.
    expect(p(0.05)).toBe(p(0.06));
    expect(p(0.01)).toBeGreaterThanOrEqual(p(0.05));
    // A history of pods further apart than today's widens it.
    expect(p(0.1)).toBeGreaterThan(1.3 * p(0.07));
  });

  it('leaves each canary pod’s first warmupS seconds out, and says so', () => {
    const random = seededRandom(25);
    const baseline = levelSeries(random, { pods: 9, level: 0.1, podOffsets: offsets(0.01) });
    // 30% slower in its first 60 s (two steps) from its own start, then like the baseline; one pod starts later.
    const coldFrom = (first: number) => (step: number) => (step < first + 2 ? 1.3 : 1);
    const canary = new Map([
      ...levelSeries(random, { pods: 2, level: 0.1, podSpread: 0.01, drift: coldFrom(0), prefix: 'canary' }),
      ...levelSeries(random, { pods: 1, level: 0.1, podSpread: 0.01, drift: coldFrom(4), firstStep: 4, steps: 6, prefix: 'late' }),
    ]);
    const cold = compareLevels(canary, baseline, known(0.01, 0))!;
    const warm = compareLevels(canary, baseline, known(0.01, 60))!;
    expect(cold.change).toBeGreaterThan(0.04);
    expect(cold.pValue('up')).toBeLessThan(1e-3);
    expect(cold.notes).toEqual([]);
    expect(Math.abs(warm.change)).toBeLessThan(0.02);
    expect(warm.pValue('up')).toBeGreaterThan(0.05);
    expect(warm.notes).toEqual(["the canary's first 60 s per instance left out as warm-up"]);
  });

  describe('bound', () => {
    it('is the estimate at 50% confidence and reaches further with more', () => {
      const random = seededRandom(28);
      const baseline = levelSeries(random, { pods: 6, level: 0.1, podOffsets: offsets(0.05, 6) });
      const canary = levelSeries(random, { pods: 3, level: 0.11, podOffsets: offsets(0.05, 3), prefix: 'canary' });
      const c = compareLevels(canary, baseline, known(0.05))!;
      expect(c.bound('up', 0.5)).toBeCloseTo(c.change, 12);
      expect(c.bound('down', 0.5)).toBeCloseTo(badChange(c.change, 'down'), 12);
      expect(c.bound('up', 0.9)).toBeGreaterThan(c.change);
      expect(c.bound('up', 0.99)).toBeGreaterThan(c.bound('up', 0.9));
      expect(c.bound('down', 0.99)).toBeGreaterThan(c.bound('down', 0.9));
      expect(c.bound('down', 0.9)).toBeGreaterThan(badChange(c.change, 'down'));
    });

    it('covers the true change at its confidence in most draws', () => {
      const draws = 300;
      let covered = 0;
      for (let seed = 0; seed < draws; seed++) {
        const random = seededRandom(1000 + seed);
        const baseline = levelSeries(random, { pods: 6, level: 0.1, podSpread: 0.05 });
        const canary = levelSeries(random, { pods: 3, level: 0.11, podSpread: 0.05, prefix: 'canary' });
        if (compareLevels(canary, baseline, known(0.05))!.bound('up', 0.9) >= 0.1) covered++;
      }
      // Today's spread is never narrowed by the prior, so the bound errs on the safe side, but not by much.
      expect(covered / draws).toBeGreaterThan(0.86);
      expect(covered / draws).toBeLessThan(0.98);
    });

    it('narrows with more pods', () => {
      const random = seededRandom(29);
      const margin = (pods: number) => {
        const baseline = levelSeries(random, { pods, level: 0.1, podOffsets: offsets(0.05, pods) });
        const canary = levelSeries(random, { pods, level: 0.1, podOffsets: offsets(0.05, pods), prefix: 'canary' });
        const c = compareLevels(canary, baseline, known(0.05))!;
        return c.bound('up', 0.95) - c.change;
      };
      expect(margin(12)).toBeLessThan(0.6 * margin(3));
    });
  });

  describe('shift', () => {
    it.each([
      { onset: 5, factor: 1.25, pods: 3 },
      // Late in the window, where the window's level averages it down to +10%.
      { onset: 7, factor: 1.4, pods: 1 },
    ])('finds a canary $factor× from step $onset on, from that step', ({ onset, factor, pods }) => {
      const random = seededRandom(23);
      const baseline = levelSeries(random, { pods: 9, level: 0.1, podOffsets: offsets(0.03), noise: 0.02 });
      const canary = levelSeries(random, { pods, level: 0.1, podSpread: 0.03, noise: 0.02, drift: (step) => (step >= onset ? factor : 1), prefix: 'canary' });
      const c = compareLevels(canary, baseline, known(0.03))!;
      const shift = c.shift('up')!;
      expect(shift.pValue).toBeLessThan(1e-4);
      expect(Math.abs(shift.sinceS - stepTimes()[onset]!)).toBeLessThanOrEqual(30);
      expect(shift.change).toBeGreaterThan((factor - 1) * 0.7);
      expect(shift.change).toBeLessThan((factor - 1) * 1.3);
      expect(shift.after).toBeGreaterThan(shift.change * 0.7);
      expect(c.shift('down')!.pValue).toBeGreaterThan(0.5);
    });

    it('does not take a persistent difference for a change within the window', () => {
      const random = seededRandom(30);
      const baseline = levelSeries(random, { pods: 9, level: 0.1, podOffsets: offsets(0.03), noise: 0.02 });
      const canary = levelSeries(random, { pods: 3, level: 0.125, podSpread: 0.03, noise: 0.02, prefix: 'canary' });
      const c = compareLevels(canary, baseline, known(0.03))!;
      expect(c.pValue('up')).toBeLessThan(1e-4);
      expect(c.shift('up')!.pValue).toBeGreaterThan(0.1);
    });

    it('does not take a cold start (worse, then better) for a change for the worse', () => {
      const random = seededRandom(31);
      const baseline = levelSeries(random, { pods: 9, level: 0.1, podOffsets: offsets(0.03), noise: 0.02 });
      const canary = levelSeries(random, { pods: 3, level: 0.1, podSpread: 0.03, noise: 0.02, drift: (step) => (step < 3 ? 1.5 : 1), prefix: 'canary' });
      const c = compareLevels(canary, baseline, known(0.03))!;
      expect(c.shift('up')!.pValue).toBeGreaterThan(0.5);
      expect(c.shift('down')!.pValue).toBeLessThan(1e-4);
    });

    it('rarely finds one where nothing changed, for all the boundaries it tries', () => {
      const draws = 400;
      let found = 0;
      for (let seed = 0; seed < draws; seed++) {
        const random = seededRandom(3000 + seed);
        const baseline = levelSeries(random, { pods: 6, level: 0.1, podSpread: 0.03, noise: 0.02 });
        const canary = levelSeries(random, { pods: 3, level: 0.1, podSpread: 0.03, noise: 0.02, prefix: 'canary' });
        if (compareLevels(canary, baseline, known(0.03))!.shift('up')!.pValue < 0.05) found++;
      }
      expect(found / draws).toBeLessThan(0.05);
    });

    it('has nothing to tell without two steps on each side of a boundary', () => {
      const random = seededRandom(32);
      const baseline = levelSeries(random, { pods: 9, level: 0.1, steps: 3 });
      const canary = levelSeries(random, { pods: 3, level: 0.1, steps: 3, prefix: 'canary' });
      expect(compareLevels(canary, baseline, known(0.03))!.shift('up')).toBeNull();
    });
  });

  it('compares on a log scale when every value is positive (geometric levels)', () => {
    // Pods at 1, 2, 4, 8, 16: the geometric middle is 4 (the arithmetic mean would be 6.2).
    const baseline = constantSeries({ a: 1, b: 2, c: 4, d: 8, e: 16 });
    const c = compareLevels(constantSeries({ canary: 8 }), baseline, known(1))!;
    expect(c.baseline).toBeCloseTo(4, 10);
    expect(c.canary).toBeCloseTo(8, 10);
    expect(c.change).toBeCloseTo(1, 10);
  });

  it('switches to the raw scale when a value is zero or negative', () => {
    // Pods at 0..4: the middle is 2; a canary at 5 is 3 above it, +150% of the baseline.
    const baseline = constantSeries({ a: 0, b: 1, c: 2, d: 3, e: 4 });
    const c = compareLevels(constantSeries({ canary: 5 }), baseline, known(0.8))!;
    expect(c.baseline).toBeCloseTo(2, 10);
    expect(c.canary).toBeCloseTo(5, 10);
    expect(c.change).toBeCloseTo(1.5, 10);
    // Pods 1.6 apart (sd) and one canary pod: suggestive, not conclusive.
    expect(c.pValue('up')).toBeLessThan(0.1);
    expect(c.pValue('up')).toBeGreaterThan(0.01);
    expect(c.pValue('down')).toBeGreaterThan(0.9);
  });

  it('reads the prior relative to the level on the raw scale', () => {
    // Baseline pods 2% apart around 3; history says pods differ by 10% of the level, i.e. by 0.3 here.
    const c = compareLevels(constantSeries({ canary: 3.6 }), constantSeries({ a: 2.94, b: 3.06 }), known(0.1), false)!;
    expect(c.change).toBeCloseTo(0.2, 10);
    expect(c.pValue('up')).toBeGreaterThan(0.01);
    expect(c.pValue('up')).toBeLessThan(0.2);
    // Ten times the level: ten times the allowance, the same conclusion.
    const tenfold = compareLevels(constantSeries({ canary: 36 }), constantSeries({ a: 29.4, b: 30.6 }), known(0.1), false)!;
    expect(tenfold.pValue('up')).toBeCloseTo(c.pValue('up'), 10);
  });

  it('reads negative levels on the raw scale, relative to the baseline’s magnitude', () => {
    const random = seededRandom(21);
    const jitter = (series: InstanceSeries, shift: number) =>
      new Map([...series].map(([pod, samples]) => [pod, samples.map(([t, v]) => [t, -v + shift] as const)]));
    // A temperature-like gauge around −5; the canary sits at −3, i.e. higher by 40% of the baseline's magnitude.
    const baseline = jitter(levelSeries(random, { pods: 9, level: 5, podSpread: 0.02 }), 0);
    const canary = jitter(levelSeries(random, { pods: 1, level: 5, podOffsets: [0], prefix: 'canary' }), 2);
    const c = compareLevels(canary, baseline, known(0.02))!;
    expect(c.baseline).toBeCloseTo(-5, 0);
    expect(c.canary).toBeCloseTo(-3, 0);
    expect(c.change).toBeGreaterThan(0.3);
    expect(c.change).toBeLessThan(0.5);
    expect(c.pValue('up')).toBeLessThan(1e-4);
  });

  it('reports an infinite change from a baseline of zero on the raw scale', () => {
    const c = compareLevels(constantSeries({ canary: 3 }), constantSeries({ a: 0, b: 0, c: 0 }), known(0.03))!;
    expect(c.baseline).toBe(0);
    expect(c.change).toBe(Infinity);
    expect(c.pValue('up')).toBe(0);
  });

  it('returns null when no step of the canary is a baseline step, also after its warm-up', () => {
    const random = seededRandom(22);
    const baseline = levelSeries(random, { pods: 9, level: 0.1 });
    const canary = levelSeries(random, { pods: 1, level: 0.1, prefix: 'canary' });
    const shifted = new Map([...canary].map(([pod, s]) => [pod, s.map(([t, v]) => [t + 15, v] as const)]));
    expect(compareLevels(shifted, baseline, known(0.03))).toBeNull();
    expect(compareLevels(new Map(), baseline, known(0.03))).toBeNull();
    expect(compareLevels(canary, new Map(), known(0.03))).toBeNull();
    // Ten steps of 30 s: a 300 s warm-up leaves nothing.
    expect(compareLevels(canary, baseline, known(0.03, 270))).not.toBeNull();
    expect(compareLevels(canary, baseline, known(0.03, 300))).toBeNull();
  });
});
