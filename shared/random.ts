// Seeded random draws, so simulated traffic and benchmark scenarios replay identically on every machine.

export type Random = () => number;

/** mulberry32: a small, fast PRNG with a 32-bit state, uniform in [0, 1); for simulation, not cryptography. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal draw (Box–Muller). */
export function standardNormal(random: Random): number {
  const u = 1 - random(); // (0, 1]: log(0) is not allowed
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

// Above this mean the normal approximation is within a fraction of a count of the exact Poisson law.
const POISSON_NORMAL_ABOVE = 50;

/** A Poisson count with the given mean: Knuth's exact method for small means, the normal approximation above. */
export function poisson(random: Random, mean: number): number {
  if (mean <= 0) return 0;
  if (mean > POISSON_NORMAL_ABOVE) return Math.max(0, Math.round(mean + Math.sqrt(mean) * standardNormal(random)));
  const limit = Math.exp(-mean);
  let count = 0;
  for (let product = random(); product > limit; product *= random()) count++;
  return count;
}
