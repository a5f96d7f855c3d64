// `npm run bench:engine [-- --smoke] [-- --engine-ref REF] [-- --out FILE]`: the engine under load against a real
// Prometheus (bench/engine/run.ts says what is run). Writes bench/results/engine.json (or --out); --smoke is a
// shorter run of every part (about 4 minutes instead of about 15); --engine-ref measures the engine of another git
// ref with the same harness (e.g. the commit before a change, for before/after figures).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type BenchPlan, runEngineBench } from './engine/run.js';
import { FULL_TIMING } from './engine/scenario.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** As the load the engine must carry: 1,000 verifications polled every 30 s for 5 minutes, bursts up to 1,000. */
const FULL_PLAN: BenchPlan = {
  timing: FULL_TIMING,
  burstLooks: 5,
  sustained: { concurrent: 1000, looks: 10 },
  bursts: [100, 500, 1000],
  instantBursts: [100, 500, 1000],
  services: 10,
  bridge: { calls: 1000, concurrency: 100, rounds: 10 },
};

/** Every part, smaller and on a compressed time scale. */
const SMOKE_PLAN: BenchPlan = {
  timing: { lookSeconds: 10, stepSeconds: 5, rateSeconds: 20, scrapeSeconds: 1 },
  burstLooks: 5,
  sustained: { concurrent: 200, looks: 6 },
  bursts: [100],
  instantBursts: [200],
  services: 10,
  bridge: { calls: 200, concurrency: 100, rounds: 3 },
};

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { smoke: { type: 'boolean', default: false }, 'engine-ref': { type: 'string' }, out: { type: 'string' } },
    allowPositionals: true,
  });
  const out = values.out ?? join(root, 'bench/results/engine.json');
  const result = await runEngineBench({
    root,
    plan: values.smoke ? SMOKE_PLAN : FULL_PLAN,
    engineRef: values['engine-ref'],
    note: (line) => process.stderr.write(`bench:engine: ${line}\n`),
  });
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  process.stderr.write(`bench:engine: wrote ${out} in ${result.total_s} s\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench:engine: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
