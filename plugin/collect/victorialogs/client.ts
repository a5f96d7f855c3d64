// VictoriaLogs as a log source: one group's lines over (start, end] through /select/logsql/query, newest first
// (`limit=N` answers the N newest), a page of at most linesPerQuery lines at a time up to the caller's limit
// (log-pages.ts), and, when lines were left out, their number by the same query ending in `| stats count()`.
// VictoriaLogs' range is [start, end) to the nanosecond, so both ends are moved one nanosecond later.
// Its answer is JSON lines whose values are all strings, and a query that fails once its answer has begun keeps its
// 200 and appends the reason as plain text: any line that is not a JSON object fails the request.
import { clip } from '../../../shared/text.js';
import { logStore, oneLine, queryFail, requestLogStore, storeQuery } from '../log-http.js';
import { msToNs, nsToIso, nsToMs, readNewestFirst } from '../log-pages.js';
import type { FetchedLogs, LogLine, LogSource, LogsRequest, SourceOptions } from '../source.js';
import type { Fail } from '../queued-request.js';
import { countQuery, groupQuery, linesQuery } from './logsql.js';
import { tenantHeaders, type VictoriaLogsSettings } from './settings.js';

const MAX_MESSAGE_CHARS = 300;

// `_time` as VictoriaLogs writes it: RFC 3339 in UTC, the fraction's trailing zeros dropped.
const RFC3339_UTC = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/;

interface Entry {
  ns: bigint;
  line: LogLine;
}

export function createVictoriaLogsSource(settings: VictoriaLogsSettings, options: SourceOptions = {}): LogSource {
  const base = settings.address.endsWith('/') ? settings.address : `${settings.address}/`;
  const url = new URL('select/logsql/query', base).toString();
  const description = `VictoriaLogs at ${settings.address}`;
  const store = logStore(settings, options, { title: 'VictoriaLogs', headers: tenantHeaders(settings.tenant) });
  const { messageField, levelField } = settings;

  async function fetchLogs(request: LogsRequest): Promise<FetchedLogs> {
    const fail = queryFail(description, request.query);
    const query = storeQuery(() => groupQuery(request.query, request.group), fail);
    if (request.end <= request.start) return { lines: [], total: 0, warnings: [] };
    const { signal, deadline } = request;
    const { instanceField } = request.group;
    const start = nsToIso(msToNs(request.start.getTime()) + 1n);
    const endNs = msToNs(request.end.getTime()) + 1n;
    // VictoriaLogs stops working on a query this engine no longer waits for.
    const timeout = `${settings.timeout / 1000}s`;
    const ask = async (params: Record<string, string>) => {
      const response = await requestLogStore(store, { method: 'POST', url, params: new URLSearchParams({ ...params, start, timeout }), signal, deadline }, fail);
      return rows(response.text, fail);
    };

    const fetchPage = async (pageEnd: bigint, size: number): Promise<Entry[]> => {
      const found = await ask({ query: linesQuery(query, [messageField, instanceField, levelField]), end: nsToIso(pageEnd), limit: String(size) });
      if (found.length > size) throw fail(`VictoriaLogs answered ${found.length} lines to a query for at most ${size}`);
      return found.map((row) => entry(row, instanceField, messageField, levelField, fail));
    };

    const read = await readNewestFirst(fetchPage, { endNs, limit: request.limit, pageSize: settings.linesPerQuery });
    const lines = read.lines.map(({ line }) => line);
    let total = lines.length;
    if (!read.complete) {
      const [counted, ...more] = await ask({ query: countQuery(query), end: nsToIso(endNs) });
      const value = counted?.lines;
      if (more.length || value === undefined || !/^\d+$/.test(value)) throw fail('VictoriaLogs did not answer the count of lines as one {"lines":"<n>"}');
      // Lines written while the pages were read can make the count lag behind them.
      total = Math.max(Number(value), lines.length);
    }
    return { lines, total, warnings: read.warnings };
  }

  return { description, fetchLogs };
}

/** The JSON lines of an answer, each an object of strings; a line of plain text is VictoriaLogs' reason for failing midway. */
function rows(text: string, fail: Fail): Record<string, string>[] {
  const found: Record<string, string>[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      // The query failed once its answer had begun (out of time, a limit reached): worth another try.
      throw fail(`VictoriaLogs failed while answering: ${clip(oneLine(line), MAX_MESSAGE_CHARS)}`, true);
    }
    if (typeof row !== 'object' || row === null || Array.isArray(row) || Object.values(row).some((value) => typeof value !== 'string')) {
      throw fail(`not a VictoriaLogs answer: a line is JSON but not an object of strings (${Buffer.byteLength(line)} bytes)`);
    }
    found.push(row as Record<string, string>);
  }
  return found;
}

function entry(row: Record<string, string>, instanceField: string, messageField: string, levelField: string, fail: Fail): Entry {
  const time = RFC3339_UTC.exec(row._time ?? '');
  if (!time) throw fail(`not a VictoriaLogs answer: a line's _time is ${row._time === undefined ? 'missing' : JSON.stringify(clip(row._time, 40))}, not RFC 3339 in UTC`);
  const ns = BigInt(Date.parse(`${time[1]}Z`)) * 1_000_000n + BigInt((time[2] ?? '').padEnd(9, '0'));
  const instance = row[instanceField];
  if (instance === undefined) throw fail(`a line has no "${instanceField}" field: set logs.instanceField to the field naming the pod`);
  const message = row[messageField];
  if (message === undefined) throw fail(`a line has no "${messageField}" field: set source.victorialogs.messageField to the field holding the text`);
  const level = row[levelField];
  return { ns, line: { time: nsToMs(ns), instance, message, ...(level !== undefined && level !== '' && { level }) } };
}
