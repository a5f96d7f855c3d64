// What each sensitivity asks for: the confidence that the canary is worse, how much worse is a marginal
// (Medium Healthy) or a failing (Unhealthy) change per metric kind, and how likely a failing change may be for a
// pass. Documented in docs/judge.md; change both together.
import { METRIC_KINDS, SENSITIVITIES, type MetricKind, type Sensitivity } from './types.js';

export interface Rule {
  /**
   * Estimated change in the bad direction, as a fraction of the baseline, from which a significant change is
   * marginal, and from which it fails: 0.1 = 10% worse (for a ratio, a rate 1.1 times the baseline's; for
   * lower-is-bad, 10% lower).
   */
  marginal: number;
  fail: number;
  /** Confidence that a metric is worse, required over the whole verification (1 − the false-alarm rate of a verification). */
  confidence: number;
  /**
   * The change a pass must make unlikely: the smallest that fails the verification at this sensitivity (at high
   * the marginal one, since Medium Healthy fails there; else the failing one).
   */
  passBelow: number;
  /**
   * The chance of a change of at least `passBelow`, given the data and how rarely new versions change a metric
   * that much (likely.ts), from which a metric that is not conclusively worse is inconclusive rather than a pass.
   */
  inconclusiveFrom: number;
}

/** Practical effects per kind, from smallest to largest: each sensitivity uses two consecutive rungs. */
const LADDER: Record<MetricKind, readonly [number, number, number]> = {
  ratio: [0.4, 0.75, 1.5],
  latency: [0.12, 0.2, 0.4],
  throughput: [0.2, 0.25, 0.4],
  resource: [0.2, 0.3, 0.5],
  gauge: [0.2, 0.3, 0.5],
};

// High and Medium share thresholds: High differs by failing on Medium Healthy (see verdict.ts).
const RUNGS: Record<Sensitivity, [marginal: 0 | 1, fail: 1 | 2]> = { high: [0, 1], medium: [0, 1], low: [1, 2] };

/** Of a verification: the chance that a canary no worse than the baseline is found worse, over all metrics and looks. */
export const CONFIDENCE = 0.99;
/**
 * A failing change must be more likely than this, not merely possible, to hold a canary up: a needless pause is a
 * false alarm too. Chosen with the benchmark (docs/judge.md): lower pauses healthy canaries with little traffic
 * more often, higher lets more small regressions through.
 */
export const INCONCLUSIVE_FROM = 0.66;

function rule(sensitivity: Sensitivity, kind: MetricKind): Rule {
  const [marginal, fail] = RUNGS[sensitivity];
  const effects = { marginal: LADDER[kind][marginal], fail: LADDER[kind][fail] };
  return { ...effects, confidence: CONFIDENCE, passBelow: sensitivity === 'high' ? effects.marginal : effects.fail, inconclusiveFrom: INCONCLUSIVE_FROM };
}

// Built once: the judge asks for a rule per metric at every look.
const RULES = Object.fromEntries(
  SENSITIVITIES.map((sensitivity) => [sensitivity, Object.fromEntries(METRIC_KINDS.map((kind) => [kind, Object.freeze(rule(sensitivity, kind))]))]),
) as Record<Sensitivity, Record<MetricKind, Readonly<Rule>>>;

export function ruleFor(sensitivity: Sensitivity, kind: MetricKind): Readonly<Rule> {
  return RULES[sensitivity][kind];
}

/**
 * Share of the false-alarm budget spent on the looks before the window closes (failing early). The rest is
 * kept for the final look, so waiting for the full window loses almost no power (a Haybittle–Peto boundary).
 */
export const INTERIM_SHARE = 0.25;

/**
 * Share of a test's budget for a change that began inside the window (the shift test); the rest is for the
 * comparison over the whole window.
 */
export const SHIFT_SHARE = 0.3;

/**
 * The false-alarm rate allowed at one look for one side of one metric, out of the verification's budget shared
 * by `tests` (the metric sides of the verification). Before the window closes, each of the interim looks gets
 * an equal part of INTERIM_SHARE of the budget; at the end the final look gets the rest. By the union bound the
 * chance of a false alarm over all metrics and looks stays within the budget, however they are correlated.
 */
export function alphaAt(confidence: number, look: { elapsedMs: number; durationMs: number; intervalMs: number }, tests = 1): number {
  const alpha = (1 - confidence) / tests;
  if (look.elapsedMs >= look.durationMs) return alpha * (1 - INTERIM_SHARE);
  const interimLooks = Math.max(1, Math.ceil(look.durationMs / look.intervalMs) - 1);
  return (alpha * INTERIM_SHARE) / interimLooks;
}
