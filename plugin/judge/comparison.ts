import type { Side } from './distributions.js';

/** What a kind-specific test tells about canary against baseline; the metric judge turns it into a classification. */
export interface Comparison {
  /** Typical values in the metric's unit (rates for ratios). */
  canary: number;
  baseline: number;
  /** Relative change of the canary (0.25 = 25% higher; −Infinity/Infinity from a baseline of 0). */
  change: number;
  /** One-sided p-value of "the canary is no worse" on `side` (up: higher, down: lower); small values are evidence it is. */
  pValue(side: Side): number;
  /** Evidence per group: requests for ratios, samples otherwise. */
  evidence: { canary: number; baseline: number };
  /** Anything the reader should know about how the comparison was made. */
  notes: string[];
}
