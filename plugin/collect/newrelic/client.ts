// New Relic as a health source: a metric's NRQL for the canary and the baseline in one query (the filter selects
// both groups' pods, FACET by instance keeps each pod's aggregate its own), TIMESERIES buckets over the range, the
// rows split back into each group's per-instance series (series.ts). When the groups cannot be told apart in the
// answer, each is read on its own.
import { CollectError, type FetchedSeries, type GroupSelection, type GroupsRequest, type HealthSource, type SeriesRequest, type SourceOptions } from '../source.js';
import { bucketsFor, facetsOf, MAX_ROWS, oversize, seriesQuery } from './dialect.js';
import { createNerdGraph, type Fail } from './nerdgraph.js';
import type { PodFilter } from './nrql.js';
import { seriesOfGroups } from './series.js';
import type { NewRelicSettings } from './settings.js';

function podFilterOf(group: GroupSelection): PodFilter {
  return { podTemplateHash: group.podTemplateHash, selectBy: group.selectBy, hashAttribute: group.hashLabel, instanceAttribute: group.instanceLabel };
}

/** Whether the groups select their pods alike, so that one query with both filters serves them all. */
function alike(groups: readonly PodFilter[]): boolean {
  const [first] = groups;
  return !!first && groups.every((g) => g.selectBy === first.selectBy && g.hashAttribute === first.hashAttribute && g.instanceAttribute === first.instanceAttribute);
}

export function createNewRelicSource(settings: NewRelicSettings, options: SourceOptions = {}): HealthSource {
  const nerdgraph = createNerdGraph(settings, options);

  /** The series of `groups` in one query; undefined when its rows cannot be attributed to them. */
  async function read(request: GroupsRequest, groups: PodFilter[], fail: Fail): Promise<FetchedSeries[] | undefined> {
    const buckets = bucketsFor(request.start, request.end, request.stepMs ?? settings.step);
    // Not one whole second yet: nothing to ask for.
    if (!buckets) return groups.map(() => ({ series: new Map(), warnings: [] }));
    let nrql: string;
    try {
      nrql = seriesQuery(request.metric.query, groups, buckets);
    } catch (error) {
      throw fail((error as Error).message);
    }
    const size = oversize(nrql);
    if (size) throw fail(size);
    const answer = await nerdgraph.query(nrql, fail, request);
    const plan = { groups, facets: facetsOf(groups[0]!), buckets, startS: request.start.getTime() / 1000, endS: request.end.getTime() / 1000, cumulative: request.cumulative === true };
    const series = seriesOfGroups(answer.results, plan, fail);
    if (!series) return undefined;
    const warnings = [...answer.messages];
    const facets = new Set(answer.results.map((row) => JSON.stringify(row.facet))).size;
    if (facets >= MAX_ROWS) warnings.push(`the answer holds ${facets} instances, as many as New Relic returns (LIMIT MAX): instances beyond them are missing`);
    return series.map((instances) => ({ series: instances, warnings }));
  }

  async function fetchGroups(request: GroupsRequest): Promise<FetchedSeries[]> {
    const fail: Fail = (cause, transient = false) => new CollectError(request.metric.name, nerdgraph.description, cause, transient);
    const groups = request.groups.map(podFilterOf);
    if (groups.length > 1 && alike(groups)) {
      const together = await read(request, groups, fail);
      if (together) return together;
    }
    return Promise.all(groups.map(async (group) => (await read(request, [group], fail))![0]!));
  }

  const fetchSeries = async ({ group, ...request }: SeriesRequest): Promise<FetchedSeries> => (await fetchGroups({ ...request, groups: [group] }))[0]!;

  return { description: nerdgraph.description, fetchSeries, fetchGroups };
}
