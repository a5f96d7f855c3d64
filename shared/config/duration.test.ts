import { describe, expect, it } from 'vitest';
import { formatDuration, parseGoDuration } from './duration.js';

describe('parseGoDuration', () => {
  it.each([
    ['90s', 90_000],
    ['1m30s', 90_000],
    ['5m', 300_000],
    ['1.5h', 5_400_000],
    ['250ms', 250],
    ['1h2m3s', 3_723_000],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseGoDuration(text)).toBe(ms);
  });

  it.each(['', '5', '5 minutes', '-5m', '5M', 'm', '1d', ' 5m'])('rejects %j', (text) => {
    expect(parseGoDuration(text)).toBeNull();
  });
});

describe('formatDuration', () => {
  it.each([
    [90_000, '1m30s'],
    [300_000, '5m'],
    [3_723_000, '1h2m3s'],
    [1500, '1.5s'],
    [3_600_000, '1h'],
    [500, '500ms'],
    [0, '0ms'],
  ])('writes %d ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
