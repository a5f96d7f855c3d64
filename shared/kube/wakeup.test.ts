import { describe, expect, it } from 'vitest';
import { Wakeup } from './wakeup.js';

const timed = async (wait: Promise<void>) => {
  const began = performance.now();
  await wait;
  return performance.now() - began;
};

describe('Wakeup', () => {
  it('wakes soon after a change, once for a burst, and otherwise when the resync interval is up', async () => {
    const wakeup = new Wakeup();
    const never = new AbortController().signal;
    expect(await timed(wakeup.next(100, never))).toBeGreaterThanOrEqual(95);
    setTimeout(() => {
      for (let i = 0; i < 5; i++) wakeup.soon(20);
    }, 10);
    expect(await timed(wakeup.next(5_000, never))).toBeLessThan(1_000);
    // the burst was one wake-up: the next waits for the resync
    expect(await timed(wakeup.next(100, never))).toBeGreaterThanOrEqual(95);
    // a change during a pass makes the next one due at once
    wakeup.soon(1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await timed(wakeup.next(5_000, never))).toBeLessThan(50);
  });

  it('returns when the signal aborts, and at once when it has', async () => {
    const wakeup = new Wakeup();
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 20);
    expect(await timed(wakeup.next(5_000, stop.signal))).toBeLessThan(1_000);
    expect(await timed(wakeup.next(5_000, stop.signal))).toBeLessThan(50);
  });
});
