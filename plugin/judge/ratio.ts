// Ratio metrics (errors / requests): judged on the counts, not on a series of ratios. Under "no regression"
// the canary's events are what its requests would produce at the baseline's rate; pods of one version differ
// in rate more than Poisson noise (over-dispersion), which is measured across the baseline pods, combined
// with the service's history (spread.ts), and widens the test (negative binomial).
import { median } from 'simple-statistics';
import { countTail, studentQuantile, studentTail, type Side } from './distributions.js';
import { badChange, combineSpread, type Comparison, type SpreadPrior } from './comparison.js';
import { warmUntil } from './warmup.js';
import { formatPercent, formatValue } from './explain.js';
import type { RatioGroup } from './types.js';

interface Counts {
  events: number;
  exposure: number;
}

// Pods of one version never differ by less than this in rate (as a coefficient of variation).
const MIN_CV = 0.05;
/**
 * A change of fewer events than this over the window does not count, however large relative to the few expected:
 * 3 errors where 1 was expected is not a regression anyone can tell, nor one worth a pause.
 */
export const MIN_EXCESS_EVENTS = 3;
// A baseline pod whose rate is this many times off the median pod's, and implausibly so, is set aside.
const OUTLIER_FACTOR = 3;
const OUTLIER_Z = 4;

/**
 * Each instance's events and exposure over its denominator's steps; negative or non-finite steps are dropped, and
 * so are steps before `skipUntil(the instance's first step, the instance)` (a cold start).
 */
export function countsOf(group: RatioGroup, skipUntil: (first: number, instance: string) => number = () => -Infinity): Map<string, Counts> {
  const result = new Map<string, Counts>();
  for (const [instance, denominators] of group.denominator) {
    const from = denominators.length ? skipUntil(denominators[0]![0], instance) : 0;
    const numeratorSeries = group.numerator.get(instance) ?? [];
    // Usually both queries return the same steps; only otherwise are they matched by time.
    let aligned = numeratorSeries.length === denominators.length;
    for (let i = 0; aligned && i < denominators.length; i++) aligned = numeratorSeries[i]![0] === denominators[i]![0];
    const byTime = aligned ? null : new Map(numeratorSeries);
    let events = 0;
    let exposure = 0;
    for (let i = 0; i < denominators.length; i++) {
      const [t, d] = denominators[i]!;
      // A pod without errors often has no error series at all (the counter was never created): 0 events.
      const n = byTime ? (byTime.get(t) ?? 0) : numeratorSeries[i]![1];
      if (t < from || n === undefined || !(d > 0) || !(n >= 0) || !Number.isFinite(n) || !Number.isFinite(d)) continue;
      events += n;
      exposure += d;
    }
    if (exposure > 0) result.set(instance, { events, exposure });
  }
  return result;
}

function total(counts: Iterable<Counts>): Counts {
  let events = 0;
  let exposure = 0;
  for (const c of counts) {
    events += c.events;
    exposure += c.exposure;
  }
  return { events, exposure };
}

function outliers(pods: Map<string, Counts>): Set<string> {
  if (pods.size < 4) return new Set();
  const typical = median([...pods.values()].map((c) => c.events / c.exposure));
  if (typical === 0) return new Set();
  return new Set(
    [...pods]
      .filter(([, c]) => {
        const expected = c.exposure * typical;
        const rate = c.events / c.exposure;
        const far = rate > OUTLIER_FACTOR * typical || rate < typical / OUTLIER_FACTOR;
        return far && Math.abs(c.events - expected) / Math.sqrt(expected) > OUTLIER_Z;
      })
      .map(([instance]) => instance),
  );
}

/**
 * The pods' spread in rate beyond Poisson noise, as a squared coefficient of variation, by moments across pods,
 * with its degrees of freedom (0 when it cannot be measured: fewer than two pods, or no events). Unbiased, so
 * it may be below 0 when the pods agree better than Poisson noise would have them.
 */
export function dispersionOf(pods: readonly Counts[]): { variance: number; df: number } {
  const { events, exposure } = total(pods);
  if (pods.length < 2 || events === 0) return { variance: 0, df: 0 };
  const rate = events / exposure;
  let excess = 0;
  let scale = 0;
  for (const pod of pods) {
    const expected = pod.exposure * rate;
    excess += (pod.events - expected) ** 2 - expected;
    scale += expected ** 2;
  }
  // Not clipped at 0: estimates are pooled before they are clipped, or the clipping would bias them upwards.
  return { variance: (excess / scale) * (pods.length / (pods.length - 1)), df: pods.length - 1 };
}

/** Today's measured spread combined with the prior (combineSpread), never below MIN_CV. */
function dispersion(pods: readonly Counts[], prior: SpreadPrior): { cv2: number; df: number } {
  const today = dispersionOf(pods);
  const { variance, df } = combineSpread(prior, { ...today, variance: Math.max(0, today.variance) });
  return { cv2: Math.max(MIN_CV ** 2, variance), df };
}

/** Σ share² of the group's exposure: 1 for one pod, 1/n for n equal ones. */
function concentration(pods: readonly Counts[], exposure: number): number {
  return pods.reduce((sum, c) => sum + (c.exposure / exposure) ** 2, 0);
}

// A canary pod whose rate is this many times the other canary pods', and implausibly so, is named.
const CANARY_OUTLIER_FACTOR = 2;
const CANARY_OUTLIER_Z = 6;

/** The canary pod whose rate is furthest above the other canary pods', when implausibly so for pods of one version. */
function canaryOutlier(pods: Map<string, Counts>, cv2: number): { instance: string; factor: number } | null {
  if (pods.size < 3) return null;
  let worst: { instance: string; factor: number; z: number } | null = null;
  for (const [instance, pod] of pods) {
    const others = total([...pods].filter(([name]) => name !== instance).map(([, c]) => c));
    const rate = Math.max(others.events, 0.5) / others.exposure;
    const expected = pod.exposure * rate;
    const z = (pod.events - expected) / Math.sqrt(expected + cv2 * expected ** 2);
    const factor = pod.events / expected;
    if (z > CANARY_OUTLIER_Z && factor >= CANARY_OUTLIER_FACTOR && (!worst || z > worst.z)) worst = { instance, factor, z };
  }
  return worst;
}

export interface CountOptions {
  prior: SpreadPrior;
  /** Canary steps less than this long after the instance was first seen are left out. */
  warmupS: number;
  /** When canary instances already running before the window were first seen (MetricInput.canarySince). */
  since?: ReadonlyMap<string, number>;
}

export function compareCounts(canaryGroup: RatioGroup, baselineGroup: RatioGroup, { prior, warmupS, since }: CountOptions): Comparison | null {
  const canaryPods = countsOf(canaryGroup, warmUntil(warmupS, since));
  const baselinePods = countsOf(baselineGroup);
  if (canaryPods.size === 0 || baselinePods.size === 0) return null;
  const setAside = outliers(baselinePods);
  const kept = [...baselinePods].filter(([instance]) => !setAside.has(instance)).map(([, c]) => c);
  const canaryCounts = [...canaryPods.values()];
  const canary = total(canaryCounts);
  const baseline = total(kept);
  const notes = setAside.size ? [`baseline ${setAside.size === 1 ? 'instance' : 'instances'} ${[...setAside].join(', ')} set aside (rate far from the others)`] : [];
  // 0 against 0 passes, but so would a counter misspelt in both queries' groups.
  if (!hasNumerator(canaryGroup) && !hasNumerator(baselineGroup)) notes.push('no numerator series in either group (0 events): check that the counter exists');
  if (warmupS > 0 && canary.exposure < total(countsOf(canaryGroup).values()).exposure) notes.push(`the canary's first ${warmupS} s per instance left out as warm-up`);
  if (prior.from === 'fallback' && kept.length < 4) notes.push('few pods and no history of how much this service’s pods differ in rate: a wide allowance is assumed');

  // Half an event keeps a baseline without events from making any canary event infinitely significant.
  const rate = Math.max(baseline.events, 0.5) / baseline.exposure;
  const { cv2, df } = dispersion(kept, prior);
  const canaryShare = concentration(canaryCounts, canary.exposure);
  const baselineShare = concentration(kept, baseline.exposure);

  const outlier = canaryOutlier(canaryPods, cv2);
  if (outlier) notes.push(`canary instance ${outlier.instance} has a rate ${formatValue(outlier.factor)} times the other canary instances’: one pod, e.g. on a bad node, may carry the difference`);
  const mean = canary.exposure * rate;
  // Poisson noise of both groups plus the pods' spread, in the canary's events and in the baseline's rate.
  const variance = mean + (canary.exposure ** 2 * rate) / baseline.exposure + cv2 * mean ** 2 * (canaryShare + baselineShare);
  const pValue = (side: Side) => {
    const counted = countTail(canary.events, mean, variance, side);
    // The spread between pods is known only so well: a t reference with its degrees of freedom keeps that
    // uncertainty (for small counts the negative binomial's skew decides).
    return Math.max(counted, studentTail((canary.events - mean) / Math.sqrt(variance), df, side));
  };
  // The rate ratio on a log scale, each group's Poisson noise and the pods' spread. Half an event shared by the
  // groups in proportion to their exposure keeps a group without events finite and 0 against 0 a ratio of 1.
  const pseudo = (exposure: number) => (0.5 * exposure) / (canary.exposure + baseline.exposure);
  const canaryEvents = canary.events + pseudo(canary.exposure);
  const baselineEvents = baseline.events + pseudo(baseline.exposure);
  const logRatio = Math.log(canaryEvents / canary.exposure / (baselineEvents / baseline.exposure));
  const logSe = Math.sqrt(1 / canaryEvents + 1 / baselineEvents + cv2 * (canaryShare + baselineShare));
  const bound = (side: Side, confidence: number) => {
    const margin = studentQuantile(confidence, df) * logSe;
    return badChange(Math.expm1(side === 'up' ? logRatio + margin : logRatio - margin), side);
  };
  const canaryRate = canary.events / canary.exposure;
  const baselineRate = baseline.events / baseline.exposure;
  const change = baselineRate === 0 ? (canaryRate === 0 ? 0 : Infinity) : canaryRate / baselineRate - 1;
  return {
    canary: canaryRate,
    baseline: baselineRate,
    change,
    pValue,
    bound,
    floor: (side) => {
      const share = MIN_EXCESS_EVENTS / mean;
      return side === 'up' ? share : share >= 1 ? Infinity : share / (1 - share);
    },
    shift: () => null,
    evidence: { canary: canary.exposure, baseline: baseline.exposure },
    missing: `more traffic or a longer window (the canary had ${canary.events} events in ${Math.round(canary.exposure)}, the baseline ${baseline.events} in ${Math.round(baseline.exposure)})`,
    notes,
  };
}

// Below this chance of seeing no event at all, a group without any numerator series is taken to lack the counter.
const IMPLAUSIBLE = 0.001;

function hasNumerator(group: RatioGroup): boolean {
  for (const samples of group.numerator.values()) if (samples.length > 0) return true;
  return false;
}

/**
 * Why a ratio cannot be judged because a whole group has no numerator series while it should have had events, or
 * null. A pod without an error series has 0 errors (its counter is created by the first one), but a group without
 * any, when the other group's rate makes zero events in its requests implausible, more likely lacks the counter
 * (renamed, or missing in the new version) than has improved beyond belief; counting 0 would pass it. When few
 * events were expected, zero is plausible and counts as 0.
 */
export function missingNumerator(canary: RatioGroup, baseline: RatioGroup, prior: SpreadPrior): string | null {
  const groups = { canary, baseline };
  for (const [name, other] of [['canary', 'baseline'], ['baseline', 'canary']] as const) {
    if (hasNumerator(groups[name]) || !hasNumerator(groups[other])) continue;
    // The group's events against the other's rate, as the ratio test weighs them: how likely is none at all?
    const comparison = compareCounts(groups[name], groups[other], { prior, warmupS: 0 });
    if (!comparison || comparison.pValue('down') >= IMPLAUSIBLE) continue;
    const expected = comparison.evidence.canary * comparison.baseline;
    return `the ${name} has no numerator series at all, yet at the ${other}'s rate (${formatPercent(comparison.baseline)}) its ${Math.round(comparison.evidence.canary)} requests would have had about ${Math.round(expected)}: the numerator's counter may be missing or renamed in the ${name}`;
  }
  return null;
}

