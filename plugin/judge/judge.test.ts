import { describe, expect, it } from 'vitest';
import { compareLevels } from './continuous.js';
import { levelPrior, ratioPrior } from './spread.js';
import { judgeVerification } from './judge.js';
import { judgeMetric } from './metric.js';
import { compareCounts } from './ratio.js';
import { ruleFor } from './sensitivity.js';
import { FINAL, levelSeries, lookAt, metric, normalQuantiles, ratioGroup, seededRandom, upTo } from './synthetic.test-helpers.js';
import type { Random } from '../../shared/random.js';
import type { InstanceSeries } from '../collect/source.js';
import type { JudgeSettings, Look, MetricInput, RatioGroup } from './types.js';

const HIGH: JudgeSettings = { sensitivity: 'high', failOnNoData: true, unhealthyPhase: 'Failed', warmupMs: 0 };
const MEDIUM: JudgeSettings = { sensitivity: 'medium', failOnNoData: true, unhealthyPhase: 'Failed', warmupMs: 0 };

/** The service's history: `periods` earlier sets of `pods` pods side by side, drawn like today's. */
function levelHistory(random: Random, podSpread: number, noise: number, periods = 3, pods = 9): InstanceSeries[] {
  return Array.from({ length: periods }, (_, i) => levelSeries(random, { pods, level: 0.2, podSpread, noise, prefix: `old${i}` }));
}
function ratioHistory(random: Random, podSpread: number, periods = 3, pods = 9): RatioGroup[] {
  return Array.from({ length: periods }, (_, i) => ratioGroup(random, { pods, requests: 3000, rate: 0.01, podSpread, prefix: `old${i}` }));
}

/** One latency metric and one error ratio: 9 baseline pods, 1 canary pod, 10 steps of 30 s. */
function verification(seed: number, { latency = 0, errors = 1 }: { latency?: number; errors?: number } = {}): MetricInput[] {
  const random = seededRandom(seed);
  const spread = normalQuantiles(9).map((z) => 0.03 * z);
  return [
    {
      metric: metric({ name: 'latency_p95' }),
      baseline: levelSeries(random, { pods: 9, level: 0.2, podOffsets: spread, prefix: 'stable' }),
      canary: levelSeries(random, { pods: 1, level: 0.2 * (1 + latency), podOffsets: [0], prefix: 'canary' }),
      history: levelHistory(random, 0.03, 0.02),
    },
    {
      metric: metric({ name: 'errors', kind: 'ratio', critical: true }),
      baseline: ratioGroup(random, { pods: 9, requests: 300, rate: 0.01, prefix: 'stable' }),
      canary: ratioGroup(random, { pods: 1, requests: 300, rate: 0.01 * errors, prefix: 'canary' }),
      history: ratioHistory(random, 0.1),
    },
  ];
}

/** A latency canary `change` above 9 baseline pods spread (deterministically) by `spread`. */
function tightLatency(spread: number, change: number): MetricInput {
  const random = seededRandom(66);
  const baseline = levelSeries(random, { pods: 9, level: 0.2, podOffsets: normalQuantiles(9).map((z) => spread * z), noise: 0.01 });
  const canary = levelSeries(random, { pods: 1, level: 0.2 * (1 + change), podOffsets: [0], noise: 0.01, prefix: 'canary' });
  return { metric: metric(), canary, baseline, history: levelHistory(random, spread, 0.01) };
}

/** One metric judged alone, without warm-up. */
const metricAt = (input: MetricInput, sensitivity: JudgeSettings['sensitivity'], look: Look) => judgeMetric(input, { sensitivity, look, tests: 1, warmupMs: 0 });

/** What a look `elapsedS` into the window sees. */
const seenAt = (inputs: MetricInput[], elapsedS: number): MetricInput[] =>
  inputs.map((input) => ({ ...input, canary: upTo(input.canary, elapsedS), baseline: upTo(input.baseline, elapsedS) }));

describe('judgeVerification on partial data', () => {
  const warned = (inputs: MetricInput[]) => inputs.map((input, i) => (i === 0 ? { ...input, warnings: ['PromQL warning: some stores were unavailable'] } : input));

  it('never passes: what would be Healthy is Inconclusive, and the reason says why', () => {
    const result = judgeVerification(MEDIUM, warned(verification(63)), FINAL);
    expect(result).toMatchObject({ final: true, verdict: 'Healthy', phase: 'Inconclusive' });
    const latency = result.metrics.find((m) => m.name === 'latency_p95')!;
    expect(latency.warnings).toEqual(['PromQL warning: some stores were unavailable']);
    expect(latency.reason).toContain('the source warned that its answer may be partial: PromQL warning: some stores were unavailable');
  });

  it('may still fail', () => {
    const result = judgeVerification(MEDIUM, warned(verification(65, { errors: 5 })), FINAL);
    expect(result).toMatchObject({ final: true, verdict: 'Unhealthy', phase: 'Failed' });
  });

  it('stays Running while the window is open', () => {
    expect(judgeVerification(MEDIUM, seenAt(warned(verification(63)), 150), lookAt(150))).toMatchObject({ final: false, phase: 'Running' });
  });
});

describe('judgeVerification', () => {
  it('stays Running, undecided, on healthy data while the window is open', () => {
    const result = judgeVerification(HIGH, seenAt(verification(61), 150), lookAt(150));
    expect(result).toMatchObject({ final: false, verdict: null, phase: 'Running', score: null });
    // The judgements so far are still reported.
    expect(result.metrics.map((m) => m.name).sort()).toEqual(['errors', 'latency_p95']);
  });

  it('never passes before the window closes, at any look', () => {
    const inputs = verification(62);
    for (const elapsedS of [30, 60, 90, 120, 150, 180, 210, 240, 270, 299]) {
      for (const settings of [HIGH, MEDIUM, { ...MEDIUM, sensitivity: 'low' as const }]) {
        const result = judgeVerification(settings, seenAt(inputs, elapsedS), lookAt(elapsedS));
        expect(result.phase).toBe('Running');
        expect(result.final).toBe(false);
      }
    }
    // ...and passes once it has.
    expect(judgeVerification(HIGH, inputs, FINAL)).toMatchObject({ final: true, verdict: 'Healthy', phase: 'Successful', score: 100 });
  });

  it('does not decide early on missing data: it may still arrive', () => {
    const inputs = verification(63).map((input) => (input.metric.kind === 'ratio' ? input : { ...input, canary: new Map() }));
    const early = judgeVerification(HIGH, seenAt(inputs, 120), lookAt(120));
    expect(early).toMatchObject({ final: false, phase: 'Running' });
    expect(early.metrics[0]!.classification).toBe('nodata');
    expect(judgeVerification(HIGH, inputs, FINAL)).toMatchObject({ final: true, verdict: 'NoData', phase: 'Failed' });
    expect(judgeVerification({ ...HIGH, failOnNoData: false }, inputs, FINAL)).toMatchObject({ final: true, verdict: 'NoData', phase: 'Inconclusive' });
  });

  it('fails early on a gross regression', () => {
    const inputs = verification(64, { latency: 1 });
    const result = judgeVerification(HIGH, seenAt(inputs, 90), lookAt(90));
    expect(result).toMatchObject({ final: true, verdict: 'Unhealthy', phase: 'Failed' });
    expect(result.metrics[0]).toMatchObject({ name: 'latency_p95', classification: 'fail' });
    expect(result.score).toBe(50);
  });

  it('fails early on a critical error-rate regression, with a score of 0', () => {
    const result = judgeVerification(MEDIUM, seenAt(verification(65, { errors: 5 }), 120), lookAt(120));
    expect(result).toMatchObject({ final: true, verdict: 'Unhealthy', phase: 'Failed', score: 0 });
    expect(result.metrics[0]).toMatchObject({ name: 'errors', severity: 'critical' });
  });

  it('maps an early regression to the configured unhealthy phase', () => {
    const result = judgeVerification({ ...HIGH, unhealthyPhase: 'Inconclusive' }, seenAt(verification(64, { latency: 1 }), 90), lookAt(90));
    expect(result).toMatchObject({ final: true, verdict: 'Unhealthy', phase: 'Inconclusive' });
  });

  it('waits for the window’s end on a regression that is clear only at the final level', () => {
    // +30% against pods spread by 8%: significant at the end, not at the stricter interim level.
    const inputs = [tightLatency(0.08, 0.3)];
    expect(metricAt(seenAt(inputs, 240)[0]!, 'medium', lookAt(240)).classification).toBe('inconclusive');
    expect(judgeVerification(MEDIUM, seenAt(inputs, 240), lookAt(240))).toMatchObject({ final: false, phase: 'Running' });
    expect(judgeVerification(MEDIUM, inputs, FINAL)).toMatchObject({ final: true, phase: 'Failed', verdict: 'Unhealthy' });
  });

  it('ends a marginal verification early only where MediumHealthy fails (high sensitivity)', () => {
    // +16% against pods spread by 2%: significant, past the marginal effect but short of the failing one.
    const inputs = [tightLatency(0.02, 0.16)];
    expect(metricAt(seenAt(inputs, 240)[0]!, 'medium', lookAt(240)).classification).toBe('marginal');
    expect(judgeVerification(MEDIUM, seenAt(inputs, 240), lookAt(240))).toMatchObject({ final: false, phase: 'Running' });
    expect(judgeVerification(MEDIUM, inputs, FINAL)).toMatchObject({ final: true, verdict: 'MediumHealthy', phase: 'Successful', score: 50 });
    expect(judgeVerification(HIGH, seenAt(inputs, 240), lookAt(240))).toMatchObject({ final: true, verdict: 'MediumHealthy', phase: 'Failed' });
  });

  it('decides at the close and after it alike', () => {
    const inputs = verification(68, { latency: 0.05 });
    const atClose = judgeVerification(MEDIUM, inputs, FINAL);
    const later = judgeVerification(MEDIUM, inputs, lookAt(400));
    expect(atClose.final).toBe(true);
    expect(later).toEqual(atClose);
  });

  it('is NoData without metrics: never a pass', () => {
    expect(judgeVerification(MEDIUM, [], FINAL)).toMatchObject({ final: true, verdict: 'NoData', phase: 'Failed', score: null });
  });
});

// The false-alarm rate the judge promises (1 − 0.995 per metric) and the power it buys, on data drawn from
// the model the tests assume: pods of one version differ by a lognormal offset, steps add lognormal noise.
describe('calibration (seeded, a few hundred verifications each)', () => {
  const RUNS = 300;
  const POD_SPREAD = 0.05;
  const NOISE = 0.03;

  function latencyData(seed: number, change: number, pods = 9): { canary: InstanceSeries; baseline: InstanceSeries; history: InstanceSeries[] } {
    const random = seededRandom(seed);
    return {
      baseline: levelSeries(random, { pods, level: 0.2, podSpread: POD_SPREAD, noise: NOISE }),
      canary: levelSeries(random, { pods: 1, level: 0.2 * (1 + change), podSpread: POD_SPREAD, noise: NOISE, prefix: 'canary' }),
      history: levelHistory(random, POD_SPREAD, NOISE, 8, Math.max(pods, 2)),
    };
  }
  const latencyRun = (seed: number, change: number): MetricInput => ({ metric: metric(), ...latencyData(seed, change) });

  function ratioData(seed: number, factor: number): { canary: RatioGroup; baseline: RatioGroup; history: RatioGroup[] } {
    const random = seededRandom(seed);
    return {
      baseline: ratioGroup(random, { pods: 9, requests: 300, rate: 0.01, podSpread: 0.1 }),
      canary: ratioGroup(random, { pods: 1, requests: 300, rate: 0.01 * factor, podSpread: 0.1, prefix: 'canary' }),
      history: ratioHistory(random, 0.1),
    };
  }
  const ratioRun = (seed: number, factor: number): MetricInput => ({ metric: metric({ name: 'errors', kind: 'ratio' }), ...ratioData(seed, factor) });

  const share = (count: number) => count / RUNS;

  it('rarely fails a healthy canary at the final look, and fails a +50% one almost always (high sensitivity)', () => {
    let falseAlarms = 0;
    let caught = 0;
    for (let i = 0; i < RUNS; i++) {
      if (judgeVerification(HIGH, [latencyRun(10_000 + i, 0)], FINAL).phase === 'Failed') falseAlarms++;
      if (judgeVerification(HIGH, [latencyRun(20_000 + i, 0.5)], FINAL).phase === 'Failed') caught++;
    }
    expect(share(falseAlarms)).toBeLessThanOrEqual(0.02);
    expect(share(caught)).toBeGreaterThan(0.9);
  });

  it('has honest p-values: about 5% of healthy canaries fall below 0.05, about 50% below 0.5', () => {
    let below5 = 0;
    let below50 = 0;
    for (let i = 0; i < RUNS; i++) {
      const { canary, baseline, history } = latencyData(30_000 + i, 0);
      const p = compareLevels(canary, baseline, { prior: levelPrior(history, true), warmupS: 0 })!.pValue('up');
      if (p < 0.05) below5++;
      if (p < 0.5) below50++;
    }
    // Binomial(300, 0.05) has a standard deviation of 1.3 points: ±3 of them.
    expect(share(below5)).toBeGreaterThan(0.01);
    expect(share(below5)).toBeLessThan(0.09);
    expect(share(below50)).toBeGreaterThan(0.41);
    expect(share(below50)).toBeLessThan(0.59);
  });

  it('keeps false alarms rare where pods differ so much that the estimate alone often crosses the effect', () => {
    // Pods spread by 10%: a healthy canary pod is often estimated 12% or more worse; significance must hold it back.
    let crossed = 0;
    let alarms = 0;
    for (let i = 0; i < RUNS; i++) {
      const random = seededRandom(40_000 + i);
      const baseline = levelSeries(random, { pods: 9, level: 0.2, podSpread: 0.1, noise: 0.05 });
      const canary = levelSeries(random, { pods: 1, level: 0.2, podSpread: 0.1, noise: 0.05, prefix: 'canary' });
      const j = metricAt({ metric: metric(), canary, baseline, history: levelHistory(random, 0.1, 0.05) }, 'high', FINAL);
      if (j.change! >= ruleFor('high', 'latency').marginal) crossed++;
      // Inconclusive is the honest answer for one pod among pods this spread; a failure would be a false alarm.
      if (j.classification === 'fail' || j.classification === 'marginal') alarms++;
    }
    expect(share(crossed)).toBeGreaterThan(0.08);
    // Allowed: the final look's share of the 1% budget, < 1% (~2 of 300).
    expect(share(alarms)).toBeLessThanOrEqual(0.02);
  });

  it('holds the false-alarm budget over every look of the window, interim ones included', () => {
    // Ten looks per verification: 200 verifications keep this test quick.
    const runs = 200;
    let alarms = 0;
    for (let i = 0; i < runs; i++) {
      // Pods spread by 10%, so that significance, not the size of the change, is what holds alarms back.
      const random = seededRandom(50_000 + i);
      const baseline = levelSeries(random, { pods: 9, level: 0.2, podSpread: 0.1, noise: 0.05 });
      const canary = levelSeries(random, { pods: 1, level: 0.2, podSpread: 0.1, noise: 0.05, prefix: 'canary' });
      const inputs: MetricInput[] = [{ metric: metric(), canary, baseline }];
      for (let elapsedS = 30; elapsedS <= 300; elapsedS += 30) {
        if (judgeVerification(HIGH, seenAt(inputs, elapsedS), lookAt(elapsedS)).phase === 'Failed') {
          alarms++;
          break;
        }
      }
    }
    expect(alarms / runs).toBeLessThanOrEqual(0.02);
  });

  it('rarely fails a healthy error ratio, and catches a threefold one', () => {
    let falseAlarms = 0;
    let caught = 0;
    let below5 = 0;
    for (let i = 0; i < RUNS; i++) {
      const healthy = ratioData(60_000 + i, 1);
      if (judgeVerification(HIGH, [{ metric: metric({ name: 'errors', kind: 'ratio' }), ...healthy }], FINAL).phase === 'Failed') falseAlarms++;
      if (compareCounts(healthy.canary, healthy.baseline, { prior: ratioPrior(healthy.history), warmupS: 0 })!.pValue('up') < 0.05) below5++;
      if (judgeVerification(HIGH, [ratioRun(70_000 + i, 3)], FINAL).phase === 'Failed') caught++;
    }
    expect(share(falseAlarms)).toBeLessThanOrEqual(0.02);
    // Conservative rather than liberal: at most about the nominal 5%.
    expect(share(below5)).toBeLessThan(0.09);
    expect(share(caught)).toBeGreaterThan(0.9);
  });
  it('keeps the false-alarm budget for the verification, not per metric: five healthy metrics fail together no more often than one', () => {
    let alarms = 0;
    for (let i = 0; i < RUNS; i++) {
      const random = seededRandom(80_000 + i);
      const inputs: MetricInput[] = Array.from({ length: 5 }, (_, m) => {
        // Pods spread by 10%, so significance, not the size of the change, is what holds alarms back.
        const baseline = levelSeries(random, { pods: 9, level: 0.2, podSpread: 0.1, noise: 0.05 });
        const canary = levelSeries(random, { pods: 1, level: 0.2, podSpread: 0.1, noise: 0.05, prefix: 'canary' });
        return { metric: metric({ name: `m${m}` }), canary, baseline, history: levelHistory(random, 0.1, 0.05) };
      });
      if (judgeVerification(HIGH, inputs, FINAL).phase === 'Failed') alarms++;
    }
    // The verification's 1%, shared by the five: at most ~3 of 300, where 1% per metric would allow ~15.
    expect(share(alarms)).toBeLessThanOrEqual(0.01);
  });

  it('with two stable pods and the service’s history, passes healthy canaries and never passes a doubled latency', () => {
    let paused = 0;
    let healthyDoubled = 0;
    let healthyHalfAgain = 0;
    for (let i = 0; i < RUNS; i++) {
      const healthy = latencyData(90_000 + i, 0, 2);
      if (judgeVerification(HIGH, [{ metric: metric(), ...healthy }], FINAL).phase !== 'Successful') paused++;
      if (judgeVerification(HIGH, [{ metric: metric(), ...latencyData(91_000 + i, 1, 2) }], FINAL).phase === 'Successful') healthyDoubled++;
      if (judgeVerification(HIGH, [{ metric: metric(), ...latencyData(92_000 + i, 0.5, 2) }], FINAL).phase === 'Successful') healthyHalfAgain++;
    }
    expect(share(paused)).toBeLessThanOrEqual(0.03);
    expect(healthyDoubled).toBe(0);
    expect(share(healthyHalfAgain)).toBeLessThanOrEqual(0.05);
  });

  it('with two stable pods and no history, does not pass a doubled latency: it is inconclusive rather than healthy', () => {
    let healthy = 0;
    for (let i = 0; i < 100; i++) {
      const { canary, baseline } = latencyData(93_000 + i, 1, 2);
      if (judgeVerification(HIGH, [{ metric: metric(), canary, baseline }], FINAL).phase === 'Successful') healthy++;
    }
    expect(healthy).toBe(0);
  });

  it('finds a regression that begins mid-window, which the level over the whole window dilutes', () => {
    let caught = 0;
    for (let i = 0; i < RUNS; i++) {
      const random = seededRandom(95_000 + i);
      const baseline = levelSeries(random, { pods: 9, level: 0.2, podSpread: POD_SPREAD, noise: NOISE });
      // +25% from the sixth step on: a half-window regression.
      const canary = levelSeries(random, { pods: 1, level: 0.2, podSpread: POD_SPREAD, noise: NOISE, prefix: 'canary', drift: (step) => (step >= 5 ? 1.25 : 1) });
      const result = judgeVerification(HIGH, [{ metric: metric(), canary, baseline, history: levelHistory(random, POD_SPREAD, NOISE) }], FINAL);
      if (result.phase === 'Failed') caught++;
    }
    expect(share(caught)).toBeGreaterThan(0.9);
  });

  it('does not fail a canary that is slow only in its first minute, with the default warm-up', () => {
    let failed = 0;
    for (let i = 0; i < RUNS; i++) {
      const random = seededRandom(97_000 + i);
      const baseline = levelSeries(random, { pods: 9, level: 0.2, podSpread: POD_SPREAD, noise: NOISE });
      const canary = levelSeries(random, { pods: 1, level: 0.2, podSpread: POD_SPREAD, noise: NOISE, prefix: 'canary', drift: (step) => (step < 2 ? 1.3 : 1) });
      const inputs = [{ metric: metric(), canary, baseline, history: levelHistory(random, POD_SPREAD, NOISE) }];
      for (let elapsedS = 30; elapsedS <= 300; elapsedS += 30) {
        if (judgeVerification({ ...HIGH, warmupMs: 60_000 }, seenAt(inputs, elapsedS), lookAt(elapsedS)).phase !== 'Running') {
          if (elapsedS < 300) failed++;
          break;
        }
      }
    }
    expect(failed).toBe(0);
  });
});
