// What each sensitivity asks for: the confidence that the canary is worse, and how much worse is a marginal
// (Medium Healthy) or a failing (Unhealthy) change, per metric kind. Documented in docs/judge.md; change both
// together.
import type { MetricKind, Sensitivity } from './types.js';

export interface Rule {
  /**
   * Estimated change in the bad direction, as a fraction of the baseline, from which a significant change is
   * marginal, and from which it fails: 0.1 = 10% worse (for a ratio, a rate 1.1 times the baseline's; for
   * lower-is-bad, 10% lower).
   */
  marginal: number;
  fail: number;
  /** One-sided confidence that the canary is worse, required at the window's end (1 − the false-alarm rate per metric). */
  confidence: number;
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

const CONFIDENCE = 0.995;

export function ruleFor(sensitivity: Sensitivity, kind: MetricKind): Rule {
  const [marginal, fail] = RUNGS[sensitivity];
  return { marginal: LADDER[kind][marginal], fail: LADDER[kind][fail], confidence: CONFIDENCE };
}

/**
 * Share of the false-alarm budget spent on the looks before the window closes (failing early). The rest is
 * kept for the final look, so waiting for the full window loses almost no power (a Haybittle–Peto boundary).
 */
export const INTERIM_SHARE = 0.25;

/**
 * The false-alarm rate allowed at one look. Before the window closes, each of the interim looks gets an equal
 * part of INTERIM_SHARE of the budget; at the end the final look gets the rest. By the union bound the chance
 * of a false alarm over all looks stays within the budget, however the looks are correlated.
 */
export function alphaAt(confidence: number, look: { elapsedMs: number; durationMs: number; intervalMs: number }): number {
  const alpha = 1 - confidence;
  if (look.elapsedMs >= look.durationMs) return alpha * (1 - INTERIM_SHARE);
  const interimLooks = Math.max(1, Math.ceil(look.durationMs / look.intervalMs) - 1);
  return (alpha * INTERIM_SHARE) / interimLooks;
}
