// Latency, throughput, resource and gauge metrics: each instance's level over the window, compared between the
// groups with the pods as the units. Pods of one version differ (node, cache, load balancing), so a canary pod
// is only "worse" if it is worse than that spread explains: a two-sample t-test on per-pod levels.
import type { InstanceSeries } from '../collect/source.js';
import { studentTail, type Side } from './distributions.js';
import type { Comparison } from './comparison.js';

// A baseline pod further than this many robust standard deviations from the others is set aside. The spread is
// itself estimated from a handful of pods, so only an unmistakable outlier goes (a pod on a bad node is tens away).
const OUTLIER_MADS = 8;
const MAD_TO_SD = 1.4826;

/** The median of numbers the caller owns, sorted in place (insertion sort: a handful of pods per step, every step). */
function medianInPlace(values: number[]): number {
  for (let i = 1; i < values.length; i++) {
    const v = values[i]!;
    let j = i - 1;
    for (; j >= 0 && values[j]! > v; j--) values[j + 1] = values[j]!;
    values[j + 1] = v;
  }
  const mid = values.length >> 1;
  return values.length % 2 ? values[mid]! : (values[mid - 1]! + values[mid]!) / 2;
}

interface StepCenter {
  /** The baseline's median at this step. */
  center: number;
  /** Later steps weigh more (1, 2, 3, …): a regression that begins mid-window is not averaged away. */
  weight: number;
}

type Scale = (v: number) => number;

/** Per-step median of the baseline, keyed by timestamp: shared drift and load swings cancel out of the offsets. */
function stepCenters(baseline: InstanceSeries, scale: Scale): Map<number, StepCenter> {
  const byTime = new Map<number, number[]>();
  for (const samples of baseline.values()) {
    for (let i = 0; i < samples.length; i++) {
      const [t, v] = samples[i]!;
      const at = byTime.get(t);
      if (at) at.push(scale(v));
      else byTime.set(t, [scale(v)]);
    }
  }
  const sorted = [...byTime.keys()].sort((a, b) => a - b);
  return new Map(sorted.map((t, i) => [t, { center: medianInPlace(byTime.get(t)!), weight: i + 1 }]));
}

/** Each instance's weighted mean distance from the baseline's step centers; instances without overlapping steps are left out. */
function offsets(group: InstanceSeries, centers: Map<number, StepCenter>, scale: Scale): Map<string, number> {
  const result = new Map<string, number>();
  for (const [instance, samples] of group) {
    let sum = 0;
    let weights = 0;
    for (let i = 0; i < samples.length; i++) {
      const [t, v] = samples[i]!;
      const step = centers.get(t);
      if (step === undefined) continue;
      sum += step.weight * (scale(v) - step.center);
      weights += step.weight;
    }
    if (weights > 0) result.set(instance, sum / weights);
  }
  return result;
}

function allPositive(groups: readonly InstanceSeries[]): boolean {
  for (const group of groups) {
    for (const samples of group.values()) {
      for (let i = 0; i < samples.length; i++) if (!(samples[i]![1] > 0)) return false;
    }
  }
  return true;
}

function meanOf(values: readonly number[]): number {
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}

function sumOfSquares(values: readonly number[], center: number): number {
  return values.reduce((sum, v) => sum + (v - center) ** 2, 0);
}

const NONE: ReadonlySet<string> = new Set();

/** Baseline instances far outside the others (a pod on a bad node); only with four or more to tell. */
function outliers(levels: Map<string, number>): ReadonlySet<string> {
  if (levels.size < 4) return NONE;
  const center = medianInPlace([...levels.values()]);
  const spread = MAD_TO_SD * medianInPlace([...levels.values()].map((v) => Math.abs(v - center)));
  const far = [...levels].filter(([, v]) => Math.abs(v - center) > OUTLIER_MADS * spread);
  if (spread === 0 || far.length === 0) return NONE;
  // One in eight at most (and at least one): when many pods are "far", the spread is what is unusual, not the pods.
  far.sort(([, a], [, b]) => Math.abs(b - center) - Math.abs(a - center));
  return new Set(far.slice(0, Math.max(1, Math.floor(levels.size / 8))).map(([instance]) => instance));
}

function samplesIn(group: InstanceSeries): number {
  let n = 0;
  for (const samples of group.values()) n += samples.length;
  return n;
}

/**
 * Compares the groups on a log scale when every value is positive (changes are relative), else on the raw scale.
 * Null when there is nothing to compare: no baseline step the canary also has.
 */
export function compareLevels(canary: InstanceSeries, baseline: InstanceSeries): Comparison | null {
  const positive = allPositive([canary, baseline]);
  const scale: Scale = positive ? Math.log : (v) => v;
  const centers = stepCenters(baseline, scale);
  const canaryLevels = offsets(canary, centers, scale);
  const baselineLevels = offsets(baseline, centers, scale);
  if (canaryLevels.size === 0 || baselineLevels.size === 0) return null;

  const setAside = outliers(baselineLevels);
  const kept = [...baselineLevels].filter(([instance]) => !setAside.has(instance)).map(([, v]) => v);
  const canaryValues = [...canaryLevels.values()];
  const notes: string[] = [];
  if (setAside.size) notes.push(`baseline ${setAside.size === 1 ? 'instance' : 'instances'} ${[...setAside].join(', ')} set aside as far outside the others`);

  // The typical level of the window, so values read in the metric's own unit.
  const level = meanOf([...centers.values()].map((step) => step.center));
  const baselineOffset = meanOf(kept);
  const canaryOffset = meanOf(canaryValues);
  const delta = canaryOffset - baselineOffset;
  const unscale = positive ? Math.exp : (v: number) => v;
  const baselineValue = unscale(level + baselineOffset);
  const canaryValue = unscale(level + canaryOffset);

  let se: number;
  let df: number;
  if (kept.length >= 2) {
    // Pods are the units: pooled between-pod variance, canary and baseline alike.
    df = kept.length + canaryValues.length - 2;
    const pooled = (sumOfSquares(kept, baselineOffset) + sumOfSquares(canaryValues, canaryOffset)) / df;
    se = Math.sqrt(pooled * (1 / kept.length + 1 / canaryValues.length));
  } else {
    // One baseline pod: only step-to-step noise can be measured, so pod differences look like regressions.
    const differences = stepDifferences(canary, centers, scale);
    if (differences.length < 2) return null;
    df = differences.length - 1;
    se = Math.sqrt(sumOfSquares(differences, meanOf(differences)) / df / differences.length);
    notes.push('one baseline instance: compared step by step, so differences between pods cannot be told from a regression');
  }

  const pValue = (side: Side) => {
    if (se === 0) return (side === 'up' ? delta > 0 : delta < 0) ? 0 : 1;
    return studentTail(delta / se, df, side);
  };
  const change = positive ? Math.expm1(delta) : baselineValue === 0 ? (delta === 0 ? 0 : Math.sign(delta) * Infinity) : delta / Math.abs(baselineValue);
  return {
    canary: canaryValue,
    baseline: baselineValue,
    change,
    pValue,
    evidence: { canary: samplesIn(canary), baseline: samplesIn(baseline) },
    notes,
  };
}

function stepDifferences(canary: InstanceSeries, centers: Map<number, StepCenter>, scale: Scale): number[] {
  const byTime = new Map<number, number[]>();
  for (const samples of canary.values()) {
    for (const [t, v] of samples) {
      const step = centers.get(t);
      if (step === undefined) continue;
      const at = byTime.get(t);
      if (at) at.push(scale(v) - step.center);
      else byTime.set(t, [scale(v) - step.center]);
    }
  }
  return [...byTime.values()].map(meanOf);
}
