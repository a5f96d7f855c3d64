import { describe, expect, it } from 'vitest';
import { CollectError, type HealthSource, type InstanceSeries, type SeriesRequest } from '../collect/source.js';
import { parseVerifyConfig } from '../config/schema.js';
import { isRatioGroup } from '../judge/types.js';
import { collectHistory, periodsOf } from './history.js';
import { selection } from './verification.js';

const HOUR_S = 3600;
let windows = 0;
/** A new window start per test: the history of a window is kept a while, and tests must not share it. */
const nextWindow = () => {
  const start = new Date(Date.UTC(2026, 0, 2) + windows++ * 86_400_000);
  return { start, end: new Date(start.getTime() + 300_000) };
};

function configWith(history: Record<string, string> = {}) {
  return parseVerifyConfig({
    duration: '5m',
    history,
    canary: { podTemplateHash: 'new' },
    baseline: { podTemplateHash: 'old' },
    source: { prometheus: { address: 'http://prometheus:9090' } },
    metrics: [
      { name: 'errors', kind: 'ratio', numerator: 'sum by (pod) (e_total{${selector}})', denominator: 'sum by (pod) (r_total{${selector}})' },
      { name: 'latency', kind: 'latency', query: 'p95{${selector}}' },
    ],
  });
}

/** Two pods per hour of the range, renamed every hour (a new ReplicaSet), a point every `step`. */
function source(calls: SeriesRequest[], fail?: (request: SeriesRequest) => boolean): HealthSource {
  return {
    description: 'fake',
    async fetchSeries(request) {
      calls.push(request);
      if (fail?.(request)) throw new CollectError(request.metric.name, 'fake', 'down', true);
      const stepS = request.stepMs! / 1000;
      const series: InstanceSeries = new Map();
      for (let t = request.start.getTime() / 1000 + (request.cumulative ? 0 : stepS); t <= request.end.getTime() / 1000; t += stepS) {
        const hour = Math.floor((t - 1) / HOUR_S);
        for (const pod of [`a${hour}`, `b${hour}`]) {
          const value = request.cumulative ? t : pod.startsWith('a') ? 0.1 : 0.12;
          series.set(pod, [...(series.get(pod) ?? []), [t, value]]);
        }
      }
      return { series, warnings: [] };
    },
  };
}

describe('periodsOf', () => {
  it('cuts the lookback into periods ending at the start, keeping periods with two pods or more', () => {
    const start = 10 * HOUR_S;
    const data: InstanceSeries = new Map([
      ['a', [[start - 2 * HOUR_S + 60, 1], [start - HOUR_S + 60, 1], [start, 1]]],
      ['b', [[start - HOUR_S + 60, 2], [start, 2]]],
      ['late', [[start + 1, 9]]],
    ]);
    const periods = periodsOf(data, start, 3 * HOUR_S, HOUR_S);
    // The oldest hour is empty, the next has pod a alone, the last both: only that one is a period.
    expect(periods).toHaveLength(1);
    expect([...(periods[0] as InstanceSeries).keys()]).toEqual(['a', 'b']);
  });
});

const STABLE = selection(configWith(), { podTemplateHash: 'old' });

describe('collectHistory', () => {
  it('reads the stable version’s pods over the lookback before the window, at a twelfth of the period, and splits it into periods', async () => {
    const calls: SeriesRequest[] = [];
    const window = nextWindow();
    const history = await collectHistory(configWith({ lookback: '3h', period: '1h' }), STABLE, window, source(calls));
    expect(calls).toHaveLength(3);
    for (const call of calls) {
      expect(call.group).toMatchObject({ podTemplateHash: 'old' });
      expect(call.start.getTime()).toBe(window.start.getTime() - 3 * HOUR_S * 1000);
      expect(call.end).toEqual(window.start);
      expect(call.stepMs).toBe(300_000);
    }
    expect(calls.filter((c) => c.cumulative).map((c) => c.metric.name).sort()).toEqual(['errors (denominator, history)', 'errors (numerator, history)']);
    const latency = history.get('latency')!;
    expect(latency).toHaveLength(3);
    expect(latency.map((period) => [...(period as InstanceSeries).keys()].length)).toEqual([2, 2, 2]);
    const errors = history.get('errors')!;
    expect(errors.every(isRatioGroup)).toBe(true);
  });

  it('reads nothing with history turned off', async () => {
    const calls: SeriesRequest[] = [];
    expect(await collectHistory(configWith({ lookback: '0s' }), STABLE, nextWindow(), source(calls))).toEqual(new Map());
    expect(calls).toHaveLength(0);
  });

  it('reads a window’s history once, however many looks ask for it', async () => {
    const calls: SeriesRequest[] = [];
    const window = nextWindow();
    const config = configWith({ lookback: '2h' });
    await collectHistory(config, STABLE, window, source(calls));
    await collectHistory(config, STABLE, window, source(calls));
    expect(calls).toHaveLength(3);
  });

  it('leaves out a metric whose history cannot be read, says why, and reads it again at the next look', async () => {
    const calls: SeriesRequest[] = [];
    const errors: CollectError[] = [];
    const window = nextWindow();
    const config = configWith({ lookback: '2h' });
    const failing = await collectHistory(config, STABLE, window, source(calls, (r) => r.metric.name.startsWith('latency')), { onError: (e) => errors.push(e) });
    expect([...failing.keys()]).toEqual(['errors']);
    expect(errors.map((e) => e.metric)).toEqual(['latency (history)']);
    await new Promise((resolve) => setImmediate(resolve));
    const again = await collectHistory(config, STABLE, window, source(calls));
    expect([...again.keys()].sort()).toEqual(['errors', 'latency']);
  });

  it('rejects a lookback shorter than the period, naming the field', () => {
    expect(() => configWith({ lookback: '30m', period: '1h' })).toThrow(/history\.lookback: expected 0 \(no history\) or at least the period \(1h\)/);
  });
});
