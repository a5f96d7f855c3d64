import { describe, expect, it } from 'vitest';
import { createLogger } from '../shared/log.js';
import { WebAPIRateLimitedError } from '@slack/web-api';
import { Backoff, isolated, workOn } from './backoff.js';

describe('Backoff', () => {
  it('waits twice as long after each failure, up to the cap, and starts again after a success', () => {
    const backoff = new Backoff({ initialMs: 1_000, maxMs: 10_000 });
    let now = 0;
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      expect(backoff.due('a', now)).toBe(true);
      const delay = backoff.failed('a', now);
      delays.push(delay);
      expect(backoff.due('a', now + delay - 1)).toBe(false);
      now += delay;
    }
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
    backoff.succeeded('a');
    expect(backoff.failed('a', now)).toBe(1_000);
  });

  it('keeps objects apart: one that keeps failing does not delay another', () => {
    const backoff = new Backoff({ initialMs: 1_000, maxMs: 10_000 });
    for (let i = 0; i < 5; i++) backoff.failed('bad', 0);
    expect(backoff.due('bad', 5_000)).toBe(false);
    expect(backoff.due('good', 0)).toBe(true);
  });

  it('forgets objects not tried for long (gone meanwhile)', () => {
    const backoff = new Backoff({ initialMs: 1_000, maxMs: 10_000 });
    backoff.failed('gone', 0);
    backoff.failed('gone', 1_000);
    backoff.failed('other', 100_000);
    expect(backoff.size).toBe(1);
  });
});

describe('isolated', () => {
  /** A back-off of 1 s to 10 s, a log whose lines are kept, and work that fails with `error`, counting its runs. */
  function failing(error: Error) {
    const lines: Record<string, unknown>[] = [];
    const log = createLogger({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    let runs = 0;
    const work = async () => {
      runs++;
      throw error;
    };
    return { lines, log, backoff: new Backoff({ initialMs: 1_000, maxMs: 10_000 }), work, runs: () => runs };
  }

  it('logs a failure with the object, backs it off, and skips it until due', async () => {
    const { lines, log, backoff, work, runs } = failing(new Error('HTTP 422: spec.evidence.score must be of type integer'));
    const attempt = (now: number) => isolated({ log, backoff, now }, { key: 'uid-1', object: 'Rollout shop/web', what: 'intervention work' }, work);
    await attempt(0);
    await attempt(500);
    await attempt(1_000);
    expect(runs()).toBe(2);
    expect(lines).toEqual([
      expect.objectContaining({ level: 'warn', msg: 'intervention work failed; retried with back-off', object: 'Rollout shop/web', err: 'HTTP 422: spec.evidence.score must be of type integer', retryInS: 1 }),
      expect.objectContaining({ retryInS: 2 }),
    ]);
  });

  it("does not back an object off for Slack's rate limit: a later pass tries it again", async () => {
    const { lines, log, backoff, work, runs } = failing(new WebAPIRateLimitedError(1));
    const attempt = (now: number) => isolated({ log, backoff, now }, workOn('publishing the approval request', 'prod', 'ApprovalRequest', { metadata: { namespace: 'shop', name: 'web-abc-s1', uid: 'u1' } }), work);
    await attempt(0);
    await attempt(10);
    expect(runs()).toBe(2);
    expect(backoff.size).toBe(0);
    expect(lines).toEqual([
      expect.objectContaining({ level: 'debug', msg: "publishing the approval request: Slack's rate limit; a later pass tries again", object: 'ApprovalRequest shop/web-abc-s1' }),
      expect.objectContaining({ level: 'debug' }),
    ]);
  });
});
