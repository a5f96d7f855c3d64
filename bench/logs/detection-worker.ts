// A share of the detection trials (detection.ts) in a process of its own, so that the trials use every core:
// `node detection-worker.js SEED TRIALS SHARD SHARDS` runs every SHARDS-th trial from the SHARD-th, of TRIALS per
// kind, and prints their outcomes as one JSON array.
import { runTrial, trialSpec, TRIAL_KINDS, type TrialOutcome } from './detection.js';

export interface ShardOutcome extends TrialOutcome {
  index: number;
}

function main(): void {
  const [seed, trials, shard, shards] = process.argv.slice(2).map(Number);
  if (![seed, trials, shard, shards].every((n) => Number.isInteger(n) && n! >= 0) || shard! >= shards!) {
    throw new Error('usage: detection-worker SEED TRIALS SHARD SHARDS');
  }
  const outcomes: ShardOutcome[] = [];
  const tasks = TRIAL_KINDS.flatMap((kind) => Array.from({ length: trials! }, (_, index) => ({ kind, index })));
  for (let t = shard!; t < tasks.length; t += shards!) outcomes.push({ ...runTrial(trialSpec(seed!, tasks[t]!.kind, tasks[t]!.index)), index: tasks[t]!.index });
  process.stdout.write(`${JSON.stringify(outcomes)}\n`);
}

main();
