// `npm run bench:logs [-- --seed S] [-- --trials N] [-- --lines N] [-- --loghub DIR] [-- --no-drain3] [-- --out FILE]`:
// the log template miner (plugin/judge/logs/) measured for speed, memory, grouping accuracy and what the log
// judgement then detects, beside the naive grouping (exact match of the masked line) and Drain3. Prints a table
// and writes bench/results/logs.json (bench/results/README.md describes each field).
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_MINER_OPTIONS, TemplateMiner } from '../plugin/judge/logs/drain.js';
import { maskLine } from '../plugin/judge/logs/mask.js';
import { groupAccuracy } from './logs/accuracy.js';
import { summarizeDetection, WINDOW, type DetectionSummary } from './logs/detection.js';
import { clusterWithDrain3, DRAIN3_VERSION, ensureDrain3, venvDir } from './logs/drain3.js';
import { generateLines, generateService } from './logs/generate.js';
import { loghubDir, readLoghub, type LabelledLines } from './logs/loghub.js';
import { buildWorkers, measureThroughput, runDetection } from './logs/workers.js';
import { positiveInteger } from './options.js';
import { round4 } from './summary.js';
import { classTables } from './table.js';

const DEFAULT_SEED = 20261205;
const DEFAULT_TRIALS = 200;
const DEFAULT_LINES = 1_000_000;
/** Generated services whose grouping accuracy is measured, and lines of each. */
const GENERATED_SERVICES = 8;
const GENERATED_LINES = 50_000;

type Method = 'ours' | 'naive' | 'drain3';

/** Each method's group of each line of `data`; drain3's from `drain3` when it was run. */
function accuracies(data: LabelledLines, drain3?: readonly string[]): Partial<Record<Method, number>> {
  const miner = new TemplateMiner();
  return {
    ours: round4(groupAccuracy(data.truth, data.lines.map((line) => miner.add(line).id))),
    naive: round4(groupAccuracy(data.truth, data.lines.map(maskLine))),
    ...(drain3 ? { drain3: round4(groupAccuracy(data.truth, drain3)) } : {}),
  };
}

const mean = (values: readonly number[]) => round4(values.reduce((a, b) => a + b, 0) / values.length);

function meanOf(rows: readonly Partial<Record<Method, number>>[]): Partial<Record<Method, number>> {
  const methods = (['ours', 'naive', 'drain3'] as const).filter((method) => rows.every((row) => row[method] !== undefined));
  return Object.fromEntries(methods.map((method) => [method, mean(rows.map((row) => row[method]!))]));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { seed: { type: 'string' }, trials: { type: 'string' }, lines: { type: 'string' }, loghub: { type: 'string' }, 'no-drain3': { type: 'boolean' }, out: { type: 'string' } },
  });
  const seed = positiveInteger(values.seed, '--seed', DEFAULT_SEED);
  const trials = positiveInteger(values.trials, '--trials', DEFAULT_TRIALS);
  const lines = positiveInteger(values.lines, '--lines', DEFAULT_LINES);
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const out = values.out ?? join(root, 'bench', 'results', 'logs.json');
  const began = performance.now();
  const loadBefore = loadavg();
  const loghub = readLoghub(loghubDir(root, values.loghub));
  const python = values['no-drain3'] ? undefined : await ensureDrain3();

  console.log(`throughput: ${lines.toLocaleString('en')} generated lines, each grouping in a fresh process…`);
  const workers = await buildWorkers(root);
  const ours = await measureThroughput(workers, 'miner', lines, seed);
  const naive = await measureThroughput(workers, 'naive', lines, seed);

  console.log(`grouping accuracy: ${GENERATED_SERVICES} generated services × ${GENERATED_LINES.toLocaleString('en')} lines, ${loghub.length} Loghub-2k datasets…`);
  const generated: LabelledLines[] = Array.from({ length: GENERATED_SERVICES }, (_, i) => {
    const service = generateService(seed + i);
    const labelled = [...generateLines(service, GENERATED_LINES, seed + 1000 + i)];
    return { name: `service ${seed + i} (${service.format})`, lines: labelled.map((l) => l.line), truth: labelled.map((l) => l.truth) };
  });
  const all = [...generated, ...loghub];
  const drain3 = python ? await clusterWithDrain3(python, Object.fromEntries(all.map((data) => [data.name, data.lines]))) : undefined;
  const generatedRows = generated.map((data) => ({ name: data.name, true_templates: new Set(data.truth).size, ...accuracies(data, drain3?.[data.name]) }));
  const loghubRows = Object.fromEntries(loghub.map((data) => [data.name, { true_templates: new Set(data.truth).size, ...accuracies(data, drain3?.[data.name]) }]));
  const generatedMean = meanOf(generatedRows);
  const loghubMean = meanOf(Object.values(loghubRows));

  console.log(`detection: ${trials} trials of each kind, one process per core…`);
  const detection = summarizeDetection(await runDetection(workers, seed, trials));
  const seconds = (performance.now() - began) / 1000;

  const linesPerS = (r: typeof ours) => Math.round(r.lines / r.seconds);
  const mib = (x: number) => Math.round(x * 10) / 10;
  const measures = (method: 'miner' | 'naive', summary: DetectionSummary['miner'], throughput: typeof ours, accuracy: number | undefined) => ({
    lines_per_s_per_core: linesPerS(throughput),
    peak_rss_mib: mib(throughput.peak_rss_mib),
    grouping_accuracy: accuracy,
    new_template_recall: summary['new-template'].rate,
    frequency_jump_recall: summary['frequency-jump'].rate,
    healthy_flagged_rate: summary.healthy.rate,
    ...(method === 'naive' ? { method: 'exact match of maskLine output' } : {}),
  });
  const report = {
    ...measures('miner', detection.miner, ours, generatedMean.ours),
    baseline: measures('naive', detection.naive, naive, generatedMean.naive),
    loghub_mean: loghubMean,
    loghub: loghubRows,
    drain3: python
      ? { version: DRAIN3_VERSION, config: 'TemplateMinerConfig() defaults: depth 4, sim_th 0.4, max_children 100, no masking instructions', venv: venvDir(), grouping_accuracy: generatedMean.drain3, loghub_mean: loghubMean.drain3 }
      : null,
    generated: { services: GENERATED_SERVICES, lines_per_service: GENERATED_LINES, per_service: generatedRows },
    detection: { sensitivity: 'medium', flagged: 'classification fail or marginal', trials_per_kind: trials, window: WINDOW, ...detection },
    throughput: { lines, miner: ours, naive },
    miner_options: DEFAULT_MINER_OPTIONS,
    seed,
    node: process.version,
    cpus: cpus().length,
    loadavg_before_run: loadBefore.map(round4),
    loadavg_after_run: loadavg().map(round4),
    date: new Date().toISOString(),
    wall_s: Math.round(seconds),
  };

  const percent = (x: number | undefined) => (x === undefined ? '-' : `${(100 * x).toFixed(1)}%`);
  const rows: [string, (m: Method) => string][] = [
    ['lines/s on one core', (m) => (m === 'drain3' ? '-' : linesPerS(m === 'ours' ? ours : naive).toLocaleString('en'))],
    ['peak RSS MiB', (m) => (m === 'drain3' ? '-' : String(mib((m === 'ours' ? ours : naive).peak_rss_mib)))],
    ['grouping accuracy, generated', (m) => percent(generatedMean[m])],
    ['grouping accuracy, Loghub-2k mean', (m) => percent(loghubMean[m])],
    ['new-template recall', (m) => (m === 'drain3' ? '-' : percent(detection[m === 'ours' ? 'miner' : 'naive']['new-template'].rate))],
    ['frequency-jump recall', (m) => (m === 'drain3' ? '-' : percent(detection[m === 'ours' ? 'miner' : 'naive']['frequency-jump'].rate))],
    ['healthy flagged', (m) => (m === 'drain3' ? '-' : percent(detection[m === 'ours' ? 'miner' : 'naive'].healthy.rate))],
  ];
  const methods: Method[] = python ? ['ours', 'naive', 'drain3'] : ['ours', 'naive'];
  console.log(`\n${classTables('', rows.map(([name]) => name), methods, methods.length, (r, m) => rows[r]![1](m as Method))}`);
  console.log(`\n${classTables('Loghub-2k', Object.keys(loghubRows), methods, methods.length, (r, m) => percent(Object.values(loghubRows)[r]![m as Method]))}`);
  console.log(`\nseed ${seed}; detection at medium sensitivity, flagged = fail or marginal; ${Math.round(seconds)} s`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`wrote ${out}`);
}

await main();
