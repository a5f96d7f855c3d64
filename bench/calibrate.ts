// Calibrating a peer judge to a target false-positive rate by turning its own knobs. Calibration runs on
// labelled items holding what the judge reads of each scenario, prepared once for all the settings tried.
import { falsePositiveRate, meanRecall, type Labelled } from './summary.js';

/** Rates are ratios of counts over the same items, so this margin only absorbs rounding. */
const ROUNDING = 1e-9;

/**
 * A one-parameter family of a judge's settings, from most to least sensitive: the false-positive rate does
 * not rise as `x` goes from `low` to `high`.
 */
export interface Knob<S> {
  low: number;
  high: number;
  settings(x: number): S;
}

export interface Calibration<S> {
  settings: S;
  fpr: number;
  meanRecall: number;
}

/** The judge's final answer on an item under some settings. */
export type Flagger<S, T> = (settings: S, item: T) => boolean;

function fprOf<S, T extends Labelled>(settings: S, healthy: readonly T[], flagged: Flagger<S, T>): number {
  return falsePositiveRate(healthy, healthy.map((s) => flagged(settings, s)));
}

/**
 * The most sensitive point of the knob whose false-positive rate is at most `targetFpr`, by bisection on the
 * healthy scenarios; the knob's quietest end when even that flags more.
 */
export function tuneKnob<S, T extends Labelled>(knob: Knob<S>, healthy: readonly T[], flagged: Flagger<S, T>, targetFpr: number, iterations = 10): S {
  const allowed = Math.floor(targetFpr * healthy.length + ROUNDING);
  // Counting stops once the setting is known to be too loud.
  const quietEnough = (x: number) => {
    const settings = knob.settings(x);
    let flags = 0;
    for (const item of healthy) if (flagged(settings, item) && ++flags > allowed) return false;
    return true;
  };
  if (quietEnough(knob.low)) return knob.settings(knob.low);
  if (!quietEnough(knob.high)) return knob.settings(knob.high);
  let [loud, quiet] = [knob.low, knob.high];
  for (let i = 0; i < iterations; i++) {
    const middle = (loud + quiet) / 2;
    if (quietEnough(middle)) quiet = middle;
    else loud = middle;
  }
  return knob.settings(quiet);
}

/**
 * Each knob tuned to `targetFpr` on the scenarios whose right answer is a pass; of those settings, the one
 * with the best mean recall over the regression classes among those that reach the target (ties: the false-positive rate nearest the target),
 * so each peer is compared at its best at that rate.
 */
export function calibrate<S, T extends Labelled>(knobs: readonly Knob<S>[], scenarios: readonly T[], flagged: Flagger<S, T>, targetFpr: number): Calibration<S> {
  if (knobs.length === 0) throw new Error('calibrate: no knob to turn');
  const healthy = scenarios.filter((s) => s.expected === 'pass');
  const tuned = knobs.map((knob) => {
    const settings = tuneKnob(knob, healthy, flagged, targetFpr);
    return { settings, fpr: fprOf(settings, healthy, flagged), meanRecall: meanRecall(scenarios, scenarios.map((s) => flagged(settings, s))) };
  });
  // Settings that reach the target come first; a knob that cannot reach it is compared only if none can.
  return tuned.sort((a, b) => compareCalibrations(a, b, targetFpr))[0]!;
}

/** Calibrations that reach the target first, then the best mean recall, then the false-positive rate nearest the target. */
export function compareCalibrations(a: { fpr: number; meanRecall: number }, b: { fpr: number; meanRecall: number }, targetFpr: number): number {
  const reaches = (c: { fpr: number }) => (c.fpr <= targetFpr + ROUNDING ? 0 : 1);
  return reaches(a) - reaches(b) || b.meanRecall - a.meanRecall || Math.abs(a.fpr - targetFpr) - Math.abs(b.fpr - targetFpr);
}

/**
 * The threshold of a judge that flags when its score is above it, at which at most `targetFpr` of `healthy`
 * scores lie above: the exact order statistic, so the rate is the target to within one scenario. A null score
 * (no answer) is never flagged but counts in the rate's denominator; −Infinity when every score may be flagged.
 */
export function scoreThreshold(healthy: readonly (number | null)[], targetFpr: number): number {
  const scores = healthy.filter((s): s is number => s !== null).sort((a, b) => b - a);
  const allowed = Math.floor(targetFpr * healthy.length + ROUNDING);
  return allowed < scores.length ? scores[allowed]! : Number.NEGATIVE_INFINITY;
}
