import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findVictoriaMetrics, startLocalVictoriaMetrics } from './local-victoriametrics.js';

let ownTmp: string;
const sharedTmp = process.env.TMPDIR;
beforeAll(async () => {
  // Fails (rather than skips) on a machine without VictoriaMetrics, with the command that installs it.
  findVictoriaMetrics();
  ownTmp = await mkdtemp(join(tmpdir(), 'rollouts-cv-local-victoriametrics-test-'));
  process.env.TMPDIR = ownTmp; // os.tmpdir() follows TMPDIR; this worker's env is its own
});
afterAll(async () => {
  if (sharedTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = sharedTmp;
  await rm(ownTmp, { recursive: true, force: true });
});

/** Storage directories under this file's own TMPDIR, so other suites running meanwhile do not count. */
async function storageDirs(): Promise<string[]> {
  return (await readdir(tmpdir())).filter((name) => name.startsWith('rollouts-cv-victoriametrics-'));
}

interface RangeSeries {
  metric: Record<string, string>;
  values: [number, string][];
}

async function queryRange(url: string, query: string, start: number, end: number, step: number): Promise<RangeSeries[]> {
  const form = new URLSearchParams({ query, start: String(start), end: String(end), step: String(step) });
  const response = await fetch(`${url}/api/v1/query_range`, { method: 'POST', body: form });
  return ((await response.json()) as { data: { result: RangeSeries[] } }).data.result;
}

// Whole minutes, an hour ago: far past every delay before samples show in queries.
const HOUR_AGO_S = Math.floor(Date.now() / 60_000) * 60 - 3600;

describe('local VictoriaMetrics', () => {
  it('serves imported past samples at once, labels as given, and stops without a trace', async () => {
    const vm = await startLocalVictoriaMetrics();
    try {
      expect(vm.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(await storageDirs()).toHaveLength(1);
      // Label values that would break a hand-written line of any text format.
      const note = 'quote " backslash \\ newline \n brace } comma , ünïcode';
      await vm.importSamples([
        { labels: { __name__: 'demo_requests_total', pod: 'web-abc-1', note }, samples: [0, 15, 30, 45].map((s, i) => [(HOUR_AGO_S + s) * 1000, i * 10] as const) },
        { labels: { __name__: 'demo_requests_total', pod: 'web-abc-2' }, samples: [[(HOUR_AGO_S + 15) * 1000, 0.25]] },
      ]);
      const result = await queryRange(vm.url, 'demo_requests_total', HOUR_AGO_S, HOUR_AGO_S + 45, 15);
      const byPod = new Map(result.map((series) => [series.metric.pod, series]));
      expect(byPod.get('web-abc-1')?.metric).toEqual({ __name__: 'demo_requests_total', pod: 'web-abc-1', note });
      expect(byPod.get('web-abc-1')?.values).toEqual([
        [HOUR_AGO_S, '0'],
        [HOUR_AGO_S + 15, '10'],
        [HOUR_AGO_S + 30, '20'],
        [HOUR_AGO_S + 45, '30'],
      ]);
      // Imported alone, a series shows at its own sample's time (and, without staleness markers, a step after).
      expect(byPod.get('web-abc-2')?.values[0]).toEqual([HOUR_AGO_S + 15, '0.25']);
    } finally {
      await vm.stop();
    }
    await expect(fetch(`${vm.url}/health`)).rejects.toThrow();
    expect(await storageDirs()).toEqual([]);
  }, 30_000);

  it('refuses series it would not store as given, naming the field, before sending anything', async () => {
    const vm = await startLocalVictoriaMetrics();
    try {
      const at = (HOUR_AGO_S + 15) * 1000;
      await expect(vm.importSamples([{ labels: { __name__: 'x', 'bad-name': 'v' }, samples: [[at, 1]] }])).rejects.toThrow(
        'series[0].labels: expected label names matching',
      );
      await expect(vm.importSamples([{ labels: { __name__: 'x' }, samples: [[at, Number.NaN]] }])).rejects.toThrow('series[0].samples[0][1]: expected a finite number; got NaN');
      await expect(vm.importSamples([{ labels: { __name__: 'x' }, samples: [[at, 1], [at, 2]] }])).rejects.toThrow(
        'series[0].samples[1][0]: expected a whole number of milliseconds after the previous sample',
      );
      expect(await queryRange(vm.url, 'x', HOUR_AGO_S, HOUR_AGO_S + 30, 15)).toEqual([]);
    } finally {
      await vm.stop();
    }
  }, 30_000);

  it('reports samples VictoriaMetrics dropped though it accepted the import, with its log', async () => {
    // Kept a day: a sample from two days ago is outside the retention, which VictoriaMetrics only logs.
    const vm = await startLocalVictoriaMetrics({ retentionPeriod: '1d' });
    try {
      const old = (HOUR_AGO_S - 2 * 86_400) * 1000;
      await expect(vm.importSamples([{ labels: { __name__: 'too_old' }, samples: [[old, 1]] }])).rejects.toThrow(
        /does not hold series\[0\]\.samples\[0\] \(\{"__name__":"too_old"\} at \d+ ms: 1; found nothing\)[\s\S]*retention/,
      );
    } finally {
      await vm.stop();
    }
  }, 30_000);

  it('reports why VictoriaMetrics exited, from its own log, and leaves no storage behind', async () => {
    await expect(startLocalVictoriaMetrics({ retentionPeriod: 'forever' })).rejects.toThrow(/victoria-metrics exited before it was ready[\s\S]*retentionPeriod/);
    expect(await storageDirs()).toEqual([]);
  }, 30_000);
});
