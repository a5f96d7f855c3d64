import { describe, expect, it } from 'vitest';
import { judgeKayenta, type KayentaMetricInput } from './index.js';

/** Deterministic normal samples (mulberry32 + Box-Muller), so the tests never flake. */
function normalSample(n: number, mean: number, sd: number, seed: number): number[] {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from({ length: n }, () => {
    const u = 1 - uniform();
    const v = uniform();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  });
}

const thresholds = { pass: 95, marginal: 75 };
const baseline = normalSample(60, 100, 10, 1);

describe('judgeKayenta', () => {
  it('passes identical data with a full score', () => {
    const result = judgeKayenta({ metrics: [{ name: 'latency', control: baseline, experiment: [...baseline] }], thresholds });
    expect(result.metrics[0]?.classification).toBe('Pass');
    expect(result.score).toBe(100);
    expect(result.classification).toBe('Pass');
    expect(result.reason).toBeUndefined();
  });

  it('passes a canary drawn from the same distribution', () => {
    const result = judgeKayenta({
      metrics: [{ name: 'latency', control: baseline, experiment: normalSample(60, 100, 10, 2) }],
      thresholds,
    });
    expect(result.metrics[0]?.classification).toBe('Pass');
    expect(result.classification).toBe('Pass');
  });

  it('flags a clear shift up as High when the direction watches increases', () => {
    const experiment = normalSample(60, 150, 10, 3);
    for (const direction of ['either', 'increase'] as const) {
      const result = judgeKayenta({ metrics: [{ name: 'latency', control: baseline, experiment, config: { direction } }], thresholds });
      const metric = result.metrics[0];
      expect(metric?.classification).toBe('High');
      expect(metric?.interval?.lower).toBeGreaterThan(0);
      expect(metric?.deviation).toBeGreaterThan(1.4);
      expect(result.score).toBe(0);
      expect(result.classification).toBe('Fail');
    }
    const ignored = judgeKayenta({ metrics: [{ name: 'latency', control: baseline, experiment, config: { direction: 'decrease' } }], thresholds });
    expect(ignored.metrics[0]?.classification).toBe('Pass');
  });

  it('lets the effect-size gate pass a shift smaller than allowedIncrease', () => {
    const experiment = normalSample(60, 150, 10, 3);
    const result = judgeKayenta({
      metrics: [{ name: 'latency', control: baseline, experiment, config: { effectSize: { allowedIncrease: 2 } } }],
      thresholds,
    });
    expect(result.metrics[0]?.classification).toBe('Pass');
  });

  it('scores 0 when a critical metric fails, whatever the other metrics say', () => {
    const metrics: KayentaMetricInput[] = [
      { name: 'errors', control: baseline, experiment: normalSample(60, 150, 10, 4), config: { critical: true } },
      ...['a', 'b', 'c'].map((name, i) => ({ name, control: baseline, experiment: normalSample(60, 100, 10, 10 + i) })),
    ];
    const result = judgeKayenta({ metrics, thresholds });
    expect(result.metrics[0]?.classification).toBe('High');
    expect(result.metrics[0]?.critical).toBe(true);
    expect(result.score).toBe(0);
    expect(result.classification).toBe('Fail');
    expect(result.reason).toMatch(/Canary Failed: errors/);
  });

  it('scores 0 when half the metrics have no data, and ignores Nodata otherwise', () => {
    const empty = { name: 'empty', control: [Number.NaN, Number.NaN], experiment: [] };
    const half = judgeKayenta({ metrics: [{ name: 'ok', control: baseline, experiment: [...baseline] }, empty], thresholds });
    expect(half.metrics[1]?.classification).toBe('Nodata');
    expect(half.score).toBe(0);
    expect(half.reason).toMatch(/NODATA/);

    const third = judgeKayenta({
      metrics: [{ name: 'ok', control: baseline, experiment: [...baseline] }, { name: 'ok2', control: baseline, experiment: [...baseline] }, empty],
      thresholds,
    });
    expect(third.score).toBe(100);
  });

  it('counts required but missing data as a failure', () => {
    const result = judgeKayenta({
      metrics: [
        { name: 'ok', control: baseline, experiment: [...baseline] },
        { name: 'required', control: baseline, experiment: [], config: { mustHaveData: true } },
      ],
      thresholds,
    });
    expect(result.metrics[1]?.classification).toBe('NodataFailMetric');
    expect(result.score).toBe(50);
    expect(result.classification).toBe('Fail');
  });

  it('weights groups and leaves muted metrics out of the score', () => {
    const high = normalSample(60, 150, 10, 5);
    const result = judgeKayenta({
      metrics: [
        { name: 'latency', control: baseline, experiment: high, groups: ['latency'] },
        { name: 'cpu', control: baseline, experiment: [...baseline], groups: ['system'] },
        { name: 'noisy', control: baseline, experiment: high, groups: ['system'], config: { muted: true } },
      ],
      groupWeights: { latency: 20, system: 80 },
      thresholds,
    });
    expect(result.metrics.map((m) => m.classification)).toEqual(['High', 'Pass', 'High']);
    expect(result.score).toBe(80);
    expect(result.classification).toBe('Marginal');
  });

  it('removes NaNs by default and outliers only when asked', () => {
    const spiky = [...baseline.slice(0, 59), 10_000];
    const kept = judgeKayenta({ metrics: [{ name: 'm', control: [...baseline, Number.NaN], experiment: spiky }], thresholds });
    expect(kept.metrics[0]?.controlStats.count).toBe(60);
    expect(kept.metrics[0]?.experimentStats.max).toBe(10_000);
    const removed = judgeKayenta({
      metrics: [{ name: 'm', control: baseline, experiment: spiky, config: { outliers: { strategy: 'remove' } } }],
      thresholds,
    });
    expect(removed.metrics[0]?.experimentStats.count).toBe(59);
  });

  it('replaces NaNs with zeros when configured, so a side without samples is not Nodata', () => {
    const result = judgeKayenta({
      metrics: [{ name: 'errors', control: [0, 0, 1, 0], experiment: [Number.NaN, Number.NaN], config: { nanStrategy: 'replace' } }],
      thresholds,
    });
    expect(result.metrics[0]?.experimentStats).toMatchObject({ count: 2, mean: 0 });
    expect(result.metrics[0]?.classification).not.toBe('Nodata');
  });

  it('warns when a side has fewer than 50 points', () => {
    const result = judgeKayenta({ metrics: [{ name: 'short', control: baseline.slice(0, 10), experiment: baseline.slice(10, 20) }], thresholds });
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toMatch(/short: fewer than 50/);
  });

  it('uses Kayenta defaults: tolerance 0.25 and 98% confidence', () => {
    const experiment = normalSample(60, 106, 10, 6);
    const base = { metrics: [{ name: 'm', control: baseline, experiment }], thresholds };
    const defaults = judgeKayenta(base).metrics[0];
    const explicit = judgeKayenta({ ...base, tolerance: 0.25, confidenceLevel: 0.98 }).metrics[0];
    const at95 = judgeKayenta({ ...base, confidenceLevel: 0.95 }).metrics[0];
    expect(defaults?.interval).toEqual(explicit?.interval);
    expect(defaults?.classification).toBe(explicit?.classification);
    // A 98% interval is wider than a 95% one around the same estimate.
    const width = (m: typeof defaults) => (m?.interval ? m.interval.upper - m.interval.lower : Number.NaN);
    expect(width(defaults)).toBeGreaterThan(width(at95));
  });
});
