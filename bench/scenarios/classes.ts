// The scenario classes: what each changes from a healthy window, the answer a good judge gives, and its share.
import type { Random } from './random.js';
import { CLASSES, type Effect, type Expected, type ScenarioClass, type Warmup } from './types.js';
import { STEP_S } from './window.js';

export interface PodCounts {
  canary: number;
  stable: number;
}

export interface ClassSpec {
  /** Share of the scenarios. */
  share: number;
  expected: Expected;
  pods(random: Random): PodCounts;
  /** The regression's multipliers of the canary's levels. */
  effect?: Partial<Effect>;
  /** Seconds into the window at which the regression begins; the first step when absent. */
  onsetS?(random: Random): number;
  /** One pod on a bad node (a baseline pod's node may also be unusually good). */
  outlier?: 'baseline' | 'canary';
  warmup?: Warmup;
  /** A few requests per pod per step, too few to tell anything. */
  lowTraffic?: true;
  /** The canary's series are left out of the input. */
  noCanaryData?: true;
  /** Today's pods twice as far apart as the history's. */
  widerSpread?: true;
  noHistory?: true;
}

/** 10% of the traffic at equal load per pod: 1 canary pod and 9 stable, or 2 and 18. */
const tenPercent = (random: Random): PodCounts => (random.chance(0.25) ? { canary: 2, stable: 18 } : { canary: 1, stable: 9 });
const pods = (canary: number, stable: number) => (): PodCounts => ({ canary, stable });

/** Healthy-type classes get most scenarios, so that false-positive rates are measured finely, each apart. */
export const CLASS_SPECS: Readonly<Record<ScenarioClass, ClassSpec>> = {
  healthy: { share: 0.28, expected: 'pass', pods: tenPercent },
  'healthy 1 stable pod': { share: 0.07, expected: 'pass', pods: pods(1, 1) },
  'healthy 2-3 stable pods': { share: 0.07, expected: 'pass', pods: (random) => ({ canary: 1, stable: random.integer(2, 3) }) },
  'cold canary': { share: 0.07, expected: 'pass', pods: pods(1, 9), warmup: { untilS: 2 * STEP_S, latency: 1.3, cpu: 1.3 } },
  'healthy wider spread': { share: 0.07, expected: 'pass', pods: pods(1, 9), widerSpread: true },
  'healthy no history': { share: 0.065, expected: 'pass', pods: pods(1, 9), noHistory: true },
  'outlier baseline pod': { share: 0.06, expected: 'pass', pods: tenPercent, outlier: 'baseline' },
  'low traffic': { share: 0.02, expected: 'no-analysis', pods: tenPercent, lowTraffic: true },
  'no data': { share: 0.015, expected: 'no-analysis', pods: tenPercent, noCanaryData: true },
  'latency+10%': { share: 0.02, expected: 'flag', pods: tenPercent, effect: { latency: 1.1 } },
  'latency+25%': { share: 0.02, expected: 'flag', pods: tenPercent, effect: { latency: 1.25 } },
  'latency+50%': { share: 0.02, expected: 'flag', pods: tenPercent, effect: { latency: 1.5 } },
  'latency+100%': { share: 0.02, expected: 'flag', pods: tenPercent, effect: { latency: 2 } },
  'errors x1.5': { share: 0.02, expected: 'flag', pods: tenPercent, effect: { errors: 1.5 } },
  'errors x2': { share: 0.02, expected: 'flag', pods: tenPercent, effect: { errors: 2 } },
  'errors x5': { share: 0.02, expected: 'flag', pods: tenPercent, effect: { errors: 5 } },
  'throughput-30%': { share: 0.02, expected: 'flag', pods: tenPercent, effect: { traffic: 0.7 } },
  'resource+50%': { share: 0.02, expected: 'flag', pods: tenPercent, effect: { cpu: 1.5 } },
  '2 stable: latency+50%': { share: 0.02, expected: 'flag', pods: pods(1, 2), effect: { latency: 1.5 } },
  '2 stable: latency+100%': { share: 0.02, expected: 'flag', pods: pods(1, 2), effect: { latency: 2 } },
  '2 stable: errors x5': { share: 0.02, expected: 'flag', pods: pods(1, 2), effect: { errors: 5 } },
  // From one of the step boundaries 60 to 180 s into the window.
  'late latency+25%': { share: 0.02, expected: 'flag', pods: pods(1, 9), effect: { latency: 1.25 }, onsetS: (random) => STEP_S * random.integer(2, 6) },
  // A 25% step: 3 canary pods, one of them on a bad node.
  'canary outlier pod': { share: 0.02, expected: 'flag', pods: pods(3, 9), outlier: 'canary' },
};

export function isRegression(label: ScenarioClass): boolean {
  return CLASS_SPECS[label].expected === 'flag';
}

/** Scenarios per class for a total of `count`, by largest remainder so they add up exactly. */
export function classCounts(count: number): Record<ScenarioClass, number> {
  const exact = CLASSES.map((label) => ({ label, share: CLASS_SPECS[label].share * count }));
  const counts = Object.fromEntries(exact.map(({ label, share }) => [label, Math.floor(share)])) as Record<ScenarioClass, number>;
  let left = count - Object.values(counts).reduce((sum, n) => sum + n, 0);
  for (const { label } of [...exact].sort((a, b) => (b.share % 1) - (a.share % 1))) {
    if (left-- <= 0) break;
    counts[label] += 1;
  }
  return counts;
}

/** The class of each of `count` scenarios by id: the classes in CLASSES order, each CLASS_SPECS' share of them. */
export function scenarioLabels(count: number): ScenarioClass[] {
  const counts = classCounts(count);
  return CLASSES.flatMap((label) => Array.from({ length: counts[label] }, () => label));
}
