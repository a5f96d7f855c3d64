// The benchmark's seeded random source, so its scenarios are the same on every machine and every run.
import { poisson, seededRandom, standardNormal } from '../../shared/random.js';

export interface Random {
  /** Uniform on [0, 1). */
  uniform(): number;
  /** Uniform on [low, high). */
  between(low: number, high: number): number;
  /** Log-uniform on [low, high): magnitudes spread evenly across orders of size. */
  logBetween(low: number, high: number): number;
  /** Integer on [low, high]. */
  integer(low: number, high: number): number;
  chance(probability: number): boolean;
  normal(mean?: number, sd?: number): number;
  /** exp(N(0, sigma)): a multiplicative factor with median 1. */
  lognormalFactor(sigma: number): number;
  /** Gamma with mean 1 and shape k (coefficient of variation 1/√k): over-dispersion between pods. */
  gammaFactor(shape: number): number;
  poisson(lambda: number): number;
  pick<T>(items: readonly T[]): T;
}

/** Marsaglia-Tsang gamma with unit scale; shapes below 1 use the boost u^(1/shape). */
function gamma(shape: number, uniform: () => number, normal: () => number): number {
  if (shape < 1) return gamma(shape + 1, uniform, normal) * Math.pow(uniform(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = uniform();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

export function createRandom(seed: number): Random {
  const uniform = seededRandom(seed);
  const normal = () => standardNormal(uniform);
  const random: Random = {
    uniform,
    between: (low, high) => low + (high - low) * uniform(),
    logBetween: (low, high) => Math.exp(Math.log(low) + (Math.log(high) - Math.log(low)) * uniform()),
    integer: (low, high) => low + Math.floor((high - low + 1) * uniform()),
    chance: (probability) => uniform() < probability,
    normal: (mean = 0, sd = 1) => mean + sd * normal(),
    lognormalFactor: (sigma) => Math.exp(sigma * normal()),
    gammaFactor: (shape) => gamma(shape, uniform, normal) / shape,
    poisson: (lambda) => poisson(uniform, lambda),
    pick: (items) => {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[Math.floor(items.length * uniform())] as (typeof items)[number];
    },
  };
  return random;
}

/** A seed for item `index` of a stream seeded by `seed`, so each scenario can be regenerated on its own. */
export function deriveSeed(seed: number, index: number): number {
  let h = (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}
