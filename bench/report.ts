// `npm run bench:report [-- --repeat N] [-- --out FILE]`: how long reports take to build and render, and how big
// they are, from a few pods over a short window to 50 pods over 3,600 steps; and what keeping the image with the
// cached report saves the report server. Medians of N repetitions (the machine is shared: times vary from run to
// run, so read the ratios). Prints a table and writes bench/results/report.json (bench/results/README.md
// describes each field).
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { renderReportHtml } from '../plugin/report/html.js';
import { reportPng } from '../plugin/report/image.js';
import { compareCache } from './report/cache.js';
import { judgeAndBuild, sizedInputs, type ReportSize } from './report/sized.js';
import { medianMs, ratio, repeated, round1, timed } from './report/timing.js';
import { positiveInteger } from './options.js';
import { round4 } from './summary.js';
import { classTables } from './table.js';

const DEFAULT_REPEAT = 5;
const SEED = 20261207;
/** Pods per group × points per pod, smallest first: the last is the largest the process holds at its peak. */
const SIZES: ReportSize[] = [
  { pods: 3, points: 60 },
  { pods: 10, points: 300 },
  { pods: 50, points: 720 },
  { pods: 50, points: 3600 },
];
/** The size whose report the server is asked for: ten pods over two and a half hours. */
const CACHE_SIZE = SIZES[1]!;
const CACHE_REQUESTS = 10;
/** The page as the server sends it: the chart library is a separate, cached asset. */
const ECHARTS_ASSET = { src: '/assets/echarts.min.js' };

const mib = (kib: number) => round1(kib / 1024);

async function measureSize(size: ReportSize, repeat: number) {
  const inputs = sizedInputs(size, SEED);
  const built = await repeated(repeat, () => judgeAndBuild(inputs, size));
  const page = await repeated(repeat, () => renderReportHtml(built.value, { echarts: ECHARTS_ASSET }));
  const png = await repeated(repeat, () => reportPng(built.value));
  return {
    pods: size.pods,
    points: size.points,
    /** Samples drawn: each pod of both groups, on both charts. */
    pod_points: 2 * 2 * size.pods * size.points,
    verdict: built.value.verdict,
    judge_build_ms: medianMs(built.runs),
    page_ms: medianMs(page.runs),
    page_bytes: Buffer.byteLength(page.value),
    png_ms: medianMs(png.runs),
    png_bytes: png.value.length,
    max_rss_mib: mib(process.resourceUsage().maxRSS),
    runs_ms: { judge_build: built.runs, page: page.runs, png: png.runs },
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { repeat: { type: 'string' }, out: { type: 'string' } } });
  const repeat = positiveInteger(values.repeat, '--repeat', DEFAULT_REPEAT);
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const out = values.out ?? join(root, 'bench', 'results', 'report.json');
  const loadBefore = loadavg();
  const began = performance.now();
  const rssStart = mib(process.resourceUsage().maxRSS);

  // The process's first image loads the WebAssembly renderer, ECharts and the fonts.
  const first = judgeAndBuild(sizedInputs(SIZES[0]!, SEED), SIZES[0]!);
  const cold = await timed(() => reportPng(first));

  const cases = [];
  for (const size of SIZES) {
    console.log(`${size.pods} pods × ${size.points} points, ${repeat} times…`);
    cases.push(await measureSize(size, repeat));
  }
  console.log(`server cache: ${CACHE_REQUESTS} image requests against as many renders…`);
  const cache = { pods: CACHE_SIZE.pods, points: CACHE_SIZE.points, ...(await compareCache(judgeAndBuild(sizedInputs(CACHE_SIZE, SEED), CACHE_SIZE), CACHE_REQUESTS)) };

  const smallest = cases[0]!;
  const report = {
    machine: { cpus: cpus().length, node: process.version, loadavg: { before: loadBefore.map(round4), after: loadavg().map(round4) } },
    options: { repeat, seed: SEED, sizes: SIZES, cache_requests: CACHE_REQUESTS },
    png_cold_ms: round1(cold.ms),
    rss_start_mib: rssStart,
    peak_rss_mib: cases.at(-1)!.max_rss_mib,
    cases: cases.map((c) => ({
      ...c,
      vs_smallest: { pod_points: ratio(c.pod_points, smallest.pod_points), judge_build: ratio(c.judge_build_ms, smallest.judge_build_ms), page: ratio(c.page_ms, smallest.page_ms), png: ratio(c.png_ms, smallest.png_ms) },
    })),
    cache,
    date: new Date().toISOString(),
    wall_s: Math.round((performance.now() - began) / 1000),
  };

  const kib = (bytes: number) => `${Math.round(bytes / 1024).toLocaleString('en')} KiB`;
  type Case = (typeof report.cases)[number];
  const columns = new Map<string, (c: Case) => string>([
    ['judge+build ms', (c) => String(c.judge_build_ms)],
    ['page ms', (c) => String(c.page_ms)],
    ['page', (c) => kib(c.page_bytes)],
    ['png ms', (c) => String(c.png_ms)],
    ['png', (c) => kib(c.png_bytes)],
    ['max RSS MiB', (c) => String(c.max_rss_mib)],
  ]);
  const cell = (row: number, column: string) => columns.get(column)!(report.cases[row]!);
  console.log(`\n${classTables('pods × points (medians)', report.cases.map((c) => `${c.pods} × ${c.points}`), [...columns.keys()], columns.size, cell)}`);
  console.log(`first image of the process (cold): ${report.png_cold_ms} ms; RSS at start ${rssStart} MiB, peak ${report.peak_rss_mib} MiB`);
  console.log(
    `server cache (${cache.pods} × ${cache.points}, ${cache.requests} requests): cached median ${cache.cached_median_ms} ms (first ${cache.cached_first_ms} ms), ` +
      `rendered each time median ${cache.uncached_median_ms} ms; ${cache.speedup_median}× per request, ${cache.speedup_mean}× over all ${cache.requests}` +
      `${cache.builds === 1 ? '' : `; the report was built ${cache.builds} times`}${cache.same_image ? '' : '; the served image differs from a direct render'}`,
  );
  console.log(`${report.wall_s} s`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`wrote ${out}`);
}

await main();
