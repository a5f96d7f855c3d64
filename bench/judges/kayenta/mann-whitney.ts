// Mann-Whitney (Wilcoxon rank-sum) confidence interval and estimate for a location shift x - y.
//
// Same construction as R's wilcox.test(x, y, exact = FALSE, correct = TRUE, conf.int = TRUE): the shift d
// is tested by ranking (x - d) against y; the standardised rank statistic, with continuity and tie
// corrections, is a decreasing step function of d. The interval ends are the shifts where it crosses the
// normal quantiles ±z(1 - α/2), and the estimate is where it crosses 0 (a Hodges-Lehmann-style estimate of
// the median pairwise difference). Crossings are found with Brent's method at absolute tolerance 1e-4, as
// in Kayenta, whose classifier compares these ends with the estimate.
import { normalQuantile } from './normal-quantile.js';
import { averageRanks, tieGroupSizes } from './ranks.js';
import { brentRoot } from './root-finder.js';

export interface ShiftInterval {
  /** Lower end of the confidence interval for the shift x - y. */
  lower: number;
  /** Upper end. With heavy ties and the solver's coarse tolerance it can fall below `lower`. */
  upper: number;
  /** Point estimate of the shift. */
  estimate: number;
}

/** Absolute tolerance of the root finder; Kayenta and R's wilcox.test use 1e-4 whatever the data's scale. */
export const ROOT_TOLERANCE = 1e-4;

export class AllTiedError extends Error {
  constructor() {
    super('cannot compute confidence interval when all observations are tied');
    this.name = 'AllTiedError';
  }
}

/**
 * Standardised rank statistic of (x - mu) against y, minus `quantile`: zero where the shift mu sits at that
 * quantile of the test. Positive for shifts below the estimate.
 */
export function wilcoxonDiff(mu: number, quantile: number, x: readonly number[], y: readonly number[]): number {
  const nx = x.length;
  const ny = y.length;
  const ranks = averageRanks([...x.map((v) => v - mu), ...y]);
  let rankSumX = 0;
  for (let i = 0; i < nx; i++) rankSumX += ranks[i] as number;
  // Centre the rank sum of x: subtract its minimum nx(nx+1)/2 and the null mean of U, nx·ny/2.
  const dz = rankSumX - (nx * (nx + 1)) / 2 - (nx * ny) / 2;
  // Continuity correction towards zero (two-sided).
  const correction = Math.sign(dz) * 0.5;
  // Variance of U with the tie correction Σ(t³ - t) over groups of tied values.
  let ties = 0;
  for (const t of tieGroupSizes(ranks)) ties += t ** 3 - t;
  const sigma = Math.sqrt(((nx * ny) / 12) * (nx + ny + 1 - ties / ((nx + ny) * (nx + ny - 1))));
  if (sigma === 0) throw new AllTiedError();
  return (dz - correction) / sigma - quantile;
}

/** The range of shifts that can matter: beyond it x - d lies entirely above or below y. */
export function shiftRange(x: readonly number[], y: readonly number[]): { muMin: number; muMax: number } {
  return { muMin: Math.min(...x) - Math.max(...y), muMax: Math.max(...x) - Math.min(...y) };
}

/**
 * Confidence interval and estimate for the shift x - y at `confidenceLevel` (two-sided). Both samples must
 * be non-empty; throws AllTiedError when the statistic's variance vanishes.
 */
export function mannWhitneyShift(x: readonly number[], y: readonly number[], confidenceLevel: number): ShiftInterval {
  if (x.length === 0 || y.length === 0) throw new RangeError('both samples must be non-empty');
  const { muMin, muMax } = shiftRange(x, y);
  const alpha = 1 - confidenceLevel;
  const z = normalQuantile(alpha / 2); // negative

  const crossing = (quantile: number): number => {
    const fLower = wilcoxonDiff(muMin, quantile, x, y);
    // When the statistic never reaches the quantile inside the range, the end is the range's edge.
    if (fLower <= 0) return muMin;
    const fUpper = wilcoxonDiff(muMax, quantile, x, y);
    if (fUpper >= 0) return muMax;
    return brentRoot((mu) => wilcoxonDiff(mu, quantile, x, y), muMin, muMax, fLower, fUpper, { tolerance: ROOT_TOLERANCE });
  };

  const lower = crossing(-z);
  const upper = crossing(z);
  // The estimate is searched without the edge checks, as in Kayenta.
  const estimate = brentRoot(
    (mu) => wilcoxonDiff(mu, 0, x, y),
    muMin,
    muMax,
    wilcoxonDiff(muMin, 0, x, y),
    wilcoxonDiff(muMax, 0, x, y),
    { tolerance: ROOT_TOLERANCE },
  );
  return { lower, upper, estimate };
}
