import { z } from 'zod';
import { clip } from '../../../shared/text.js';
import type { RequestAuth } from '../http/request-auth.js';
import type { PrometheusSettings } from './settings.js';
import { canQueryTogether, groupOf, groupsSelector } from './group-query.js';
import { postForm } from '../http/client.js';
import { fillPlaceholders, promDuration, rateIntervalMs } from './promql.js';
import { authorize, type Fail, sendRenewing, withQueuedRetries } from '../queued-request.js';
import { RequestQueue } from '../request-queue.js';
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
  const target = new URL('api/v1/query_range', base);
  const url = target.toString();
  const description = `Prometheus at ${settings.address}`;
  const queue = options.queue ?? defaultQueue;

  /** The answer to `metric.query` for the selected groups over the request's range (null: nothing to ask yet); throws CollectError. */
  async function queryRange(request: GroupsRequest, selected: GroupSelection[], fail: Fail): Promise<Answer | null> {
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

    const auth = await authorize({ credentialsDir: options.credentialsDir, credentials: settings.credentials, address: settings.address, headers: settings.headers, timeoutMs: settings.timeout }, fail);
    return withQueuedRetries(() => exchange(form, auth, request, fail), request, fail);
  }

  /** One request, waiting its turn in the engine's queue for this Prometheus. */
  async function exchange(
    form: URLSearchParams,
    auth: RequestAuth,
    { signal, deadline }: Pick<GroupsRequest, 'signal' | 'deadline'>,
    fail: Fail,
  ): Promise<Answer> {
    const body = form.toString();
    // Authenticated when its turn comes: a signature is valid for minutes only, and an OAuth2 token may expire.
    const send = () =>
      queue.run(
        base,
        async (taskSignal) => {
          const { headers, renew } = await auth.prepare(target, body);
          // Node's http follows no redirect: a credential goes only to the address it was issued for.
          const response = await postForm(url, form, { headers, timeoutMs: settings.timeout, ...(taskSignal && { signal: taskSignal }), ...(auth.agent && { agent: auth.agent }) });
          return { ...response, renew };
        },
        { signal, deadline },
      );
    const response = await sendRenewing(send, fail, { signal, timeoutMs: settings.timeout });

    const { status, text, contentType } = response;
    const parsed = parseJson(text);
    const success = successBody.safeParse(parsed);
    if (status === 200 && success.success) return success.data;
    if (status === 401 || status === 403) throw fail(refusal(status, auth, parsed, text, contentType));
    // Overloaded, restarting or behind a proxy that gave up: worth another try; a refused query is not.
    const transient = status === 429 || status >= 500;
    const error = errorBody.safeParse(parsed);
    if (error.success) {
      const { errorType, error: message } = error.data;
      throw fail(`HTTP ${status} ${errorType}: ${clip(auth.scrub(message), MAX_MESSAGE_CHARS)}`, transient || errorType === 'timeout');
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

// AWS answers a refused signature with {"message": …}; Mimir and Prometheus a missing tenant or login in plain text.
const awsError = z.object({ message: z.string() });

/**
 * Why a 401 or 403 came, naming the credentials folder (never its content), with what the backend said when it
 * is a known short form: Prometheus' error, AWS' message, a line of plain text.
 */
export function refusal(status: 401 | 403, auth: RequestAuth, parsed: unknown, text: string, contentType: string | undefined): string {
  const who = auth.credentials ? `credentials "${auth.credentials}"` : 'requests without credentials';
  const what = status === 401 ? `the backend refused ${who}` : `the backend denies this query to ${who}`;
  const prometheus = errorBody.safeParse(parsed);
  const aws = awsError.safeParse(parsed);
  const plain = contentType?.startsWith('text/plain') ? text.replace(/\s+/g, ' ').trim() : '';
  const said = prometheus.success ? `${prometheus.data.errorType}: ${prometheus.data.error}` : aws.success ? aws.data.message : plain;
  const quoted = said ? ` (it says: ${clip(auth.scrub(said), MAX_MESSAGE_CHARS)})` : '';
  const hint = /no (valid )?org ?id/i.test(said)
    ? '; Mimir and Cortex read the tenant from X-Scope-OrgID: set it in headers, or pin it in the credentials folder'
    : auth.credentials
      ? ''
      : '; name a credentials folder in credentials';
  return `HTTP ${status}: ${what}${quoted}${hint}`;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
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
