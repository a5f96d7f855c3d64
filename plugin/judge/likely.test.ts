import { describe, expect, it } from 'vitest';
import type { Comparison } from './comparison.js';
import { studentQuantile } from './distributions.js';
import { chanceOfAtLeast } from './likely.js';

/** A comparison whose bad change is log-normal: `estimate` (as a change, 0.5 = 50% worse) with this log-scale standard error. */
function comparison(estimate: number, se: number): Comparison {
  const center = Math.log1p(estimate);
  return {
    canary: 1 + estimate,
    baseline: 1,
    change: estimate,
    pValue: () => 1,
    bound: (side, confidence) => Math.expm1(side === 'up' ? center + studentQuantile(confidence, 1e6) * se : -center + studentQuantile(confidence, 1e6) * se),
    floor: () => 0,
    shift: () => null,
    evidence: { canary: 1, baseline: 1 },
    missing: '',
    notes: [],
  };
}

describe('chanceOfAtLeast', () => {
  it('follows precise data: an estimate well past the limit is almost sure, one well below almost excluded', () => {
    expect(chanceOfAtLeast(comparison(0.5, 0.02), 'up', 0.2)).toBeGreaterThan(0.999);
    expect(chanceOfAtLeast(comparison(0.05, 0.02), 'up', 0.2)).toBeLessThan(0.001);
  });

  it('pulls weak data towards no change: an estimate past the limit by chance is not yet likely', () => {
    // 13 errors where about 7 were expected: the estimate is +80%, its standard error about a third.
    const weak = comparison(0.8, 0.35);
    // Without the prior, the data alone would make a change of 75% or more more likely than not.
    expect(Math.log1p(weak.bound('up', 0.5))).toBeGreaterThan(Math.log1p(0.75));
    expect(chanceOfAtLeast(weak, 'up', 0.75)).toBeLessThan(0.5);
  });

  it('still finds a large change likely on weak data', () => {
    // Errors ×4 on two stable pods, not significant at the verification's confidence.
    expect(chanceOfAtLeast(comparison(3, 0.55), 'up', 0.4)).toBeGreaterThan(0.64);
  });

  it('measures the side asked: a drop is a bad change on the lower side', () => {
    expect(chanceOfAtLeast(comparison(-0.5, 0.05), 'down', 0.25)).toBeGreaterThan(0.99);
    expect(chanceOfAtLeast(comparison(-0.5, 0.05), 'up', 0.25)).toBeLessThan(0.001);
  });

  it('never finds an infinite change likely, and reads a raw-scale comparison without the prior', () => {
    expect(chanceOfAtLeast(comparison(3, 0.5), 'up', Infinity)).toBe(0);
    const raw = { ...comparison(0, 0.1), bound: () => -2 };
    expect(chanceOfAtLeast(raw, 'up', 0.2)).toBe(0);
    expect(chanceOfAtLeast({ ...raw, bound: () => 0.3 }, 'up', 0.2)).toBe(1);
  });
});
