// The bench's child processes: compiled with tsc into .cache/bench-logs/ and run by node, as the engine runs (no
// TypeScript loader in them). Throughput and peak memory are each measured in a fresh process
// (throughput-worker.ts); the detection trials are shared among one process per core (detection-worker.ts).
import { execFile } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ShardOutcome } from './detection-worker.js';
import type { ThroughputMode, ThroughputResult } from './throughput-worker.js';

const run = promisify(execFile);

export interface Workers {
  throughput: string;
  detection: string;
}

/** Compiles the workers and what they import. */
export async function buildWorkers(root: string): Promise<Workers> {
  const outDir = join(root, '.cache', 'bench-logs');
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const options = ['--outDir', outDir, '--rootDir', root, '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--strict', '--skipLibCheck', '--types', 'node'];
  const entries = ['throughput-worker', 'detection-worker'];
  await run(process.execPath, [tsc, ...options, ...entries.map((entry) => join(root, 'bench', 'logs', `${entry}.ts`))], { cwd: root });
  const built = (entry: string) => join(outDir, 'bench', 'logs', `${entry}.js`);
  return { throughput: built('throughput-worker'), detection: built('detection-worker') };
}

/** Runs the throughput worker once: `lines` generated lines of the service of `seed` through one grouping. */
export async function measureThroughput(workers: Workers, mode: ThroughputMode, lines: number, seed: number): Promise<ThroughputResult> {
  const { stdout } = await run(process.execPath, [workers.throughput, mode, String(lines), String(seed)], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout) as ThroughputResult;
}

/** Every trial, `trials` of each kind, shared among one process per core. */
export async function runDetection(workers: Workers, seed: number, trials: number): Promise<ShardOutcome[]> {
  const shards = availableParallelism();
  const parts = await Promise.all(
    Array.from({ length: shards }, (_, shard) =>
      run(process.execPath, [workers.detection, String(seed), String(trials), String(shard), String(shards)], { maxBuffer: 1 << 26 }).then(({ stdout }) => JSON.parse(stdout) as ShardOutcome[]),
    ),
  );
  return parts.flat();
}
