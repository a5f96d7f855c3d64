// The Datadog metrics source: one request of Datadog's timeseries API (POST /api/v2/query/timeseries) per look at a
// metric, with one query per group (canary, baseline), each the config's query with that group's tag filter; the
// answer's series tell their query (query_index) and their pod (group_tags) apart, and are made the engine's
// samples by series.ts.
//
// v2 rather than v1's GET /api/v1/query: the rollup interval is a parameter (v1 chooses it from the range unless
// the query is rewritten with .rollup()), several queries go in one request, the query travels in a JSON body
// rather than a URL, and each series comes with its group tags as a list.
import { z } from 'zod';
import { clip } from '../../../shared/text.js';
import { oneLine } from '../log-http.js';
import { RequestQueue } from '../request-queue.js';
import { CollectError, type FetchedSeries, type GroupsRequest, type HealthSource, type SeriesRequest, type SourceOptions } from '../source.js';
import { callDatadog, type DatadogEndpoint } from './api.js';
import { fillSelector } from './dialect.js';
import { groupSeries, holdsInterval, rollupIntervalMs } from './series.js';
import { apiAddressOf, type DatadogSettings } from './settings.js';

// Shared by every source the engine makes unless it is given its own (tests, the command line).
const defaultQueue = new RequestQueue();

const MAX_MESSAGE_CHARS = 300;

// What the library made of the answer (its model's names), checked before use.
const answerSchema = z.object({
  data: z
    .object({
      attributes: z
        .object({
          times: z.array(z.number()).default([]),
          series: z.array(z.object({ groupTags: z.array(z.string()).default([]), queryIndex: z.number() })).default([]),
          values: z.array(z.array(z.number().nullable())).default([]),
        })
        .default({ times: [], series: [], values: [] }),
    })
    .optional(),
  errors: z.string().optional(),
});

/** A description naming the API's address: never a key. */
export function describeDatadog(settings: DatadogSettings): string {
  return `Datadog at ${apiAddressOf(settings)}`;
}

export function endpointOf(settings: DatadogSettings, options: SourceOptions): DatadogEndpoint {
  return { settings, address: apiAddressOf(settings), credentialsDir: options.credentialsDir, queue: options.queue ?? defaultQueue };
}

export function createDatadogSource(settings: DatadogSettings, options: SourceOptions = {}): HealthSource {
  const description = describeDatadog(settings);
  const endpoint = endpointOf(settings, options);

  async function fetchGroups(request: GroupsRequest): Promise<FetchedSeries[]> {
    const { groups, metric, start, end } = request;
    const fail = (cause: string, transient = false): CollectError => new CollectError(metric.name, description, cause, transient);
    const intervalMs = rollupIntervalMs(start, end, request.stepMs ?? settings.step);
    // Not one whole interval yet: nothing to ask for.
    if (!holdsInterval(start, end, intervalMs)) return groups.map(() => ({ series: new Map(), warnings: [] }));
    let queries: string[];
    try {
      queries = groups.map((group) => fillSelector(metric.query, group));
    } catch (error) {
      throw fail((error as Error).message);
    }
    const body = {
      data: {
        type: 'timeseries_request' as const,
        attributes: {
          from: start.getTime(),
          to: end.getTime(),
          interval: intervalMs,
          queries: queries.map((query, i) => ({ dataSource: 'metrics' as const, name: `q${i}`, query })),
          formulas: queries.map((_, i) => ({ formula: `q${i}` })),
        },
      },
    };
    const answer = await callDatadog(endpoint, 'metrics', (library, configuration) => new library.v2.MetricsApi(configuration).queryTimeseriesData({ body }), request, fail);
    const parsed = answerSchema.safeParse(answer);
    if (!parsed.success) throw fail('answered with a timeseries response of an unexpected shape');
    const { data, errors } = parsed.data;
    // The library reads any body leniently: one without data nor errors is not a timeseries answer.
    if (!data) throw fail(errors ? `Datadog: ${clip(oneLine(errors), MAX_MESSAGE_CHARS)}` : 'answered with a body that is not a Datadog API response');
    const { series, warnings } = groupSeries(data.attributes, groups, { start, end, intervalMs, cumulative: request.cumulative ?? false }, fail);
    // Datadog answers what it could with the errors of the rest.
    if (errors) warnings.unshift(`Datadog: ${clip(oneLine(errors), MAX_MESSAGE_CHARS)}`);
    return series.map((instances) => ({ series: instances, warnings }));
  }

  const fetchSeries = async ({ group, ...request }: SeriesRequest): Promise<FetchedSeries> => (await fetchGroups({ ...request, groups: [group] }))[0]!;

  return { description, fetchSeries, fetchGroups };
}
