// `npm run bench:guidance [-- --scenarios N] [-- --seed S]`: how many canary pods and how much traffic each
// sensitivity of rollouts-cv needs to catch a +25% latency and a doubled error rate, and how often it flags a
// healthy canary there. Prints a table per sensitivity and writes bench/results/guidance.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { rolloutsCvJudge } from './judges/rollouts-cv.js';
import { runJudges, type JudgeRun, type Outcome } from './run-judge.js';
import { CLASS_SPECS } from './scenarios/classes.js';
import { buildScenario } from './scenarios/generator.js';
import type { Scenario, ScenarioClass, Sensitivity } from './scenarios/types.js';
import { STEP_S, WINDOW_S } from './scenarios/window.js';
import { interval95, round4, type Interval } from './summary.js';
import { classTables } from './table.js';
import { SENSITIVITIES } from '../plugin/config/schema.js';
import { positiveInteger } from './options.js';

const DEFAULT_SCENARIOS = 200;
const DEFAULT_SEED = 20261126;

export const CANARY_PODS = [1, 2, 3, 5] as const;
/** Fixed: the canary's pod count is chosen apart from the stable version's (setCanaryScale). */
export const STABLE_PODS = 9;
export const RPS_PER_POD = [5, 20, 100] as const;
/** The usual error rate and today's alike, so that errors ×2 is 0.5% against 1%. */
export const ERROR_RATE = 0.005;

/** What each cell measures, each the class of that name with the cell's pods and levels: two regressions from the first step, and healthy canaries. */
export const KINDS = ['latency+25%', 'errors x2', 'healthy'] as const satisfies readonly ScenarioClass[];
export type Kind = (typeof KINDS)[number];

export interface Cell {
  canaryPods: number;
  rpsPerPod: number;
}

export const CELLS: readonly Cell[] = CANARY_PODS.flatMap((canaryPods) => RPS_PER_POD.map((rpsPerPod) => ({ canaryPods, rpsPerPod })));

/** One scenario to judge: the `index`-th of `kind` in cell `cell` (an index into the cells). */
export interface Task {
  cell: number;
  kind: Kind;
  index: number;
}

/** Every cell's `scenarios` scenarios of every kind, in that order. */
export function tasks(cells: readonly Cell[], scenarios: number): Task[] {
  return cells.flatMap((_, cell) => KINDS.flatMap((kind) => Array.from({ length: scenarios }, (_, index) => ({ cell, kind, index }))));
}

/**
 * The class `kind` with the cell's pods, its traffic and the fixed error rate; every other level drawn as the
 * generator draws it. The id depends on the index and kind only, so that every cell's i-th scenario of a kind
 * starts from the same draws of the service (its differences from other cells owe less to which services were
 * drawn), and a larger `--scenarios` keeps the smaller run's scenarios.
 */
export function cellScenario(seed: number, cell: Cell, kind: Kind, index: number): Scenario {
  const id = index * KINDS.length + KINDS.indexOf(kind);
  return buildScenario(seed, id, kind, {
    ...CLASS_SPECS[kind],
    pods: () => ({ canary: cell.canaryPods, stable: STABLE_PODS }),
    levels: { rpsPerPod: cell.rpsPerPod, errorRate: ERROR_RATE },
  });
}

/** rollouts-cv at every sensitivity (SENSITIVITIES order) on each task's scenario, drawn, judged and dropped one at a time. */
export function judgeTasks(seed: number, cells: readonly Cell[], list: readonly Task[]): JudgeRun[] {
  function* scenarios() {
    for (const task of list) yield cellScenario(seed, cells[task.cell]!, task.kind, task.index);
  }
  return runJudges(SENSITIVITIES.map(rolloutsCvJudge), scenarios());
}

/** A flagged share with its exact 95% interval. */
export interface Rate {
  rate: number;
  ci95: Interval;
}

export function flaggedRate(outcomes: readonly Outcome[]): Rate {
  const flagged = outcomes.filter((o) => o.flagged).length;
  return { rate: round4(outcomes.length ? flagged / outcomes.length : 0), ci95: interval95(flagged, outcomes.length) };
}

export interface CellResult {
  sensitivity: Sensitivity;
  canary_pods: number;
  stable_pods: number;
  rps_per_pod: number;
  /** Flagged among the latency+25% scenarios. */
  latency_recall: Rate;
  /** Flagged among the errors ×2 scenarios. */
  errors_recall: Rate;
  /** Flagged (Failed or Inconclusive) among the healthy scenarios. */
  healthy_flagged: Rate;
}

/** Each sensitivity's figures in each cell, from `runs` (one per sensitivity, outcomes in `list` order). */
export function summarizeCells(cells: readonly Cell[], list: readonly Task[], runs: readonly JudgeRun[]): CellResult[] {
  return SENSITIVITIES.flatMap((sensitivity, s) =>
    cells.map((cell, c) => {
      const of = (kind: Kind) => flaggedRate(runs[s]!.outcomes.filter((_, i) => list[i]!.cell === c && list[i]!.kind === kind));
      return {
        sensitivity,
        canary_pods: cell.canaryPods,
        stable_pods: STABLE_PODS,
        rps_per_pod: cell.rpsPerPod,
        latency_recall: of('latency+25%'),
        errors_recall: of('errors x2'),
        healthy_flagged: of('healthy'),
      };
    }),
  );
}

const percent = (r: Rate) => `${(100 * r.rate).toFixed(1)}%`;

/** A table per sensitivity: a row per canary pod count, a column per request rate, cells "lat+25% / err×2 / healthy flagged". */
export function formatGuidance(results: readonly CellResult[]): string {
  const rpsColumns = [...new Set(results.map((r) => r.rps_per_pod))];
  const podRows = [...new Set(results.map((r) => r.canary_pods))];
  const columns = rpsColumns.map((rps) => `${rps} rps/pod`);
  const stable = results[0]?.stable_pods ?? STABLE_PODS;
  const rowNames = podRows.map((pods) => `${pods} canary / ${stable} stable`);
  return SENSITIVITIES.map((sensitivity) => {
    const cell = (row: number, column: string) => {
      const r = results.find((x) => x.sensitivity === sensitivity && x.canary_pods === podRows[row] && x.rps_per_pod === rpsColumns[columns.indexOf(column)]);
      // A run of some cells only leaves gaps in the grid.
      return r ? `${percent(r.latency_recall)} / ${percent(r.errors_recall)} / ${percent(r.healthy_flagged)}` : '-';
    };
    return `${sensitivity}: lat+25% / err×2 / healthy flagged\n${classTables('pods', rowNames, columns, columns.length, cell)}`;
  }).join('\n\n');
}

function main(): void {
  const { values } = parseArgs({ options: { scenarios: { type: 'string' }, seed: { type: 'string' } } });
  const scenarios = positiveInteger(values.scenarios, '--scenarios', DEFAULT_SCENARIOS);
  const seed = positiveInteger(values.seed, '--seed', DEFAULT_SEED);
  const began = performance.now();
  const list = tasks(CELLS, scenarios);
  const results = summarizeCells(CELLS, list, judgeTasks(seed, CELLS, list));
  const seconds = (performance.now() - began) / 1000;
  console.log(formatGuidance(results));
  console.log(`\nEach rate over ${scenarios} scenarios (seed ${seed}), its exact 95% interval in guidance.json; ${seconds.toFixed(1)} s`);
  const report = {
    judge: 'rollouts-cv',
    seed,
    scenarios_per_cell: scenarios,
    inputs: {
      sensitivities: SENSITIVITIES,
      canary_pods: CANARY_PODS,
      stable_pods: STABLE_PODS,
      rps_per_pod: RPS_PER_POD,
      error_rate: ERROR_RATE,
      // Multipliers of the canary's levels, from the first step.
      effects: Object.fromEntries(KINDS.map((kind) => [kind, CLASS_SPECS[kind].effect ?? {}])),
      window_s: WINDOW_S,
      poll_s: STEP_S,
    },
    cells: results,
    wall_s: round4(seconds),
  };
  const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'guidance.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`wrote ${out}`);
}

// The tests import this module's functions without running it.
if (!process.env.VITEST) main();
