import { describe, expect, it } from 'vitest';
import { retryAfterMs, storeReason } from './log-http.js';

describe('retryAfterMs', () => {
  it('reads seconds or an HTTP date, and nothing else', () => {
    expect(retryAfterMs('3')).toBe(3000);
    const inTwoSeconds = new Date(Date.now() + 2000).toUTCString();
    expect(retryAfterMs(inTwoSeconds)).toBeGreaterThan(0);
    expect(retryAfterMs(inTwoSeconds)).toBeLessThanOrEqual(2000);
    expect(retryAfterMs('Wed, 21 Oct 2015 07:28:00 GMT')).toBe(0);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(undefined)).toBeUndefined();
  });
});

describe('storeReason', () => {
  it("quotes a plain-text reason on one line, and only a body's shape otherwise", () => {
    expect(storeReason('Loki', { text: 'parse error\r\n at line 1\u001b[31m\n', contentType: 'text/plain; charset=utf-8' })).toBe('parse error   at line 1\\x1b[31m');
    expect(storeReason('Loki', { text: '<html>token=hunter2</html>', contentType: 'text/html' })).toBe('not a Loki response (text/html, 26 bytes)');
    expect(storeReason('Loki', { text: '', contentType: 'text/plain' })).toBe('not a Loki response (text/plain, 0 bytes)');
    expect(storeReason('Loki', { text: 'x' })).toBe('not a Loki response (no content type, 1 bytes)');
  });
});
