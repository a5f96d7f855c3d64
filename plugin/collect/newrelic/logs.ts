// New Relic as a log source: one group's Log events over (start, end] as NRQL rows (timestamp, message, the
// instance attribute, level), the latest first, a page at a time up to the caller's limit (log-pages.ts), then,
// when lines were left out, their number by count(*). NRQL's SINCE is inclusive and UNTIL exclusive, by the
// millisecond, so both ends are moved one millisecond later.
// https://docs.newrelic.com/docs/nrql/nrql-syntax-clauses-functions/ (LIMIT: at most 5,000; ORDER BY),
// https://docs.newrelic.com/docs/logs/log-api/log-event-data/ (an attribute holds up to 4,094 characters).
import { clip } from '../../../shared/text.js';
import { msToNs, nsToMs, readNewestFirst } from '../log-pages.js';
import { CollectError, type FetchedLogs, type LogLine, type LogSource, type LogsRequest, type SourceOptions } from '../source.js';
import { logCountQuery, logLinesQuery, logQueryProblems, oversize } from './dialect.js';
import { createNerdGraph, type Fail } from './nerdgraph.js';
import type { PodFilter } from './nrql.js';
import type { NewRelicSettings } from './settings.js';

/**
 * Lines asked for in one query, below NRQL's 5,000: a thousand messages of the longest New Relic keeps (4,094
 * characters, of up to 4 bytes each) still fit the 16 MiB a response may have.
 */
export const PAGE_LINES = 1000;
const MAX_QUERY_CHARS_SHOWN = 200;
const MAX_MESSAGE_CHARS = 300;

interface Entry {
  ns: bigint;
  line: LogLine;
}

/** A row's attribute as text: New Relic keeps attributes as strings, numbers or booleans. */
function text(value: unknown): string | undefined {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
}

/** A row of the lines query as a line; throws when it is not one. */
function entryOf(row: Record<string, unknown>, instanceField: string, fail: Fail): Entry {
  const { timestamp } = row;
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp) || timestamp < 0) throw fail('a Log row has no numeric timestamp: not an answer to the lines query');
  const instance = text(row[instanceField]);
  if (instance === undefined) {
    throw fail(`a Log event has no "${instanceField}" attribute (it has ${clip(Object.keys(row).join(', '), MAX_MESSAGE_CHARS)}): set logs.instanceField to the attribute naming the pod`);
  }
  const ms = Math.floor(timestamp);
  const level = text(row.level);
  return { ns: msToNs(ms), line: { time: ms, instance, message: text(row.message) ?? '', ...(level ? { level } : {}) } };
}

export function createNewRelicLogSource(settings: NewRelicSettings, options: SourceOptions = {}): LogSource {
  const nerdgraph = createNerdGraph(settings, options);

  async function fetchLogs(request: LogsRequest): Promise<FetchedLogs> {
    const shown = clip(request.query, MAX_QUERY_CHARS_SHOWN);
    const fail: Fail = (cause, transient = false) => new CollectError('logs', nerdgraph.description, `${cause} (query ${shown})`, transient);
    // Checked with the config already; checked again because the condition is written into a query around it,
    // where one that closes its parentheses would widen the group.
    const problems = logQueryProblems(request.query);
    if (problems.length) throw fail(`expected an NRQL condition on Log events: ${problems.join('; ')}`);
    const { group: selection, signal, deadline } = request;
    const group: PodFilter = { podTemplateHash: selection.podTemplateHash, selectBy: selection.selectBy, hashAttribute: selection.hashField, instanceAttribute: selection.instanceField };
    const sinceMs = request.start.getTime() + 1;
    const untilMs = request.end.getTime() + 1;
    if (untilMs <= sinceMs) return { lines: [], total: 0, warnings: [] };
    const said: string[] = [];
    const ask = async (build: () => string) => {
      let nrql: string;
      try {
        nrql = build();
      } catch (error) {
        throw fail((error as Error).message);
      }
      const size = oversize(nrql);
      if (size) throw fail(size);
      const answer = await nerdgraph.query(nrql, fail, { signal, deadline });
      said.push(...answer.messages);
      return answer.results;
    };

    const fetchPage = async (endNs: bigint, size: number): Promise<Entry[]> => {
      const rows = await ask(() => logLinesQuery(request.query, group, sinceMs, nsToMs(endNs), size));
      if (rows.length > size) throw fail(`New Relic answered ${rows.length} lines to a query for at most ${size}`);
      return rows.map((row) => entryOf(row, selection.instanceField, fail));
    };

    const read = await readNewestFirst(fetchPage, { endNs: msToNs(untilMs), limit: request.limit, pageSize: PAGE_LINES });
    const lines = read.lines.map(({ line }) => line);
    let total = lines.length;
    if (!read.complete) {
      const [row] = await ask(() => logCountQuery(request.query, group, sinceMs, untilMs));
      const counted = row?.count;
      if (typeof counted !== 'number' || !Number.isFinite(counted)) throw fail('New Relic answered the count of lines without a number (count)');
      // Lines written while the pages were read can make the count lag behind them.
      total = Math.max(counted, lines.length);
    }
    return { lines, total, warnings: [...new Set([...said, ...read.warnings].map((warning) => clip(warning, MAX_MESSAGE_CHARS)))] };
  }

  return { description: nerdgraph.description, fetchLogs };
}
