// `vite-node bench/judge-shard.ts -- --seed S --count N --shard K --shards M`: bench:judge's child process,
// rollouts-cv at every sensitivity on the scenarios whose id is K modulo M (with their history), so that the
// benchmark's costliest judge runs on every core. Prints its runs as JSON.
import { parseArgs } from 'node:util';
import { rolloutsCvJudge } from './judges/rollouts-cv.js';
import { runJudges } from './run-judge.js';
import { scenarioLabels } from './scenarios/classes.js';
import { generateScenario } from './scenarios/generator.js';
import { SENSITIVITIES } from '../plugin/config/schema.js';

const { values } = parseArgs({ options: { seed: { type: 'string' }, count: { type: 'string' }, shard: { type: 'string' }, shards: { type: 'string' } } });
const [seed, count, shard, shards] = [values.seed, values.count, values.shard, values.shards].map(Number) as [number, number, number, number];
const labels = scenarioLabels(count);

function* scenariosOfShard() {
  for (let id = shard; id < count; id += shards) yield generateScenario(seed, id, labels[id]!);
}

process.stdout.write(JSON.stringify(runJudges(SENSITIVITIES.map(rolloutsCvJudge), scenariosOfShard())));
