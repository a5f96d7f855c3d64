import { describe, expect, it } from 'vitest';
import { INTERIM_SHARE, alphaAt, ruleFor } from './sensitivity.js';
import { METRIC_KINDS, SENSITIVITIES } from './types.js';

/** The looks the engine makes: every interval while the window is open, then one at (or after) its end. */
function interimTimes(durationMs: number, intervalMs: number): number[] {
  const times: number[] = [];
  for (let t = intervalMs; t < durationMs; t += intervalMs) times.push(t);
  return times;
}

describe('alphaAt', () => {
  const combos = [
    [300_000, 30_000],
    [300_000, 45_000],
    [300_000, 60_000],
    [600_000, 30_000],
    [100_000, 30_000],
    [3_600_000, 60_000],
    [300_000, 300_000],
    [300_000, 600_000],
    [10_000, 1_000],
  ] as const;

  it.each(combos)('spends at most 1 − confidence over all looks (duration %d ms, interval %d ms)', (durationMs, intervalMs) => {
    for (const confidence of [0.995, 0.99, 0.95]) {
      const interim = interimTimes(durationMs, intervalMs).map((elapsedMs) => alphaAt(confidence, { elapsedMs, durationMs, intervalMs }));
      const final = alphaAt(confidence, { elapsedMs: durationMs, durationMs, intervalMs });
      const spent = interim.reduce((sum, a) => sum + a, 0) + final;
      expect(spent).toBeLessThanOrEqual(1 - confidence + 1e-12);
      // At least the final look's share is used, however few interim looks there are.
      expect(spent).toBeGreaterThanOrEqual((1 - INTERIM_SHARE) * (1 - confidence) - 1e-12);
      expect(INTERIM_SHARE).toBeGreaterThan(0);
      expect(INTERIM_SHARE).toBeLessThan(0.5);
      for (const a of interim) expect(final).toBeGreaterThan(a);
    }
  });

  it('gives the final look the budget less the interim share, also after the window', () => {
    const look = { durationMs: 300_000, intervalMs: 30_000 };
    expect(alphaAt(0.995, { ...look, elapsedMs: 300_000 })).toBeCloseTo(0.005 * (1 - INTERIM_SHARE), 12);
    expect(alphaAt(0.995, { ...look, elapsedMs: 330_000 })).toBeCloseTo(0.005 * (1 - INTERIM_SHARE), 12);
  });

  it('shares the verification’s budget among its tests: the sum over tests and looks stays within it', () => {
    for (const tests of [1, 5, 12]) {
      const looks = [...interimTimes(300_000, 30_000), 300_000].map((elapsedMs) => alphaAt(0.99, { elapsedMs, durationMs: 300_000, intervalMs: 30_000 }, tests));
      expect(tests * looks.reduce((sum, a) => sum + a, 0)).toBeCloseTo(0.01, 12);
    }
  });

  it('splits the interim share equally over the interim looks', () => {
    const look = { durationMs: 300_000, intervalMs: 30_000 };
    const early = alphaAt(0.995, { ...look, elapsedMs: 30_000 });
    const late = alphaAt(0.995, { ...look, elapsedMs: 270_000 });
    expect(early).toBe(late);
    expect(early).toBeCloseTo((0.005 * INTERIM_SHARE) / 9, 12);
  });

  it('is stricter before the window closes the more often it is looked at', () => {
    const at = (intervalMs: number) => alphaAt(0.995, { elapsedMs: 60_000, durationMs: 600_000, intervalMs });
    expect(at(30_000)).toBeLessThan(at(60_000));
    expect(at(60_000)).toBeLessThan(at(120_000));
  });
});

describe('ruleFor', () => {
  it('fails from a larger change than it calls marginal, for every kind and sensitivity', () => {
    for (const kind of METRIC_KINDS) {
      for (const s of SENSITIVITIES) {
        const { marginal, fail } = ruleFor(s, kind);
        expect(marginal).toBeGreaterThan(0);
        expect(fail).toBeGreaterThan(marginal);
      }
    }
  });

  it('asks for larger changes the lower the sensitivity, for every kind', () => {
    for (const kind of METRIC_KINDS) {
      const [high, medium, low] = SENSITIVITIES.map((s) => ruleFor(s, kind));
      expect(high!.marginal).toBeLessThanOrEqual(medium!.marginal);
      expect(medium!.marginal).toBeLessThan(low!.marginal);
      expect(high!.fail).toBeLessThanOrEqual(medium!.fail);
      expect(medium!.fail).toBeLessThan(low!.fail);
    }
  });

  it('requires a high confidence to find a canary worse, and only a likely failing change to hold it up, at every sensitivity', () => {
    for (const s of SENSITIVITIES) {
      const { confidence, inconclusiveFrom } = ruleFor(s, 'latency');
      expect(confidence).toBeGreaterThanOrEqual(0.99);
      expect(confidence).toBeLessThan(1);
      expect(inconclusiveFrom).toBeGreaterThan(0.5);
      expect(inconclusiveFrom).toBeLessThan(confidence);
    }
  });
});
