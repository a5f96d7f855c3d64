// End to end: the VictoriaLogs source, built from a config as the engine builds it, against VictoriaLogs v1.52.2
// (harness/victorialogs.ts, no cluster). A Rollout's canary and baseline pods log lines stamped in the past, with
// lines at the very ends of the range, several at one instant across page boundaries, another ReplicaSet's pod and a
// namesake in another namespace; the source must return exactly one group's lines in (start, end] (VictoriaLogs'
// own range is [start, end)), page and count them, keep what an attacker wrote as written, and quote VictoriaLogs'
// refusals. A real server rather than a fake: its answers (newest first under a limit, strings for every value, an
// error appended to a 200) are what the source must read.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogSource, logSourceConfigSchema } from '../../plugin/collect/registry.js';
import { RequestQueue } from '../../plugin/collect/request-queue.js';
import type { LogGroupSelection, LogLine as SourceLine, LogsRequest } from '../../plugin/collect/source.js';
import { collectError } from '../helpers/collect-error.js';
import { type LogLine, type VictoriaLogs, startVictoriaLogs } from './harness/victorialogs.js';

const CANARY = '7d9f8c6b5';
const BASELINE = '5b8c4d7f9';
/** Whole seconds, two hours ago. */
const T0 = Math.floor(Date.now() / 1000) * 1000 - 2 * 3_600_000;
const at = (seconds: number) => new Date(T0 + seconds * 1000);
const START = at(60);
const END = at(600);

function line(pod: string, time: Date, msg: string, extra: Record<string, string> = {}, namespace = 'shop'): LogLine {
  const hash = pod.split('-').at(-2)!;
  return { time, msg, fields: { namespace, app: 'web', pod, rollouts_pod_template_hash: hash, ...extra } };
}

const canaryPods = [`web-${CANARY}-x2k4p`, `web-${CANARY}-q8m3n`];
const lines: LogLine[] = [
  // The ends of the range: the line at START is before it, the one at END in it.
  line(canaryPods[0]!, START, 'at the start'),
  line(canaryPods[0]!, new Date(START.getTime() + 1), 'a millisecond after the start', { level: 'error' }),
  line(canaryPods[0]!, END, 'at the end', { level: 'warn' }),
  line(canaryPods[0]!, new Date(END.getTime() + 1), 'a millisecond after the end'),
  // 40 instants with three lines each (two pods), for pages of 10.
  ...Array.from({ length: 40 }, (_, k) => [
    line(canaryPods[0]!, at(120 + k), `GET /api/orders/${k} 200`),
    line(canaryPods[0]!, at(120 + k), `GET /api/orders/${k} 200`),
    line(canaryPods[1]!, at(120 + k), `GET /api/users/${k} 200`),
  ]).flat(),
  line(`web-${BASELINE}-a1b2c`, at(200), 'baseline line'),
  line('web-9f8e7d6c5-zzzzz', at(200), 'another ReplicaSet'),
  line(canaryPods[0]!, at(200), 'the same pod name in another namespace', {}, 'other'),
  { time: at(200), msg: 'named like a canary, labelled baseline', fields: { namespace: 'shop', app: 'web', pod: `web-${CANARY}-lookalike`, rollouts_pod_template_hash: BASELINE } },
];
/** The canary lines in (START, END] by pod name: the look-alike pod, named like a canary, is one of them. */
const canaryInRange = lines.filter((l) => l.fields.namespace === 'shop' && /^web-7d9f8c6b5-/.test(l.fields.pod!) && l.time > START && l.time <= END);

let vl: VictoriaLogs;

beforeAll(async () => {
  vl = await startVictoriaLogs();
  await vl.ingest(lines);
}, 60_000);

afterAll(async () => {
  await vl?.stop();
});

const group = (podTemplateHash: string, selectBy: LogGroupSelection['selectBy'] = 'podName'): LogGroupSelection => ({
  podTemplateHash,
  selectBy,
  hashField: 'rollouts_pod_template_hash',
  instanceField: 'pod',
});

function source(settings: Record<string, unknown> = {}) {
  return createLogSource(logSourceConfigSchema.parse({ victorialogs: { address: vl.url, ...settings } }), { queue: new RequestQueue() });
}

function request(overrides: Partial<LogsRequest> = {}): LogsRequest {
  return { query: 'namespace:="shop" app:="web"', group: group(CANARY), start: START, end: END, limit: 1000, ...overrides };
}

const key = (l: { time: number; instance: string; message: string }) => `${l.time} ${l.instance} ${l.message}`;
const expected = (selected: LogLine[]) => selected.map((l) => key({ time: l.time.getTime(), instance: l.fields.pod!, message: l.msg })).sort();
const got = (read: SourceLine[]) => read.map(key).sort();

describe('the VictoriaLogs source', () => {
  it("reads exactly one group's lines in (start, end], with their pod and level", async () => {
    const fetched = await source().fetchLogs(request());
    expect(got(fetched.lines)).toEqual(expected(canaryInRange));
    expect(fetched.lines).toHaveLength(2 + 120 + 1);
    expect(fetched).toMatchObject({ total: fetched.lines.length, warnings: [] });
    expect(fetched.lines.find((l) => l.message === 'a millisecond after the start')).toEqual({ time: START.getTime() + 1, instance: canaryPods[0], message: 'a millisecond after the start', level: 'error' });
    expect(fetched.lines.find((l) => l.message === 'at the end')?.level).toBe('warn');
    expect(fetched.lines.filter((l) => l.level !== undefined)).toHaveLength(2);
  });

  it('selects by the hash field, whatever the pod is named', async () => {
    const fetched = await source().fetchLogs(request({ group: group(BASELINE, 'label') }));
    expect(fetched.lines.map((l) => l.message).sort()).toEqual(['baseline line', 'named like a canary, labelled baseline']);
  });

  it('reads past the page size, lines sharing an instant at a page boundary once each', async () => {
    const fetched = await source({ linesPerQuery: 10 }).fetchLogs(request());
    expect(got(fetched.lines)).toEqual(expected(canaryInRange));
    expect(fetched.total).toBe(canaryInRange.length);
  });

  it('stops at the limit with the newest lines, and counts all of them', async () => {
    const fetched = await source({ linesPerQuery: 10 }).fetchLogs(request({ limit: 25 }));
    const newest = [...canaryInRange].sort((a, b) => b.time.getTime() - a.time.getTime());
    expect(fetched.lines).toHaveLength(25);
    // The newest 25: the line at the end, the look-alike's, and 23 of the last 8 instants' 24.
    expect(Math.min(...fetched.lines.map((l) => l.time))).toBe(newest[24]!.time.getTime());
    expect(fetched.total).toBe(canaryInRange.length);
  });

  it("applies the config's filter, and a hash or message an attacker chose cannot widen or break the query", async () => {
    const filtered = await source().fetchLogs(request({ query: 'namespace:="shop" -"/users/" # not the users API' }));
    expect(filtered.lines.every((l) => !l.message.includes('/users/'))).toBe(true);
    expect(filtered.lines).toHaveLength(canaryInRange.length - 40);

    for (const podTemplateHash of ['.*', '7d9f8c6b5|5b8c4d7f9', '"} or * #', '\\']) {
      for (const selectBy of ['podName', 'label'] as const) {
        expect((await source().fetchLogs(request({ group: group(podTemplateHash, selectBy) }))).lines).toEqual([]);
      }
    }

    const msg = 'ok"}\n{"_msg":"forged","pod":"web-1"}\n| delete\t\\u0000 \u0000\u0007\r ünïcode ✓';
    const pod = `web-${CANARY}-hostile`;
    await vl.ingest([line(pod, at(300), msg, { level: '"error"\n' }, 'hostile')]);
    const hostile = await source().fetchLogs(request({ query: 'namespace:="hostile"' }));
    expect(hostile.lines).toEqual([{ time: at(300).getTime(), instance: pod, message: msg, level: '"error"\n' }]);
  });

  it('reads the tenant named, and no other', async () => {
    expect((await source({ tenant: '42:7' }).fetchLogs(request())).lines).toEqual([]);
    expect((await source({ tenant: '0' }).fetchLogs(request())).lines).toHaveLength(canaryInRange.length);
  });

  it("quotes VictoriaLogs' refusal of a query", async () => {
    const error = await collectError(source().fetchLogs(request({ query: 'level:>' })));
    expect(error.transient).toBe(false);
    expect(error.message).toMatch(new RegExp(`^metric "logs": VictoriaLogs at ${vl.url}: HTTP 400: cannot parse \`query\` arg \\[.*\\(query level:>\\)$`));
  });

  it('says which field is missing when the message field is not the one the lines use', async () => {
    const error = await collectError(source({ messageField: 'message' }).fetchLogs(request()));
    expect(error.message).toContain('a line has no "message" field: set source.victorialogs.messageField to the field holding the text');
  });
});
