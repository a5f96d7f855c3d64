// Drives judges through the scenarios as the engine polls: once per step until each decides.
import type { Scenario } from './scenarios/types.js';
import { STEP_S } from './scenarios/window.js';
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

function cpuMsSince(before: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

/**
 * Every judge on each scenario in turn, so that the scenarios can be generated one at a time and dropped;
 * `visit` sees each scenario after the judges, to keep what it needs of it.
 */
export function runJudges(judges: readonly BenchJudge[], scenarios: Iterable<Scenario>, visit?: (scenario: Scenario) => void): JudgeRun[] {
  const runs: JudgeRun[] = judges.map(() => ({ outcomes: [], cpuMs: 0 }));
  for (const scenario of scenarios) {
    judges.forEach((judge, j) => {
      const before = process.cpuUsage();
      runs[j]!.outcomes.push(runScenario(judge, scenario));
      runs[j]!.cpuMs += cpuMsSince(before);
    });
    visit?.(scenario);
  }
  return runs;
}

export function runJudge(judge: BenchJudge, scenarios: Iterable<Scenario>): JudgeRun {
  return runJudges([judge], scenarios)[0]!;
}
