// How much pods of one version differ, learnt from the service's own history in the source: two or three pods
// today cannot measure it, but the same metrics over the past days cover many pods (earlier ReplicaSets,
// restarts, scale events). The engine keeps no state: the history is queried like today's data.
import type { InstanceSeries } from '../collect/source.js';
import { FALLBACK_PRIOR, type SpreadPrior } from './comparison.js';
import { betweenPods, podLevels, stepCenters } from './continuous.js';
import { countsOf, dispersionOf } from './ratio.js';
import { isRatioGroup, type GroupData, type RatioGroup } from './types.js';

/**
 * History is another day's pods: however many it covers, it counts as at most this many pods' evidence about
 * today's, so today's own pods keep a say.
 */
export const MAX_PRIOR_DF = 20;

/**
 * Pools per-period estimates, each worth its pods less one; the same pod seen in several periods counts once.
 * Falls back when no period had two pods to compare.
 */
function pooled(estimates: readonly { variance: number; df: number }[], distinctPods: number, fallback: SpreadPrior): SpreadPrior {
  const df = estimates.reduce((sum, e) => sum + e.df, 0);
  const independent = Math.min(df, distinctPods - 1, MAX_PRIOR_DF);
  if (independent < 1) return fallback;
  // Clipped only once pooled (an estimate may be below 0 by chance).
  const variance = Math.max(0, estimates.reduce((sum, e) => sum + e.df * e.variance, 0) / df);
  return { variance, df: independent, from: 'history' };
}

function distinct(periods: readonly GroupData[]): number {
  const names = new Set<string>();
  for (const period of periods) for (const name of (isRatioGroup(period) ? period.denominator : period).keys()) names.add(name);
  return names.size;
}

// A window's history is the same object at every look (history.ts keeps it; the offline judge parses it once),
// and learning from it costs more than the look itself: each prior is learnt once per history.
const learnt = { level: new WeakMap<readonly GroupData[], Map<boolean, SpreadPrior>>(), ratio: new WeakMap<readonly GroupData[], SpreadPrior>() };

/**
 * The spread of pods' levels in the service's history: per period, each pod's mean distance from the period's
 * per-step medians, and their variance. On the log scale when `positive`, else relative to the squared level.
 */
export function levelPrior(history: readonly GroupData[] | undefined, positive: boolean): SpreadPrior {
  if (!history) return learnLevelPrior([], positive);
  let byScale = learnt.level.get(history);
  if (!byScale) learnt.level.set(history, (byScale = new Map()));
  let prior = byScale.get(positive);
  if (!prior) byScale.set(positive, (prior = learnLevelPrior(history, positive)));
  return prior;
}

function learnLevelPrior(history: readonly GroupData[], positive: boolean): SpreadPrior {
  const periods = history.filter((p): p is InstanceSeries => !isRatioGroup(p));
  const scale = positive ? Math.log : (v: number) => v;
  const estimates = periods.map((period) => {
    const centers = stepCenters(period, scale);
    const levels = [...podLevels(period, centers, scale).values()].map((pod) => pod.level);
    const { variance, df } = betweenPods([levels]);
    if (positive) return { variance, df };
    const level = [...centers.values()].reduce((sum, c) => sum + c, 0) / Math.max(centers.size, 1);
    return level === 0 ? { variance: 0, df: 0 } : { variance: variance / level ** 2, df };
  });
  return pooled(estimates, distinct(periods), FALLBACK_PRIOR.level);
}

/** The spread of pods' event rates in the service's history, as a squared coefficient of variation beyond Poisson noise. */
export function ratioPrior(history: readonly GroupData[] | undefined): SpreadPrior {
  if (!history) return learnRatioPrior([]);
  let prior = learnt.ratio.get(history);
  if (!prior) learnt.ratio.set(history, (prior = learnRatioPrior(history)));
  return prior;
}

function learnRatioPrior(history: readonly GroupData[]): SpreadPrior {
  const periods = history.filter((p): p is RatioGroup => isRatioGroup(p));
  const estimates = periods.map((period) => dispersionOf([...countsOf(period).values()]));
  return pooled(estimates, distinct(periods), FALLBACK_PRIOR.ratio);
}
