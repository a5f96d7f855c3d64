// Datadog's timeseries answers as the engine's samples. One request carries one query per group (canary,
// baseline), and each answer series names its query (query_index) and its pod (group_tags).
//
// Datadog rolls points up into intervals aligned to UNIX time, each stamped at its START
// (https://docs.datadoghq.com/dashboards/functions/rollup/). A sample of the engine describes the step that ENDS
// at it, within (start, end]: so each point is stamped at its interval's end, and only intervals wholly inside the
// range are kept (the first may reach back before the start, the last may still be filling). Points without data
// (null) are dropped. A counter query gives per-interval counts (.as_count()); a cumulative request wants counters,
// so its counts are added up into a running total per pod, with a total of 0 at the range's start.
import type { GroupSelection, InstanceSeries, Sample } from '../source.js';
import { isPodOf } from './dialect.js';
import { formatDuration } from '../../../shared/config/duration.js';

/** Datadog returns at most 1500 points per series (https://docs.datadoghq.com/dashboards/functions/rollup/). */
export const MAX_POINTS = 1500;

/** The rollup interval asked for: the step in whole seconds, coarse enough for the range to fit Datadog's points. */
export function rollupIntervalMs(start: Date, end: Date, stepMs: number): number {
  const spanMs = Math.max(end.getTime() - start.getTime(), 0);
  // One point less than the limit: an interval reaching back before the start is answered too.
  const forLimit = Math.ceil(spanMs / (MAX_POINTS - 1) / 1000) * 1000;
  return Math.max(Math.ceil(stepMs / 1000) * 1000, forLimit, 1000);
}

/** Whether the range holds one whole interval aligned to UNIX time: otherwise nothing can be answered yet. */
export function holdsInterval(start: Date, end: Date, intervalMs: number): boolean {
  return Math.ceil(start.getTime() / intervalMs) * intervalMs + intervalMs <= end.getTime();
}

/** The answer of one timeseries request, in the library's names. */
export interface TimeseriesAnswer {
  times: number[];
  series: { groupTags: string[]; queryIndex: number }[];
  values: (number | null)[][];
}

export interface SeriesRange {
  start: Date;
  end: Date;
  intervalMs: number;
  cumulative: boolean;
}

export interface GroupedSeries {
  series: InstanceSeries[];
  warnings: string[];
}

/** The value of tag `name` among `name:value` tags, or undefined. */
function tagValue(tags: readonly string[], name: string): string | undefined {
  const tag = tags.find((t) => t.startsWith(`${name}:`));
  return tag === undefined ? undefined : tag.slice(name.length + 1);
}

/** The interval the points are really at: Datadog may choose a longer one than asked to stay under its point limit. */
function answeredIntervalMs(times: readonly number[], askedMs: number): number {
  let least = Infinity;
  for (let i = 1; i < times.length; i++) {
    const gap = times[i]! - times[i - 1]!;
    if (gap > 0) least = Math.min(least, gap);
  }
  return Number.isFinite(least) ? least : askedMs;
}

/** Each group's series from one answer; throws through `fail` when the answer cannot be read as one series per pod. */
export function groupSeries(answer: TimeseriesAnswer, groups: readonly GroupSelection[], range: SeriesRange, fail: (cause: string) => Error): GroupedSeries {
  const warnings: string[] = [];
  const intervalMs = answeredIntervalMs(answer.times, range.intervalMs);
  if (intervalMs !== range.intervalMs) warnings.push(`Datadog rolled the points up over ${formatDuration(intervalMs)}, not the ${formatDuration(range.intervalMs)} asked for`);
  const startMs = range.start.getTime();
  const endMs = range.end.getTime();
  const result: InstanceSeries[] = groups.map(() => new Map());
  const strangers = new Set<string>();
  answer.series.forEach(({ groupTags, queryIndex }, i) => {
    const group = groups[queryIndex];
    if (!group || !Number.isInteger(queryIndex)) throw fail(`an answer series names query ${queryIndex}, but ${groups.length} were asked`);
    const values = answer.values[i];
    if (!values || values.length !== answer.times.length) throw fail(`an answer series has ${values?.length ?? 'no'} values for ${answer.times.length} times`);
    const label = group.instanceLabel;
    const by = (alone = '') => `group the query by {${label}}${alone} so that each series is one pod`;
    const instance = tagValue(groupTags, label);
    if (instance === undefined) throw fail(`an answer series has no ${label} tag (its group tags: ${JSON.stringify(groupTags.slice(0, 10))}); ${by()}`);
    if (group.selectBy === 'podName' && !isPodOf(instance, group.podTemplateHash)) {
      // `pod_name:*-<hash>-*` also matches names with more after the hash than a ReplicaSet's pod suffix.
      strangers.add(instance);
      return;
    }
    const series = result[queryIndex]!;
    if (series.has(instance)) throw fail(`several answer series share ${label}:${instance} (group tags: ${JSON.stringify(groupTags.slice(0, 10))}); ${by(' alone,')}`);
    const samples: Sample[] = [];
    let total = 0;
    answer.times.forEach((time, j) => {
      const value = values[j];
      const intervalEnd = time + intervalMs;
      if (value === null || value === undefined || !Number.isFinite(value) || time < startMs || intervalEnd > endMs) return;
      total += value;
      samples.push([intervalEnd / 1000, range.cumulative ? total : value]);
    });
    if (!samples.length) return;
    if (range.cumulative) samples.unshift([startMs / 1000, 0]);
    series.set(instance, samples);
  });
  if (strangers.size) warnings.push(`left out ${strangers.size} series of pods not named <name>-<hash>-<suffix>: ${[...strangers].slice(0, 5).join(', ')}`);
  return { series: result, warnings };
}
