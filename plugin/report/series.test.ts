import { describe, expect, it } from 'vitest';
import type { InstanceSeries } from '../collect/source.js';
import { groupSeries, thinned, type Point } from './series.js';

const T = 1_700_000_000;
const ms = (unixS: number) => unixS * 1000;

describe('groupSeries of a ratio', () => {
  it('draws each pod’s rate per step, pods in name order, times in ms', () => {
    const drawn = groupSeries({
      numerator: new Map([
        ['pod-b', [[T + 30, 3], [T + 60, 0]]],
        ['pod-a', [[T + 30, 1], [T + 60, 2]]],
      ]),
      denominator: new Map([
        ['pod-b', [[T + 30, 100], [T + 60, 50]]],
        ['pod-a', [[T + 30, 100], [T + 60, 200]]],
      ]),
    });
    expect(drawn.pods).toEqual([
      { pod: 'pod-a', points: [[ms(T + 30), 0.01], [ms(T + 60), 0.01]] },
      { pod: 'pod-b', points: [[ms(T + 30), 0.03], [ms(T + 60), 0]] },
    ]);
  });

  it('pools the aggregate per step as the judge does (sum of events / sum of requests), not a mean of rates', () => {
    const drawn = groupSeries({
      numerator: new Map([
        ['a', [[T + 60, 10], [T + 30, 1]]],
        ['b', [[T + 30, 9]]],
      ]),
      denominator: new Map([
        ['a', [[T + 60, 1000], [T + 30, 100]]],
        ['b', [[T + 30, 900]]],
      ]),
    });
    // Step T+30: (1 + 9) / (100 + 900) = 1%, where the mean of the pods' rates would be 1.5%. Sorted by time.
    expect(drawn.aggregate).toEqual([
      [ms(T + 30), 0.01],
      [ms(T + 60), 0.01],
    ]);
  });

  it('skips steps without requests (0, negative or not finite) in the pods and the aggregate', () => {
    const drawn = groupSeries({
      numerator: new Map([['a', [[T + 30, 1], [T + 60, 1], [T + 90, 1], [T + 120, 1], [T + 150, 2]]]]),
      denominator: new Map([['a', [[T + 30, 0], [T + 60, NaN], [T + 90, Infinity], [T + 120, -5], [T + 150, 100]]]]),
    });
    expect(drawn).toEqual({ pods: [{ pod: 'a', points: [[ms(T + 150), 0.02]] }], aggregate: [[ms(T + 150), 0.02]] });
  });

  it('counts 0 errors for a pod without a numerator series (a counter that never rose is often absent)', () => {
    const drawn = groupSeries({
      numerator: new Map([['a', [[T + 30, 4]]]]),
      denominator: new Map([
        ['a', [[T + 30, 100]]],
        ['quiet', [[T + 30, 100]]],
      ]),
    });
    expect(drawn.pods).toEqual([
      { pod: 'a', points: [[ms(T + 30), 0.04]] },
      { pod: 'quiet', points: [[ms(T + 30), 0]] },
    ]);
    expect(drawn.aggregate).toEqual([[ms(T + 30), 0.02]]);
  });

  it('leaves out a pod with no step to draw, and a numerator without requests', () => {
    const drawn = groupSeries({
      numerator: new Map([['orphan', [[T + 30, 5]]]]),
      denominator: new Map([['idle', [[T + 30, 0]]]]),
    });
    expect(drawn).toEqual({ pods: [], aggregate: [] });
  });
});

describe('groupSeries of a level', () => {
  it('draws each pod’s samples in ms and the median across pods at each time', () => {
    const series: InstanceSeries = new Map([
      ['web-c', [[T + 30, 30], [T + 60, 3]]],
      ['web-a', [[T + 30, 10], [T + 60, 1]]],
      ['web-b', [[T + 30, 20]]],
    ]);
    const drawn = groupSeries(series);
    expect(drawn.pods.map((p) => p.pod)).toEqual(['web-a', 'web-b', 'web-c']);
    expect(drawn.pods[0]!.points).toEqual([[ms(T + 30), 10], [ms(T + 60), 1]]);
    // T+60 has two pods: the median is their mean.
    expect(drawn.aggregate).toEqual([
      [ms(T + 30), 20],
      [ms(T + 60), 2],
    ]);
  });

  it('takes the median across many pods at each time', () => {
    // 200 pods × 100 steps: at step k the pods hold 0..199 shuffled (7 is coprime with 200), plus k.
    const series: InstanceSeries = new Map(
      Array.from({ length: 200 }, (_, p) => [`pod-${p}`, Array.from({ length: 100 }, (_, k): [number, number] => [T + 30 * k, ((p * 7) % 200) + k])]),
    );
    const drawn = groupSeries(series);
    expect(drawn.pods).toHaveLength(200);
    // The median of 200 values: the mean of the 100th and 101st, (99 + 100) / 2.
    expect(drawn.aggregate).toEqual(Array.from({ length: 100 }, (_, k) => [ms(T + 30 * k), 99.5 + k]));
  });

  it('drops values that are not finite, and pods left without any', () => {
    const drawn = groupSeries(
      new Map([
        ['a', [[T + 30, NaN], [T + 60, 5]]],
        ['b', [[T + 30, Infinity]]],
      ]),
    );
    expect(drawn).toEqual({ pods: [{ pod: 'a', points: [[ms(T + 60), 5]] }], aggregate: [[ms(T + 60), 5]] });
  });

  it('sorts the aggregate by time whatever order the pods’ samples come in', () => {
    const drawn = groupSeries(
      new Map([
        ['a', [[T + 90, 1]]],
        ['b', [[T + 30, 2]]],
        ['c', [[T + 60, 3]]],
      ]),
    );
    expect(drawn.aggregate.map(([t]) => t)).toEqual([ms(T + 30), ms(T + 60), ms(T + 90)]);
  });
});

describe('thinned', () => {
  const series = (length: number, value: (i: number) => number = (i) => Math.sin(i / 50)): Point[] => Array.from({ length }, (_, i): Point => [i * 1000, value(i)]);

  it('keeps a series that fits as it is', () => {
    const short = series(600);
    expect(thinned(short, 600)).toEqual(short);
    expect(thinned([], 600)).toEqual([]);
  });

  it('keeps at most max points, in time order, with the lowest and highest of each run', () => {
    const long = series(3600);
    const kept = thinned(long, 600);
    expect(kept.length).toBeLessThanOrEqual(600);
    expect(kept.length).toBeGreaterThan(500);
    expect(kept.every((point, i) => i === 0 || point[0] > kept[i - 1]![0])).toBe(true);
    for (let run = 0; run < 300; run += 1) {
      const slice = long.slice(run * 12, (run + 1) * 12).map(([, v]) => v);
      const within = kept.filter(([t]) => t >= run * 12_000 && t < (run + 1) * 12_000).map(([, v]) => v);
      expect([Math.min(...within), Math.max(...within)]).toEqual([Math.min(...slice), Math.max(...slice)]);
    }
  });

  it('keeps a one-step spike and dip that a chart must show', () => {
    const flat = series(36_000, () => 1);
    flat[12_345] = [12_345_000, 50];
    flat[30_001] = [30_001_000, -3];
    const kept = thinned(flat, 600);
    expect(kept).toContainEqual([12_345_000, 50]);
    expect(kept).toContainEqual([30_001_000, -3]);
  });
});
