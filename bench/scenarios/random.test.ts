import { describe, expect, it } from 'vitest';
import { createRandom, deriveSeed } from './random.js';

const draws = (n: number, draw: () => number) => Array.from({ length: n }, draw);
const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

describe('createRandom', () => {
  it('repeats its stream for the same seed and not for another', () => {
    expect(draws(5, createRandom(7).uniform)).toEqual(draws(5, createRandom(7).uniform));
    expect(draws(5, createRandom(7).uniform)).not.toEqual(draws(5, createRandom(8).uniform));
  });

  it('draws Poisson counts with the requested mean, below and above the normal-approximation switch', () => {
    const random = createRandom(1);
    expect(mean(draws(20_000, () => random.poisson(3)))).toBeCloseTo(3, 1);
    expect(mean(draws(20_000, () => random.poisson(400))) / 400).toBeCloseTo(1, 2);
    expect(random.poisson(0)).toBe(0);
  });

  it('draws gamma factors with mean 1 and variance 1/shape, also for shapes below 1', () => {
    const random = createRandom(2);
    for (const shape of [0.5, 4, 25]) {
      const xs = draws(40_000, () => random.gammaFactor(shape));
      const m = mean(xs);
      expect(m).toBeCloseTo(1, 1);
      expect(mean(xs.map((x) => (x - m) ** 2)) * shape).toBeCloseTo(1, 1);
    }
  });

  it('keeps draws in range', () => {
    const random = createRandom(3);
    for (const x of draws(1000, () => random.integer(2, 5))) expect(x >= 2 && x <= 5 && Number.isInteger(x)).toBe(true);
    for (const x of draws(1000, () => random.logBetween(5, 200))) expect(x >= 5 && x < 200).toBe(true);
  });
});

describe('deriveSeed', () => {
  it('gives distinct 32-bit seeds to neighbouring items', () => {
    const seeds = new Set(Array.from({ length: 1000 }, (_, i) => deriveSeed(42, i)));
    expect(seeds.size).toBe(1000);
    for (const seed of seeds) expect(seed >>> 0).toBe(seed);
  });
});
