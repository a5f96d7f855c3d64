import { describe, expect, it } from 'vitest';
import type { InstanceSeries } from '../collect/source.js';
import { compareLevels } from './continuous.js';
import { levelSeries, normalQuantiles, seededRandom, stepTimes } from './synthetic.test-helpers.js';

// 9 baseline pods whose levels differ by a few percent, deterministic (normal quantiles × spread).
const offsets = (spread: number) => normalQuantiles(9).map((z) => spread * z);

function constantSeries(values: Record<string, number>): InstanceSeries {
  return new Map(Object.entries(values).map(([pod, v]) => [pod, stepTimes().map((t) => [t, v] as const)]));
}

describe('compareLevels', () => {
  it('finds no difference between a canary and baseline drawn alike', () => {
    const random = seededRandom(11);
    const baseline = levelSeries(random, { pods: 9, level: 0.2, podOffsets: offsets(0.03), prefix: 'stable' });
    const canary = levelSeries(random, { pods: 1, level: 0.2, podOffsets: [0], prefix: 'canary' });
    const c = compareLevels(canary, baseline)!;
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
    const c = compareLevels(canary, baseline)!;
    expect(Math.abs(c.change)).toBeLessThan(0.03);
    expect(Math.min(c.pValue('up'), c.pValue('down'))).toBeGreaterThan(0.1);
  });

  it('reads a canary 30% higher with tight pods as +30%, conclusively', () => {
    const random = seededRandom(13);
    const baseline = levelSeries(random, { pods: 9, level: 0.1, podSpread: 0.01, noise: 0.02 });
    const canary = levelSeries(random, { pods: 1, level: 0.13, podSpread: 0.01, noise: 0.02, prefix: 'canary' });
    const c = compareLevels(canary, baseline)!;
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
    const c = compareLevels(canary, baseline)!;
    expect(c.change).toBeGreaterThan(-0.3);
    expect(c.change).toBeLessThan(-0.2);
    expect(c.pValue('down')).toBeLessThan(1e-6);
    expect(c.pValue('up')).toBeGreaterThan(0.999);
  });

  it('does not average away a regression that begins late in the window', () => {
    const random = seededRandom(23);
    const baseline = levelSeries(random, { pods: 9, level: 0.1, podOffsets: offsets(0.01), noise: 0.01 });
    // The canary is like the baseline for 7 steps, then 40% slower for the last 3.
    const late = (step: number) => (step >= 7 ? 1.4 : 1);
    const canary = levelSeries(random, { pods: 1, level: 0.1, podOffsets: [0], noise: 0.01, drift: late, prefix: 'canary' });
    const c = compareLevels(canary, baseline)!;
    // An even average over the steps would read 1.4^(3/10) − 1 ≈ +10.6%; the later steps weigh more.
    expect(c.change).toBeGreaterThan(0.13);
    expect(c.change).toBeLessThan(0.4);
    expect(c.pValue('up')).toBeLessThan(1e-4);
  });

  it('does not mistake a drift shared by both groups for a difference', () => {
    // Load doubles over the window; every pod (canary and baseline) follows it.
    const drift = (step: number) => 1 + step / 9;
    const random = seededRandom(16);
    const baseline = levelSeries(random, { pods: 9, level: 0.1, podOffsets: offsets(0.03), drift });
    const canary = levelSeries(random, { pods: 1, level: 0.1, podOffsets: [0], drift, prefix: 'canary' });
    const c = compareLevels(canary, baseline)!;
    expect(Math.abs(c.change)).toBeLessThan(0.03);
    expect(Math.min(c.pValue('up'), c.pValue('down'))).toBeGreaterThan(0.05);
  });

  it('does not mistake the drift for a regression when the canary has only the later, higher steps', () => {
    const drift = (step: number) => 1 + step / 9;
    const random = seededRandom(17);
    const baseline = levelSeries(random, { pods: 9, level: 0.1, podOffsets: offsets(0.03), drift });
    // A canary pod that started half way through, when the level had already risen by 50%.
    const canary = levelSeries(random, { pods: 1, level: 0.1, podOffsets: [0], drift, firstStep: 5, steps: 5, prefix: 'canary' });
    const c = compareLevels(canary, baseline)!;
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

    const withOutlier = compareLevels(canary, baseline)!;
    const without = compareLevels(canary, healthy)!;
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
    expect(compareLevels(canary, baseline)!.notes).toEqual([]);
  });

  it('with a single baseline pod, falls back to step by step and says so', () => {
    const random = seededRandom(20);
    const baseline = levelSeries(random, { pods: 1, level: 0.1, podOffsets: [0], noise: 0.05, prefix: 'stable' });
    const same = compareLevels(levelSeries(random, { pods: 1, level: 0.1, podOffsets: [0], noise: 0.05, prefix: 'canary' }), baseline)!;
    expect(same.notes.join(' ')).toMatch(/one baseline instance/);
    expect(same.notes.join(' ')).toMatch(/step by step/);
    expect(same.pValue('up')).toBeGreaterThan(0.01);

    const worse = compareLevels(levelSeries(random, { pods: 1, level: 0.13, podOffsets: [0], noise: 0.05, prefix: 'canary' }), baseline)!;
    expect(worse.change).toBeGreaterThan(0.15);
    expect(worse.pValue('up')).toBeLessThan(1e-3);
  });

  it('with a single baseline pod and a single shared step, has nothing to compare', () => {
    const baseline = constantSeries({ stable: 0.1 });
    const canary = constantSeries({ canary: 0.12 });
    const oneStep = (s: InstanceSeries) => new Map([...s].map(([pod, samples]) => [pod, samples.slice(0, 1)]));
    expect(compareLevels(oneStep(canary), oneStep(baseline))).toBeNull();
  });

  it('compares on a log scale when every value is positive (geometric levels)', () => {
    // Pods at 1, 2, 4, 8, 16: the geometric middle is 4 (the arithmetic mean would be 6.2).
    const baseline = constantSeries({ a: 1, b: 2, c: 4, d: 8, e: 16 });
    const c = compareLevels(constantSeries({ canary: 8 }), baseline)!;
    expect(c.baseline).toBeCloseTo(4, 10);
    expect(c.canary).toBeCloseTo(8, 10);
    expect(c.change).toBeCloseTo(1, 10);
  });

  it('switches to the raw scale when a value is zero or negative', () => {
    // Pods at 0..4: the middle is 2; a canary at 5 is 3 above it, +150% of the baseline.
    const baseline = constantSeries({ a: 0, b: 1, c: 2, d: 3, e: 4 });
    const c = compareLevels(constantSeries({ canary: 5 }), baseline)!;
    expect(c.baseline).toBeCloseTo(2, 10);
    expect(c.canary).toBeCloseTo(5, 10);
    expect(c.change).toBeCloseTo(1.5, 10);
    // Pods 1.6 apart (sd) and one canary pod: suggestive, not conclusive.
    expect(c.pValue('up')).toBeLessThan(0.1);
    expect(c.pValue('down')).toBeGreaterThan(0.9);
  });

  it('reads negative levels on the raw scale, relative to the baseline’s magnitude', () => {
    const random = seededRandom(21);
    const jitter = (series: InstanceSeries, shift: number) =>
      new Map([...series].map(([pod, samples]) => [pod, samples.map(([t, v]) => [t, -v + shift] as const)]));
    // A temperature-like gauge around −5; the canary sits at −3, i.e. higher by 40% of the baseline's magnitude.
    const baseline = jitter(levelSeries(random, { pods: 9, level: 5, podSpread: 0.02 }), 0);
    const canary = jitter(levelSeries(random, { pods: 1, level: 5, podOffsets: [0], prefix: 'canary' }), 2);
    const c = compareLevels(canary, baseline)!;
    expect(c.baseline).toBeCloseTo(-5, 0);
    expect(c.canary).toBeCloseTo(-3, 0);
    expect(c.change).toBeGreaterThan(0.3);
    expect(c.change).toBeLessThan(0.5);
    expect(c.pValue('up')).toBeLessThan(1e-4);
  });

  it('reports an infinite change from a baseline of zero on the raw scale', () => {
    const c = compareLevels(constantSeries({ canary: 3 }), constantSeries({ a: 0, b: 0, c: 0 }))!;
    expect(c.baseline).toBe(0);
    expect(c.change).toBe(Infinity);
    expect(c.pValue('up')).toBe(0);
  });

  it('returns null when no step of the canary is a baseline step', () => {
    const random = seededRandom(22);
    const baseline = levelSeries(random, { pods: 9, level: 0.1 });
    const shifted = new Map([...levelSeries(random, { pods: 1, level: 0.1, prefix: 'canary' })].map(([pod, s]) => [pod, s.map(([t, v]) => [t + 15, v] as const)]));
    expect(compareLevels(shifted, baseline)).toBeNull();
    expect(compareLevels(new Map(), baseline)).toBeNull();
    expect(compareLevels(levelSeries(random, { pods: 1, level: 0.1 }), new Map())).toBeNull();
  });
});
