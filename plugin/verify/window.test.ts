import { describe, expect, it } from 'vitest';
import type { InstanceSeries } from '../collect/source.js';
import { describeCoverage, elapsedRange, groupWithin, samplesWithin, isClosed, lookElapsedMs, lookRange, nextCheck, parseTimestamp, windowFrom } from './window.js';

const start = new Date('2026-01-01T00:00:00Z');
const at = (seconds: number) => new Date(start.getTime() + seconds * 1000);
const window = windowFrom(start, 300_000);

describe('verification window', () => {
  it('ends duration after the start', () => {
    expect(window.end).toEqual(at(300));
  });

  it('is closed from its end on', () => {
    expect(isClosed(window, at(299))).toBe(false);
    expect(isClosed(window, at(300))).toBe(true);
  });

  it('covers what has happened, and exactly the window once closed', () => {
    expect(elapsedRange(window, at(120))).toEqual({ start, end: at(120) });
    expect(elapsedRange(window, at(900))).toEqual({ start, end: at(300) });
    expect(elapsedRange(window, at(-5))).toEqual({ start, end: start });
  });

  it('checks again after the interval but not past the end', () => {
    expect(nextCheck(window, at(0), 30_000)).toEqual(at(30));
    expect(nextCheck(window, at(290), 30_000)).toEqual(at(300));
  });

  it('looks again at the next whole interval, so a late look does not push every later one off the grid', () => {
    expect(nextCheck(window, at(31), 30_000)).toEqual(at(60));
    expect(nextCheck(window, at(59.5), 30_000)).toEqual(at(60));
    expect(nextCheck(window, at(60), 30_000)).toEqual(at(90));
  });

  it('describes coverage', () => {
    expect(describeCoverage(window, at(120))).toBe('2m of the 5m window (40%)');
    expect(describeCoverage(window, at(600))).toBe('5m of the 5m window (100%)');
  });
});

describe('looks', () => {
  it('judge whole intervals only while the window is open', () => {
    expect(lookElapsedMs(45_000, 300_000, 30_000)).toBe(30_000);
    expect(lookElapsedMs(60_000, 300_000, 30_000)).toBe(60_000);
    expect(lookElapsedMs(29_999, 300_000, 30_000)).toBe(0);
    expect(lookElapsedMs(-5_000, 300_000, 30_000)).toBe(0);
    expect(lookRange(window, at(75), 30_000)).toEqual({ start, end: at(60) });
    expect(lookRange(window, at(119), 60_000)).toEqual({ start, end: at(60) });
  });

  it('judge the whole window once it has closed, even when the intervals do not divide it', () => {
    expect(lookElapsedMs(95_000, 100_000, 30_000)).toBe(90_000);
    expect(lookElapsedMs(100_000, 100_000, 30_000)).toBe(100_000);
    expect(lookElapsedMs(900_000, 100_000, 30_000)).toBe(100_000);
    expect(lookRange(window, at(300), 30_000)).toEqual({ start, end: at(300) });
    expect(lookRange(window, at(900), 30_000)).toEqual({ start, end: at(300) });
  });
});

describe('parseTimestamp', () => {
  it('reads RFC 3339 times', () => {
    expect(parseTimestamp('2026-01-01T00:00:00Z')).toEqual(start);
  });

  it.each([undefined, '', 'yesterday', '1767225600', '2026-13-45T99:00:00Z', 42])('refuses %j', (text) => {
    expect(parseTimestamp(text)).toBeNull();
  });
});

describe('samplesWithin', () => {
  const series: InstanceSeries = new Map([
    ['a', [[100, 1], [115, 2], [130, 3], [145, 4]]],
    ['b', []],
  ]);
  it('keeps start < t <= until: a sample stamped at the start describes the time before the window', () => {
    expect(samplesWithin(series, 100, 130)).toEqual(new Map([['a', [[115, 2], [130, 3]]], ['b', []]]));
    expect(samplesWithin(series, 99)).toEqual(series);
    expect(samplesWithin(series, 145).get('a')).toEqual([]);
  });
  it('cuts both counts of a ratio alike', () => {
    expect(groupWithin({ numerator: series, denominator: series }, 115, 130)).toEqual({ numerator: new Map([['a', [[130, 3]]], ['b', []]]), denominator: new Map([['a', [[130, 3]]], ['b', []]]) });
  });
});
