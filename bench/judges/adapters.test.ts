import { describe, expect, it } from 'vitest';
import { generateScenario } from '../scenarios/generator.js';
import { START_S, STEP_S, WINDOW_S } from '../scenarios/window.js';
import { CLASSES, type Scenario } from '../scenarios/types.js';
import { runScenario } from '../run-judge.js';
import type { BenchJudge } from './bench-judge.js';
import { KAYENTA_BENCH_DEFAULTS, kayentaJudge, kayentaMetrics } from './kayenta.js';
import { rolloutsCvJudge } from './rollouts-cv.js';
import { groupValueAt, windowSeconds } from './series.js';
import { scaleBounds, thresholdJudge, THRESHOLD_DEFAULTS } from './threshold.js';

const SEED = 5;
const tiny = CLASSES.flatMap((label, c) => [0, 1, 2].map((i) => generateScenario(SEED, 3 * c + i, label)));
const ofClass = (label: Scenario['label']) => tiny.filter((s) => s.label === label);
const judges: BenchJudge[] = [rolloutsCvJudge('high'), rolloutsCvJudge('medium'), rolloutsCvJudge('low'), kayentaJudge(), thresholdJudge()];

describe('benchmark judges on a tiny set', () => {
  it('decide every scenario within the window, never flagging and answering "no analysis" at once', () => {
    for (const judge of judges) {
      for (const scenario of tiny) {
        const outcome = runScenario(judge, scenario);
        expect(outcome.decidedAtS % STEP_S).toBe(0);
        expect(outcome.decidedAtS > 0 && outcome.decidedAtS <= WINDOW_S).toBe(true);
        expect(outcome.flagged && outcome.noAnalysis).toBe(false);
      }
    }
  });

  it('answer "no analysis" when the canary has no series', () => {
    for (const judge of judges) {
      for (const scenario of ofClass('no data')) expect(runScenario(judge, scenario)).toMatchObject({ flagged: false, noAnalysis: true });
    }
  });

  it('flag a doubled latency', () => {
    for (const judge of [rolloutsCvJudge('high'), rolloutsCvJudge('medium'), thresholdJudge()]) {
      for (const scenario of ofClass('latency+100%')) expect(runScenario(judge, scenario).flagged).toBe(true);
    }
  });

  it('decide only at the end of the window for Kayenta; rollouts-cv and the threshold judge may fail early, and rollouts-cv never passes early', () => {
    for (const scenario of tiny) expect(runScenario(kayentaJudge(), scenario).decidedAtS).toBe(WINDOW_S);
    for (const judge of [rolloutsCvJudge('high'), thresholdJudge()]) {
      const early = ofClass('latency+100%').map((s) => runScenario(judge, s).decidedAtS);
      expect(Math.min(...early)).toBeLessThan(WINDOW_S);
    }
    for (const scenario of tiny) {
      const outcome = runScenario(rolloutsCvJudge('high'), scenario);
      if (!outcome.flagged) expect(outcome.decidedAtS).toBe(WINDOW_S);
    }
  });

  it('flag more as the rollouts-cv sensitivity rises', () => {
    const flaggedCount = (judge: BenchJudge) => tiny.filter((s) => runScenario(judge, s).flagged).length;
    const [high, medium, low] = [rolloutsCvJudge('high'), rolloutsCvJudge('medium'), rolloutsCvJudge('low')].map(flaggedCount);
    expect(high).toBeGreaterThanOrEqual(medium!);
    expect(medium).toBeGreaterThanOrEqual(low!);
  });

  it('widen the threshold bounds with more slack and keep them at slack 1', () => {
    expect(scaleBounds(THRESHOLD_DEFAULTS, 1)).toEqual(THRESHOLD_DEFAULTS);
    const wide = scaleBounds(THRESHOLD_DEFAULTS, 2);
    expect(wide.latencyMax).toBeCloseTo(1.4);
    expect(wide.throughputMin).toBe(0);
    expect(wide.errorRateFloor).toBeCloseTo(0.02);
    expect(KAYENTA_BENCH_DEFAULTS).toMatchObject({ confidenceLevel: 0.98, tolerance: 0.25, thresholds: { pass: 95, marginal: 75 } });
  });
});

describe('reading the judge input', () => {
  const scenario = ofClass('healthy')[0]!;

  it('pools a group per step: summed counts for ratios, the mean over pods otherwise', () => {
    const t = START_S + STEP_S;
    const errors = scenario.input.data.errors!.baseline;
    const pods = Object.values(errors).filter((s) => !Array.isArray(s) && s.denominator.some(([time]) => time === t));
    const sum = (side: 'numerator' | 'denominator') => pods.reduce((acc, s) => acc + (Array.isArray(s) ? 0 : s[side].find(([time]) => time === t)![1]), 0);
    expect(groupValueAt(errors, 'ratio', t)).toBeCloseTo(sum('numerator') / sum('denominator'), 12);
    expect(groupValueAt({}, 'latency', t)).toBeUndefined();
    expect(groupValueAt({ a: [[t, 10]], b: [[t, 20]], c: [[t + STEP_S, 99]] }, 'latency', t)).toBe(15);
  });

  it('gives Kayenta one value per sample time for each side, NaN for a side without a sample', () => {
    const metrics = kayentaMetrics(scenario.input);
    expect(metrics.map((m) => m.name)).toEqual(scenario.input.config.metrics.map((m) => m.name));
    for (const m of metrics) {
      expect(m.control.length).toBe(m.experiment.length);
      expect(m.control.length).toBeLessThanOrEqual(10);
    }
    const noData = kayentaMetrics(ofClass('no data')[0]!.input);
    expect(noData.every((m) => m.experiment.every(Number.isNaN))).toBe(true);
    expect(windowSeconds(scenario.input)).toEqual({ startS: START_S, endS: START_S + WINDOW_S });
  });
});
