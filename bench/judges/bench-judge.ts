// The one interface every judge in the benchmark is driven through.
import type { Scenario, Sensitivity } from '../scenarios/types.js';

export type JudgeName = 'rollouts-cv' | 'kayenta' | 'threshold' | 'oracle';

/** A judge's answer as of one poll. */
export interface Evaluation {
  /** The judge has decided; later polls are not made. */
  final: boolean;
  /** Decided against the canary (the rollout would be aborted or paused). */
  flagged: boolean;
  /** Decided that there was not enough data to judge. */
  noAnalysis: boolean;
}

export const UNDECIDED: Evaluation = { final: false, flagged: false, noAnalysis: false };

export interface BenchJudge {
  name: JudgeName;
  sensitivity: Sensitivity | null;
  /** Tuned to a target false-positive rate on the healthy scenarios. */
  calibrated?: boolean;
  /** What sets this row apart from others of the same judge, e.g. "per metric". */
  variant?: string;
  /** The knobs in force, for the results file. */
  settings: Record<string, unknown>;
  /** The judge's answer on the scenario's data up to `nowS` (unix seconds), as the engine would poll it. */
  evaluate(scenario: Scenario, nowS: number): Evaluation;
}
