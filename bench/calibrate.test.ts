import { describe, expect, it } from 'vitest';
import { calibrate, tuneKnob, type Knob } from './calibrate.js';
import { kayentaMetrics, kayentaVerdict, KAYENTA_BENCH_DEFAULTS, type KayentaSettings } from './judges/kayenta.js';
import { windowSeconds } from './judges/series.js';
import { scaleBounds, thresholdEvaluation, THRESHOLD_DEFAULTS } from './judges/threshold.js';
import { CLASS_SPECS, classCounts, isRegression } from './scenarios/classes.js';
import { generateScenarios } from './scenarios/generator.js';
import { CLASSES, type Scenario } from './scenarios/types.js';
import { falsePositiveRate, meanRecall, summarize } from './summary.js';
import { runJudge } from './run-judge.js';
import { thresholdJudge } from './judges/threshold.js';

const scenarios = generateScenarios({ seed: 3, count: 120 });
const healthy = scenarios.filter((s) => s.expected === 'pass');
const fpr = <S>(settings: S, flagged: (settings: S, s: Scenario) => boolean) => falsePositiveRate(healthy, healthy.map((s) => flagged(settings, s)));

describe('tuneKnob', () => {
  it('finds the most sensitive point with at most the target false-positive rate', () => {
    // A scenario is flagged while the knob is below its own score: every rate k / n is reachable.
    const score = (s: Scenario) => ((s.id * 37) % 101) / 100;
    const flagged = (x: number, s: Scenario) => x < score(s);
    const knob: Knob<number> = { low: 0, high: 1, settings: (x) => x };
    for (const target of [0, 0.1, 0.25, 0.5]) {
      const x = tuneKnob(knob, healthy, flagged, target, 20);
      expect(fpr(x, flagged)).toBeLessThanOrEqual(target);
      expect(fpr(x, flagged)).toBeGreaterThan(target - 1 / healthy.length);
    }
  });

  it('returns the quiet end when no setting is quiet enough, and the loud end when every one is', () => {
    const knob: Knob<number> = { low: 0, high: 1, settings: (x) => x };
    expect(tuneKnob(knob, healthy, () => true, 0.1)).toBe(1);
    expect(tuneKnob(knob, healthy, () => false, 0.1)).toBe(0);
  });
});

describe('calibrate', () => {
  it('tunes the threshold judge to the target false-positive rate within one healthy scenario', () => {
    const flagged = (slack: number, s: Scenario) => thresholdEvaluation(s, windowSeconds(s.input).endS, scaleBounds(THRESHOLD_DEFAULTS, slack)).flagged;
    const knob: Knob<number> = { low: Math.log(0.1), high: Math.log(20), settings: Math.exp };
    const target = 0.2;
    const result = calibrate([knob], scenarios, flagged, target);
    expect(result.fpr).toBeLessThanOrEqual(target);
    expect(result.fpr).toBeGreaterThanOrEqual(target - 2 / healthy.length);
    expect(result.fpr).toBe(fpr(result.settings, flagged));
  });

  it('tunes Kayenta at or below the target, choosing the tolerance with the best recall', () => {
    const prepared = new Map(scenarios.map((s) => [s, kayentaMetrics(s.input)]));
    const flagged = (settings: KayentaSettings, s: Scenario) => kayentaVerdict(prepared.get(s)!, settings).flagged;
    const knobs = [0, 0.25].map((tolerance): Knob<KayentaSettings> => ({
      low: 0.3,
      high: 4,
      settings: (x) => ({ ...KAYENTA_BENCH_DEFAULTS, tolerance, confidenceLevel: 1 - 10 ** -x }),
    }));
    // Reachable: even at 99.99% confidence Kayenta flags some healthy canaries (a lone pod's steady offset
    // separates its ten points from the baseline's).
    const target = 0.25;
    const result = calibrate(knobs, scenarios, flagged, target);
    expect(result.fpr).toBeLessThanOrEqual(target);
    expect(result.meanRecall).toBe(meanRecall(scenarios, scenarios.map((s) => flagged(result.settings, s))));
  });
});

describe('summarize', () => {
  it('reports the figures per class, counting every class whose right answer is a pass in the fpr', () => {
    const judge = thresholdJudge();
    const run = runJudge(judge, scenarios);
    const row = summarize(judge, scenarios, run);
    const counts = classCounts(scenarios.length);
    expect(Object.keys(row.recall)).toEqual(CLASSES.filter(isRegression));
    expect(Object.keys(row.ttd_median_s)).toEqual(Object.keys(row.recall));
    const flaggedHealthy = run.outcomes.filter((o, i) => o.flagged && scenarios[i]!.expected === 'pass').length;
    const passes = CLASSES.filter((label) => CLASS_SPECS[label].expected === 'pass').reduce((sum, label) => sum + counts[label], 0);
    expect(row.fpr).toBeCloseTo(flaggedHealthy / passes, 4);
    expect(row.no_analysis['no data']).toBe(1);
    expect(row.cpu_ms_per_verification).toBeGreaterThan(0);
    for (const ttd of Object.values(row.ttd_median_s)) if (ttd !== null) expect(ttd % 15).toBe(0);
  });
});
