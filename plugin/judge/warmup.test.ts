import { describe, expect, it } from 'vitest';
import { seenBefore, warmUntil } from './warmup.js';

describe('warmUntil', () => {
  it('counts from the first sample, or from when the pod was seen before the window', () => {
    const until = warmUntil(60, new Map([['running', 940]]));
    expect(until(1030, 'new')).toBe(1090);
    expect(until(1030, 'running')).toBe(1000);
    expect(warmUntil(0)(1030, 'new')).toBe(1030);
  });
});

describe('seenBefore', () => {
  it('names the instances with a sample at or before the start, with their first sample', () => {
    const series = new Map([
      ['early', [[940, 1], [1000, 1], [1030, 1]] as [number, number][]],
      ['at', [[1000, 1], [1030, 1]] as [number, number][]],
      ['late', [[1030, 1]] as [number, number][]],
      ['none', [] as [number, number][]],
    ]);
    expect(seenBefore(series, 1000)).toEqual(new Map([['early', 940], ['at', 1000]]));
    // A ratio's pods by its denominator.
    expect(seenBefore({ numerator: new Map(), denominator: series }, 1000)).toEqual(new Map([['early', 940], ['at', 1000]]));
  });
});
