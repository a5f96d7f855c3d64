import { describe, expect, it } from 'vitest';
import type { GroupSelection } from '../source.js';
import { groupSeries, holdsInterval, MAX_POINTS, rollupIntervalMs, type TimeseriesAnswer } from './series.js';

const canary: GroupSelection = { podTemplateHash: 'c4n4ry', selectBy: 'podName', hashLabel: 'rollouts_pod_template_hash', instanceLabel: 'pod_name' };
const baseline: GroupSelection = { ...canary, podTemplateHash: 'b4s3l1n3' };
// 00:00:00 to 00:02:00; Datadog's intervals are aligned to UNIX time.
const T0 = Date.parse('2026-01-01T00:00:00Z');
const range = { start: new Date(T0 + 10_000), end: new Date(T0 + 120_000), intervalMs: 30_000, cumulative: false };
const fail = (cause: string) => new Error(cause);
const s = (ms: number) => ms / 1000;

function answer(series: { tags: string[]; query?: number; values: (number | null)[] }[]): TimeseriesAnswer {
  return {
    times: [T0, T0 + 30_000, T0 + 60_000, T0 + 90_000],
    series: series.map(({ tags, query = 0 }) => ({ groupTags: tags, queryIndex: query })),
    values: series.map(({ values }) => values),
  };
}

describe('rollupIntervalMs', () => {
  it('is the step in whole seconds', () => {
    expect(rollupIntervalMs(new Date(T0), new Date(T0 + 300_000), 30_000)).toBe(30_000);
    expect(rollupIntervalMs(new Date(T0), new Date(T0 + 300_000), 12_500)).toBe(13_000);
  });

  it(`keeps a long range under Datadog's ${MAX_POINTS} points`, () => {
    const week = 7 * 24 * 3_600_000;
    const interval = rollupIntervalMs(new Date(T0), new Date(T0 + week), 30_000);
    expect(week / interval).toBeLessThan(MAX_POINTS);
    expect(interval % 1000).toBe(0);
  });
});

describe('holdsInterval', () => {
  it('tells whether a whole interval aligned to UNIX time fits in the range', () => {
    expect(holdsInterval(new Date(T0 + 10_000), new Date(T0 + 59_999), 30_000)).toBe(false);
    expect(holdsInterval(new Date(T0 + 10_000), new Date(T0 + 60_000), 30_000)).toBe(true);
    expect(holdsInterval(new Date(T0), new Date(T0 + 30_000), 30_000)).toBe(true);
  });
});

describe('groupSeries', () => {
  it("stamps each point at its interval's end and keeps the intervals wholly inside the range, without nulls", () => {
    const { series, warnings } = groupSeries(answer([{ tags: ['pod_name:web-c4n4ry-x1'], values: [5, 6, null, 8] }]), [canary], range, fail);
    // [T0, T0+30s) reaches back before the start; [T0+90s, T0+120s) ends at the end; T0+60s has no data.
    expect(series[0]).toEqual(new Map([['web-c4n4ry-x1', [[s(T0 + 60_000), 6], [s(T0 + 120_000), 8]]]]));
    expect(warnings).toEqual([]);
  });

  it('adds per-interval counts up into running totals from 0 at the start, for a cumulative request', () => {
    const { series } = groupSeries(answer([{ tags: ['pod_name:web-c4n4ry-x1'], values: [100, 3, null, 4] }]), [canary], { ...range, cumulative: true }, fail);
    expect(series[0]!.get('web-c4n4ry-x1')).toEqual([
      [s(T0 + 10_000), 0],
      [s(T0 + 60_000), 3],
      [s(T0 + 120_000), 7],
    ]);
  });

  it('tells the groups apart by query index', () => {
    const { series } = groupSeries(
      answer([
        { tags: ['pod_name:web-b4s3l1n3-y1'], query: 1, values: [null, 1, 1, 1] },
        { tags: ['pod_name:web-c4n4ry-x1'], query: 0, values: [null, 2, 2, 2] },
      ]),
      [canary, baseline],
      range,
      fail,
    );
    expect([...series[0]!.keys()]).toEqual(['web-c4n4ry-x1']);
    expect([...series[1]!.keys()]).toEqual(['web-b4s3l1n3-y1']);
  });

  it('leaves out pods the wildcard filter matched that are not <name>-<hash>-<suffix>, saying so', () => {
    const { series, warnings } = groupSeries(answer([{ tags: ['pod_name:web-c4n4ry-x1-extra'], values: [1, 1, 1, 1] }]), [canary], range, fail);
    expect(series[0]!.size).toBe(0);
    expect(warnings).toEqual(['left out 1 series of pods not named <name>-<hash>-<suffix>: web-c4n4ry-x1-extra']);
  });

  it('keeps pods of the hash tag whatever their names, for selection by label', () => {
    const { series } = groupSeries(answer([{ tags: ['pod_name:anything'], values: [1, 1, 1, 1] }]), [{ ...canary, selectBy: 'label' }], range, fail);
    expect([...series[0]!.keys()]).toEqual(['anything']);
  });

  it('reads the interval from the times when Datadog chose a longer one, saying so', () => {
    const wide: TimeseriesAnswer = { times: [T0, T0 + 60_000], series: [{ groupTags: ['pod_name:web-c4n4ry-x1'], queryIndex: 0 }], values: [[1, 2]] };
    const { series, warnings } = groupSeries(wide, [canary], { ...range, start: new Date(T0) }, fail);
    expect(series[0]!.get('web-c4n4ry-x1')).toEqual([[s(T0 + 60_000), 1], [s(T0 + 120_000), 2]]);
    expect(warnings).toEqual(['Datadog rolled the points up over 1m, not the 30s asked for']);
  });

  it('asks to group by the instance tag when a series lacks it or two share it', () => {
    expect(() => groupSeries(answer([{ tags: ['host:h1'], values: [1, 1, 1, 1] }]), [canary], range, fail)).toThrow(
      'an answer series has no pod_name tag (its group tags: ["host:h1"]); group the query by {pod_name} so that each series is one pod',
    );
    const twice = answer([
      { tags: ['pod_name:web-c4n4ry-x1', 'container:a'], values: [1, 1, 1, 1] },
      { tags: ['pod_name:web-c4n4ry-x1', 'container:b'], values: [1, 1, 1, 1] },
    ]);
    expect(() => groupSeries(twice, [canary], range, fail)).toThrow(/^several answer series share pod_name:web-c4n4ry-x1 .*group the query by \{pod_name\} alone, so that each series is one pod$/);
  });

  it('refuses an answer whose series do not fit the request', () => {
    expect(() => groupSeries(answer([{ tags: ['pod_name:web-c4n4ry-x1'], query: 2, values: [1, 1, 1, 1] }]), [canary], range, fail)).toThrow('an answer series names query 2, but 1 were asked');
    expect(() => groupSeries(answer([{ tags: ['pod_name:web-c4n4ry-x1'], values: [1] }]), [canary], range, fail)).toThrow('an answer series has 1 values for 4 times');
  });
});
