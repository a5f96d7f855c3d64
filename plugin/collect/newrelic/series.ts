// The rows of a TIMESERIES FACET answer as per-instance series. NerdGraph answers one row per facet and bucket:
// `facet` (the instance, or [instance, hash] when the hash is faceted too), `beginTimeSeconds`, `endTimeSeconds`,
// each faceted attribute by name, and the query's aggregate under its own name ("average.duration", "count", a
// percentile's object {"95": …}) — https://docs.newrelic.com/docs/apis/nerdgraph/examples/nerdgraph-nrql-tutorial/.
// A sample is stamped at the END of its bucket, which it describes. A ratio's counts per bucket become a running
// sum per instance: from 0 at the range's start for an instance counted from the first bucket, else from its first
// counted bucket on (a counter that appears later counts from 0: counters.ts), so that the buckets before a pod had
// any event (New Relic reports 0 for them) do not make it look older than it is.
import { groupOf } from '../prometheus/group-query.js';
import type { CollectError, InstanceSeries, Sample } from '../source.js';
import type { Buckets } from './dialect.js';
import type { PodFilter } from './nrql.js';

export interface SeriesPlan {
  /** The groups the query selected, in order; they share how pods are selected. */
  groups: readonly PodFilter[];
  /** The faceted attributes: the instance, then the hash with label selection. */
  facets: readonly string[];
  buckets: Buckets;
  /** The request's range, in unix seconds: samples are kept for start < t ≤ end. */
  startS: number;
  endS: number;
  cumulative: boolean;
}

const TIME_KEYS = new Set(['beginTimeSeconds', 'endTimeSeconds', 'facet']);

/** The one number a row's aggregate holds (null: no data in the bucket); throws when it is not one. */
function valueOf(row: Record<string, unknown>, facets: readonly string[], fail: (cause: string) => CollectError): number | null {
  const keys = Object.keys(row).filter((key) => !TIME_KEYS.has(key) && !facets.includes(key));
  if (keys.length !== 1) {
    throw fail(
      keys.length
        ? `the query answers several values per bucket (${keys.slice(0, 5).join(', ')}): select exactly one aggregate`
        : 'a result row holds no aggregate value: select exactly one aggregate, e.g. average(duration)',
    );
  }
  const value = row[keys[0]!];
  if (value === null || typeof value === 'number') return value;
  // A function with arguments answers an object of one entry, e.g. percentile(duration, 95) → {"95": 0.12}.
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.values(value);
    if (entries.length === 1 && (entries[0] === null || typeof entries[0] === 'number')) return entries[0] as number | null;
  }
  throw fail(`the aggregate "${keys[0]}" answers ${Array.isArray(value) ? 'a list' : typeof value} per bucket; expected one number (e.g. percentile(duration, 95) with one percentile)`);
}

/** The facet values of a row: [instance] or [instance, hash]. */
function facetValues(row: Record<string, unknown>, fail: (cause: string) => CollectError): string[] {
  const facet = row.facet;
  const values = Array.isArray(facet) ? facet : [facet];
  if (!values.length || values.some((value) => typeof value !== 'string' && typeof value !== 'number')) {
    throw fail(`a result row has no facet of strings (${values.length ? typeof values[0] : 'none'}): not a TIMESERIES FACET answer`);
  }
  return values.map(String);
}

/**
 * Per group in `plan.groups`, its instances' series; undefined when a row cannot be told to belong to exactly one
 * group (several groups whose pod names are alike), so that each group is read on its own instead.
 */
export function seriesOfGroups(rows: readonly Record<string, unknown>[], plan: SeriesPlan, fail: (cause: string) => CollectError): InstanceSeries[] | undefined {
  const [instanceAttribute, hashAttribute] = plan.facets;
  const selections = plan.groups.map((group) => ({ podTemplateHash: group.podTemplateHash, selectBy: group.selectBy, hashLabel: group.hashAttribute, instanceLabel: group.instanceAttribute }));
  const buckets = plan.groups.map(() => new Map<string, Map<number, number | null>>());
  for (const row of rows) {
    const end = row.endTimeSeconds;
    if (typeof end !== 'number' || !Number.isFinite(end)) throw fail('a result row has no endTimeSeconds: not a TIMESERIES answer');
    const [instance, hash] = facetValues(row, fail);
    const labels: Record<string, string> = { [instanceAttribute!]: instance! };
    if (hashAttribute !== undefined && hash !== undefined) labels[hashAttribute] = hash;
    const index = plan.groups.length === 1 ? 0 : groupOf(labels, selections);
    if (index < 0) return undefined;
    const value = valueOf(row, plan.facets, fail);
    const series = buckets[index]!.get(instance!) ?? new Map<number, number | null>();
    if (series.has(end)) throw fail(`several result rows for ${instanceAttribute} "${instance}" at ${end}: facet by ${instanceAttribute} only`);
    buckets[index]!.set(instance!, series.set(end, value));
  }
  return buckets.map((group) => {
    const result: InstanceSeries = new Map();
    for (const [instance, values] of group) {
      const inRange = [...values].filter(([t]) => t > plan.startS && t <= plan.endS).sort(([a], [b]) => a - b);
      const samples = plan.cumulative ? runningSum(inRange, plan, fail) : inRange.filter((entry): entry is [number, number] => entry[1] !== null && Number.isFinite(entry[1]));
      if (samples.length) result.set(instance, samples);
    }
    return result;
  });
}

/** A ratio's per-bucket counts of one instance as a cumulative counter (see the header). */
function runningSum(counts: [number, number | null][], plan: SeriesPlan, fail: (cause: string) => CollectError): Sample[] {
  const firstCounted = counts.findIndex(([, count]) => count !== null && count !== 0);
  if (firstCounted < 0) return [];
  const firstBucketEnd = plan.buckets.sinceMs / 1000 + plan.buckets.stepS;
  const samples: Sample[] = counts[firstCounted]![0] === firstBucketEnd ? [[plan.startS, 0]] : [];
  let total = 0;
  for (const [t, count] of counts.slice(firstCounted)) {
    if (count !== null && !(Number.isFinite(count) && count >= 0)) throw fail(`a count per bucket is ${count}; a ratio's queries count events (count(), or sum() of a non-negative attribute)`);
    total += count ?? 0;
    samples.push([t, total]);
  }
  return samples;
}
