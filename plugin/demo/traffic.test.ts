import { describe, expect, it } from 'vitest';
import { poisson, seededRandom } from '../../shared/random.js';
import { binomial, logNormalSeconds } from './traffic.js';

const draws = (n: number, draw: () => number) => Array.from({ length: n }, draw);
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

describe('traffic draws', () => {
  it('replays the same uniform sequence for the same seed', () => {
    const a = draws(5, seededRandom(1));
    expect(draws(5, seededRandom(1))).toEqual(a);
    expect(draws(5, seededRandom(2))).not.toEqual(a);
    for (const value of draws(10_000, seededRandom(3))) {
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThan(1);
    }
  });

  it.each([0.5, 5, 80, 2_000])('draws Poisson counts with mean %d', (lambda) => {
    const random = seededRandom(11);
    const counts = draws(4_000, () => poisson(random, lambda));
    expect(counts.every((count) => Number.isInteger(count) && count >= 0)).toBe(true);
    expect(mean(counts)).toBeCloseTo(lambda, lambda < 10 ? 0 : -1);
    const variance = mean(counts.map((count) => (count - lambda) ** 2));
    expect(variance / lambda).toBeGreaterThan(0.85);
    expect(variance / lambda).toBeLessThan(1.15);
  });

  it('draws no requests for a mean of zero', () => {
    expect(poisson(seededRandom(1), 0)).toBe(0);
  });

  it('draws binomial successes', () => {
    const random = seededRandom(5);
    expect(mean(draws(2_000, () => binomial(random, 100, 0.05)))).toBeCloseTo(5, 0);
    expect(binomial(random, 50, 0)).toBe(0);
    expect(binomial(random, 50, 1)).toBe(50);
  });

  it('draws latencies around the median with a right tail', () => {
    const random = seededRandom(9);
    const latencies = draws(10_000, () => logNormalSeconds(random, 50)).sort((a, b) => a - b);
    expect(latencies[5_000]).toBeCloseTo(0.05, 2);
    expect(latencies[9_500]! - 0.05).toBeGreaterThan(0.05 - latencies[500]!);
  });
});
