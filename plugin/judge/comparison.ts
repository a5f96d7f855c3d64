import { fisherQuantile, type Side } from './distributions.js';

/** What the data say about how much pods of one version differ, worth `df` pods' evidence (spread.ts). */
export interface SpreadPrior {
  /** Between-pod variance on the comparison's scale: of log levels, or the squared coefficient of variation of rates. */
  variance: number;
  df: number;
  /** Learnt from the service's own history, or the conservative assumption used without one. */
  from: 'history' | 'fallback';
}

/**
 * Without history: pods assumed to differ by a sizeable 15% (latency and the like) or 40% in error rate, worth two
 * pods' evidence, so that a verdict on two or three pods is cautious rather than confident.
 */
export const FALLBACK_PRIOR = {
  level: { variance: 0.15 ** 2, df: 2, from: 'fallback' },
  ratio: { variance: 0.4 ** 2, df: 2, from: 'fallback' },
} as const satisfies Record<string, SpreadPrior>;

// Today's pods count as differing more than the prior says only past this level of an F test, and only with
// enough pods to tell (fewer cannot, and then the prior is all there is).
const WIDER_LEVEL = 0.95;
const WIDER_MIN_DF = 4;

/**
 * The pods' spread to judge with: today's measured one pooled with the prior, and never below today's, since
 * history from other days can only say that pods differ at least this much. When today's pods differ
 * significantly more than the prior says, the prior does not describe today and today's measurement stands
 * alone, with its own degrees of freedom.
 */
export function combineSpread(prior: { variance: number; df: number }, today: { variance: number; df: number }): { variance: number; df: number } {
  // The F quantile is above 1, so only a wider today is worth the (costlier) test.
  const wider = today.df >= WIDER_MIN_DF && today.variance > prior.variance && prior.variance > 0;
  if (wider && today.variance / prior.variance > fisherQuantile(WIDER_LEVEL, today.df, prior.df)) return today;
  const pooled = (prior.df * prior.variance + today.df * today.variance) / (prior.df + today.df);
  return { variance: Math.max(pooled, today.variance), df: prior.df + today.df };
}

/** A regression that began inside the window: the canary changed against itself while the baseline did not. */
export interface Shift {
  /** One-sided p-value of "no change on this side", already corrected for the start times tried. */
  pValue: number;
  /** The canary's change since the shift began, relative to the baseline's over the same time (0.25 = 25% worse). */
  change: number;
  /** The canary against the baseline after the shift began, as `change` is for the whole window. */
  after: number;
  /** Unix seconds: the first step the change is seen in. */
  sinceS: number;
}

/** What a kind-specific test tells about canary against baseline; the metric judge turns it into a classification. */
export interface Comparison {
  /** Typical values in the metric's unit (rates for ratios). */
  canary: number;
  baseline: number;
  /** Relative change of the canary (0.25 = 25% higher; −Infinity/Infinity from a baseline of 0). */
  change: number;
  /** One-sided p-value of "the canary is no worse" on `side` (up: higher, down: lower); small values are evidence it is. */
  pValue(side: Side): number;
  /**
   * The largest change on `side` the data leave plausible with `confidence`, in the bad direction as
   * badChange measures it (0.25: 25% worse). A pass needs it below the failing change.
   */
  bound(side: Side, confidence: number): number;
  /**
   * The change on `side` (in the bad direction) below which a change is too small to matter whatever its
   * relative size, e.g. a few events more over the window; 0 when only relative changes count.
   */
  floor(side: Side): number;
  /** The best evidence of a change that began within the window, or null when the window is too short to tell. */
  shift(side: Side): Shift | null;
  /** Evidence per group: requests for ratios, samples otherwise. */
  evidence: { canary: number; baseline: number };
  /** What would make the comparison conclusive, for a reason to say (e.g. "more baseline pods"). */
  missing: string;
  /** Anything the reader should know about how the comparison was made. */
  notes: string[];
}

/**
 * How much worse the canary is on `side`, as the factor it is off by minus one, so thresholds are symmetric:
 * 0.25 is 1.25 times the baseline (up) or the baseline 1.25 times the canary (down, i.e. 20% lower).
 */
export function badChange(change: number, side: Side): number {
  if (side === 'up') return change;
  return change <= -1 ? Infinity : -change / (1 + change);
}
