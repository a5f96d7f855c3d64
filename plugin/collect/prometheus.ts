import axios from 'axios';
import { z } from 'zod';
import { durationField, formatDuration } from '../../shared/config/duration.js';
import { addressProblem } from './address.js';
import { authorizationFor, CREDENTIAL_NAME, CredentialError } from './credentials.js';
import { fillPlaceholders, groupSelector, promDuration, rateIntervalMs } from './promql.js';
import { CollectError, type FetchedSeries, type HealthSource, type InstanceSeries, type Sample, type SeriesRequest, type SourceOptions } from './source.js';

export const prometheusSettingsSchema = z.strictObject({
  address: z.string().superRefine((text, ctx) => {
    const problem = addressProblem(text);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
  timeout: durationField({ min: 1 }).default(10_000),
  step: durationField({ min: 1000 }).default(15_000),
  /** How often Prometheus scrapes the pods: sizes ${rateInterval} and the least range a query may use. */
  scrapeInterval: durationField({ min: 1000 }).default(30_000),
  /** Name of a credentials folder the engine was given (see credentials.ts); never the secret itself. */
  credentials: z
    .string()
    .regex(CREDENTIAL_NAME, { error: (issue) => `expected the name of a credentials folder (a Kubernetes name); got ${JSON.stringify(issue.input)}` })
    .optional(),
});

export type PrometheusSettings = z.output<typeof prometheusSettingsSchema>;

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

function clip(message: string): string {
  return message.length > MAX_MESSAGE_CHARS ? `${message.slice(0, MAX_MESSAGE_CHARS - 1)}…` : message;
}

/** Each distinct warning once, clipped. */
function clipped(warnings: string[]): string[] {
  return [...new Set(warnings.map(clip))];
}

export function createPrometheusSource(settings: PrometheusSettings, options: SourceOptions = {}): HealthSource {
  const base = settings.address.endsWith('/') ? settings.address : `${settings.address}/`;
  const url = new URL('api/v1/query_range', base).toString();
  const description = `Prometheus at ${settings.address}`;

  async function fetchSeries(request: SeriesRequest): Promise<FetchedSeries> {
    const fail = (cause: string): CollectError => new CollectError(request.metric.name, description, cause);
    const step = rangeStepSeconds(request.start, request.end, settings.step);
    const rateInterval = promDuration(rateIntervalMs(step * 1000, settings.scrapeInterval));
    const query = fillPlaceholders(request.metric.query, { selector: groupSelector(request.group), rateInterval });
    // Each point describes the step that ends at it (a rate over the step before), so the first point is one step
    // after the start: a point at the start itself would describe the time before the range. Counters are the
    // exception: their value at the start is what the increases in the range are taken from.
    const first = request.start.getTime() / 1000 + step;
    const last = request.end.getTime() / 1000;
    // Not one whole step yet: nothing to ask for.
    if (first > last) return { series: new Map(), warnings: [] };
    // POST form: queries with long selectors stay clear of URL length limits.
    const form = new URLSearchParams({
      query,
      start: String(request.cumulative ? first - step : first),
      end: String(last),
      step: String(step),
      // Plain seconds: Prometheus reads fractions only in that form ("0.5", not "0.5s").
      timeout: String(settings.timeout / 1000),
    });

    let headers: Record<string, string> = {};
    if (settings.credentials) {
      try {
        headers = { Authorization: await authorizationFor(options.credentialsDir, settings.credentials, settings.address) };
      } catch (error) {
        throw fail(error instanceof CredentialError ? error.message : String(error));
      }
    }

    let status: number;
    let text: string;
    let contentType: unknown;
    try {
      const response = await axios.post<string>(url, form, {
        headers,
        timeout: settings.timeout,
        responseType: 'text',
        transformResponse: [(data: string) => data],
        validateStatus: () => true,
        // A credential goes only to the address it was issued for, never where a redirect points.
        maxRedirects: 0,
      });
      status = response.status;
      text = response.data;
      contentType = response.headers['content-type'];
    } catch (error) {
      throw fail(transportCause(error, settings.timeout));
    }

    const body = parseJson(text);
    const success = successBody.safeParse(body);
    if (status === 200 && success.success) {
      return { series: toInstanceSeries(success.data.data, request.group.instanceLabel, fail), warnings: clipped(success.data.warnings ?? []) };
    }
    const error = errorBody.safeParse(body);
    if (error.success) {
      const { errorType, error: message } = error.data;
      throw fail(`HTTP ${status} ${errorType}: ${clip(message)}`);
    }
    // Whatever answered is not a Prometheus API; its body may be anything (a login page, another service's data),
    // so only its shape is reported.
    const type = typeof contentType === 'string' && contentType ? contentType.split(';')[0]!.trim() : 'no content type';
    throw fail(`HTTP ${status}, not a Prometheus API response (${type}, ${Buffer.byteLength(text ?? '')} bytes)`);
  }

  return { description, fetchSeries };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function transportCause(error: unknown, timeoutMs: number): string {
  if (axios.isAxiosError(error)) {
    if (error.code === 'ECONNABORTED' || error.code === 'ETIMEDOUT') return `no response within ${formatDuration(timeoutMs)}`;
    if (error.code === 'ECONNREFUSED') return 'connection refused';
    if (error.code === 'ENOTFOUND') return 'host not found';
    return error.code ? `${error.code}: ${error.message}` : error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

function toInstanceSeries(
  data: z.output<typeof successBody>['data'],
  instanceLabel: string,
  fail: (cause: string) => CollectError,
): InstanceSeries {
  if (data.resultType !== 'matrix') throw fail(`expected a range vector (matrix) result; got ${data.resultType}`);
  const series: InstanceSeries = new Map();
  for (const { metric, values } of data.result) {
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
