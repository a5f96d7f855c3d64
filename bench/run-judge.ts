// Drives a judge through every scenario as the engine polls: once per step until it decides.
import { STEP_S } from './scenarios/window.js';
import type { Scenario } from './scenarios/types.js';
import type { BenchJudge } from './judges/bench-judge.js';
import { windowSeconds } from './judges/series.js';

export interface Outcome {
  flagged: boolean;
  noAnalysis: boolean;
  /** Seconds of data the judge had when it decided. */
  decidedAtS: number;
}

export function runScenario(judge: BenchJudge, scenario: Scenario): Outcome {
  const { startS, endS } = windowSeconds(scenario.input);
  for (let nowS = startS + STEP_S; nowS <= endS; nowS += STEP_S) {
    const evaluation = judge.evaluate(scenario, nowS);
    if (evaluation.final) return { flagged: evaluation.flagged, noAnalysis: evaluation.noAnalysis, decidedAtS: nowS - startS };
  }
  throw new Error(`${judge.name} did not decide scenario ${scenario.id} by the end of its window`);
}

export interface JudgeRun {
  outcomes: Outcome[];
  /** CPU time (user + system) spent evaluating, in milliseconds. */
  cpuMs: number;
}

export function runJudge(judge: BenchJudge, scenarios: readonly Scenario[]): JudgeRun {
  const before = process.cpuUsage();
  const outcomes = scenarios.map((scenario) => runScenario(judge, scenario));
  const used = process.cpuUsage(before);
  return { outcomes, cpuMs: (used.user + used.system) / 1000 };
}
