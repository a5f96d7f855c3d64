import { describe, expect, it } from 'vitest';
import { describeCoverage, elapsedRange, isClosed, nextCheck, parseTimestamp, windowFrom } from './window.js';

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

  it('describes coverage', () => {
    expect(describeCoverage(window, at(120))).toBe('2m of the 5m window (40%)');
    expect(describeCoverage(window, at(600))).toBe('5m of the 5m window (100%)');
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
