import { describe, expect, it } from 'vitest';
import { calibrateGates, type GatedItem } from './calibrate-gates.js';
import { gateMargin, kayentaMetrics, kayentaVerdict, KAYENTA_BENCH_DEFAULTS, ungatedMetrics, verdictWithFlags } from './judges/kayenta.js';
import { createRandom } from './scenarios/random.js';
import { generateScenarios } from './scenarios/generator.js';
import { rates } from './summary.js';

/**
 * Two metrics: the first noisy on healthy items (margins up to 0.5), the second quiet (up to 0.05); the
 * regressions show on the second by 0.05–0.25. One gate for both must sit above the first metric's noise, which
 * hides most regressions; per-metric gates need not.
 */
function synthetic(): GatedItem[] {
  const random = createRandom(1);
  const healthy = Array.from({ length: 1000 }, (): GatedItem => ({ label: 'healthy', expected: 'pass', margins: [random.between(-0.5, 0.5), random.between(-0.5, 0.05)] }));
  const regressions = Array.from({ length: 200 }, (): GatedItem => ({ label: 'latency+25%', expected: 'flag', margins: [random.between(-0.5, 0.5), random.between(0.05, 0.25)] }));
  return [...healthy, ...regressions];
}

const anyFlag = (_: GatedItem, flags: readonly boolean[]) => flags.some(Boolean);

describe('calibrateGates', () => {
  it('gives each metric its own gate, at most the target fpr, with better recall than any common gate', () => {
    const items = synthetic();
    const target = 0.01;
    const result = calibrateGates(items, anyFlag, target);
    expect(result.fpr).toBeLessThanOrEqual(target);
    expect(result.fpr).toBeGreaterThan(target - 2 / 1000);
    expect(result.gates[1]!).toBeLessThan(result.gates[0]! / 5);
    const rateOf = rates(items);
    const common = Array.from({ length: 1001 }, (_, i) => i / 1000)
      .map((gate) => rateOf((i) => items[i]!.margins.some((m) => m >= gate)))
      .filter((r) => r.fpr <= target);
    expect(result.meanRecall).toBeGreaterThan(Math.max(...common.map((r) => r.meanRecall)) + 0.3);
    expect(rateOf((i) => items[i]!.margins.some((m, j) => m >= result.gates[j]!))).toEqual({ fpr: result.fpr, meanRecall: result.meanRecall });
  });

  it('leaves a metric ungated (0) when even no gate stays within its budget', () => {
    const items: GatedItem[] = [
      ...Array.from({ length: 100 }, (): GatedItem => ({ label: 'healthy', expected: 'pass', margins: [Number.NEGATIVE_INFINITY, -1] })),
      ...Array.from({ length: 10 }, (): GatedItem => ({ label: 'errors x2', expected: 'flag', margins: [0.3, -1] })),
    ];
    expect(calibrateGates(items, anyFlag, 0.05)).toEqual({ gates: [0, 0], fpr: 0, meanRecall: 1 });
  });
});

describe('Kayenta with an effect-size gate per metric', () => {
  const scenarios = generateScenarios({ seed: 9, count: 300, history: false });
  const items = scenarios.map((s) => {
    const metrics = kayentaMetrics(s.input);
    const ungated = ungatedMetrics(metrics, KAYENTA_BENCH_DEFAULTS);
    return { label: s.label, expected: s.expected, metrics, ungated, margins: ungated.map(gateMargin) };
  });
  const names = items[0]!.metrics.map((m) => m.name);

  it('answers from the ungated classification exactly as Kayenta does with those gates', () => {
    const random = createRandom(2);
    for (let round = 0; round < 5; round++) {
      const gates = names.map(() => random.between(0, 0.6));
      const settings = { ...KAYENTA_BENCH_DEFAULTS, metricGates: Object.fromEntries(names.map((name, j) => [name, gates[j]!])) };
      for (const item of items) {
        const flags = item.margins.map((m, j) => m >= gates[j]!);
        expect(verdictWithFlags(item.ungated, flags, KAYENTA_BENCH_DEFAULTS.thresholds)).toEqual(kayentaVerdict(item.metrics, settings));
      }
    }
  });

  it('is calibrated to at most the target fpr, each metric with its own gate', () => {
    const target = 0.05;
    const result = calibrateGates(items, (item, flags) => verdictWithFlags(item.ungated, flags, KAYENTA_BENCH_DEFAULTS.thresholds).flagged, target);
    expect(result.fpr).toBeLessThanOrEqual(target);
    expect(new Set(result.gates).size).toBe(names.length);
    const settings = { ...KAYENTA_BENCH_DEFAULTS, metricGates: Object.fromEntries(names.map((name, j) => [name, result.gates[j]!])) };
    expect(rates(items)((i) => kayentaVerdict(items[i]!.metrics, settings).flagged)).toEqual({ fpr: result.fpr, meanRecall: result.meanRecall });
  });
});
