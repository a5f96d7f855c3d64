import { describe, expect, it } from 'vitest';
import { interval95 } from './summary.js';

describe('interval95 (Clopper–Pearson)', () => {
  it('gives the exact bounds of a rate', () => {
    // 4 false alarms in 760 healthy canaries: 0.53%, somewhere between 0.14% and 1.34%.
    expect(interval95(4, 760)).toEqual([0.0014, 0.0134]);
    expect(interval95(50, 100)).toEqual([0.3983, 0.6017]);
  });

  it('is one-sided at none and at all: 1 − 0.025^(1/n)', () => {
    expect(interval95(0, 10)).toEqual([0, Number((1 - 0.025 ** (1 / 10)).toFixed(4))]);
    expect(interval95(10, 10)).toEqual([Number((0.025 ** (1 / 10)).toFixed(4)), 1]);
  });

  it('says nothing is known without scenarios', () => {
    expect(interval95(0, 0)).toEqual([0, 1]);
  });
});
