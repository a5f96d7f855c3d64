import { describe, expect, it } from 'vitest';
import { MAX_ATTEMPTS, passes, retryAfterMs, retryLater } from './http-retry.js';
import type { StepRecord } from './status.js';

const NOW = new Date('2026-12-05T10:00:00Z');
const record = (state?: Record<string, string>): StepRecord => ({ name: 'notify', type: 'webhook', phase: 'Running', ...(state && { state }) });

describe('passes', () => {
  it('takes 408, 429 and 5xx for failures that pass, and other answers for final', () => {
    expect([408, 429, 500, 502, 503, 504].every(passes)).toBe(true);
    expect([400, 401, 403, 404, 409, 422, 302].some(passes)).toBe(false);
  });
});

describe('retryAfterMs', () => {
  it('reads seconds or an HTTP date, and nothing else', () => {
    expect(retryAfterMs('7', NOW)).toBe(7000);
    expect(retryAfterMs('Sat, 05 Dec 2026 10:01:00 GMT', NOW)).toBe(60_000);
    expect(retryAfterMs('Sat, 05 Dec 2026 09:00:00 GMT', NOW)).toBe(0);
    for (const odd of [undefined, '', 'soon', '-5', '1e9', '99999999999']) expect(retryAfterMs(odd, NOW), String(odd)).toBeUndefined();
  });
});

describe('retryLater', () => {
  it('waits twice as long after each failure, up to 2 minutes, and fails after MAX_ATTEMPTS', () => {
    let current = record();
    const waits: number[] = [];
    for (;;) {
      const outcome = retryLater(current, 'POST https://hooks.example/x answered 503', NOW);
      if (outcome.phase !== 'Running') {
        expect(outcome).toEqual({ phase: 'Failed', failure: 'error', message: `POST https://hooks.example/x answered 503; gave up after ${MAX_ATTEMPTS} attempts` });
        break;
      }
      waits.push(outcome.recheckAfterMs);
      current = record(outcome.state);
    }
    expect(waits).toEqual([5000, 10_000, 20_000, 40_000]);
    expect(retryLater(record({ attempts: '1' }), 'x', NOW)).toMatchObject({ message: `x; trying again in 10s (attempt 3 of ${MAX_ATTEMPTS})` });
  });

  it('follows Retry-After within bounds, keeps the rest of the state, and reads a damaged count as none', () => {
    expect(retryLater(record({ until: 'later' }), 'x', NOW, '30')).toMatchObject({ recheckAfterMs: 30_000, state: { until: 'later', attempts: '1' } });
    expect(retryLater(record(), 'x', NOW, '0')).toMatchObject({ recheckAfterMs: 1000 });
    expect(retryLater(record(), 'x', NOW, '86400')).toMatchObject({ recheckAfterMs: 600_000 });
    expect(retryLater(record({ attempts: '-3' }), 'x', NOW)).toMatchObject({ state: { attempts: '1' } });
    expect(retryLater(record({ attempts: 'many' }), 'x', NOW)).toMatchObject({ state: { attempts: '1' } });
  });
});
