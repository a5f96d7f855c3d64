import { describe, expect, it } from 'vitest';
import type { InstanceSeries } from '../collect/source.js';
import type { Direction, Sensitivity } from '../config/schema.js';
import { formatValue, groupValue, judgeRelativeChange, relativeChange } from './relative-change.js';

/** One instance per value list; each value is a sample. */
function series(...instances: number[][]): InstanceSeries {
  return new Map(instances.map((values, i) => [`pod-${i}`, values.map((value, t) => [t * 15, value] as const)]));
}

function judge(canary: number, baseline: number, options: { direction?: Direction; sensitivity?: Sensitivity; ignoreBelow?: number } = {}) {
  return judgeRelativeChange({
    metric: { name: 'm', direction: options.direction ?? 'higher-is-bad', ignoreBelow: options.ignoreBelow },
    canary: series([canary]),
    baseline: series([baseline]),
    sensitivity: options.sensitivity ?? 'medium',
  });
}

describe('groupValue', () => {
  it('takes the median of per-instance means', () => {
    expect(groupValue(series([1, 3], [10, 10], [4]))).toBe(4);
  });

  it('is robust to one outlier instance', () => {
    expect(groupValue(series([1], [1.2], [100]))).toBe(1.2);
  });

  it('ignores instances without samples and is null with none', () => {
    expect(groupValue(series([], [5]))).toBe(5);
    expect(groupValue(series([]))).toBeNull();
    expect(groupValue(new Map())).toBeNull();
  });
});

describe('relativeChange', () => {
  it('divides by the magnitude of the baseline', () => {
    expect(relativeChange(15, 10)).toBe(0.5);
    expect(relativeChange(-15, -10)).toBe(-0.5);
  });

  it('handles a zero baseline', () => {
    expect(relativeChange(0, 0)).toBe(0);
    expect(relativeChange(1, 0)).toBe(Infinity);
    expect(relativeChange(-1, 0)).toBe(-Infinity);
  });
});

describe('judgeRelativeChange', () => {
  it('passes within the tolerance', () => {
    const j = judge(1.2, 1);
    expect(j).toMatchObject({ outcome: 'pass', severity: 'none', canary: 1.2, baseline: 1, tolerance: 0.25 });
    expect(j.change).toBeCloseTo(0.2);
    expect(j.reason).toBe('m: canary 1.2 vs baseline 1 (+20%), within the 25% tolerance for higher-is-bad');
  });

  it('is marginal up to twice the tolerance', () => {
    expect(judge(1.4, 1)).toMatchObject({ outcome: 'marginal', severity: 'minor' });
    expect(judge(1.4, 1).reason).toBe('m: canary 1.4 vs baseline 1 (+40%), above the 25% tolerance but within twice it for higher-is-bad');
  });

  it('fails beyond twice the tolerance: moderate, then critical past four times', () => {
    expect(judge(1.6, 1)).toMatchObject({ outcome: 'fail', severity: 'moderate' });
    expect(judge(2, 1)).toMatchObject({ outcome: 'fail', severity: 'moderate' });
    expect(judge(2.1, 1)).toMatchObject({ outcome: 'fail', severity: 'critical' });
  });

  it('words a failure with both values, the change and the tolerance', () => {
    expect(judge(0.052, 0.01).reason).toBe('m: canary 0.052 vs baseline 0.01 (+420%), above the 25% tolerance for higher-is-bad');
  });

  it('treats the tolerance boundary as a pass', () => {
    expect(judge(1.25, 1).outcome).toBe('pass');
    expect(judge(1.5, 1).outcome).toBe('marginal');
  });

  it.each<[Sensitivity, number, string]>([
    ['high', 1.15, 'marginal'],
    ['medium', 1.15, 'pass'],
    ['high', 1.3, 'fail'],
    ['medium', 1.3, 'marginal'],
    ['low', 1.3, 'pass'],
    ['low', 1.9, 'marginal'],
    ['low', 2.1, 'fail'],
  ])('with %s sensitivity, a change to %d is %s', (sensitivity, canary, outcome) => {
    expect(judge(canary, 1, { sensitivity }).outcome).toBe(outcome);
  });

  describe('direction', () => {
    it('higher-is-bad ignores drops', () => {
      expect(judge(0.1, 1).outcome).toBe('pass');
    });

    it('lower-is-bad fails on drops and ignores rises', () => {
      const j = judge(0.4, 1, { direction: 'lower-is-bad' });
      expect(j).toMatchObject({ outcome: 'fail', regression: 0.6 });
      expect(j.reason).toBe('m: canary 0.4 vs baseline 1 (−60%), below the −25% tolerance for lower-is-bad');
      expect(judge(5, 1, { direction: 'lower-is-bad' }).outcome).toBe('pass');
    });

    it('either fails both ways', () => {
      expect(judge(0.4, 1, { direction: 'either' }).outcome).toBe('fail');
      expect(judge(1.6, 1, { direction: 'either' }).outcome).toBe('fail');
      expect(judge(0.9, 1, { direction: 'either' }).outcome).toBe('pass');
    });
  });

  describe('zero baseline', () => {
    it('passes when both are zero', () => {
      expect(judge(0, 0)).toMatchObject({ outcome: 'pass', change: 0 });
    });

    it('fails critically when the canary rises from zero', () => {
      const j = judge(0.01, 0);
      expect(j).toMatchObject({ outcome: 'fail', severity: 'critical', change: Infinity });
      expect(j.reason).toContain('(up from 0)');
    });
  });

  describe('ignoreBelow', () => {
    it('passes a canary under the floor however large the change', () => {
      const j = judge(0.0005, 0.0001, { ignoreBelow: 0.001 });
      expect(j.outcome).toBe('pass');
      expect(j.reason).toBe('m: canary 0.0005 vs baseline 0.0001 (+400%), canary below the ignoreBelow floor 0.001');
    });

    it('still judges a canary at or above the floor', () => {
      expect(judge(0.002, 0.0001, { ignoreBelow: 0.001 }).outcome).toBe('fail');
    });
  });

  describe('no data', () => {
    it('is nodata when a group has no samples, naming it', () => {
      const j = judgeRelativeChange({ metric: { name: 'm', direction: 'higher-is-bad' }, canary: series([]), baseline: series([1]), sensitivity: 'medium' });
      expect(j).toMatchObject({ outcome: 'nodata', canary: null, baseline: 1, change: null, reason: 'm: no data for the canary' });
    });

    it('names both groups when both are empty', () => {
      const j = judgeRelativeChange({ metric: { name: 'm', direction: 'either' }, canary: new Map(), baseline: new Map(), sensitivity: 'low' });
      expect(j.reason).toBe('m: no data for the canary and baseline');
    });
  });
});

describe('formatValue', () => {
  it('keeps three significant digits', () => {
    expect(formatValue(0.052345)).toBe('0.0523');
    expect(formatValue(1234.5)).toBe('1230');
    expect(formatValue(0)).toBe('0');
  });
});
