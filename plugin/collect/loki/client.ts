// Loki as a log source: one group's lines over (start, end] through /loki/api/v1/query_range, newest first, a page of
// at most maxEntriesPerQuery lines at a time up to the caller's limit (log-pages.ts), and, when lines were left
// out, their number through an instant count_over_time query at the range's end. Loki's range is [start, end) to
// the nanosecond, so both ends are moved one nanosecond later.
import { z } from 'zod';
import { clip } from '../../../shared/text.js';
import { logStore, queryFail, requestLogStore, storeQuery } from '../log-http.js';
import { msToNs, nsToMs, readNewestFirst } from '../log-pages.js';
import type { CollectError, FetchedLogs, LogLine, LogSource, LogsRequest, SourceOptions } from '../source.js';
import { countQuery, groupLogQuery } from './logql.js';
import type { LokiSettings } from './settings.js';

/** Labels a level is read from when a stream has one: Loki's own guess (detected_level) comes second. */
const LEVEL_LABELS = ['level', 'detected_level'] as const;
const MAX_MESSAGE_CHARS = 300;

const NANOSECONDS = z.string().regex(/^\d{1,25}$/);
const warnings = z.array(z.string()).optional();

const streamsBody = z.object({
  status: z.literal('success'),
  data: z.object({
    resultType: z.literal('streams'),
    result: z.array(z.object({ stream: z.record(z.string(), z.string()), values: z.array(z.tuple([NANOSECONDS, z.string()]).rest(z.unknown())) })),
  }),
  warnings,
});

const vectorBody = z.object({
  status: z.literal('success'),
  data: z.object({
    resultType: z.literal('vector'),
    result: z.array(z.object({ metric: z.record(z.string(), z.string()), value: z.tuple([z.number(), z.string()]) })),
  }),
  warnings,
});

interface Entry {
  ns: bigint;
  line: LogLine;
}

export function createLokiSource(settings: LokiSettings, options: SourceOptions = {}): LogSource {
  const base = settings.address.endsWith('/') ? settings.address : `${settings.address}/`;
  const rangeUrl = new URL('loki/api/v1/query_range', base).toString();
  const instantUrl = new URL('loki/api/v1/query', base).toString();
  const description = `Loki at ${settings.address}`;
  const store = logStore(settings, options, {
    title: 'Loki',
    headers: settings.tenant ? { 'X-Scope-OrgID': settings.tenant } : {},
    advice: (status, reason) => (status === 401 && reason.startsWith('no org id') && !settings.tenant ? 'Loki runs multi-tenant: set tenant, sent as X-Scope-OrgID' : undefined),
  });

  async function fetchLogs(request: LogsRequest): Promise<FetchedLogs> {
    const fail = queryFail(description, request.query);
    const query = storeQuery(() => groupLogQuery(request.query, request.group), fail);
    const { signal, deadline } = request;
    const startNs = msToNs(request.start.getTime()) + 1n;
    const endNs = msToNs(request.end.getTime()) + 1n;
    if (endNs <= startNs) return { lines: [], total: 0, warnings: [] };
    const seen: string[] = [];

    const fetchPage = async (pageEnd: bigint, size: number): Promise<Entry[]> => {
      const params = new URLSearchParams({ query, start: String(startNs), end: String(pageEnd), limit: String(size), direction: 'backward' });
      const response = await requestLogStore(store, { method: 'GET', url: rangeUrl, params, signal, deadline }, fail);
      const body = parseAnswer(streamsBody, 'streams', response.text, fail);
      seen.push(...(body.warnings ?? []));
      const entries = body.data.result.flatMap(({ stream, values }) => values.map(([ns, message]) => entry(BigInt(ns), message, stream, request.group.instanceField, fail)));
      if (entries.length > size) throw fail(`Loki answered ${entries.length} lines to a query for at most ${size}`);
      return entries;
    };

    const read = await readNewestFirst(fetchPage, { endNs, limit: request.limit, pageSize: settings.maxEntriesPerQuery });
    const lines = read.lines.map(({ line }) => line);
    let total = lines.length;
    if (!read.complete) {
      const rangeMs = request.end.getTime() - request.start.getTime();
      const params = new URLSearchParams({ query: countQuery(query, rangeMs), time: String(endNs - 1n) });
      const response = await requestLogStore(store, { method: 'GET', url: instantUrl, params, signal, deadline }, fail);
      const body = parseAnswer(vectorBody, 'vector', response.text, fail);
      seen.push(...(body.warnings ?? []));
      // sum() of no series is an empty vector: no line matched.
      const counted = body.data.result.reduce((sum, { value }) => sum + Number(value[1]), 0);
      if (!Number.isFinite(counted)) throw fail('Loki counted the lines as a number that is not finite');
      // Lines written while the pages were read can make the count lag behind them.
      total = Math.max(counted, lines.length);
    }
    return { lines, total, warnings: [...new Set([...seen, ...read.warnings].map((warning) => clip(warning, MAX_MESSAGE_CHARS)))] };
  }

  return { description, fetchLogs };
}

/** A line of a stream: its pod from the instance label, its level from a level label when the stream has one. */
function entry(ns: bigint, message: string, stream: Record<string, string>, instanceField: string, fail: (cause: string) => CollectError): Entry {
  const instance = stream[instanceField];
  if (instance === undefined) {
    throw fail(`a stream has no "${instanceField}" label (${clip(JSON.stringify(stream), MAX_MESSAGE_CHARS)}): set logs.instanceField to the label naming the pod`);
  }
  const level = LEVEL_LABELS.map((label) => stream[label]).find((value) => value !== undefined && value !== '');
  return { ns, line: { time: nsToMs(ns), instance, message, ...(level !== undefined && { level }) } };
}

/** The body as `schema` reads it (its result of type `resultType`); anything else is told by its shape only. */
function parseAnswer<T>(schema: z.ZodType<T>, resultType: 'streams' | 'vector', text: string, fail: (cause: string) => CollectError): T {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw fail(`HTTP 200, not a Loki API response (${Buffer.byteLength(text)} bytes, not JSON)`);
  }
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const answered = (body as { data?: { resultType?: unknown } } | null)?.data?.resultType;
  if (typeof answered === 'string' && answered !== resultType) throw fail(`expected a ${resultType} result; got ${clip(answered, 40)}`);
  throw fail(`HTTP 200, not a Loki API response (${Buffer.byteLength(text)} bytes of JSON of another shape)`);
}
