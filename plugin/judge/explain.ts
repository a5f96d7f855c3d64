// Numbers and sentences for people: every judgement says what was compared, how it changed, how sure the
// judge is, and which threshold applied.
import type { MetricKind } from './types.js';

/** Three significant digits: 0.05234 → "0.0523", 1234.5 → "1230". */
export function formatValue(value: number): string {
  return String(Number(value.toPrecision(3)));
}

export function formatPercent(fraction: number): string {
  return `${Number((fraction * 100).toPrecision(3))}%`;
}

/** How likely something is, without exponents nobody reads: "0.0596%", and "under 0.0001%" below that. */
export function formatChance(chance: number): string {
  return chance > 0 && chance < 1e-6 ? 'under 0.0001%' : formatPercent(chance);
}

/** A metric's value in its unit: ratios as a percentage ("1.02%"), the rest as numbers. */
export function formatMetricValue(value: number, kind: MetricKind): string {
  return kind === 'ratio' ? formatPercent(value) : formatValue(value);
}

export function formatChange(change: number): string {
  if (change === Infinity) return 'up from 0';
  if (change === -Infinity) return 'down from 0';
  // Rates from the same counts over different steps differ by rounding alone: that is no change.
  if (Math.abs(change) < 1e-9) return '±0%';
  return `${change > 0 ? '+' : change < 0 ? '−' : '±'}${formatPercent(Math.abs(change))}`;
}

/** Confidence as a percentage that does not round up to 100% when it is not: 0.99996 → "99.996%", 0.58 → "58%". */
export function formatConfidence(confidence: number): string {
  if (confidence >= 1) return '100%';
  // Enough decimals to show the first two digits of the doubt: 0.99986 → 99.986, not 99.99.
  const digits = Math.max(0, Math.min(6, Math.ceil(-Math.log10(1 - confidence)) - 1));
  // Floor (never claim more confidence than there is), with a nudge so 0.58 * 100 = 57.999… still reads 58.
  const floored = Math.floor(confidence * 10 ** (digits + 2) + 1e-6) / 10 ** digits;
  return `${Number(floored.toFixed(digits))}%`;
}

/** "higher" / "lower" for the side a regression moves the metric. */
export function worseWord(side: 'up' | 'down'): string {
  return side === 'up' ? 'higher' : 'lower';
}
