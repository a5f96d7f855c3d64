// A tiny run of `npm run bench:engine`, so that the benchmark keeps working as the engine changes.
import { describe, expect, it } from 'vitest';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchPlan, runEngineBench } from './engine/run.js';

const TINY_PLAN: BenchPlan = {
  timing: { lookSeconds: 4, stepSeconds: 2, rateSeconds: 8, scrapeSeconds: 1 },
  burstLooks: 3,
  sustained: { concurrent: 4, looks: 3 },
  bursts: [6],
  instantBursts: [6],
  services: 2,
  bridge: { calls: 20, concurrency: 5, rounds: 2 },
};

describe('bench:engine', () => {
  it('measures every run and the bridge overhead', { timeout: 600_000 }, async () => {
    const result = await runEngineBench({ root: join(dirname(fileURLToPath(import.meta.url)), '..'), plan: TINY_PLAN });
    expect(result.runs.map((r) => `${r.mode} ${r.concurrent}`)).toEqual(['sustained 4', 'burst 6', 'burst-instant 6']);
    for (const run of result.runs) {
      expect(run, run.mode).toMatchObject({ errors: 0, error_measurements: 0 });
      expect(run.outcomes.error ?? 0, run.mode).toBe(0);
      expect(run.calls).toBeGreaterThanOrEqual(run.concurrent * 2);
      expect(run.prom_requests_per_verification).toBeGreaterThan(0);
      expect(run.peak_prom_concurrency).toBeGreaterThan(0);
      expect(run.peak_rss_mib).toBeGreaterThan(20);
      expect(run.p99_ms).toBeGreaterThanOrEqual(run.p50_ms);
    }
    for (const key of ['bridge_overhead_p50_ms', 'bridge_overhead_p99_ms', 'bridge_overhead_p50_ms_concurrent', 'bridge_overhead_p99_ms_concurrent'] as const) {
      expect(Number.isFinite(result[key]), key).toBe(true);
    }
  });
});
