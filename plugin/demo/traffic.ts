// Random draws for simulated traffic, from a seeded source so a test can replay the same traffic.
import { type Random, standardNormal } from '../../shared/random.js';

/** Number of successes in n independent trials with probability p. */
export function binomial(random: Random, n: number, p: number): number {
  let successes = 0;
  for (let i = 0; i < n; i++) if (random() < p) successes++;
  return successes;
}

/** A latency around `medianMs` with a right tail, as request latencies have; in seconds. */
export function logNormalSeconds(random: Random, medianMs: number, sigma = 0.3): number {
  return (medianMs * Math.exp(sigma * standardNormal(random))) / 1000;
}
