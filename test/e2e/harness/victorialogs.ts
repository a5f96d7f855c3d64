// VictoriaLogs for the e2e suite: the single-node server (v1.52.2) that scripts/build-components.sh builds as the
// victorialogs component, on a free loopback port with a throwaway storage folder, fed through its JSON lines API.
// It runs in a `rollouts-cv-e2e-*` folder of its own (its log and pid file in `logs/`), so that a later run's
// clean-up stops it when this process was killed before stop().
//
// What its query API answers (checked against v1.52.2; https://docs.victoriametrics.com/victorialogs/querying/):
// - `/select/logsql/query` (GET, or POST form-encoded) takes `query` (LogsQL) and optional `start`, `end` (RFC3339,
//   Unix seconds or milliseconds; a bare duration such as `5m` means that long before now), `limit`, `offset`,
//   `timeout`. The range is [start, end), to the nanosecond: a line stamped exactly `end` is not returned.
// - 200, `application/stream+json`: one JSON object per line, every value a string: `_msg`, `_time` (RFC3339 UTC,
//   trailing zeros of the fraction dropped: `…T10:00:00.1Z`, `…T10:00:00Z`), `_stream` (the stream fields, sorted:
//   `{namespace="shop",pod="web-1"}`), `_stream_id`, and every other field; names in alphabetical order. Without
//   `limit` every match comes, in no order, and the response has no size limit; with `limit=N` the N newest come,
//   newest first (`offset` skips the newest M of them).
// - Fields with an empty value are not stored, so never returned; an empty message is stored as the placeholder
//   `missing _msg field; see …`.
// - `… | stats by (pod) count() as lines` on the same endpoint gives one object per group with the count as a
//   string, `{"pod":"web-1","lines":"3"}`; a group without lines is absent. `/select/logsql/stats_query` (at `time`)
//   answers the same in Prometheus' instant-vector format instead.
// - `pod:=web-1` matches the whole value; `pod:web-1` matches a word inside it. A value quoted as a JSON string
//   (`pod:="…"`) is read back exactly, quotes and backslashes included.
// - A bad request is a 400 with a plain-text reason (`cannot parse \`query\` arg [foo |]: …`, `cannot parse
//   start=…`). A query that fails once its answer has begun (`-search.maxQueryDuration`, 30 s by default, or
//   `timeout`) keeps its status 200: the reason is appended to the stream as plain text, so a reader must fail on
//   any line that is not JSON. Queries over 16 KiB (`-search.maxQueryLen`) are refused; concurrent ones beyond
//   `-search.maxConcurrentRequests` wait up to `-search.maxQueueDuration` (10 s), then fail.
// - Ingestion does not refuse what it skips: a line that is not JSON, has no parsable time, is older than
//   `-retentionPeriod` or more than `-futureRetention` (2 days) ahead is only logged (a 400 only when every line of
//   the request is bad). A body sent as `application/x-www-form-urlencoded` is read as a form: nothing is ingested,
//   and the answer is still 200. Ingested lines are searchable after up to a second, at once after
//   `/internal/force_flush`.
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { reserveLoopbackPort } from '../../../plugin/demo/free-port.js';
import { clip } from '../../../shared/text.js';
import { BUILD_SCRIPT, createWorkdir } from './environment.js';
import { run, startProcess, tail, waitFor } from './processes.js';

/** One log line as a pod wrote it: `fields` are its labels (pod, namespace, app, level, …). */
export interface LogLine {
  time: Date;
  msg: string;
  fields: Record<string, string>;
}

export interface VictoriaLogs {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** Its own folder (storage in `data/`, its log in `logs/victoria-logs.log`). */
  dir: string;
  /**
   * Ingests `lines` and resolves once every one of them is searchable; fails naming a line's bad field before sending
   * anything, and fails when VictoriaLogs kept fewer lines than were sent.
   */
  ingest(lines: readonly LogLine[]): Promise<void>;
  /** Stops the server and removes its folder (kept, with its log, when `keepDir`). */
  stop(options?: { keepDir?: boolean }): Promise<void>;
}

// Lines stamped any time in the last century are kept: VictoriaLogs skips older ones without an error.
const RETENTION = '100y';
const READY_TIMEOUT_MS = 30_000;
const MAX_ERROR_CHARS = 500;

/** The victoria-logs binary where build-components.sh put it; fails saying how to build it. */
export async function locateVictoriaLogs(): Promise<string> {
  const { stdout } = await run('bash', [BUILD_SCRIPT, '--print-paths', 'victorialogs']);
  const bin = /^victorialogs (.+)$/m.exec(stdout)?.[1];
  if (!bin) throw new Error(`build-components.sh --print-paths printed no victorialogs folder:\n${stdout}`);
  const binary = join(bin, 'victoria-logs');
  if (!existsSync(binary)) throw new Error(`${binary} is missing: run bash test/e2e/scripts/build-components.sh victorialogs`);
  return binary;
}

/**
 * Starts VictoriaLogs and waits until it answers `/health` (served once its storage is open). `streamFields` name the
 * fields that make a line's stream (`_stream_fields`): by default one stream per pod, as Kubernetes log collectors do.
 */
export async function startVictoriaLogs(options: { streamFields?: readonly string[] } = {}): Promise<VictoriaLogs> {
  const streamFields = options.streamFields ?? ['namespace', 'pod'];
  const binary = await locateVictoriaLogs();
  const dir = await createWorkdir();
  const logs = join(dir, 'logs');
  await mkdir(logs);
  const port = await reserveLoopbackPort();
  const url = `http://127.0.0.1:${port}`;
  const server = startProcess('victoria-logs', binary, [`-httpListenAddr=127.0.0.1:${port}`, `-storageDataPath=${join(dir, 'data')}`, `-retentionPeriod=${RETENTION}`], { dir: logs, cwd: dir });
  try {
    await waitFor('VictoriaLogs to answer /health', async () => {
      if (server.child.exitCode !== null) throw new Error(`victoria-logs exited:\n${await tail(server.log)}`);
      const response = await fetch(`${url}/health`).catch(() => undefined);
      return response?.ok ? true : undefined;
    }, READY_TIMEOUT_MS, () => tail(server.log), 100);
  } catch (error) {
    await server.stop();
    throw new Error(`${(error as Error).message}\n(its folder is kept: ${dir})`);
  }

  const insertUrl = `${url}/insert/jsonline?${new URLSearchParams({ _stream_fields: streamFields.join(','), _msg_field: '_msg', _time_field: '_time' })}`;
  // How many lines it holds: ingest() checks each batch against it, so batches are sent one at a time.
  let stored = 0;
  let queue: Promise<unknown> = Promise.resolve();

  async function ingestNow(lines: readonly LogLine[]): Promise<void> {
    const body = lines.map((line, index) => jsonLine(line, index)).join('');
    if (!body) return;
    // The content type matters: a form-encoded body would be read as a form and nothing ingested.
    const inserted = await fetch(insertUrl, { method: 'POST', headers: { 'content-type': 'application/stream+json' }, body });
    if (!inserted.ok) throw new Error(`VictoriaLogs refused the lines: HTTP ${inserted.status}: ${await excerpt(inserted)}`);
    // The request returns once its lines are in memory; the flush makes them searchable.
    const flushed = await fetch(`${url}/internal/force_flush`, { method: 'POST' });
    if (!flushed.ok) throw new Error(`VictoriaLogs' /internal/force_flush failed: HTTP ${flushed.status}: ${await excerpt(flushed)}`);
    const expected = stored + lines.length;
    stored = await countLines(url);
    if (stored < expected) {
      throw new Error(
        `VictoriaLogs holds ${stored} lines, expected ${expected}: it skipped ${expected - stored} of the ${lines.length} just sent ` +
          `(a time before -retentionPeriod=${RETENTION} or more than 2 days ahead, or a line over 256 KiB); its log:\n${await tail(server.log, 10)}`,
      );
    }
    if (stored > expected) throw new Error(`VictoriaLogs holds ${stored} lines, expected ${expected}: lines reached it other than through ingest()`);
  }

  return {
    url,
    dir,
    ingest: (lines) => {
      const done = queue.then(() => ingestNow(lines));
      queue = done.catch(() => undefined);
      return done;
    },
    stop: async ({ keepDir = false } = {}) => {
      await server.stop();
      if (!keepDir) await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A line in the JSON lines form ingest() sends (`_time` and `_msg` named by `_time_field` and `_msg_field`); fails
 * naming `lines[index]`'s field that VictoriaLogs would not store as given.
 */
export function jsonLine(line: LogLine, index: number): string {
  const at = `lines[${index}]`;
  if (!(line.time instanceof Date) || Number.isNaN(line.time.getTime())) throw new Error(`${at}.time: expected a valid Date, got ${String(line.time)}`);
  if (typeof line.msg !== 'string' || line.msg === '') throw new Error(`${at}.msg: expected a non-empty string (VictoriaLogs stores an empty message as a placeholder)`);
  if (typeof line.fields !== 'object' || line.fields === null) throw new Error(`${at}.fields: expected an object of field names to strings`);
  for (const [name, value] of Object.entries(line.fields)) {
    if (name === '' || name.startsWith('_')) throw new Error(`${at}.fields: ${JSON.stringify(name)} is not a field name of a line: expected a non-empty name not starting with "_" (VictoriaLogs' own fields)`);
    if (typeof value !== 'string' || value === '') throw new Error(`${at}.fields.${name}: expected a non-empty string (VictoriaLogs does not store empty fields)`);
  }
  return `${JSON.stringify({ _time: line.time.toISOString(), _msg: line.msg, ...line.fields })}\n`;
}

/** Every line VictoriaLogs holds, counted by a query over all time. */
async function countLines(url: string): Promise<number> {
  const response = await fetch(`${url}/select/logsql/query?${new URLSearchParams({ query: '* | stats count() as lines' })}`);
  const text = await response.text();
  const count = /^\{"lines":"(\d+)"\}\n?$/.exec(text)?.[1];
  if (!response.ok || count === undefined) throw new Error(`VictoriaLogs did not count its lines: HTTP ${response.status}: ${clip(text, MAX_ERROR_CHARS)}`);
  return Number(count);
}

async function excerpt(response: Response): Promise<string> {
  return clip(await response.text(), MAX_ERROR_CHARS);
}
