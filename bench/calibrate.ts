// Calibrating a peer judge to a target false-positive rate by turning its own knobs.
import type { Scenario } from './scenarios/types.js';
import { falsePositiveRate, meanRecall } from './summary.js';

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

/** The judge's final answer on a scenario under some settings. */
export type Flagger<S> = (settings: S, scenario: Scenario) => boolean;

function fprOf<S>(settings: S, healthy: readonly Scenario[], flagged: Flagger<S>): number {
  return falsePositiveRate(healthy, healthy.map((s) => flagged(settings, s)));
}

/**
 * The most sensitive point of the knob whose false-positive rate is at most `targetFpr`, by bisection on the
 * healthy scenarios; the knob's quietest end when even that flags more.
 */
export function tuneKnob<S>(knob: Knob<S>, healthy: readonly Scenario[], flagged: Flagger<S>, targetFpr: number, iterations = 10): S {
  // Rates are ratios of counts over the same scenarios, so this margin only absorbs rounding.
  const quietEnough = (x: number) => fprOf(knob.settings(x), healthy, flagged) <= targetFpr + 1e-9;
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
export function calibrate<S>(knobs: readonly Knob<S>[], scenarios: readonly Scenario[], flagged: Flagger<S>, targetFpr: number): Calibration<S> {
  if (knobs.length === 0) throw new Error('calibrate: no knob to turn');
  const healthy = scenarios.filter((s) => s.expected === 'pass');
  const tuned = knobs.map((knob) => {
    const settings = tuneKnob(knob, healthy, flagged, targetFpr);
    return { settings, fpr: fprOf(settings, healthy, flagged), meanRecall: meanRecall(scenarios, scenarios.map((s) => flagged(settings, s))) };
  });
  // Settings that reach the target come first; a knob that cannot reach it is compared only if none can.
  const reaches = (c: Calibration<S>) => (c.fpr <= targetFpr + 1e-9 ? 0 : 1);
  return tuned.sort((a, b) => reaches(a) - reaches(b) || b.meanRecall - a.meanRecall || Math.abs(a.fpr - targetFpr) - Math.abs(b.fpr - targetFpr))[0]!;
}
