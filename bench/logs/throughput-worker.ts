// The throughput measurement itself, in a process of its own (bench/logs/throughput.ts starts it), so that its peak
// resident memory is the clustering's and not the rest of the benchmark's. Usage: `node throughput-worker.js
// miner|naive LINES SEED`; prints one JSON object. Lines are generated in batches outside the timed sections, so
// only the generator's current batch is in memory besides the clustering's state.
import { TemplateMiner } from '../../plugin/judge/logs/drain.js';
import { maskLine } from '../../plugin/judge/logs/mask.js';
import { generateLines, generateService } from './generate.js';

export type ThroughputMode = 'miner' | 'naive';

export interface ThroughputResult {
  mode: ThroughputMode;
  lines: number;
  /** Wall-clock seconds inside the timed sections (one thread). */
  seconds: number;
  /** CPU seconds of the process over the timed sections (user + system; includes the garbage collector's threads). */
  cpu_seconds: number;
  peak_rss_mib: number;
  /** Resident memory before the first line (Node.js and the modules). */
  rss_before_mib: number;
  /** Clusters (miner) or distinct masked lines (naive) at the end. */
  groups: number;
}

const BATCH = 10_000;
const MIB = 1024 * 1024;

function measure(mode: ThroughputMode, count: number, seed: number): ThroughputResult {
  const rssBefore = process.memoryUsage().rss;
  const miner = new TemplateMiner();
  const naive = new Map<string, number>();
  const clusterBatch = (batch: readonly string[]) => {
    if (mode === 'miner') for (const line of batch) miner.add(line);
    else
      for (const line of batch) {
        const masked = maskLine(line);
        naive.set(masked, (naive.get(masked) ?? 0) + 1);
      }
  };
  let seconds = 0;
  let cpuMicros = 0;
  let batch: string[] = [];
  const timed = () => {
    const cpu = process.cpuUsage();
    const start = performance.now();
    clusterBatch(batch);
    seconds += (performance.now() - start) / 1000;
    const used = process.cpuUsage(cpu);
    cpuMicros += used.user + used.system;
    batch = [];
  };
  for (const { line } of generateLines(generateService(seed), count, seed)) {
    batch.push(line);
    if (batch.length === BATCH) timed();
  }
  if (batch.length > 0) timed();
  return {
    mode,
    lines: count,
    seconds,
    cpu_seconds: cpuMicros / 1e6,
    peak_rss_mib: (process.resourceUsage().maxRSS * 1024) / MIB,
    rss_before_mib: rssBefore / MIB,
    groups: mode === 'miner' ? miner.templates().length : naive.size,
  };
}

function main(): void {
  const [mode, lines, seed] = process.argv.slice(2);
  if ((mode !== 'miner' && mode !== 'naive') || !/^\d+$/.test(lines ?? '') || !/^\d+$/.test(seed ?? '')) {
    throw new Error('usage: throughput-worker miner|naive LINES SEED');
  }
  process.stdout.write(`${JSON.stringify(measure(mode, Number(lines), Number(seed)))}\n`);
}

main();
