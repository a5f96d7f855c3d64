// Random draws for simulated traffic. Seedable so a test or a benchmark can replay the same traffic.

export type Random = () => number;

/** mulberry32: a small, fast PRNG with a 32-bit state, uniform in [0, 1). */
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
function normal(random: Random): number {
  const u = 1 - random(); // (0, 1]: log(0) is not allowed
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** Number of requests in an interval with the given mean (Knuth for small means, normal approximation above). */
export function poisson(random: Random, mean: number): number {
  if (mean <= 0) return 0;
  if (mean > 50) return Math.max(0, Math.round(mean + Math.sqrt(mean) * normal(random)));
  const limit = Math.exp(-mean);
  let count = 0;
  for (let product = random(); product > limit; product *= random()) count++;
  return count;
}

/** Number of successes in n independent trials with probability p. */
export function binomial(random: Random, n: number, p: number): number {
  let successes = 0;
  for (let i = 0; i < n; i++) if (random() < p) successes++;
  return successes;
}

/** A latency around `medianMs` with a right tail, as request latencies have; in seconds. */
export function logNormalSeconds(random: Random, medianMs: number, sigma = 0.3): number {
  return (medianMs * Math.exp(sigma * normal(random))) / 1000;
}
