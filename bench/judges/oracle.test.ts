import { describe, expect, it } from 'vitest';
import { scoreThreshold } from '../calibrate.js';
import { runJudge, runScenario } from '../run-judge.js';
import { generateScenario } from '../scenarios/generator.js';
import type { Scenario, ScenarioClass } from '../scenarios/types.js';
import { WINDOW_S } from '../scenarios/window.js';
import { falsePositiveRate } from '../summary.js';
import { oracleJudge, oracleStatistic, oracleStatistics } from './oracle.js';

const SEED = 17;
const draw = (label: ScenarioClass, n: number, from = 0) => Array.from({ length: n }, (_, i) => generateScenario(SEED, from + i, label, { history: false }));
const healthy = draw('healthy', 400);

function moments(xs: readonly number[]): { mean: number; sd: number } {
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  return { mean, sd: Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1)) };
}

/** Each metric's statistics over the scenarios. */
function byMetric(scenarios: readonly Scenario[]): Record<string, number[]> {
  const statistics: Record<string, number[]> = {};
  for (const scenario of scenarios) for (const { name, z } of oracleStatistics(scenario)) (statistics[name] ??= []).push(z);
  return statistics;
}

describe('oracle', () => {
  it('has a statistic per metric that is about N(0, 1) without a regression', () => {
    const statistics = byMetric(healthy);
    expect(Object.keys(statistics)).toEqual(['errors', 'latency_p95_ms', 'throughput_rps', 'cpu_cores', 'goroutines']);
    for (const zs of Object.values(statistics)) {
      expect(zs).toHaveLength(healthy.length);
      const { mean, sd } = moments(zs);
      expect(Math.abs(mean)).toBeLessThan(0.15);
      expect(sd).toBeGreaterThan(0.85);
      expect(sd).toBeLessThan(1.15);
    }
  });

  it("knows the healthy model of each class: a cold canary's warm-up and a wider spread are no regression", () => {
    for (const label of ['cold canary', 'healthy wider spread', 'outlier baseline pod'] as const) {
      for (const zs of Object.values(byMetric(draw(label, 150)))) expect(Math.abs(moments(zs).mean)).toBeLessThan(0.25);
    }
  });

  it("reads neither the stable pods nor the canary pods' own factors", () => {
    const scenario = draw('latency+25%', 1, 900)[0]!;
    const blind: Scenario = {
      ...scenario,
      input: { ...scenario.input, data: Object.fromEntries(Object.entries(scenario.input.data).map(([name, d]) => [name, { ...d, baseline: {} }])) },
      truth: { ...scenario.truth, pods: scenario.truth.pods.map((pod) => ({ ...pod, latency: 10, errors: 10, traffic: 10, cpu: 10, goroutines: 10 })) },
    };
    expect(oracleStatistics(blind)).toEqual(oracleStatistics(scenario));
  });

  it('flags at its calibrated rate on the healthy scenarios, to within one scenario, and a doubled latency always', () => {
    const target = 0.02;
    const threshold = scoreThreshold(healthy.map(oracleStatistic), target);
    const judge = oracleJudge(threshold);
    const fpr = falsePositiveRate(healthy, runJudge(judge, healthy).outcomes.map((o) => o.flagged));
    expect(fpr).toBeLessThanOrEqual(target);
    expect(fpr).toBeGreaterThan(target - 1 / healthy.length);
    for (const scenario of [...draw('latency+100%', 40), ...draw('2 stable: latency+100%', 20)]) {
      expect(runScenario(judge, scenario)).toEqual({ flagged: true, noAnalysis: false, decidedAtS: WINDOW_S });
    }
  });

  it('answers "no analysis" without canary data', () => {
    for (const scenario of draw('no data', 5)) {
      expect(oracleStatistic(scenario)).toBeNull();
      expect(runScenario(oracleJudge(0), scenario)).toMatchObject({ flagged: false, noAnalysis: true });
    }
  });
});
