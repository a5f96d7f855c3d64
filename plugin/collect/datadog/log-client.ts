// Datadog as a log source: one group's lines over (start, end] through POST /api/v2/logs/events/search, newest first,
// pages of at most 1000 events (the API's most) followed by their cursor up to the caller's limit; when lines were
// left out, their number through POST /api/v2/logs/analytics/aggregate (a count over the same search).
// Datadog's range is [from, to) in milliseconds, so both ends are moved one millisecond later.
import { z } from 'zod';
import { clip } from '../../../shared/text.js';
import { oneLine } from '../log-http.js';
import { CollectError, type FetchedLogs, type LogLine, type LogSource, type LogsRequest, type SourceOptions } from '../source.js';
import { callDatadog } from './api.js';
import { describeDatadog, endpointOf } from './client.js';
import { isPodOf, logSearch } from './dialect.js';
import { toLogLine, type Skipped } from './logs.js';
import type { DatadogSettings } from './settings.js';

/** Most events one search answers (https://docs.datadoghq.com/logs/guide/collect-multiple-logs-with-pagination/). */
export const MAX_PAGE_EVENTS = 1000;
const MAX_MESSAGE_CHARS = 300;
const MAX_QUERY_CHARS_SHOWN = 200;

const warningsSchema = z.array(z.object({ title: z.string().optional(), detail: z.string().optional() }).passthrough()).optional();

// What the library made of an answer (its model's names); the events themselves are read one by one (logs.ts).
const pageSchema = z.object({
  data: z.array(z.unknown()).nullish(),
  meta: z.object({ page: z.object({ after: z.string().optional() }).optional(), status: z.string().optional(), warnings: warningsSchema }).optional(),
});

const countSchema = z.object({
  data: z.object({ buckets: z.array(z.object({ computes: z.record(z.string(), z.unknown()).optional() })).optional() }).optional(),
  meta: z.object({ status: z.string().optional(), warnings: warningsSchema }).optional(),
});

type Meta = z.output<typeof pageSchema>['meta'];

/** Datadog's own notes on an answer: a search that timed out answers part of the lines. */
function metaWarnings(meta: Meta): string[] {
  const warnings = (meta?.warnings ?? []).map((w) => `Datadog: ${[w.title, w.detail].filter(Boolean).join(': ')}`);
  if (meta?.status === 'timeout') warnings.push('Datadog: the search timed out; the lines read may be incomplete');
  return warnings.map((warning) => clip(oneLine(warning), MAX_MESSAGE_CHARS));
}

const SKIPPED_AS: Record<Skipped | 'stranger', string> = {
  malformed: 'events of an unexpected shape',
  'no-message': 'events without a message',
  'no-instance': 'events without the instance field',
  stranger: 'events of pods not named <name>-<hash>-<suffix>',
};

export function createDatadogLogSource(settings: DatadogSettings, options: SourceOptions = {}): LogSource {
  const description = describeDatadog(settings);
  const endpoint = endpointOf(settings, options);

  async function fetchLogs(request: LogsRequest): Promise<FetchedLogs> {
    const shown = clip(request.query, MAX_QUERY_CHARS_SHOWN);
    const fail = (cause: string, transient = false): CollectError => new CollectError('logs', description, `${cause} (query ${shown})`, transient);
    const { group, signal, deadline } = request;
    let query: string;
    try {
      query = logSearch(request.query, group);
    } catch (error) {
      throw fail((error as Error).message);
    }
    const startMs = request.start.getTime();
    const endMs = request.end.getTime();
    if (endMs <= startMs) return { lines: [], total: 0, warnings: [] };
    const filter = { query, from: String(startMs + 1), to: String(endMs + 1) };
    const lines: LogLine[] = [];
    const warnings: string[] = [];
    const skipped = new Map<Skipped | 'stranger', number>();
    let cursor: string | undefined;
    let complete = false;
    while (lines.length < request.limit) {
      const page = { limit: Math.min(MAX_PAGE_EVENTS, request.limit - lines.length), ...(cursor !== undefined && { cursor }) };
      const answer = await callDatadog(endpoint, 'logs', (library, configuration) => new library.v2.LogsApi(configuration).listLogs({ body: { filter, page, sort: '-timestamp' } }), { signal, deadline }, fail);
      const parsed = pageSchema.safeParse(answer);
      if (!parsed.success) throw fail('answered with a logs list of an unexpected shape');
      const events = parsed.data.data ?? [];
      if (events.length > page.limit) throw fail(`Datadog answered ${events.length} events to a search for at most ${page.limit}`);
      warnings.push(...metaWarnings(parsed.data.meta));
      for (const event of events) {
        const line = toLogLine(event, group.instanceField);
        const outcome = typeof line === 'string' ? line : group.selectBy === 'podName' && !isPodOf(line.instance, group.podTemplateHash) ? 'stranger' : line;
        if (typeof outcome === 'string') skipped.set(outcome, (skipped.get(outcome) ?? 0) + 1);
        else if (outcome.time > startMs && outcome.time <= endMs) lines.push(outcome);
      }
      cursor = parsed.data.meta?.page?.after;
      // A cursor means more events; the last page has none (or no events).
      if (!cursor || events.length === 0) {
        complete = true;
        break;
      }
    }
    for (const [reason, count] of skipped) warnings.push(`left out ${count} ${SKIPPED_AS[reason]}${reason === 'no-instance' ? ` (${group.instanceField})` : ''}`);
    let total = lines.length;
    if (!complete) {
      const body = { compute: [{ aggregation: 'count' as const, type: 'total' as const }], filter };
      const answer = await callDatadog(endpoint, 'logs', (library, configuration) => new library.v2.LogsApi(configuration).aggregateLogs({ body }), { signal, deadline }, fail);
      const parsed = countSchema.safeParse(answer);
      if (!parsed.success) throw fail('answered with a logs count of an unexpected shape');
      warnings.push(...metaWarnings(parsed.data.meta));
      // No bucket: nothing matched. c0 is the first compute's value.
      const counted = (parsed.data.data?.buckets ?? []).reduce((sum, bucket) => sum + Number(bucket.computes?.c0 ?? 0), 0);
      if (!Number.isFinite(counted)) throw fail('Datadog counted the lines as a number that is not finite');
      // Lines written while the pages were read can make the count lag behind them.
      total = Math.max(counted, lines.length);
    }
    return { lines, total, warnings: [...new Set(warnings)] };
  }

  return { description, fetchLogs };
}
