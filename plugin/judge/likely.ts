// How likely a change of at least some size is, weighing the data against a prior: a new version rarely changes a
// metric by much, so before the data its change in the bad direction is taken as normal on the log scale around
// none, with the size asked about as its standard deviation, or the data's own standard error when that is
// wider. Precise data speak for themselves; weak ones (few events, few pods) are pulled towards no change, at most
// halfway, so that an estimate past the failing change by chance alone does not hold up a healthy canary, while a
// large change on weak data still does.
import { normalTail, type Side } from './distributions.js';
import type { Comparison } from './comparison.js';

// The data's standard error is read off its bound at one standard deviation (Φ(1)).
const ONE_SD = 0.8413447460685429;

/**
 * The chance (0–1) that the canary is at least `limit` worse on `side` (badChange's scale: 0.2 = 20% worse), given
 * the comparison's data and the prior above. A comparison whose changes have no log scale (a raw-scale level
 * that may cross zero) gets no prior: 1 when its estimate is past the limit, else 0.
 */
export function chanceOfAtLeast(comparison: Comparison, side: Side, limit: number): number {
  if (limit === Infinity) return 0;
  const central = comparison.bound(side, 0.5);
  const target = Math.log1p(limit);
  const estimate = Math.log1p(central);
  const se = Math.log1p(comparison.bound(side, ONE_SD)) - estimate;
  if (!(target > 0) || !Number.isFinite(estimate) || !Number.isFinite(se)) return central >= limit ? 1 : 0;
  // Normal prior N(0, scale²) and a normal likelihood: the posterior's mean and standard deviation. A prior no
  // narrower than the data keeps a doubled latency on two pods from being pulled down to a pass.
  const scale = Math.max(target, se);
  const weight = scale ** 2 / (scale ** 2 + se ** 2);
  const mean = estimate * weight;
  const sd = se * Math.sqrt(weight);
  if (!(sd > 0)) return mean >= target ? 1 : 0;
  return normalTail((target - mean) / sd);
}
