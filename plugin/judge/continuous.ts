// Latency, throughput, resource and gauge metrics: each instance's level over the window, compared between the
// groups with the pods as the units. Pods of one version differ (node, cache, load balancing), so a canary pod
// is only "worse" if it is worse than that spread explains. The spread is measured across today's pods and,
// because two or three pods cannot measure it, combined with what the service's history says (spread.ts).
import type { InstanceSeries } from '../collect/source.js';
import { badChange, combineSpread, type Comparison, type Shift, type SpreadPrior } from './comparison.js';
import { warmUntil } from './warmup.js';
import { studentQuantile, studentTail, type Side } from './distributions.js';
import { formatChange } from './explain.js';

// A baseline pod further than this many robust standard deviations from the others is set aside. The spread is
// itself estimated from a handful of pods, so only an unmistakable outlier goes (a pod on a bad node is tens away).
const OUTLIER_MADS = 8;
const MAD_TO_SD = 1.4826;
// A canary pod this many standard deviations of the pods' spread from the other canary pods is named.
const CANARY_OUTLIER_SDS = 6;
// Steps a pod needs on each side of a possible shift for its own change to count.
const SHIFT_MIN_STEPS = 2;

/** The median of numbers the caller owns, sorted in place (insertion sort: a handful of pods per step, every step). */
export function medianInPlace(values: number[]): number {
  for (let i = 1; i < values.length; i++) {
    const v = values[i]!;
    let j = i - 1;
    for (; j >= 0 && values[j]! > v; j--) values[j + 1] = values[j]!;
    values[j + 1] = v;
  }
  const mid = values.length >> 1;
  return values.length % 2 ? values[mid]! : (values[mid - 1]! + values[mid]!) / 2;
}

export type Scale = (v: number) => number;

/** Per-step median of a group, keyed by timestamp: shared drift and load swings cancel out of the offsets. */
export function stepCenters(group: InstanceSeries, scale: Scale): Map<number, number> {
  const byTime = new Map<number, number[]>();
  for (const samples of group.values()) {
    for (let i = 0; i < samples.length; i++) {
      const [t, v] = samples[i]!;
      const at = byTime.get(t);
      if (at) at.push(scale(v));
      else byTime.set(t, [scale(v)]);
    }
  }
  const centers = new Map<number, number>();
  for (const [t, values] of byTime) centers.set(t, medianInPlace(values));
  return centers;
}

/** One pod's distances from the step centers, in time order, and their mean: the pod's level. */
export interface PodLevel {
  times: number[];
  offsets: number[];
  level: number;
  /** Samples left out as a cold start. */
  skipped: number;
}

/**
 * Each instance's offsets from the step centers (non-finite ones, e.g. log of a non-positive value, dropped);
 * samples before `skipUntil(the instance's first time, the instance)` are left out (a cold start).
 */
export function podLevels(group: InstanceSeries, centers: Map<number, number>, scale: Scale, skipUntil: (first: number, instance: string) => number = () => -Infinity): Map<string, PodLevel> {
  const result = new Map<string, PodLevel>();
  for (const [instance, samples] of group) {
    const times: number[] = [];
    const offsets: number[] = [];
    const from = samples.length ? skipUntil(samples[0]![0], instance) : 0;
    let sum = 0;
    let skipped = 0;
    for (let i = 0; i < samples.length; i++) {
      const [t, v] = samples[i]!;
      const center = centers.get(t);
      const offset = scale(v) - center!;
      if (t < from) skipped++;
      if (center === undefined || t < from || !Number.isFinite(offset)) continue;
      times.push(t);
      offsets.push(offset);
      sum += offset;
    }
    if (times.length) result.set(instance, { times, offsets, level: sum / times.length, skipped });
  }
  return result;
}

export function allPositive(groups: readonly InstanceSeries[]): boolean {
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

/** Variance of the pods' levels around their group's mean, pooled over groups, with its degrees of freedom. */
export function betweenPods(groups: readonly (readonly number[])[]): { variance: number; df: number } {
  let squares = 0;
  let df = 0;
  for (const levels of groups) {
    if (levels.length < 2) continue;
    squares += sumOfSquares(levels, meanOf(levels));
    df += levels.length - 1;
  }
  return { variance: df ? squares / df : 0, df };
}

/** Step-to-step variance within pods around their own level, pooled over every pod. */
function withinPods(pods: Iterable<PodLevel>): { variance: number; df: number } {
  let squares = 0;
  let df = 0;
  for (const pod of pods) {
    if (pod.offsets.length < 2) continue;
    squares += sumOfSquares(pod.offsets, pod.level);
    df += pod.offsets.length - 1;
  }
  return { variance: df ? squares / df : 0, df };
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

function samplesIn(pods: Iterable<PodLevel>): number {
  let n = 0;
  for (const pod of pods) n += pod.offsets.length;
  return n;
}

export interface LevelOptions {
  /** The pods' spread as the service's history (or the fallback) tells it. */
  prior: SpreadPrior;
  /** Canary samples less than this long after the instance was first seen are left out. */
  warmupS: number;
  /** When canary instances already running before the window were first seen (MetricInput.canarySince). */
  since?: ReadonlyMap<string, number>;
}

/**
 * Compares the groups on a log scale when every value is positive (changes are relative), else on the raw scale.
 * Null when there is nothing to compare: no baseline step the canary also has after its warm-up.
 */
export function compareLevels(canary: InstanceSeries, baseline: InstanceSeries, { prior, warmupS, since }: LevelOptions, positive = allPositive([canary, baseline])): Comparison | null {
  const scale: Scale = positive ? Math.log : (v) => v;
  const centers = stepCenters(baseline, scale);
  const canaryPods = podLevels(canary, centers, scale, warmUntil(warmupS, since));
  const baselinePods = podLevels(baseline, centers, scale);
  if (canaryPods.size === 0 || baselinePods.size === 0) return null;

  const setAside = outliers(new Map([...baselinePods].map(([instance, pod]) => [instance, pod.level])));
  const keptPods = [...baselinePods].filter(([instance]) => !setAside.has(instance)).map(([, pod]) => pod);
  const kept = keptPods.map((pod) => pod.level);
  const canaryValues = [...canaryPods.values()].map((pod) => pod.level);
  const notes: string[] = [];
  if (setAside.size) notes.push(`baseline ${setAside.size === 1 ? 'instance' : 'instances'} ${[...setAside].join(', ')} set aside as far outside the others`);
  if ([...canaryPods.values()].some((pod) => pod.skipped > 0)) notes.push(`the canary's first ${warmupS} s per instance left out as warm-up`);

  // The typical level of the window, so values read in the metric's own unit.
  const level = meanOf([...centers.values()]);
  const baselineOffset = meanOf(kept);
  const canaryOffset = meanOf(canaryValues);
  const delta = canaryOffset - baselineOffset;
  const unscale = positive ? Math.exp : (v: number) => v;
  const baselineValue = unscale(level + baselineOffset);
  const canaryValue = unscale(level + canaryOffset);
  // A difference on the test's scale as a relative change of the baseline.
  const changeOf = (d: number) => (positive ? Math.expm1(d) : baselineValue === 0 ? (d === 0 ? 0 : Math.sign(d) * Infinity) : d / Math.abs(baselineValue));

  // A pod's level varies by the pods' persistent spread plus its steps' noise averaged over its steps: both are
  // estimated, and each pod's variance follows its own number of steps (a canary just past its warm-up has few).
  const allPods = [...keptPods, ...canaryPods.values()];
  const within = withinPods(allPods);
  const stepShare = within.variance * meanOf(allPods.map((pod) => 1 / pod.offsets.length));
  // The prior is relative to the level on the raw scale.
  const priorVariance = (positive ? prior.variance : prior.variance * level ** 2) + stepShare;
  const spread = combineSpread({ variance: priorVariance, df: prior.df }, betweenPods([kept, canaryValues]));
  const persistent = Math.max(0, spread.variance - stepShare);
  const meanVariance = (pods: readonly PodLevel[]) => pods.reduce((sum, pod) => sum + persistent + within.variance / pod.offsets.length, 0) / pods.length ** 2;
  const se = Math.sqrt(meanVariance(keptPods) + meanVariance([...canaryPods.values()]));
  const df = spread.df;
  if (prior.from === 'fallback' && kept.length + canaryValues.length < 6) notes.push('few pods and no history of how much this service’s pods differ: a wide allowance is assumed');

  // Against the spread of the baseline's pods: the outlier itself would widen the canary's.
  const outlier = canaryPods.size >= 3 ? canaryOutlier(canaryPods, combineSpread({ variance: priorVariance, df: prior.df }, betweenPods([kept])).variance) : null;
  if (outlier) notes.push(`canary instance ${outlier.instance} is far from the other canary instances (${formatChange(changeOf(outlier.offset))} against their median): one pod, e.g. on a bad node, may carry the difference`);

  const pValue = (side: Side) => {
    if (se === 0) return (side === 'up' ? delta > 0 : delta < 0) ? 0 : 1;
    return studentTail(delta / se, df, side);
  };
  const bound = (side: Side, confidence: number) => {
    const margin = se === 0 ? 0 : studentQuantile(confidence, df) * se;
    return badChange(changeOf(side === 'up' ? delta + margin : delta - margin), side);
  };
  const shifts = shiftTest([...canaryPods.values()], keptPods, within, changeOf);
  return {
    canary: canaryValue,
    baseline: baselineValue,
    change: changeOf(delta),
    pValue,
    bound,
    floor: () => 0,
    shift: (side) => shifts(side),
    // The samples compared: the canary's after its warm-up.
    evidence: { canary: samplesIn(canaryPods.values()), baseline: samplesIn(baselinePods.values()) },
    missing: missingEvidence(prior, kept.length, canaryValues.length),
    notes,
  };
}

function missingEvidence(prior: SpreadPrior, baselinePods: number, canaryPods: number): string {
  if (prior.from === 'fallback' && baselinePods < 4) return 'more baseline pods, or the service’s history in the source (how much its pods differ)';
  if (canaryPods < 3) return 'more canary pods (setCanaryScale) or a longer window';
  return 'a longer window';
}

/** The canary pod furthest from the others' median, when it is implausibly far for pods of one version. */
function canaryOutlier(pods: Map<string, PodLevel>, variance: number): { instance: string; offset: number } | null {
  if (!(variance > 0)) return null;
  let worst: { instance: string; offset: number } | null = null;
  for (const [instance, pod] of pods) {
    const others = medianInPlace([...pods].filter(([name]) => name !== instance).map(([, other]) => other.level));
    const offset = pod.level - others;
    if (Math.abs(offset) > CANARY_OUTLIER_SDS * Math.sqrt(variance) && (!worst || Math.abs(offset) > Math.abs(worst.offset))) worst = { instance, offset };
  }
  return worst;
}

interface Split {
  change: number;
  variance: number;
  after: number;
}

/** Index of the first time at or after `at` (times ascending). */
function firstAtOrAfter(times: readonly number[], at: number): number {
  let low = 0;
  let high = times.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (times[mid]! < at) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** Running sums of each pod's offsets, so that a pod's mean before and after any time is two lookups. */
function prefixSums(pod: PodLevel): number[] {
  const sums = [0];
  for (let i = 0; i < pod.offsets.length; i++) sums.push(sums[i]! + pod.offsets[i]!);
  return sums;
}

/**
 * The group's mean change (each pod's mean offset from `at` on minus its mean before), its variance, and the mean
 * level after; null when no pod has enough steps on both sides. Called for every step of every look: no allocation.
 */
function groupChange(pods: readonly PodLevel[], sums: readonly number[][], at: number, stepVariance: number): Split | null {
  let n = 0;
  let changes = 0;
  let squares = 0;
  let model = 0;
  let afters = 0;
  for (let p = 0; p < pods.length; p++) {
    const { times } = pods[p]!;
    const split = firstAtOrAfter(times, at);
    const nAfter = times.length - split;
    if (split < SHIFT_MIN_STEPS || nAfter < SHIFT_MIN_STEPS) continue;
    const total = sums[p]!;
    const after = (total[times.length]! - total[split]!) / nAfter;
    const change = after - total[split]! / split;
    n++;
    changes += change;
    squares += change * change;
    model += stepVariance * (1 / nAfter + 1 / split);
    afters += after;
  }
  if (n === 0) return null;
  const change = changes / n;
  // Steps of real series are correlated; where there are pods enough, their own changes say how much.
  const empirical = n >= 3 ? Math.max(0, squares - n * change * change) / (n - 1) / n : 0;
  return { change, variance: Math.max(model / n ** 2, empirical), after: afters / n };
}

/**
 * A change that began inside the window: each canary pod's level after a possible start against its own level
 * before, so pods' persistent differences cancel, less the baseline's change over the same time. Every step
 * boundary with enough steps on both sides is tried; the p-value is corrected for the number tried (Bonferroni).
 */
function shiftTest(canary: readonly PodLevel[], baseline: readonly PodLevel[], within: { variance: number; df: number }, changeOf: (d: number) => number): (side: Side) => Shift | null {
  if (within.df < 2) return () => null;
  const times = [...new Set(canary.flatMap((pod) => pod.times))].sort((a, b) => a - b);
  const canarySums = canary.map(prefixSums);
  const baselineSums = baseline.map(prefixSums);
  const splits: { at: number; canary: Split; baseline: Split }[] = [];
  for (const at of times) {
    const c = groupChange(canary, canarySums, at, within.variance);
    const b = groupChange(baseline, baselineSums, at, within.variance);
    if (c && b) splits.push({ at, canary: c, baseline: b });
  }
  if (splits.length === 0) return () => null;
  // One degrees of freedom for every split: the most extreme statistic has the smallest p-value.
  return (side) => {
    const sign = side === 'up' ? 1 : -1;
    let best: { statistic: number; at: number; difference: number; after: number } | null = null;
    for (const { at, canary: c, baseline: b } of splits) {
      const difference = c.change - b.change;
      const se = Math.sqrt(c.variance + b.variance);
      const statistic = se === 0 ? sign * difference * Infinity || 0 : (sign * difference) / se;
      if (!best || statistic > best.statistic) best = { statistic, at, difference, after: c.after - b.after };
    }
    const { statistic, at, difference, after } = best!;
    const p = Number.isFinite(statistic) ? studentTail(statistic, within.df, 'up') : statistic > 0 ? 0 : 1;
    return { pValue: Math.min(1, p * splits.length), change: badChange(changeOf(difference), side), after: badChange(changeOf(after), side), sinceS: at };
  };
}
