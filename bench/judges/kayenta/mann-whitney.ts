// Mann-Whitney (Wilcoxon rank-sum) confidence interval and estimate for a location shift x - y.
//
// Same construction as R's wilcox.test(x, y, exact = FALSE, correct = TRUE, conf.int = TRUE): the shift d
// is tested by ranking (x - d) against y; the standardised rank statistic, with continuity and tie
// corrections, is a decreasing step function of d. The interval ends are the shifts where it crosses the
// normal quantiles ±z(1 - α/2), and the estimate is where it crosses 0 (a Hodges-Lehmann-style estimate of
// the median pairwise difference). Crossings are found with Brent's method at absolute tolerance 1e-4, as
// in Kayenta, whose classifier compares these ends with the estimate.
import { normalQuantile } from './normal-quantile.js';
import { ascending } from './ranks.js';
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
  return sortedWilcoxonDiff(mu, quantile, ascending(x), ascending(y));
}

/**
 * wilcoxonDiff of samples in ascending order: one merge of x - mu with y ranks the pooled sample (the root
 * finder evaluates the statistic dozens of times on the same samples, so they are sorted once).
 */
function sortedWilcoxonDiff(mu: number, quantile: number, x: readonly number[], y: readonly number[]): number {
  const nx = x.length;
  const ny = y.length;
  let i = 0;
  let j = 0;
  let position = 0;
  let rankSumX = 0;
  // Σ(t³ - t) over groups of tied values, for the variance's tie correction.
  let ties = 0;
  while (i < nx || j < ny) {
    // The next group of equal values from both samples, whose members share the mean of the ranks it spans.
    // An exhausted sample shows NaN, which sorts last; once only NaNs are left they are one group.
    const a = i < nx ? x[i]! - mu : Number.NaN;
    const b = j < ny ? y[j]! : Number.NaN;
    const value = Number.isNaN(b) || a <= b ? a : b;
    let fromX = 0;
    let size = 0;
    if (Number.isNaN(value)) {
      fromX = nx - i;
      size = fromX + ny - j;
      i = nx;
      j = ny;
    } else {
      while (i < nx && x[i]! - mu === value) {
        i++;
        fromX++;
      }
      size = fromX;
      while (j < ny && y[j] === value) {
        j++;
        size++;
      }
    }
    rankSumX += (position + (size + 1) / 2) * fromX;
    ties += size * size * size - size;
    position += size;
  }
  // Centre the rank sum of x: subtract its minimum nx(nx+1)/2 and the null mean of U, nx·ny/2.
  const dz = rankSumX - (nx * (nx + 1)) / 2 - (nx * ny) / 2;
  // Continuity correction towards zero (two-sided).
  const correction = Math.sign(dz) * 0.5;
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
  const xs = ascending(x);
  const ys = ascending(y);
  const statistic = (mu: number, quantile: number) => sortedWilcoxonDiff(mu, quantile, xs, ys);
  const alpha = 1 - confidenceLevel;
  const z = normalQuantile(alpha / 2); // negative

  const crossing = (quantile: number): number => {
    const fLower = statistic(muMin, quantile);
    // When the statistic never reaches the quantile inside the range, the end is the range's edge.
    if (fLower <= 0) return muMin;
    const fUpper = statistic(muMax, quantile);
    if (fUpper >= 0) return muMax;
    return brentRoot((mu) => statistic(mu, quantile), muMin, muMax, fLower, fUpper, { tolerance: ROOT_TOLERANCE });
  };

  const lower = crossing(-z);
  const upper = crossing(z);
  // The estimate is searched without the edge checks, as in Kayenta.
  const estimate = brentRoot(
    (mu) => statistic(mu, 0),
    muMin,
    muMax,
    statistic(muMin, 0),
    statistic(muMax, 0),
    { tolerance: ROOT_TOLERANCE },
  );
  return { lower, upper, estimate };
}
