import { describe, expect, it } from 'vitest';
import { increasesPerStep } from './counters.js';
import type { InstanceSeries, Sample } from './source.js';

const START = 1000;
const series = (entries: Record<string, Sample[]>): InstanceSeries => new Map(Object.entries(entries));

describe('increasesPerStep', () => {
  it('takes the increase of each step from the counter values, the first value (at the start) being the base', () => {
    const denominator = series({ p1: [[1000, 500], [1015, 530], [1030, 530], [1045, 590]] });
    const numerator = series({ p1: [[1000, 10], [1015, 11], [1030, 11], [1045, 13]] });
    expect(increasesPerStep(numerator, denominator, START)).toEqual({
      denominator: series({ p1: [[1015, 30], [1030, 0], [1045, 60]] }),
      numerator: series({ p1: [[1015, 1], [1030, 0], [1045, 2]] }),
    });
  });

  it('counts the new value after a counter reset (a restarted container)', () => {
    const denominator = series({ p1: [[1000, 500], [1015, 520], [1030, 7], [1045, 20]] });
    const numerator = series({ p1: [[1000, 9], [1015, 9], [1030, 1], [1045, 1]] });
    expect(increasesPerStep(numerator, denominator, START)).toEqual({
      denominator: series({ p1: [[1015, 20], [1030, 7], [1045, 13]] }),
      numerator: series({ p1: [[1015, 0], [1030, 1], [1045, 0]] }),
    });
  });

  it('counts 0 events at a step without a numerator value, and a numerator that appears from 0 (created by its first event)', () => {
    const denominator = series({ p1: [[1000, 100], [1015, 130], [1030, 160], [1045, 190]] });
    const numerator = series({ p1: [[1030, 2], [1045, 3]] });
    expect(increasesPerStep(numerator, denominator, START).numerator).toEqual(series({ p1: [[1015, 0], [1030, 2], [1045, 1]] }));
  });

  it('counts a pod that appears during the window from 0: its counters started then', () => {
    const denominator = series({ old: [[1000, 100], [1015, 130]], fresh: [[1015, 40], [1030, 90]] });
    const numerator = series({ fresh: [[1015, 1], [1030, 1]] });
    expect(increasesPerStep(numerator, denominator, START)).toEqual({
      denominator: series({ old: [[1015, 30]], fresh: [[1015, 40], [1030, 50]] }),
      numerator: series({ fresh: [[1015, 1], [1030, 0]] }),
    });
  });

  it('bridges a gap in a series with the increase over it', () => {
    const denominator = series({ p1: [[1000, 100], [1015, 130], [1060, 250]] });
    expect(increasesPerStep(new Map(), denominator, START).denominator).toEqual(series({ p1: [[1015, 30], [1060, 120]] }));
    const steady = series({ p1: [[1000, 100], [1015, 130], [1030, 160], [1045, 190]] });
    const gappy = series({ p1: [[1000, 5], [1015, 6], [1045, 8]] });
    expect(increasesPerStep(gappy, steady, START).numerator).toEqual(series({ p1: [[1015, 1], [1030, 0], [1045, 2]] }));
  });

  it('leaves out the numerator of an instance that never had one, so a group without the series shows as such', () => {
    const denominator = series({ p1: [[1000, 100], [1015, 130]], p2: [[1000, 100], [1015, 130]] });
    const numerator = series({ p1: [[1000, 0], [1015, 0]], p3: [[1000, 5], [1015, 6]] });
    const { numerator: counted } = increasesPerStep(numerator, denominator, START);
    expect([...counted.keys()]).toEqual(['p1']);
  });
});
