import { describe, expect, it } from 'vitest';
import { countTail, normalTail, studentTail } from './distributions.js';

describe('normalTail', () => {
  it.each([
    // Standard normal upper tails from tables.
    [0, 0.5],
    [1, 0.158655],
    [1.959964, 0.025],
    [-1.644854, 0.95],
    [3.090232, 0.001],
  ])('P(Z ≥ %s) ≈ %s', (z, p) => {
    expect(normalTail(z)).toBeCloseTo(p, 6);
  });
});

describe('studentTail', () => {
  it.each([
    // t quantiles from standard tables: P(T ≥ t) for df degrees of freedom.
    [2.228, 10, 0.025],
    [2.015, 5, 0.05],
    [3.355, 8, 0.005],
    [1.96, 1e6, 0.025],
  ])('P(T ≥ %s | df %s) ≈ %s', (t, df, p) => {
    expect(studentTail(t, df, 'up')).toBeCloseTo(p, 4);
  });

  it('is exact for the Cauchy distribution (df 1): P(T ≥ 1) = 1/4', () => {
    expect(studentTail(1, 1, 'up')).toBeCloseTo(0.25, 10);
  });

  it('gives 1/2 at zero and mirrors between the sides', () => {
    expect(studentTail(0, 7, 'up')).toBeCloseTo(0.5, 12);
    expect(studentTail(0, 7, 'down')).toBeCloseTo(0.5, 12);
    for (const t of [-3, -0.4, 1.2, 4.5]) {
      expect(studentTail(t, 6, 'down')).toBeCloseTo(studentTail(-t, 6, 'up'), 12);
      expect(studentTail(t, 6, 'up') + studentTail(t, 6, 'down')).toBeCloseTo(1, 12);
    }
  });

  it('has heavier tails with fewer degrees of freedom', () => {
    expect(studentTail(3, 2, 'up')).toBeGreaterThan(studentTail(3, 8, 'up'));
    expect(studentTail(3, 8, 'up')).toBeGreaterThan(studentTail(3, 100, 'up'));
  });

  it('handles the extremes: ±Infinity and NaN (no evidence either way)', () => {
    expect(studentTail(Infinity, 5, 'up')).toBe(0);
    expect(studentTail(-Infinity, 5, 'up')).toBe(1);
    expect(studentTail(Infinity, 5, 'down')).toBe(1);
    expect(studentTail(Number.NaN, 5, 'up')).toBe(1);
    expect(studentTail(Number.NaN, 5, 'down')).toBe(1);
  });
});

describe('countTail', () => {
  it('is the Poisson tail when the variance equals the mean', () => {
    // P(X ≥ 6 | mean 2) = 1 − Σ_{k≤5} e^−2 2^k/k! = 0.01656
    expect(countTail(6, 2, 2, 'up')).toBeCloseTo(0.01656, 5);
    // P(X ≤ 1 | mean 2) = 3e^−2
    expect(countTail(1, 2, 2, 'down')).toBeCloseTo(3 * Math.exp(-2), 10);
    // P(X ≥ 0) = 1 and P(X ≤ 0) = e^−mean
    expect(countTail(0, 2, 2, 'up')).toBeCloseTo(1, 12);
    expect(countTail(0, 4, 4, 'down')).toBeCloseTo(Math.exp(-4), 12);
  });

  it('treats a variance below the mean as Poisson', () => {
    expect(countTail(6, 2, 1, 'up')).toBeCloseTo(countTail(6, 2, 2, 'up'), 12);
  });

  it('includes the observed count in both tails', () => {
    const up = countTail(3, 2, 2, 'up');
    const down = countTail(3, 2, 2, 'down');
    const atThree = (Math.exp(-2) * 2 ** 3) / 6;
    expect(up + down).toBeCloseTo(1 + atThree, 10);
  });

  it('rounds a fractional count to the nearest whole one', () => {
    expect(countTail(5.6, 2, 2, 'up')).toBe(countTail(6, 2, 2, 'up'));
    expect(countTail(6.4, 2, 2, 'up')).toBe(countTail(6, 2, 2, 'up'));
  });

  it('is negative binomial with the given mean and variance when over-dispersed', () => {
    // variance = mean + mean² is a geometric law: P(X ≥ k) = (mean / (1 + mean))^k
    expect(countTail(5, 3, 12, 'up')).toBeCloseTo(0.75 ** 5, 8);
    expect(countTail(0, 3, 12, 'down')).toBeCloseTo(0.25, 8);
  });

  it('is wider than Poisson when over-dispersed: a high count is less surprising, a low one too', () => {
    const poissonUp = countTail(25, 10, 10, 'up');
    const nbUp = countTail(25, 10, 30, 'up');
    expect(poissonUp).toBeLessThan(1e-4);
    expect(nbUp).toBeGreaterThan(10 * poissonUp);
    expect(countTail(2, 10, 30, 'down')).toBeGreaterThan(countTail(2, 10, 10, 'down'));
    // and more so the larger the variance
    expect(countTail(25, 10, 60, 'up')).toBeGreaterThan(nbUp);
  });

  it('with a mean of 0, any event is impossible and none is certain', () => {
    expect(countTail(1, 0, 0, 'up')).toBe(0);
    expect(countTail(0, 0, 0, 'up')).toBe(1);
    expect(countTail(0, 0, 0, 'down')).toBe(1);
    expect(countTail(3, 0, 0, 'down')).toBe(1);
  });
});
