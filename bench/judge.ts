// `npm run bench:judge [-- --scenarios N] [-- --seed S]`: the verdict-quality benchmark. Generates
// the labelled scenarios, polls every judge at every step, calibrates the peers to rollouts-cv High's
// false-positive rate, prints the tables and writes bench/results/judge.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { calibrate, type Knob } from './calibrate.js';
import { kayentaJudge, kayentaMetrics, kayentaVerdict, KAYENTA_BENCH_DEFAULTS, type KayentaSettings } from './judges/kayenta.js';
import { rolloutsCvJudge } from './judges/rollouts-cv.js';
import { scaleBounds, thresholdEvaluation, thresholdJudge, THRESHOLD_DEFAULTS } from './judges/threshold.js';
import type { BenchJudge } from './judges/bench-judge.js';
import { windowSeconds } from './judges/series.js';
import { runJudge } from './run-judge.js';
import { measureScale, SCALE } from './scale.js';
import { classCounts } from './scenarios/classes.js';
import { generateScenarios } from './scenarios/generator.js';
import { SENSITIVITIES } from '../plugin/config/schema.js';
import type { Scenario } from './scenarios/types.js';
import { falsePositiveRate, round4, summarize, type ResultRow } from './summary.js';
import { formatTables } from './table.js';

const DEFAULT_SCENARIOS = 2000;
const DEFAULT_SEED = 20261126;

// Kayenta's dead band as a fraction of the estimate; at 1 or more nothing can ever be High or Low.
const KAYENTA_TOLERANCES = [0, 0.25, 0.5];

/** Kayenta's confidence level as 1 − 10^−x: x from 0.3 (50%) to 4 (99.99%). */
function kayentaKnob(tolerance: number): Knob<KayentaSettings> {
  return { low: 0.3, high: 4, settings: (x) => ({ ...KAYENTA_BENCH_DEFAULTS, tolerance, confidenceLevel: 1 - 10 ** -x }) };
}

/** Kayenta's effect-size gate (allowed mean ratio 1 ± x) at its default confidence, from no gate to ±100%. */
const KAYENTA_EFFECT_KNOB: Knob<KayentaSettings> = { low: 0, high: 1, settings: (x) => ({ ...KAYENTA_BENCH_DEFAULTS, allowedChange: x }) };

/** The threshold template's slack on a log scale, from a tenth of the default bounds' headroom to 20 times it. */
const THRESHOLD_KNOB: Knob<number> = { low: Math.log(0.1), high: Math.log(20), settings: Math.exp };

function positiveInteger(text: string, option: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${option}: expected a positive integer; got ${JSON.stringify(text)}`);
  return value;
}

function calibratedKayenta(scenarios: readonly Scenario[], targetFpr: number) {
  // Kayenta's inputs do not depend on its knobs: prepared once for all the settings tried.
  const prepared = new Map(scenarios.map((s) => [s, kayentaMetrics(s.input)]));
  return calibrate([...KAYENTA_TOLERANCES.map(kayentaKnob), KAYENTA_EFFECT_KNOB], scenarios, (settings, s) => kayentaVerdict(prepared.get(s)!, settings).flagged, targetFpr);
}

function calibratedThreshold(scenarios: readonly Scenario[], targetFpr: number) {
  return calibrate(
    [THRESHOLD_KNOB],
    scenarios,
    (slack, s) => thresholdEvaluation(s, windowSeconds(s.input).endS, scaleBounds(THRESHOLD_DEFAULTS, slack)).flagged,
    targetFpr,
  );
}

function main(): void {
  const { values } = parseArgs({ options: { scenarios: { type: 'string' }, seed: { type: 'string' } } });
  const count = values.scenarios ? positiveInteger(values.scenarios, '--scenarios') : DEFAULT_SCENARIOS;
  const seed = values.seed ? positiveInteger(values.seed, '--seed') : DEFAULT_SEED;
  const began = performance.now();
  // First, while the heap is small: the scenarios' data would otherwise make every garbage collection dearer.
  const scale = measureScale();

  const scenarios = generateScenarios({ seed, count });
  const rows: ResultRow[] = [];
  const run = (judge: BenchJudge) => {
    const result = runJudge(judge, scenarios);
    rows.push(summarize(judge, scenarios, result));
    return result;
  };
  const high = SENSITIVITIES.map((sensitivity) => run(rolloutsCvJudge(sensitivity)))[0]!;
  run(kayentaJudge());
  run(thresholdJudge());

  const targetFpr = falsePositiveRate(scenarios, high.outcomes.map((o) => o.flagged));
  const kayenta = calibratedKayenta(scenarios, targetFpr);
  run(kayentaJudge(kayenta.settings, true));
  const threshold = calibratedThreshold(scenarios, targetFpr);
  run(thresholdJudge(threshold.settings, true));
  const seconds = (performance.now() - began) / 1000;

  console.log(formatTables(rows));
  console.log(
    `\nrollouts-cv at scale (${SCALE.metrics} metrics × ${SCALE.instances} instances × ${SCALE.steps} steps): ${scale.finalLookMs.toFixed(1)} ms CPU for the verdict on the whole window, ${scale.allLooksMs.toFixed(1)} ms for all ${SCALE.steps} looks`,
  );
  console.log(`\n${count} scenarios (seed ${seed}), calibration target fpr ${(100 * targetFpr).toFixed(2)}%, ${seconds.toFixed(1)} s`);
  const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'judge.json');
  mkdirSync(dirname(out), { recursive: true });
  const report = {
    scenarios: count,
    seed,
    classes: classCounts(count),
    calibration: {
      target_fpr: round4(targetFpr),
      rule: "each knob bisected on the healthy scenarios to the most sensitive setting with fpr <= target; of the settings that reach the target, the best mean recall",
      kayenta: { fpr: round4(kayenta.fpr), mean_recall: round4(kayenta.meanRecall) },
      threshold: { fpr: round4(threshold.fpr), mean_recall: round4(threshold.meanRecall) },
    },
    results: rows,
    scale: {
      metrics: SCALE.metrics,
      instances: SCALE.instances,
      canary_instances: SCALE.canaryInstances,
      steps: SCALE.steps,
      cpu_ms_final_look: round4(scale.finalLookMs),
      cpu_ms_all_looks: round4(scale.allLooksMs),
    },
  };
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`wrote ${out}`);
}

main();
