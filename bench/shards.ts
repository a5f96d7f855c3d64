// rollouts-cv's runs for bench:judge, from child processes (bench/judge-shard.ts) that each judge every
// `shards`-th scenario, on as many cores as there are.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JudgeRun } from './run-judge.js';

const BENCH = dirname(fileURLToPath(import.meta.url));

function runShard(seed: number, count: number, shard: number, shards: number): Promise<JudgeRun[]> {
  const args = [join(BENCH, 'judge-shard.ts'), '--', '--seed', String(seed), '--count', String(count), '--shard', String(shard), '--shards', String(shards)];
  const child = spawn(join(BENCH, '..', 'node_modules', '.bin', 'vite-node'), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve(JSON.parse(Buffer.concat(out).toString()) as JudgeRun[]);
      else reject(new Error(`shard ${shard} of ${shards} exited with ${code}: ${Buffer.concat(err).toString()}`));
    });
  });
}

/** The shards' runs of each judge as one run over every scenario in id order: scenario `id` is outcome ⌊id / shards⌋ of shard `id` mod shards. */
export function mergeShards(shardRuns: readonly (readonly JudgeRun[])[], count: number): JudgeRun[] {
  const shards = shardRuns.length;
  return (shardRuns[0] ?? []).map((_, judge) => ({
    outcomes: Array.from({ length: count }, (_, id) => shardRuns[id % shards]![judge]!.outcomes[Math.floor(id / shards)]!),
    cpuMs: shardRuns.reduce((sum, runs) => sum + runs[judge]!.cpuMs, 0),
  }));
}

export async function rolloutsCvRuns(seed: number, count: number, shards: number): Promise<JudgeRun[]> {
  const runs = await Promise.all(Array.from({ length: shards }, (_, shard) => runShard(seed, count, shard, shards)));
  return mergeShards(runs, count);
}
