import { describe, expect, it } from 'vitest';
import { formatChange, formatConfidence, formatMetricValue, formatPercent, formatValue, worseWord } from './explain.js';

describe('explain', () => {
  it('formats values to three significant digits', () => {
    expect(formatValue(0.05234)).toBe('0.0523');
    expect(formatValue(1234.5)).toBe('1230');
    expect(formatValue(0.2)).toBe('0.2');
  });

  it('shows ratios as percentages and other kinds as numbers', () => {
    expect(formatMetricValue(0.0102, 'ratio')).toBe('1.02%');
    expect(formatMetricValue(0.0102, 'latency')).toBe('0.0102');
  });

  it('signs changes and names a change from zero', () => {
    expect(formatChange(0.25)).toBe('+25%');
    expect(formatChange(-0.1)).toMatch(/^−10%$/);
    expect(formatChange(0)).toBe('±0%');
    expect(formatChange(Infinity)).toBe('up from 0');
    expect(formatChange(-Infinity)).toBe('down from 0');
    expect(formatPercent(0.123456)).toBe('12.3%');
  });

  it('never rounds a confidence short of certainty up to 100%', () => {
    for (const c of [0.9, 0.99, 0.995, 0.9999, 0.99996, 0.9999999]) {
      const text = formatConfidence(c);
      expect(text).not.toBe('100%');
      // Never overstated: the printed figure is at most the true one.
      expect(Number.parseFloat(text) / 100).toBeLessThanOrEqual(c);
    }
    expect(formatConfidence(0.99996)).toMatch(/^99\.996/);
    expect(formatConfidence(0.995)).toMatch(/^99\.50?%$/);
    expect(formatConfidence(1)).toBe('100%');
    expect(formatConfidence(0.5)).toBe('50%');
  });

  it('names the bad direction', () => {
    expect(worseWord('up')).toBe('higher');
    expect(worseWord('down')).toBe('lower');
  });
});
