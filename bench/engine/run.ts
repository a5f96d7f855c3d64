// The engine benchmark: a real Prometheus scraping the synthetic app's services, the engine as its own process,
// verifications driven over gRPC as the bridge drives them. Runs: sustained (verifications in real time, each
// polled at its interval), burst (N verifications whose Run and looks arrive at once) against Prometheus, the same
// burst against a front answering instantly, and the bridge's overhead measured through the controller's plugin
// client. A fresh engine serves each run, so each peak RSS is that run's.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startLocalPrometheus } from '../../plugin/demo/local-prometheus.js';
import { startSyntheticApp } from '../../plugin/demo/synthetic-app.js';
import { percentile } from '../percentile.js';
import { type CallLog, type EngineCaller, burstVerification, engineCaller, liveVerification, newCallLog } from './load.js';
import { ENGINE_NODE_OPTIONS, type EngineBuild, type Front, buildEngine, cpuMs, peakRssMib, startEngineProcess, startFront } from './processes.js';
import { type Service, type Timing, analysisRunObject, appGroups, metricObject, services } from './scenario.js';

const run = promisify(execFile);

export interface BenchPlan {
  timing: Timing;
  /** Looks of a burst verification (its window is this many intervals). */
  burstLooks: number;
  /** Verifications in flight and looks of each (window = looks × interval); none to skip. */
  sustained?: { concurrent: number; looks: number };
  bursts: number[];
  instantBursts: number[];
  services: number;
  bridge?: { calls: number; concurrency: number; rounds: number };
}

export interface BenchOptions {
  root: string;
  plan: BenchPlan;
  /** Measure the engine of this git ref instead of the checkout's. */
  engineRef?: string;
  /** Progress lines. */
  note?: (line: string) => void;
}

export interface RunResult {
  mode: 'sustained' | 'burst' | 'burst-instant';
  concurrent: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  errors: number;
  error_measurements: number;
  prom_requests_per_verification: number;
  prom_requests_per_look: number;
  peak_prom_concurrency: number;
  peak_prom_connections: number;
  peak_rss_mib: number;
  calls: number;
  resumes_per_s: number;
  retries: number;
  outcomes: Record<string, number>;
  error_kinds: Record<string, number>;
  error_samples: string[];
  engine_cpu_ms_per_look: number;
  duration_s: number;
}

export interface BridgeOverhead {
  bridge_overhead_p50_ms: number;
  bridge_overhead_p99_ms: number;
  bridge_overhead_p50_ms_concurrent: number;
  bridge_overhead_p99_ms_concurrent: number;
  /** The same without the controller's per-call provider lookup (a ping of the plugin under one shared lock). */
  bridge_overhead_p99_ms_run_only: number;
  bridge_overhead_p99_ms_concurrent_run_only: number;
  bridge_detail: unknown;
}

export interface BenchResult extends Partial<BridgeOverhead> {
  runs: RunResult[];
  engine_commit: string;
  engine_node_options: string[];
  machine: { cpus: number; load_before: number[]; load_after: number[] };
  plan: BenchPlan;
  total_s: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runEngineBench(options: BenchOptions): Promise<BenchResult> {
  const began = Date.now();
  const { root, plan } = options;
  const note = options.note ?? (() => {});
  const loadBefore = loadavg();
  const cleanups: Array<() => Promise<void>> = [];
  try {
    note(`building the engine${options.engineRef ? ` at ${options.engineRef}` : ''}`);
    const build = await buildEngine(root, options.engineRef);
    cleanups.push(build.cleanup);

    const app = await startSyntheticApp({ seed: 20261126 });
    cleanups.push(app.stop);
    const withRegressions = services(plan.services, true);
    for (const group of appGroups(withRegressions)) {
      const response = await fetch(`${app.url}/groups`, { method: 'POST', body: JSON.stringify(group), headers: { 'content-type': 'application/json' } });
      if (!response.ok) throw new Error(`cannot register a group with the synthetic app: ${await response.text()}`);
    }
    const prometheus = await startLocalPrometheus({ targets: [new URL(app.url).host], scrapeIntervalSeconds: plan.timing.scrapeSeconds });
    cleanups.push(prometheus.stop);
    const proxy = await startFront(root, 'proxy', prometheus.url);
    cleanups.push(proxy.stop);

    // Enough history for the first look of a live window, and for a whole burst window in the past.
    const { lookSeconds, stepSeconds, rateSeconds } = plan.timing;
    const history = (plan.sustained ? lookSeconds : plan.burstLooks * lookSeconds) + rateSeconds + 2 * stepSeconds;
    note(`collecting ${history} s of history in Prometheus`);
    await sleep(history * 1000);

    const runs: RunResult[] = [];
    type Drive = (caller: EngineCaller, log: CallLog) => Promise<void>;
    /** One run on a fresh engine; `prepare` runs first, unmeasured. */
    const measure = async (mode: RunResult['mode'], concurrent: number, front: Front, drive: Drive, prepare?: Drive) => {
      note(`${mode} ${concurrent}`);
      const engine = await startEngineProcess(build);
      const log = newCallLog();
      const caller = engineCaller(engine.address, log);
      try {
        if (prepare) {
          const warmCaller = engineCaller(engine.address, newCallLog());
          await prepare(warmCaller, newCallLog()).finally(() => warmCaller.close());
        }
        await front.reset();
        const cpuBefore = await cpuMs(engine.pid);
        const started = performance.now();
        await drive(caller, log);
        const seconds = (performance.now() - started) / 1000;
        const stats = await front.stats();
        const result: RunResult = {
          mode,
          concurrent,
          p50_ms: percentile(log.latenciesMs, 0.5),
          p99_ms: percentile(log.latenciesMs, 0.99),
          max_ms: percentile(log.latenciesMs, 1),
          errors: Object.values(log.errors).reduce((a, b) => a + b, 0),
          error_measurements: log.errorMeasurements,
          prom_requests_per_verification: Math.round((stats.requests / concurrent) * 10) / 10,
          prom_requests_per_look: log.resumes ? Math.round((stats.requests / log.resumes) * 10) / 10 : 0,
          peak_prom_concurrency: stats.peak,
          peak_prom_connections: stats.peakConnections,
          peak_rss_mib: await peakRssMib(engine.pid),
          calls: log.latenciesMs.length,
          resumes_per_s: Math.round((log.resumes / seconds) * 10) / 10,
          retries: log.retries,
          outcomes: log.outcomes,
          error_kinds: log.errors,
          error_samples: log.errorSamples,
          engine_cpu_ms_per_look: log.resumes ? Math.round(((await cpuMs(engine.pid)) - cpuBefore) / log.resumes * 100) / 100 : 0,
          duration_s: Math.round(seconds * 10) / 10,
        };
        note(JSON.stringify(result));
        runs.push(result);
      } finally {
        caller.close();
        await engine.stop();
      }
    };
    const spec = (list: Service[], id: number, prometheusUrl: string, looks: number) => ({
      id,
      service: list[id % list.length]!,
      prometheus: prometheusUrl,
      timing: plan.timing,
      looks,
    });

    if (plan.sustained) {
      const { concurrent, looks } = plan.sustained;
      // Healthy canaries only, so that all of them stay in flight for the whole window.
      const healthyList = withRegressions.filter((service) => !service.regressed);
      await measure('sustained', concurrent, proxy, async (caller, log) => {
        // Runs spread over one interval, so that the looks arrive at an even rate.
        const spreadMs = lookSeconds * 1000;
        await Promise.all(
          Array.from({ length: concurrent }, async (_, i) => {
            await sleep((i * spreadMs) / concurrent);
            await liveVerification(caller, spec(healthyList, i, proxy.url, looks), log);
          }),
        );
      });
    }
    const burst = async (caller: EngineCaller, log: CallLog, n: number, url: string) => {
      await Promise.all(Array.from({ length: n }, (_, i) => burstVerification(caller, spec(withRegressions, i, url, plan.burstLooks), log)));
    };
    for (const n of plan.bursts) await measure('burst', n, proxy, (caller, log) => burst(caller, log, n, proxy.url));
    if (plan.instantBursts.length) {
      const replay = await startFront(root, 'replay', prometheus.url);
      cleanups.push(replay.stop);
      for (const n of plan.instantBursts) {
        await measure(
          'burst-instant',
          n,
          replay,
          (caller, log) => burst(caller, log, n, replay.url),
          // Every query answered once before the measured burst, so that the front answers all of them from memory.
          (caller, log) => burst(caller, log, withRegressions.length, replay.url),
        );
      }
    }

    let bridge: BridgeOverhead | undefined;
    if (plan.bridge) {
      note('bridge overhead');
      bridge = await measureBridge(root, build, withRegressions[1 % withRegressions.length]!, proxy.url, plan);
      note(JSON.stringify(bridge));
    }
    return {
      runs,
      ...bridge,
      engine_commit: build.commit,
      engine_node_options: ENGINE_NODE_OPTIONS,
      machine: { cpus: cpus().length, load_before: loadBefore.map(round2), load_after: loadavg().map(round2) },
      plan,
      total_s: Math.round((Date.now() - began) / 1000),
    };
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  }
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** The bridge and bridge-bench, built with go; then bridge-bench against a fresh engine. */
async function measureBridge(root: string, build: EngineBuild, service: Service, prometheus: string, plan: BenchPlan): Promise<BridgeOverhead> {
  const settings = plan.bridge!;
  const dir = await mkdtemp(join(tmpdir(), 'rollouts-cv-bridge-bench-'));
  const engine = await startEngineProcess(build);
  try {
    const moduleDir = join(root, 'plugin/bridge');
    const env = { ...process.env, CGO_ENABLED: '0' };
    await run('go', ['build', '-trimpath', '-o', join(dir, 'rollouts-cv-bridge'), '.'], { cwd: moduleDir, env });
    await run('go', ['build', '-trimpath', '-o', join(dir, 'bridge-bench'), './cmd/bridge-bench'], { cwd: moduleDir, env });
    const metric = metricObject(service, prometheus, plan.timing, plan.burstLooks);
    await writeFile(join(dir, 'metric.json'), JSON.stringify(metric));
    await writeFile(join(dir, 'analysisrun.json'), JSON.stringify(analysisRunObject(service, 1, metric)));
    const { stdout } = await run(
      join(dir, 'bridge-bench'),
      [
        '--bridge',
        join(dir, 'rollouts-cv-bridge'),
        '--engine-address',
        engine.address,
        '--metric',
        join(dir, 'metric.json'),
        '--analysis-run',
        join(dir, 'analysisrun.json'),
        '--calls',
        String(settings.calls),
        '--concurrency',
        String(settings.concurrency),
        '--rounds',
        String(settings.rounds),
      ],
      { maxBuffer: 1 << 20 },
    );
    type Overheads = { overhead: { p50_ms: number; p99_ms: number }; overhead_run_only: { p99_ms: number } };
    const detail = JSON.parse(stdout) as { sequential: Overheads; concurrent: Overheads };
    return {
      bridge_overhead_p50_ms: detail.sequential.overhead.p50_ms,
      bridge_overhead_p99_ms: detail.sequential.overhead.p99_ms,
      bridge_overhead_p50_ms_concurrent: detail.concurrent.overhead.p50_ms,
      bridge_overhead_p99_ms_concurrent: detail.concurrent.overhead.p99_ms,
      bridge_overhead_p99_ms_run_only: detail.sequential.overhead_run_only.p99_ms,
      bridge_overhead_p99_ms_concurrent_run_only: detail.concurrent.overhead_run_only.p99_ms,
      bridge_detail: detail,
    };
  } finally {
    await engine.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
