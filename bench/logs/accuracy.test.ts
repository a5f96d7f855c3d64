import { describe, expect, it } from 'vitest';
import { groupAccuracy } from './accuracy.js';

describe('groupAccuracy', () => {
  it('counts a line correct only when its predicted group is exactly its true group', () => {
    // True groups {0,1,2} {3,4} {5}; predicted {0,1,2} {3} {4,5}: only the first group is right.
    const truth = ['A', 'A', 'A', 'B', 'B', 'C'];
    const predicted = ['x', 'x', 'x', 'y', 'z', 'z'];
    expect(groupAccuracy(truth, predicted)).toBe(3 / 6);
  });

  it('does not care how groups are named, and is 0 when all lines are merged', () => {
    expect(groupAccuracy(['A', 'B', 'B'], ['t9', 't1', 't1'])).toBe(1);
    expect(groupAccuracy(['A', 'B', 'B'], ['t1', 't1', 't1'])).toBe(0);
    expect(groupAccuracy(['A', 'A'], ['t1', 't1'])).toBe(1);
  });

  it('refuses lists of different lengths or no lines', () => {
    expect(() => groupAccuracy(['A'], [])).toThrow('1 true labels but 0 predicted');
    expect(() => groupAccuracy([], [])).toThrow('no lines');
  });
});
