// End to end: VictoriaLogs v1.52.2 (harness/victorialogs.ts, no cluster) as the log store of a Rollout's stable and
// canary pods. Lines stamped in the past, with the pods' labels, are ingested through the JSON lines API; LogsQL's
// HTTP API returns, per pod and time range, exactly that pod's lines in [start, end) and none outside it, with the
// fields as ingested, and a `stats` query counts the same. A message and a pod name an attacker chose come back as
// written, and bad input to the harness is refused naming the field.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LogLine, type VictoriaLogs, startVictoriaLogs } from './harness/victorialogs.js';

const NAMESPACE = 'shop';
const STABLE = 'web-7c9d8f6b5-x2k4q';
const CANARY = 'web-5f6b7c8d9-m7p3z';
/** Whole seconds, two hours ago; the pods log every 30 s, so that the ends of the range fall on lines. */
const T0 = Math.floor(Date.now() / 1000) * 1000 - 2 * 3_600_000;
const at = (seconds: number) => new Date(T0 + seconds * 1000);
/** The range queried: [12 min, 18 min) after T0. */
const START = at(12 * 60);
const END = at(18 * 60);

/** `count` lines of `pod` every 30 s from `fromSeconds`: every fifth an error, the next an info, the rest no level. */
function podLines(namespace: string, pod: string, fromSeconds: number, count: number): LogLine[] {
  return Array.from({ length: count }, (_, k) => ({
    time: at(fromSeconds + k * 30),
    msg: `GET /api/orders/${k} ${k % 5 === 0 ? '500' : '200'}`,
    fields: { namespace, pod, app: 'web', ...(k % 5 === 0 ? { level: 'error' } : k % 5 === 1 ? { level: 'info' } : {}) },
  }));
}

const stable = podLines(NAMESPACE, STABLE, 0, 40); // 0 – 19.5 min
const canary = podLines(NAMESPACE, CANARY, 10 * 60, 30); // 10 – 24.5 min
// Pod names are unique per namespace only: the same name elsewhere must not count.
const namesake = podLines('other', STABLE, 12 * 60, 5);

let vl: VictoriaLogs;
let failed = false;

beforeAll(async () => {
  vl = await startVictoriaLogs();
  try {
    await vl.ingest([...stable, ...canary]);
    await vl.ingest(namesake);
  } catch (error) {
    failed = true;
    throw error;
  }
}, 60_000);

afterAll(async () => {
  if (failed) console.log(`VictoriaLogs' folder kept: ${vl?.dir}`);
  await vl?.stop({ keepDir: failed });
});

/** A test whose failure keeps VictoriaLogs' folder and log. */
const scenario = (title: string, body: () => Promise<void>) =>
  it(title, async ({ onTestFailed }) => {
    onTestFailed(() => {
      failed = true;
    });
    await body();
  });

/** The rows of `/select/logsql/query`; fails on an error status and on any line that is not JSON. */
async function logsql(params: Record<string, string>): Promise<Record<string, string>[]> {
  const response = await fetch(`${vl.url}/select/logsql/query?${new URLSearchParams(params)}`);
  const text = await response.text();
  if (!response.ok) throw new Error(`HTTP ${response.status}: ${text}`);
  expect(response.headers.get('content-type')).toBe('application/stream+json');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, string>);
}

const range = { start: START.toISOString(), end: END.toISOString() };
/** Exact matches, values quoted as JSON strings. */
const podFilter = (namespace: string, pod: string) => `namespace:=${JSON.stringify(namespace)} pod:=${JSON.stringify(pod)}`;
/** `_time` as VictoriaLogs writes it: RFC3339 UTC without trailing zeros in the fraction. */
const asReturned = (time: Date) => time.toISOString().replace(/\.?0+Z$/, 'Z');
const inRange = (line: LogLine) => line.time >= START && line.time < END;
/** A line as the query returns it, without `_stream` and `_stream_id`. */
const expectedRow = (line: LogLine) => ({ _msg: line.msg, _time: asReturned(line.time), ...line.fields });
const byTime = (a: Record<string, string>, b: Record<string, string>) => a._time!.localeCompare(b._time!);

describe('VictoriaLogs as a pod log store', () => {
  scenario('a query per pod over [start, end) returns exactly that pod\'s lines in the range, with their fields', async () => {
    for (const lines of [stable, canary]) {
      const { namespace, pod } = lines[0]!.fields as { namespace: string; pod: string };
      const expected = lines.filter(inRange);
      // the range's ends fall on this pod's lines: the one at start is in, the one at end out
      expect(expected[0]!.time).toEqual(START);
      expect(lines.some((line) => line.time.getTime() === END.getTime())).toBe(true);
      expect(expected).toHaveLength(12);

      const rows = await logsql({ query: podFilter(namespace, pod), ...range });
      for (const row of rows) {
        expect(row._stream).toBe(`{namespace="${namespace}",pod="${pod}"}`);
        expect(row._stream_id).toMatch(/^[0-9a-f]{48}$/);
      }
      const returned = rows.map(({ _stream, _stream_id, ...row }) => row).sort(byTime);
      expect(returned).toEqual(expected.map(expectedRow).sort(byTime));
      expect(returned.filter((row) => row.level === undefined)).toHaveLength(expected.filter((line) => line.fields.level === undefined).length);
    }
    // and without a range, all of them (the namesake in `other` excluded)
    expect(await logsql({ query: podFilter(NAMESPACE, STABLE) })).toHaveLength(stable.length);
  });

  scenario('limit returns the newest lines of the range, newest first', async () => {
    const rows = await logsql({ query: podFilter(NAMESPACE, CANARY), ...range, limit: '5' });
    const newest = canary.filter(inRange).slice(-5).reverse();
    expect(rows.map((row) => row._time)).toEqual(newest.map((line) => asReturned(line.time)));
  });

  scenario('a stats query counts each pod\'s lines and errors in the range', async () => {
    const count = (lines: LogLine[]) => String(lines.filter(inRange).length);
    const errors = (lines: LogLine[]) => lines.filter((line) => line.fields.level === 'error');
    const perPod = await logsql({ query: `namespace:=${JSON.stringify(NAMESPACE)} | stats by (pod) count() as lines`, ...range });
    expect(perPod.sort((a, b) => a.pod!.localeCompare(b.pod!))).toEqual([
      { pod: CANARY, lines: count(canary) },
      { pod: STABLE, lines: count(stable) },
    ]);
    const errorsPerPod = await logsql({ query: `namespace:=${JSON.stringify(NAMESPACE)} level:=error | stats by (pod) count() as errors`, ...range });
    expect(errorsPerPod.sort((a, b) => a.pod!.localeCompare(b.pod!))).toEqual([
      { pod: CANARY, errors: count(errors(canary)) },
      { pod: STABLE, errors: count(errors(stable)) },
    ]);
    expect(Number(count(errors(canary)))).toBeGreaterThan(0);
  });

  scenario('a message and a pod name an attacker chose come back as written, one line', async () => {
    const pod = 'web-"x"\\ | stats count() as n {"';
    const msg = 'ok"}\n{"_msg":"forged","pod":"web-1"}\n| delete\t\\u0000 \u0000\u0007\r ünïcode ✓';
    const line: LogLine = { time: new Date(T0 + 100), msg, fields: { namespace: 'hostile', pod } };
    await vl.ingest([line]);
    const rows = await logsql({ query: podFilter('hostile', pod) });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ _msg: msg, pod, _time: asReturned(line.time) });
    expect(rows[0]!._time).toMatch(/\.1Z$/);
    expect(await logsql({ query: '_msg:="forged"' })).toEqual([]);
  });

  scenario('ingest refuses bad input naming the field, sending nothing, and fails when VictoriaLogs skips a line', async () => {
    const good = (): LogLine => ({ time: at(60), msg: 'fine', fields: { namespace: 'refused', pod: 'web-1' } });
    const total = async () => Number((await logsql({ query: '* | stats count() as lines' }))[0]!.lines);
    const before = await total();
    await expect(vl.ingest([good(), { ...good(), time: new Date(Number.NaN) }])).rejects.toThrow(/^lines\[1\]\.time: expected a valid Date/);
    await expect(vl.ingest([{ ...good(), fields: { _msg: 'x' } }])).rejects.toThrow(/^lines\[0\]\.fields: "_msg" is not a field name/);
    await expect(vl.ingest([{ ...good(), fields: { pod: 'web-1', level: '' } }])).rejects.toThrow(/^lines\[0\]\.fields\.level: expected a non-empty string/);
    await expect(vl.ingest([{ ...good(), msg: '' }])).rejects.toThrow(/^lines\[0\]\.msg: expected a non-empty string/);
    expect(await total()).toBe(before);

    // Older than -retentionPeriod (100y): VictoriaLogs answers 200 and drops it; ingest says so.
    await expect(vl.ingest([good(), { ...good(), time: new Date('1900-01-01T00:00:00Z') }])).rejects.toThrow(/skipped 1 of the 2 just sent/);
    expect(await total()).toBe(before + 1);
    // and counts on from what it holds
    await vl.ingest([good()]);
    expect(await logsql({ query: podFilter('refused', 'web-1') })).toHaveLength(2);
  });
});
