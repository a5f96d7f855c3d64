// `npm run bench:judge [-- --scenarios N] [-- --seed S]`: the verdict-quality benchmark. Generates the
// labelled scenarios, polls every judge at every step, calibrates the peers and the oracle to rollouts-cv High's
// false-positive rate, prints the tables and writes bench/results/judge.json.
//
// Scenarios are drawn, judged and dropped one at a time (with their history, thousands of them would not fit in
// memory together). rollouts-cv, the costliest judge and the only one reading the history, runs in child
// processes, one per core (bench/shards.ts); meanwhile this process judges the peers, keeping what calibration
// needs of each scenario, and after calibration draws the scenarios again for the calibrated judges.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { calibrate, compareCalibrations, scoreThreshold, type Knob } from './calibrate.js';
import { calibrateGates } from './calibrate-gates.js';
import { gateMargin, kayentaJudge, kayentaMetrics, kayentaVerdict, KAYENTA_BENCH_DEFAULTS, ungatedMetrics, verdictWithFlags, type KayentaSettings } from './judges/kayenta.js';
import type { KayentaMetricInput, KayentaMetricResult } from './judges/kayenta/index.js';
import { oracleJudge, oracleStatistic } from './judges/oracle.js';
import { rolloutsCvJudge } from './judges/rollouts-cv.js';
import { measureCanary, replayThreshold, scaleBounds, thresholdJudge, THRESHOLD_DEFAULTS, type CanaryMeasurements } from './judges/threshold.js';
import { runJudges } from './run-judge.js';
import { rolloutsCvRuns } from './shards.js';
import { measureScale, SCALE } from './scale.js';
import { CLASS_SPECS, classCounts, scenarioLabels } from './scenarios/classes.js';
import { streamScenarios } from './scenarios/generator.js';
import { SENSITIVITIES } from '../plugin/config/schema.js';
import type { Scenario } from './scenarios/types.js';
import { falsePositiveRate, REGRESSION_CLASSES, round4, summarize, type Labelled, type ResultRow } from './summary.js';
import { formatTables, rowName } from './table.js';
import { positiveInteger } from './options.js';

const DEFAULT_SCENARIOS = 8000;
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

/** What calibration needs of a scenario, kept from the first pass. */
interface Prepared extends Labelled {
  kayenta: KayentaMetricInput[];
  /** Kayenta's metrics classified at its defaults without an effect-size gate, and the gate each clears. */
  ungated: KayentaMetricResult[];
  margins: number[];
  canary: CanaryMeasurements;
  /** The oracle's statistic; null without canary data. */
  oracle: number | null;
}

function prepare(scenario: Scenario): Prepared {
  const kayenta = kayentaMetrics(scenario.input);
  const ungated = ungatedMetrics(kayenta, KAYENTA_BENCH_DEFAULTS);
  return {
    label: scenario.label,
    expected: scenario.expected,
    kayenta,
    ungated,
    margins: ungated.map(gateMargin),
    canary: measureCanary(scenario),
    oracle: oracleStatistic(scenario),
  };
}

/** The gated verdict of Kayenta at its defaults, from the ungated classification (no Mann-Whitney test again). */
const gatedFlag = (p: Prepared, gates: readonly number[]) => verdictWithFlags(p.ungated, p.margins.map((m, j) => m >= gates[j]!), KAYENTA_BENCH_DEFAULTS.thresholds).flagged;

/** Kayenta's confidence at each tolerance, or its effect-size gate at its defaults: the best of these knobs. */
function calibratedKayenta(prepared: readonly Prepared[], targetFpr: number) {
  const byConfidence = calibrate(KAYENTA_TOLERANCES.map(kayentaKnob), prepared, (settings, p) => kayentaVerdict(p.kayenta, settings).flagged, targetFpr);
  const byGate = calibrate([KAYENTA_EFFECT_KNOB], prepared, (settings, p) => gatedFlag(p, p.margins.map(() => settings.allowedChange)), targetFpr);
  return [byConfidence, byGate].sort((a, b) => compareCalibrations(a, b, targetFpr))[0]!;
}

/**
 * Kayenta as its users tune it: the judge's fixed confidence and tolerance, an effect-size gate per metric
 * (calibrateGates); the one-knob calibration instead when that reaches a better mean recall.
 */
function calibratedKayentaPerMetric(prepared: readonly Prepared[], targetFpr: number, oneKnob: ReturnType<typeof calibratedKayenta>) {
  const names = prepared[0]?.kayenta.map((m) => m.name) ?? [];
  const gates = calibrateGates(prepared, (p, flags) => verdictWithFlags(p.ungated, flags, KAYENTA_BENCH_DEFAULTS.thresholds).flagged, targetFpr);
  const perMetric = { settings: { ...KAYENTA_BENCH_DEFAULTS, metricGates: Object.fromEntries(names.map((name, j) => [name, gates.gates[j]!])) }, fpr: gates.fpr, meanRecall: gates.meanRecall };
  const chosen = compareCalibrations(perMetric, oneKnob, targetFpr) <= 0 ? 'per-metric gates' : 'one knob';
  return { ...(chosen === 'per-metric gates' ? perMetric : oneKnob), chosen, perMetric };
}

function calibratedThreshold(prepared: readonly Prepared[], targetFpr: number) {
  return calibrate([THRESHOLD_KNOB], prepared, (slack, p) => replayThreshold(p.canary, p.canary.window.endS, scaleBounds(THRESHOLD_DEFAULTS, slack)).flagged, targetFpr);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { scenarios: { type: 'string' }, seed: { type: 'string' } } });
  const count = positiveInteger(values.scenarios, '--scenarios', DEFAULT_SCENARIOS);
  const seed = positiveInteger(values.seed, '--seed', DEFAULT_SEED);
  const began = performance.now();
  // First, alone on the machine and while the heap is small.
  const scale = measureScale();

  const rolloutsCv = rolloutsCvRuns(seed, count, availableParallelism());
  const labels: Labelled[] = scenarioLabels(count).map((label) => ({ label, expected: CLASS_SPECS[label].expected }));
  // The peers and the oracle do not read the history, so their scenarios are drawn without it.
  const scenarios = () => streamScenarios({ seed, count, history: false });
  const prepared: Prepared[] = [];
  const peers = [kayentaJudge(), thresholdJudge()];
  const peerRuns = runJudges(peers, scenarios(), (s) => prepared.push(prepare(s)));
  const judges = [...SENSITIVITIES.map(rolloutsCvJudge), ...peers];
  const runs = [...(await rolloutsCv), ...peerRuns];

  const targetFpr = falsePositiveRate(labels, runs[0]!.outcomes.map((o) => o.flagged));
  const kayenta = calibratedKayenta(prepared, targetFpr);
  const kayentaPerMetric = calibratedKayentaPerMetric(prepared, targetFpr, kayenta);
  const threshold = calibratedThreshold(prepared, targetFpr);
  const oracleThreshold = scoreThreshold(prepared.filter((p) => p.expected === 'pass').map((p) => p.oracle), targetFpr);
  const calibrated = [
    kayentaJudge(kayenta.settings, true),
    kayentaJudge(kayentaPerMetric.settings, true, 'per metric'),
    thresholdJudge(threshold.settings, true),
    oracleJudge(oracleThreshold),
  ];
  judges.push(...calibrated);
  runs.push(...runJudges(calibrated, scenarios()));
  const rows: ResultRow[] = judges.map((judge, i) => summarize(judge, labels, runs[i]!));
  const seconds = (performance.now() - began) / 1000;

  // SENSITIVITIES begins with high.
  const high = rows[0]!;
  const oracle = rows.find((row) => row.judge === 'oracle')!;
  const relativeToOracle = Object.fromEntries(REGRESSION_CLASSES.map((c) => [c, oracle.recall[c] ? round4(high.recall[c]! / oracle.recall[c]!) : null]));
  console.log(formatTables(rows));
  console.log(`\n${rowName(high)} recall as a fraction of the oracle's: ${REGRESSION_CLASSES.map((c) => `${c} ${relativeToOracle[c] ?? '-'}`).join(', ')}`);
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
      kayenta_per_metric: {
        rule:
          "Kayenta's confidence 0.98 and tolerance 0.25, an effect-size gate per metric (allowed mean ratio 1 ± gate): each metric starts at the gate letting through target / metrics of the healthy scenarios on its own; then, while the mean recall improves at fpr <= target, every pair of metrics has its gates re-chosen together among 32 candidates each; the row is the better of these gates and the one-knob calibration",
        chosen: kayentaPerMetric.chosen,
        gates: Object.fromEntries(Object.entries(kayentaPerMetric.perMetric.settings.metricGates).map(([name, gate]) => [name, Number(gate.toPrecision(6))])),
        fpr: round4(kayentaPerMetric.perMetric.fpr),
        mean_recall: round4(kayentaPerMetric.perMetric.meanRecall),
      },
      threshold: { fpr: round4(threshold.fpr), mean_recall: round4(threshold.meanRecall) },
      oracle: {
        rule: "flags when its largest metric z exceeds the healthy scenarios' order statistic above which at most target of them lie",
        threshold: round4(oracleThreshold),
        fpr: oracle.fpr,
      },
    },
    results: rows,
    recall_relative_to_oracle: { judge: rowName(high), by_class: relativeToOracle },
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

await main();
