import { describe, expect, it } from 'vitest';
import { CollectError } from '../source.js';
import type { PodFilter } from './nrql.js';
import { seriesOfGroups, type SeriesPlan } from './series.js';

const T0 = 1_767_225_600;
const fail = (cause: string) => new CollectError('m', 'New Relic', cause);
const group = (podTemplateHash: string, selectBy: 'label' | 'podName' = 'podName'): PodFilter => ({ podTemplateHash, selectBy, hashAttribute: 'hash', instanceAttribute: 'pod' });

function plan(overrides: Partial<SeriesPlan> = {}): SeriesPlan {
  return {
    groups: [group('a1')],
    facets: ['pod'],
    buckets: { sinceMs: T0 * 1000, untilMs: (T0 + 90) * 1000, stepS: 30, count: 3 },
    startS: T0,
    endS: T0 + 90,
    cumulative: false,
    ...overrides,
  };
}

/** A TIMESERIES FACET row as NerdGraph answers it. */
function row(pod: string, bucket: number, value: unknown, extra: Record<string, unknown> = {}, key = 'average.duration'): Record<string, unknown> {
  return { beginTimeSeconds: T0 + 30 * bucket, endTimeSeconds: T0 + 30 * (bucket + 1), facet: pod, pod, [key]: value, ...extra };
}

describe('seriesOfGroups', () => {
  it('stamps each bucket at its end, per instance, dropping buckets without data', () => {
    const rows = [row('web-a1-x', 1, 0.2), row('web-a1-x', 0, 0.1), row('web-a1-x', 2, null), row('web-a1-y', 0, 0)];
    expect(seriesOfGroups(rows, plan(), fail)).toEqual([
      new Map([
        ['web-a1-x', [[T0 + 30, 0.1], [T0 + 60, 0.2]]],
        ['web-a1-y', [[T0 + 30, 0]]],
      ]),
    ]);
  });

  it("reads a percentile's one-entry object", () => {
    expect(seriesOfGroups([row('web-a1-x', 0, { '95': 0.3 }, {}, 'percentile.duration')], plan(), fail)).toEqual([new Map([['web-a1-x', [[T0 + 30, 0.3]]]])]);
  });

  it('splits two groups by pod name, or by the faceted hash', () => {
    const byName = seriesOfGroups([row('web-a1-x', 0, 1), row('web-b2-y', 0, 2)], plan({ groups: [group('a1'), group('b2')] }), fail);
    expect(byName).toEqual([new Map([['web-a1-x', [[T0 + 30, 1]]]]), new Map([['web-b2-y', [[T0 + 30, 2]]]])]);
    const labelled = [row('p1', 0, 1, { facet: ['p1', 'b2'], hash: 'b2' }), row('p2', 0, 2, { facet: ['p2', 'a1'], hash: 'a1' })];
    expect(seriesOfGroups(labelled, plan({ groups: [group('a1', 'label'), group('b2', 'label')], facets: ['pod', 'hash'] }), fail)).toEqual([
      new Map([['p2', [[T0 + 30, 2]]]]),
      new Map([['p1', [[T0 + 30, 1]]]]),
    ]);
  });

  it('tells a pod name by the hash before its suffix, and answers undefined for a row of neither group', () => {
    expect(seriesOfGroups([row('web-a1-b2-x', 0, 1)], plan({ groups: [group('a1'), group('b2')] }), fail)).toEqual([new Map(), new Map([['web-a1-b2-x', [[T0 + 30, 1]]]])]);
    expect(seriesOfGroups([row('unrelated', 0, 1)], plan({ groups: [group('a1'), group('b2')] }), fail)).toBeUndefined();
  });

  it('keeps only samples within (start, end]', () => {
    const rows = [row('web-a1-x', -1, 5), row('web-a1-x', 0, 1), row('web-a1-x', 3, 7)];
    expect(seriesOfGroups(rows, plan(), fail)).toEqual([new Map([['web-a1-x', [[T0 + 30, 1]]]])]);
  });

  it('refuses several aggregates, none, or values that are no numbers', () => {
    expect(() => seriesOfGroups([row('web-a1-x', 0, 1, { 'max.duration': 2 })], plan(), fail)).toThrow('the query answers several values per bucket (average.duration, max.duration): select exactly one aggregate');
    expect(() => seriesOfGroups([{ beginTimeSeconds: T0, endTimeSeconds: T0 + 30, facet: 'p', pod: 'p' }], plan(), fail)).toThrow('holds no aggregate value');
    expect(() => seriesOfGroups([row('web-a1-x', 0, 'high')], plan(), fail)).toThrow('the aggregate "average.duration" answers string per bucket');
    expect(() => seriesOfGroups([row('web-a1-x', 0, { '50': 1, '95': 2 }, {}, 'percentile.duration')], plan(), fail)).toThrow('with one percentile');
    expect(() => seriesOfGroups([{ facet: 'p', count: 1 }], plan(), fail)).toThrow('no endTimeSeconds');
    expect(() => seriesOfGroups([{ endTimeSeconds: T0 + 30, facet: { a: 1 }, count: 1 }], plan(), fail)).toThrow('no facet of strings');
  });

  it('refuses two rows of one instance at one time', () => {
    expect(() => seriesOfGroups([row('web-a1-x', 0, 1), row('web-a1-x', 0, 2)], plan(), fail)).toThrow('several result rows for pod "web-a1-x"');
  });

  describe('cumulative', () => {
    const counts = (pod: string, values: (number | null)[]) => values.map((value, bucket) => row(pod, bucket, value, {}, 'count'));

    it('sums the counts from 0 at the start for an instance counted from the first bucket', () => {
      expect(seriesOfGroups(counts('web-a1-x', [2, 0, 3]), plan({ cumulative: true }), fail)).toEqual([
        new Map([['web-a1-x', [[T0, 0], [T0 + 30, 2], [T0 + 60, 2], [T0 + 90, 5]]]]),
      ]);
    });

    it('starts an instance at its first counted bucket, and leaves out one never counted', () => {
      const rows = [...counts('web-a1-late', [0, null, 4]), ...counts('web-a1-idle', [0, 0, 0])];
      expect(seriesOfGroups(rows, plan({ cumulative: true }), fail)).toEqual([new Map([['web-a1-late', [[T0 + 90, 4]]]])]);
    });

    it('puts the start sample at the start of the request, before an aligned first bucket', () => {
      const shifted = plan({ cumulative: true, startS: T0 - 10, buckets: { sinceMs: T0 * 1000, untilMs: (T0 + 90) * 1000, stepS: 30, count: 3 } });
      expect(seriesOfGroups(counts('web-a1-x', [1, 1, 1]), shifted, fail)).toEqual([new Map([['web-a1-x', [[T0 - 10, 0], [T0 + 30, 1], [T0 + 60, 2], [T0 + 90, 3]]]])]);
    });

    it('refuses a negative count', () => {
      expect(() => seriesOfGroups(counts('web-a1-x', [1, -2]), plan({ cumulative: true }), fail)).toThrow('a count per bucket is -2');
    });
  });
});
