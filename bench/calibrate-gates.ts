// Calibrating one gate per metric, for a judge whose metric j flags a scenario when the scenario's margin on j
// reaches the metric's gate, and whose verdict then depends on which metrics flag: Kayenta with its effect-size
// gate (allowedIncrease / allowedDecrease) set per metric, as its users configure it.
import { compareCalibrations, scoreThreshold } from './calibrate.js';
import { rates, type Labelled } from './summary.js';

export interface GatedItem extends Labelled {
  /** Per metric, the largest gate at which the metric still flags the item (−Infinity: at none). */
  margins: readonly number[];
}

export interface GateCalibration {
  gates: number[];
  fpr: number;
  meanRecall: number;
}

/** Gates sit just above a healthy item's margin, clear of the rounding in 1 + gate and far below any effect that matters. */
const JUST_ABOVE = 1e-9;
/** Candidate gates tried per metric in the search; more only make it slower. */
const CANDIDATES = 32;

/** A metric's gate that lets through at most `share` of the healthy items' margins on it (0 is no gate). */
function gateForShare(healthy: readonly GatedItem[], metric: number, share: number): number {
  return Math.max(0, scoreThreshold(healthy.map((item) => item.margins[metric]!), share) + JUST_ABOVE);
}

/**
 * A metric's candidate gates: no gate, and the gates letting through 0, 1, … up to all `allowed` false alarms on
 * the healthy items on its own (at up to CANDIDATES evenly spaced counts); a looser gate cannot reach the target.
 */
function candidateGates(healthy: readonly GatedItem[], metric: number, allowed: number): number[] {
  const n = Math.min(CANDIDATES, allowed + 1);
  const counts = Array.from({ length: n }, (_, i) => (n === 1 ? 0 : Math.round((i * allowed) / (n - 1))));
  const gates = new Set([0, ...counts.map((count) => gateForShare(healthy, metric, count / healthy.length))]);
  return [...gates].sort((a, b) => a - b);
}

/**
 * The gates with the best mean recall whose verdict's false-positive rate on the healthy items is at most
 * `targetFpr`. Every metric starts at the gate letting through its equal share (target / metrics) of false
 * alarms on its own; then, while it improves the mean recall (or, at equal recall, brings the rate nearer the
 * target), every pair of metrics has its gates re-chosen together among their candidates, which both loosens
 * gates into the unused budget and trades one metric's false alarms for another's. `verdict` is the judge's
 * answer given which metrics flag; at most 16 metrics (the verdicts are tabled for every combination).
 */
export function calibrateGates<T extends GatedItem>(items: readonly T[], verdict: (item: T, flags: readonly boolean[]) => boolean, targetFpr: number): GateCalibration {
  const metrics = items[0]?.margins.length ?? 0;
  if (metrics > 16) throw new Error(`calibrateGates: ${metrics} metrics; at most 16`);
  const combinations = 2 ** metrics;
  const table = new Uint8Array(items.length * combinations);
  items.forEach((item, i) => {
    for (let mask = 0; mask < combinations; mask++) {
      table[i * combinations + mask] = verdict(item, Array.from({ length: metrics }, (_, j) => (mask & (1 << j)) !== 0)) ? 1 : 0;
    }
  });
  const margins = Array.from({ length: metrics }, (_, j) => Float64Array.from(items, (item) => item.margins[j]!));
  const rateOf = rates(items);
  // The metrics flagging each item under `gates`, leaving out metrics j and k (which a pair search varies).
  const masksWithout = (gates: readonly number[], j: number, k: number) =>
    Uint16Array.from(items, (_, i) => gates.reduce((mask, gate, m) => (m !== j && m !== k && margins[m]![i]! >= gate ? mask | (1 << m) : mask), 0));
  const evaluate = (gates: readonly number[], j: number, k: number, others: Uint16Array): GateCalibration => {
    const [mj, mk, gj, gk] = [margins[j]!, margins[k]!, gates[j]!, gates[k]!];
    return {
      gates: [...gates],
      ...rateOf((i) => table[i * combinations + (others[i]! | (mj[i]! >= gj ? 1 << j : 0) | (mk[i]! >= gk ? 1 << k : 0))] === 1),
    };
  };

  const healthy = items.filter((item) => item.expected === 'pass');
  const allowed = Math.floor(targetFpr * healthy.length + JUST_ABOVE);
  const candidates = Array.from({ length: metrics }, (_, j) => candidateGates(healthy, j, allowed));
  const start = Array.from({ length: metrics }, (_, j) => gateForShare(healthy, j, targetFpr / metrics));
  let best = evaluate(start, 0, 0, masksWithout(start, 0, 0));
  for (let improved = true; improved; ) {
    improved = false;
    for (let j = 0; j < metrics; j++) {
      for (let k = j; k < metrics; k++) {
        const others = masksWithout(best.gates, j, k);
        for (const gj of candidates[j]!) {
          for (const gk of k === j ? [gj] : candidates[k]!) {
            const gates = [...best.gates];
            gates[j] = gj;
            gates[k] = gk;
            const trial = evaluate(gates, j, k, others);
            if (compareCalibrations(trial, best, targetFpr) < 0) {
              best = trial;
              improved = true;
            }
          }
        }
      }
    }
  }
  return best;
}
