// Bracketing root finder: Brent's method (R. P. Brent, "Algorithms for Minimization without Derivatives",
// 1973, ch. 4; the "zeroin" procedure of Forsythe, Malcolm & Moler, 1977). It mixes bisection with secant
// and inverse quadratic interpolation and stops once the bracket is narrower than 2·eps·|b| + tol/2.
//
// Kayenta's Mann-Whitney interval uses this procedure with an absolute tolerance of 1e-4 and at most 1000
// iterations, exactly like R's `uniroot` in `wilcox.test`. The interval ends depend on where the iteration
// stops (the rank statistic is a step function), so this follows the same sequence of steps.

const MACHINE_EPSILON = 2.220446049250313e-16;

export interface BrentOptions {
  /** Absolute tolerance on the root. */
  tolerance?: number;
  /** Maximum number of function evaluations after the two ends. */
  maxIterations?: number;
}

/**
 * A root of `f` in [lower, upper], given f(lower) and f(upper). The ends are expected to bracket a root;
 * when they do not, the search still runs and returns its last point, as the reference implementation does.
 */
export function brentRoot(
  f: (x: number) => number,
  lower: number,
  upper: number,
  fLower: number,
  fUpper: number,
  { tolerance = 1e-4, maxIterations = 1000 }: BrentOptions = {},
): number {
  // b: best estimate so far; a: previous b; c: the point that, with b, brackets the root.
  let a = lower;
  let b = upper;
  let fa = fLower;
  let fb = fUpper;
  let c = a;
  let fc = fa;
  if (fa === 0) return a;
  if (fb === 0) return b;

  for (let iteration = 0; iteration <= maxIterations; iteration++) {
    const previousStep = b - a;
    if (Math.abs(fc) < Math.abs(fb)) {
      // Keep b as the end with the smaller residual.
      a = b; b = c; c = a;
      fa = fb; fb = fc; fc = fa;
    }
    const stepTolerance = 2 * MACHINE_EPSILON * Math.abs(b) + tolerance / 2;
    let step = (c - b) / 2; // bisection by default
    if (Math.abs(step) <= stepTolerance || fb === 0) return b;

    // Try interpolation when the previous step was large enough and went the right way.
    if (Math.abs(previousStep) >= stepTolerance && Math.abs(fa) > Math.abs(fb)) {
      const cb = c - b;
      let p: number;
      let q: number;
      if (a === c) {
        // Two distinct points: secant step.
        const s = fb / fa;
        p = cb * s;
        q = 1 - s;
      } else {
        // Three points: inverse quadratic interpolation.
        const qa = fa / fc;
        const r = fb / fc;
        const s = fb / fa;
        p = s * (cb * qa * (qa - r) - (b - a) * (r - 1));
        q = (qa - 1) * (r - 1) * (s - 1);
      }
      if (p > 0) q = -q;
      else p = -p;
      // Accept the interpolated point only if it falls well inside [b, c] and shrinks faster than bisection.
      if (p < 0.75 * cb * q - Math.abs(stepTolerance * q) / 2 && p < Math.abs((previousStep * q) / 2)) step = p / q;
    }
    if (Math.abs(step) < stepTolerance) step = step > 0 ? stepTolerance : -stepTolerance;

    a = b;
    fa = fb;
    b += step;
    fb = f(b);
    if ((fb > 0 && fc > 0) || (fb < 0 && fc < 0)) {
      c = a;
      fc = fa;
    }
  }
  return b;
}
