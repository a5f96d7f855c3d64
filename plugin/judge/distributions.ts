// Tail probabilities the tests need, from stdlib-js's distribution functions.
import erfc from '@stdlib/math-base-special-erfc';
import negativeBinomialCdf from '@stdlib/stats-base-dists-negative-binomial-cdf';
import poissonCdf from '@stdlib/stats-base-dists-poisson-cdf';
import tCdf from '@stdlib/stats-base-dists-t-cdf';
import fQuantile from '@stdlib/stats-base-dists-f-quantile';
import tQuantile from '@stdlib/stats-base-dists-t-quantile';

export type Side = 'up' | 'down';

/** P(T ≥ t) for side `up`, P(T ≤ t) for `down`, T Student-t with `df` degrees of freedom. */
export function studentTail(t: number, df: number, side: Side): number {
  if (Number.isNaN(t)) return 1;
  return side === 'up' ? 1 - tCdf(t, df) : tCdf(t, df);
}

/** P(Z ≥ z), Z standard normal. */
export function normalTail(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/** The `probability` quantile of Student's t with `df` degrees of freedom (the normal's beyond a million). */
export function studentQuantile(probability: number, df: number): number {
  // The median is 0 whatever the degrees of freedom (and is asked at every look).
  if (probability === 0.5) return 0;
  return tQuantile(probability, Math.min(df, 1e6));
}

/** The `probability` quantile of the F distribution with (`df1`, `df2`) degrees of freedom. */
export function fisherQuantile(probability: number, df1: number, df2: number): number {
  return fQuantile(probability, df1, Math.min(df2, 1e6));
}

/**
 * P(X ≥ x) for side `up`, P(X ≤ x) for `down`, X a count with this mean and variance: negative binomial when
 * the variance exceeds the mean (over-dispersion), else Poisson.
 */
export function countTail(x: number, mean: number, variance: number, side: Side): number {
  const k = Math.round(x);
  if (mean <= 0) return side === 'up' ? (k > 0 ? 0 : 1) : 1;
  const cdf = (at: number) => {
    if (at < 0) return 0;
    if (variance <= mean * (1 + 1e-9)) return poissonCdf(at, mean);
    const size = (mean * mean) / (variance - mean);
    return negativeBinomialCdf(at, size, size / (size + mean));
  };
  return side === 'up' ? 1 - cdf(k - 1) : cdf(k);
}
