import { z } from 'zod';
import { formatDuration } from '../../../shared/config/duration.js';
import { clip } from '../../../shared/text.js';
import { authorizationFor, CredentialError } from '../http/credentials.js';
import type { PrometheusSettings } from './settings.js';
import { canQueryTogether, groupOf, groupsSelector } from './group-query.js';
import { HttpError, postForm } from '../http/client.js';
import { withRetries } from '../http/retry.js';
import { fillPlaceholders, promDuration, rateIntervalMs } from './promql.js';
import { QueueFullError, RequestQueue } from '../request-queue.js';
import {
  CollectError,
  type FetchedSeries,
  type GroupSelection,
  type GroupsRequest,
  type HealthSource,
  type InstanceSeries,
  type Sample,
  type SeriesRequest,
  type SourceOptions,
} from '../source.js';

// Prometheus refuses range queries with more points than this per series.
const MAX_POINTS = 11_000;

/**
 * Resolution for a range query over (start, end]: the configured step, never longer than the span so far (so an
 * early, short window still gets a point), and coarse enough to stay under Prometheus' point limit.
 */
export function rangeStepSeconds(start: Date, end: Date, stepMs: number): number {
  const spanMs = Math.max(end.getTime() - start.getTime(), 1000);
  // One point less than the limit: a counter query has one at the start too.
  const stepForLimit = Math.ceil(spanMs / (MAX_POINTS - 1) / 1000) * 1000;
  return Math.max(Math.min(stepMs, spanMs), stepForLimit, 1000) / 1000;
}

const successBody = z.object({
  status: z.literal('success'),
  data: z.object({
    resultType: z.string(),
    result: z.array(
      z.object({
        metric: z.record(z.string(), z.string()),
        values: z.array(z.tuple([z.number(), z.string()])).default([]),
      }),
    ),
  }),
  warnings: z.array(z.string()).optional(),
});

// Prometheus always sends both; anything less is not recognised as its error, so nothing of it is repeated.
const errorBody = z.object({ status: z.literal('error'), errorType: z.string(), error: z.string() });
// Prometheus' own error and warning messages (a parse error with its position) fit; longer text is cut.
const MAX_MESSAGE_CHARS = 300;

/** Each distinct warning once, clipped. */
function clipped(warnings: string[]): string[] {
  return [...new Set(warnings.map((warning) => clip(warning, MAX_MESSAGE_CHARS)))];
}

type Matrix = z.output<typeof successBody>['data'];
type Answer = z.output<typeof successBody>;

// Shared by every source the engine makes unless it is given its own (tests, the command line).
const defaultQueue = new RequestQueue();

export function createPrometheusSource(settings: PrometheusSettings, options: SourceOptions = {}): HealthSource {
  const base = settings.address.endsWith('/') ? settings.address : `${settings.address}/`;
  const url = new URL('api/v1/query_range', base).toString();
  const description = `Prometheus at ${settings.address}`;
  const queue = options.queue ?? defaultQueue;

  /** The answer to `metric.query` for the selected groups over the request's range (null: nothing to ask yet); throws CollectError. */
  async function queryRange(request: GroupsRequest, selected: GroupSelection[], fail: (cause: string, transient?: boolean) => CollectError): Promise<Answer | null> {
    const step = rangeStepSeconds(request.start, request.end, request.stepMs ?? settings.step);
    const rateInterval = promDuration(rateIntervalMs(step * 1000, settings.scrapeInterval));
    const query = fillPlaceholders(request.metric.query, { selector: groupsSelector(selected), rateInterval });
    // Each point describes the step that ends at it (a rate over the step before), so the first point is one step
    // after the start: a point at the start itself would describe the time before the range. Counters are the
    // exception: their value at the start is what the increases in the range are taken from.
    const first = request.start.getTime() / 1000 + step;
    const last = request.end.getTime() / 1000;
    // Not one whole step yet: nothing to ask for.
    if (first > last) return null;
    // POST form: queries with long selectors stay clear of URL length limits.
    const form = new URLSearchParams({
      query,
      start: String(request.cumulative ? first - step : first),
      end: String(last),
      step: String(step),
      // Plain seconds: Prometheus reads fractions only in that form ("0.5", not "0.5s").
      timeout: String(settings.timeout / 1000),
      // VictoriaMetrics otherwise aligns a long range to multiples of the step (its response cache), moving the
      // points up to a step before the range asked for; Prometheus, Thanos and Mimir ignore the parameter.
      nocache: '1',
    });

    let headers: Record<string, string> = {};
    if (settings.credentials) {
      try {
        headers = { Authorization: await authorizationFor(options.credentialsDir, settings.credentials, settings.address) };
      } catch (error) {
        throw fail(error instanceof CredentialError ? error.message : String(error));
      }
    }

    try {
      return await withRetries(() => exchange(form, headers, request, fail), { signal: request.signal, deadline: request.deadline });
    } catch (error) {
      // The engine's queue refused it: trying again now would only queue again, so the look is tried again later.
      if (error instanceof QueueFullError) throw fail(`${error.message}; the look is tried again later`, true);
      throw error;
    }
  }

  /** One request, waiting its turn in the engine's queue for this Prometheus. */
  async function exchange(
    form: URLSearchParams,
    headers: Record<string, string>,
    { signal, deadline }: Pick<GroupsRequest, 'signal' | 'deadline'>,
    fail: (cause: string, transient?: boolean) => CollectError,
  ): Promise<Answer> {
    let status: number;
    let text: string;
    let contentType: string | undefined;
    try {
      // Node's http follows no redirect: a credential goes only to the address it was issued for.
      ({ status, text, contentType } = await queue.run(base, (taskSignal) => postForm(url, form, { headers, timeoutMs: settings.timeout, signal: taskSignal }), { signal, deadline }));
    } catch (error) {
      if (error instanceof QueueFullError) throw error;
      if (signal?.aborted || (error instanceof HttpError && error.code === 'aborted')) throw fail('the call was cancelled or ran out of time before the query was answered', true);
      // A response too large to read will be as large again.
      throw fail(transportCause(error, settings.timeout), !(error instanceof HttpError && error.code === 'too-large'));
    }

    const body = parseJson(text);
    const success = successBody.safeParse(body);
    if (status === 200 && success.success) return success.data;
    // Overloaded, restarting or behind a proxy that gave up: worth another try; a refused query is not.
    const transient = status === 429 || status >= 500;
    const error = errorBody.safeParse(body);
    if (error.success) {
      const { errorType, error: message } = error.data;
      throw fail(`HTTP ${status} ${errorType}: ${clip(message, MAX_MESSAGE_CHARS)}`, transient || errorType === 'timeout');
    }
    // Whatever answered is not a Prometheus API; its body may be anything (a login page, another service's data),
    // so only its shape is reported.
    const type = contentType ? contentType.split(';')[0]!.trim() : 'no content type';
    throw fail(`HTTP ${status}, not a Prometheus API response (${type}, ${Buffer.byteLength(text ?? '')} bytes)`, transient);
  }

  async function fetchGroups(request: GroupsRequest): Promise<FetchedSeries[]> {
    const { groups, metric } = request;
    const fail = (cause: string, transient = false): CollectError => new CollectError(metric.name, description, cause, transient);
    const one = async (selected: GroupSelection[]): Promise<FetchedSeries[] | undefined> => {
      const answer = await queryRange(request, selected, fail);
      if (!answer) return selected.map(() => ({ series: new Map(), warnings: [] }));
      const warnings = clipped(answer.warnings ?? []);
      return splitByGroup(answer.data, selected, fail)?.map((series) => ({ series, warnings }));
    };
    // Both groups in one request when the query allows it and the answer tells them apart; else one per group.
    if (canQueryTogether(metric.query, groups)) {
      const together = await one(groups);
      if (together) return together;
    }
    return (await Promise.all(groups.map((group) => one([group])))).map((fetched) => fetched![0]!);
  }

  const fetchSeries = async ({ group, ...request }: SeriesRequest): Promise<FetchedSeries> => (await fetchGroups({ ...request, groups: [group] }))[0]!;

  return { description, fetchSeries, fetchGroups };
}

/** The result's series per group; undefined when a series cannot be attributed to exactly one of several groups. */
function splitByGroup(data: Matrix, groups: GroupSelection[], fail: (cause: string) => CollectError): InstanceSeries[] | undefined {
  if (data.resultType !== 'matrix') throw fail(`expected a range vector (matrix) result; got ${data.resultType}`);
  const parts: Matrix['result'][] = groups.map(() => []);
  for (const series of data.result) {
    const index = groups.length === 1 ? 0 : groupOf(series.metric, groups);
    if (index < 0) return undefined;
    parts[index]!.push(series);
  }
  return parts.map((result, i) => toInstanceSeries(result, groups[i]!.instanceLabel, fail));
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function transportCause(error: unknown, timeoutMs: number): string {
  if (error instanceof HttpError) {
    if (error.code === 'timeout') return `no response within ${formatDuration(timeoutMs)}`;
    if (error.code === 'ECONNREFUSED') return 'connection refused';
    if (error.code === 'ENOTFOUND') return 'host not found';
    return error.code === 'too-large' ? error.message : `${error.code}: ${error.message}`;
  }
  return error instanceof Error ? error.message : String(error);
}

function toInstanceSeries(result: Matrix['result'], instanceLabel: string, fail: (cause: string) => CollectError): InstanceSeries {
  const series: InstanceSeries = new Map();
  for (const { metric, values } of result) {
    const instance = metric[instanceLabel];
    const aggregate = `aggregate the query by (${instanceLabel}) so that each series is one instance`;
    if (instance === undefined) throw fail(`a result series has no "${instanceLabel}" label (${JSON.stringify(metric)}); ${aggregate}`);
    if (series.has(instance)) throw fail(`several result series share ${instanceLabel}="${instance}" (${JSON.stringify(metric)}); ${aggregate}`);
    // NaN and ±Inf (e.g. a 0/0 error ratio when a pod had no traffic) carry no evidence.
    const samples: Sample[] = [];
    for (const [time, raw] of values) {
      const value = Number(raw);
      if (Number.isFinite(value)) samples.push([time, value]);
    }
    series.set(instance, samples);
  }
  return series;
}
