import { describe, expect, it } from 'vitest';
import { CELLS, cellScenario, ERROR_RATE, flaggedRate, formatGuidance, judgeTasks, KINDS, STABLE_PODS, summarizeCells, tasks, type Cell, type Kind } from './guidance.js';
import type { JudgeRun, Outcome } from './run-judge.js';
import type { RatioSeries, Scenario } from './scenarios/types.js';
import { STEP_S } from './scenarios/window.js';
import { interval95 } from './summary.js';
import { SENSITIVITIES } from '../plugin/config/schema.js';

const SEED = 7;

const canaryNames = (s: Scenario) => Object.keys(s.input.data.errors!.canary);
const baselineNames = (s: Scenario) => Object.keys(s.input.data.errors!.baseline);

/** Mean requests per pod and step over the stable pods. */
function meanRequests(s: Scenario): number {
  const counts = Object.values(s.input.data.errors!.baseline).flatMap((series) => (series as RatioSeries).denominator.map(([, v]) => v));
  return counts.reduce((sum, v) => sum + v, 0) / counts.length;
}

describe('cellScenario', () => {
  const cell: Cell = { canaryPods: 3, rpsPerPod: 20 };

  it("runs the cell's canary and stable pods at its traffic and the fixed error rate, with the kind's regression from the first step", () => {
    const effects: Record<Kind, { effect: object; onsetS: number | null; expected: string }> = {
      'latency+25%': { effect: { latency: 1.25, errors: 1, traffic: 1, cpu: 1 }, onsetS: 0, expected: 'flag' },
      'errors x2': { effect: { latency: 1, errors: 2, traffic: 1, cpu: 1 }, onsetS: 0, expected: 'flag' },
      healthy: { effect: { latency: 1, errors: 1, traffic: 1, cpu: 1 }, onsetS: null, expected: 'pass' },
    };
    for (const kind of KINDS) {
      const s = cellScenario(SEED, cell, kind, 0);
      expect(s.label).toBe(kind);
      expect({ effect: s.truth.effect, onsetS: s.truth.onsetS, expected: s.expected }).toEqual(effects[kind]);
      expect(canaryNames(s)).toHaveLength(3);
      expect(baselineNames(s)).toHaveLength(STABLE_PODS);
      expect(s.truth.pods.filter((p) => p.canary)).toHaveLength(3);
      // Usual and today's levels alike: no drawn factor on the traffic or the error rate.
      for (const levels of [s.profile, s.truth.today]) expect(levels).toMatchObject({ rpsPerPod: 20, errorRate: ERROR_RATE });
      expect(meanRequests(s) / (20 * STEP_S)).toBeGreaterThan(0.75);
      expect(meanRequests(s) / (20 * STEP_S)).toBeLessThan(1.3);
      expect(Object.keys(s.input.history!.errors![0]!)).toHaveLength(STABLE_PODS);
    }
  });

  it('is deterministic, and starts each index from the same draws of the service in every cell', () => {
    expect(cellScenario(SEED, cell, 'errors x2', 3)).toEqual(cellScenario(SEED, cell, 'errors x2', 3));
    expect(cellScenario(SEED, cell, 'errors x2', 3)).not.toEqual(cellScenario(SEED, cell, 'errors x2', 4));
    expect(cellScenario(SEED + 1, cell, 'errors x2', 3)).not.toEqual(cellScenario(SEED, cell, 'errors x2', 3));
    const elsewhere = cellScenario(SEED, { canaryPods: 1, rpsPerPod: 100 }, 'errors x2', 3);
    const here = cellScenario(SEED, cell, 'errors x2', 3);
    expect(elsewhere.truth.noise).toEqual(here.truth.noise);
    expect(elsewhere.truth.today.latencyMs).toBe(here.truth.today.latencyMs);
    expect(cellScenario(SEED, cell, 'healthy', 3).id).not.toBe(here.id);
  });
});

describe('summaries', () => {
  const outcome = (flagged: boolean): Outcome => ({ flagged, noAnalysis: false, decidedAtS: 300 });

  it('gives a flagged share with its exact 95% interval', () => {
    expect(flaggedRate([true, false, true, false, false, true, false, false].map(outcome))).toEqual({ rate: 0.375, ci95: interval95(3, 8) });
    expect(flaggedRate([])).toEqual({ rate: 0, ci95: [0, 1] });
  });

  it('splits the outcomes by sensitivity, cell and kind', () => {
    const cells: Cell[] = [
      { canaryPods: 1, rpsPerPod: 5 },
      { canaryPods: 2, rpsPerPod: 5 },
    ];
    const list = tasks(cells, 5);
    expect(list).toHaveLength(cells.length * KINDS.length * 5);
    // Sensitivity s flags the first (s + cell + kind) of each cell's five scenarios of a kind.
    const hits = (s: number, cell: number, kind: Kind) => s + cell + KINDS.indexOf(kind);
    const runs: JudgeRun[] = SENSITIVITIES.map((_, s) => ({ outcomes: list.map((t) => outcome(t.index < hits(s, t.cell, t.kind))), cpuMs: 0 }));
    const results = summarizeCells(cells, list, runs);
    expect(results).toHaveLength(SENSITIVITIES.length * cells.length);
    SENSITIVITIES.forEach((sensitivity, s) =>
      cells.forEach((cell, c) => {
        const rate = (kind: Kind) => ({ rate: hits(s, c, kind) / 5, ci95: interval95(hits(s, c, kind), 5) });
        expect(results.find((r) => r.sensitivity === sensitivity && r.canary_pods === cell.canaryPods)).toEqual({
          sensitivity,
          canary_pods: cell.canaryPods,
          stable_pods: STABLE_PODS,
          rps_per_pod: 5,
          latency_recall: rate('latency+25%'),
          errors_recall: rate('errors x2'),
          healthy_flagged: rate('healthy'),
        });
      }),
    );
  });

  it('judges a tiny run and prints a table per sensitivity', () => {
    const cells = [CELLS[0]!, CELLS.at(-1)!];
    const list = tasks(cells, 2);
    const runs = judgeTasks(SEED, cells, list);
    expect(runs.map((run) => run.outcomes.length)).toEqual(SENSITIVITIES.map(() => list.length));
    const results = summarizeCells(cells, list, runs);
    const table = formatGuidance(results);
    for (const r of results) {
      const flagged = runs[SENSITIVITIES.indexOf(r.sensitivity)]!.outcomes.filter((o, i) => o.flagged && cells[list[i]!.cell]!.canaryPods === r.canary_pods && list[i]!.kind === 'healthy').length;
      expect(r.healthy_flagged).toEqual({ rate: flagged / 2, ci95: interval95(flagged, 2) });
      expect(table).toContain(`${r.sensitivity}: lat+25% / err×2 / healthy flagged`);
    }
    const first = results[0]!;
    const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
    expect(table).toContain(`1 canary / 9 stable`);
    expect(table).toContain(`${pct(first.latency_recall.rate)} / ${pct(first.errors_recall.rate)} / ${pct(first.healthy_flagged.rate)}`);
    expect(table).toContain('100 rps/pod');
  });
});
