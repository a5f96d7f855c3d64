import { describe, expect, it } from 'vitest';
import { decodeSummary, encodeSummary, MAX_SUMMARY_BYTES } from './summary.js';

describe('the verdict summary contract', () => {
  it('decodes what it encodes', () => {
    const summary = { verdict: 'Unhealthy' as const, score: 12, reasons: ['error-rate: canary 5% vs baseline 1%'] };
    expect(decodeSummary(encodeSummary(summary))).toEqual(summary);
    expect(decodeSummary(encodeSummary({ verdict: null, score: null, reasons: [] }))).toEqual({ verdict: null, score: null, reasons: [] });
  });

  it('drops reasons from the end to stay within its size', () => {
    const text = encodeSummary({ verdict: 'Healthy', score: 100, reasons: Array.from({ length: 10 }, (_, i) => `${i}`.repeat(300)) });
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(MAX_SUMMARY_BYTES);
    expect(decodeSummary(text)!.reasons[0]).toBe('0'.repeat(300));
  });

  it.each([
    ['not JSON', 'p99 120ms'],
    ['a number', '0.97'],
    ['null', 'null'],
    ['a verdict it never gives', '{"verdict":"Great","score":90}'],
    ['no verdict field', '{"score":90}'],
    ['nothing', undefined],
  ])('is undefined for %s', (_what, text) => {
    expect(decodeSummary(text)).toBeUndefined();
  });

  it('keeps a known verdict with a malformed score or reasons, without them', () => {
    expect(decodeSummary('{"verdict":"Healthy","score":"90","reasons":"x"}')).toEqual({ verdict: 'Healthy', score: null, reasons: [] });
    expect(decodeSummary('{"verdict":"Healthy","score":101,"reasons":[1,"a"]}')).toEqual({ verdict: 'Healthy', score: null, reasons: ['1', 'a'] });
  });

  it('carries the logs\' top templates, dropping them before any reason when space runs out', () => {
    const templates = [
      { template: 'ERROR payment <NUM> failed: <STR>', risk: true },
      { template: 'WARN retrying <*> in <DUR>', risk: false },
    ];
    const summary = { verdict: 'Unhealthy' as const, score: 0, reasons: ['logs: new error template in canary'], templates };
    expect(decodeSummary(encodeSummary(summary))).toEqual(summary);
    const crowded = { ...summary, reasons: Array.from({ length: 3 }, (_, i) => `${i}`.repeat(600)), templates: [{ template: 'x'.repeat(400), risk: true }, ...templates] };
    const decoded = decodeSummary(encodeSummary(crowded))!;
    expect(decoded.reasons).toHaveLength(3);
    expect((decoded.templates ?? []).length).toBeLessThan(3);
  });

  it('leaves out a template too long to match again, and malformed template entries one by one', () => {
    expect(decodeSummary(encodeSummary({ verdict: 'Healthy', score: 90, reasons: [], templates: [{ template: 'y'.repeat(501), risk: false }] }))).toEqual({ verdict: 'Healthy', score: 90, reasons: [] });
    const text = JSON.stringify({ verdict: 'Healthy', score: 90, reasons: [], templates: [{ template: 'ok <NUM>', risk: false }, { template: 3 }, 'x', { template: '', risk: true }] });
    expect(decodeSummary(text)!.templates).toEqual([{ template: 'ok <NUM>', risk: false }]);
  });
});
