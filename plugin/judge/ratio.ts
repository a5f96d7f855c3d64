// Ratio metrics (errors / requests): judged on the counts, not on a series of ratios. Under "no regression"
// the canary's events are what its requests would produce at the baseline's rate; pods of one version differ
// in rate more than Poisson noise (over-dispersion), which is measured across the baseline pods and widens
// the test (negative binomial).
import { median } from 'simple-statistics';
import { countTail, studentTail, type Side } from './distributions.js';
import type { Comparison } from './comparison.js';
import { formatPercent } from './explain.js';
import type { RatioGroup } from './types.js';

interface Counts {
  events: number;
  exposure: number;
}

// Pods of one version differ in error rate: typically by PRIOR_CV (as a coefficient of variation), a belief worth
// PRIOR_DF pods of evidence; never by less than MIN_CV.
const PRIOR_CV = 0.2;
const PRIOR_DF = 4;
const MIN_CV = 0.1;
// A baseline pod whose rate is this many times off the median pod's, and implausibly so, is set aside.
const OUTLIER_FACTOR = 3;
const OUTLIER_Z = 4;

/** Each instance's events and exposure over its denominator's steps; negative or non-finite steps are dropped. */
function countsOf(group: RatioGroup): Map<string, Counts> {
  const result = new Map<string, Counts>();
  for (const [instance, denominators] of group.denominator) {
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
      if (n === undefined || !(d > 0) || !(n >= 0) || !Number.isFinite(n) || !Number.isFinite(d)) continue;
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
 * The pods' spread in rate (squared coefficient of variation): measured by moments across the baseline pods and
 * combined with a prior of PRIOR_CV worth PRIOR_DF pods, so a handful of pods neither claims to know the spread
 * nor makes every test hopelessly wide. `df` is the t reference's degrees of freedom.
 */
function dispersion(pods: readonly Counts[], rate: number): { cv2: number; df: number } {
  const measured = pods.length >= 2 && rate > 0 ? pods.length - 1 : 0;
  let cv2 = 0;
  if (measured) {
    let excess = 0;
    let scale = 0;
    for (const { events, exposure } of pods) {
      const expected = exposure * rate;
      excess += (events - expected) ** 2 - expected;
      scale += expected ** 2;
    }
    cv2 = Math.max(0, (excess / scale) * (pods.length / measured));
  }
  const df = PRIOR_DF + measured;
  return { cv2: Math.max(MIN_CV ** 2, (PRIOR_DF * PRIOR_CV ** 2 + measured * cv2) / df), df };
}

export function compareCounts(canaryGroup: RatioGroup, baselineGroup: RatioGroup): Comparison | null {
  const canaryPods = countsOf(canaryGroup);
  const baselinePods = countsOf(baselineGroup);
  if (canaryPods.size === 0 || baselinePods.size === 0) return null;
  const setAside = outliers(baselinePods);
  const kept = [...baselinePods].filter(([instance]) => !setAside.has(instance)).map(([, c]) => c);
  const canary = total(canaryPods.values());
  const baseline = total(kept);
  const notes = setAside.size ? [`baseline ${setAside.size === 1 ? 'instance' : 'instances'} ${[...setAside].join(', ')} set aside (rate far from the others)`] : [];
  // 0 against 0 passes, but so would a counter misspelt in both queries' groups.
  if (!hasNumerator(canaryGroup) && !hasNumerator(baselineGroup)) notes.push('no numerator series in either group (0 events): check that the counter exists');

  // Half an event keeps a baseline without events from making any canary event infinitely significant.
  const rate = Math.max(baseline.events, 0.5) / baseline.exposure;
  const { cv2, df } = dispersion(kept, baseline.events / baseline.exposure);
  const canaryShare = [...canaryPods.values()].reduce((sum, c) => sum + c.exposure ** 2, 0);
  const baselineShare = kept.reduce((sum, c) => sum + c.exposure ** 2, 0);

  const mean = canary.exposure * rate;
  // Poisson noise of both groups plus the pods' spread, in the canary's events and in the baseline's rate.
  const variance = mean + (canary.exposure ** 2 * rate) / baseline.exposure + cv2 * rate ** 2 * (canaryShare + (canary.exposure ** 2 * baselineShare) / baseline.exposure ** 2);
  const pValue = (side: Side) => {
    const counted = countTail(canary.events, mean, variance, side);
    // The spread between pods is known only so well: a t reference with its degrees of freedom keeps that
    // uncertainty (for small counts the negative binomial's skew decides).
    return Math.max(counted, studentTail((canary.events - mean) / Math.sqrt(variance), df, side));
  };
  const canaryRate = canary.events / canary.exposure;
  const baselineRate = baseline.events / baseline.exposure;
  const change = baselineRate === 0 ? (canaryRate === 0 ? 0 : Infinity) : canaryRate / baselineRate - 1;
  return {
    canary: canaryRate,
    baseline: baselineRate,
    change,
    pValue,
    evidence: { canary: canary.exposure, baseline: baseline.exposure },
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
export function missingNumerator(canary: RatioGroup, baseline: RatioGroup): string | null {
  const groups = { canary, baseline };
  for (const [name, other] of [['canary', 'baseline'], ['baseline', 'canary']] as const) {
    if (hasNumerator(groups[name]) || !hasNumerator(groups[other])) continue;
    // The group's events against the other's rate, as the ratio test weighs them: how likely is none at all?
    const comparison = compareCounts(groups[name], groups[other]);
    if (!comparison || comparison.pValue('down') >= IMPLAUSIBLE) continue;
    const expected = comparison.evidence.canary * comparison.baseline;
    return `the ${name} has no numerator series at all, yet at the ${other}'s rate (${formatPercent(comparison.baseline)}) its ${Math.round(comparison.evidence.canary)} requests would have had about ${Math.round(expected)}: the numerator's counter may be missing or renamed in the ${name}`;
  }
  return null;
}

