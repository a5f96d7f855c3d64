// Reading the judge input format: the window, the points up to a poll, and per-step group values.
import { parseGoDuration } from '../../shared/config/duration.js';
import type { AnySeries, GroupSeries, JudgeInput, MetricKind, Point, RatioSeries } from '../scenarios/types.js';

export interface WindowSeconds {
  startS: number;
  endS: number;
}

export function windowSeconds(input: JudgeInput): WindowSeconds {
  const startS = Date.parse(input.start) / 1000;
  const durationMs = parseGoDuration(input.config.duration);
  if (durationMs === null) throw new Error(`config.duration: expected a duration like "5m"; got ${JSON.stringify(input.config.duration)}`);
  return { startS, endS: startS + durationMs / 1000 };
}

export function isRatio(series: AnySeries): series is RatioSeries {
  return !Array.isArray(series);
}

/** Points inside the window and not after `untilS`. */
export function pointsUntil(points: readonly Point[], window: WindowSeconds, untilS: number): Point[] {
  const last = Math.min(untilS, window.endS);
  return points.filter(([t]) => t > window.startS && t <= last);
}

function valueAt(points: readonly Point[], t: number): number | undefined {
  return points.find(([time]) => time === t)?.[1];
}

/**
 * The group's value at time `t`, as a query aggregating over the group's pods would return it: for a ratio,
 * the summed numerators over the summed denominators (NaN for 0 / 0); for anything else, the mean over pods.
 * Undefined when no pod has a sample at `t`.
 */
export function groupValueAt(group: GroupSeries, kind: MetricKind, t: number): number | undefined {
  const all = Object.values(group);
  if (kind === 'ratio') {
    let numerator = 0;
    let denominator = 0;
    let seen = false;
    for (const series of all) {
      if (!isRatio(series)) continue;
      const n = valueAt(series.numerator, t);
      const d = valueAt(series.denominator, t);
      if (n === undefined || d === undefined) continue;
      numerator += n;
      denominator += d;
      seen = true;
    }
    return seen ? numerator / denominator : undefined;
  }
  const values = all.flatMap((series) => {
    const value = isRatio(series) ? undefined : valueAt(series, t);
    return value === undefined ? [] : [value];
  });
  return values.length ? values.reduce((sum, v) => sum + v, 0) / values.length : undefined;
}

/** Every sample time of the group inside the window up to `untilS`, ascending. */
export function sampleTimes(groups: readonly GroupSeries[], window: WindowSeconds, untilS: number): number[] {
  const times = new Set<number>();
  for (const group of groups) {
    for (const series of Object.values(group)) {
      for (const [t] of pointsUntil(isRatio(series) ? series.denominator : series, window, untilS)) times.add(t);
    }
  }
  return [...times].sort((a, b) => a - b);
}
