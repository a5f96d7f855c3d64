// `rollouts-cv demo`: a healthy and a regressed canary verified side by side, each through the real bridge
// (loaded as the Argo Rollouts controller loads it) → engine → a local Prometheus scraping the synthetic app.
import { pino } from 'pino';
import { createLogger } from '../../shared/log.js';
import { startEngine } from '../server/engine.js';
import type { Measurement } from '../verify/types.js';
import { canaryAnalysisRun, verifyMetric } from './analysis-objects.js';
import { measureThroughBridge, prepareBridgeTools } from './plugin-host.js';
import { startSandbox } from './sandbox.js';

const WINDOW = { duration: '30s', interval: '5s' };
// The latency query's rate() over ${rateInterval} (4 s at the demo's step and scrape interval) needs history
// before the window opens; 10 s gives every pod several scrapes.
const WARM_UP_MS = 10_000;
// The single canary pod serves the judge's least evidence for a ratio (200 requests per group) within the first
// step, and enough over the window (30,000 requests, some 300 errors at 1%) for a healthy canary to pass and a
// regressed one to fail conclusively, usually well before the window closes.
const RPS_PER_POD = 1000;

interface Traffic {
  errorRate: number;
  latencyMs: number;
}

interface Scenario {
  name: 'healthy' | 'regressed';
  stable: { hash: string; pods: number } & Traffic;
  canary: { hash: string; pods: number } & Traffic;
  expectedPhase: Measurement['phase'];
}

const BASELINE: Traffic = { errorRate: 0.01, latencyMs: 50 };

const SCENARIOS: Scenario[] = [
  {
    name: 'healthy',
    stable: { hash: '6d4f8b9c7', pods: 3, ...BASELINE },
    canary: { hash: '7f5c9d8b6', pods: 1, ...BASELINE },
    expectedPhase: 'Successful',
  },
  {
    name: 'regressed',
    stable: { hash: '5c8b7d6f4', pods: 3, ...BASELINE },
    canary: { hash: '9b6d4c7f8', pods: 1, errorRate: 0.05, latencyMs: 90 },
    expectedPhase: 'Failed',
  },
];

interface Outcome {
  scenario: Scenario;
  measurement: Measurement;
  verdict: string | null;
  score: number | null;
  reasons: string[];
}

/** Runs the demo; resolves with the process exit code (0 only when both verifications ran and came out as expected). */
export async function runDemo(options: { json: boolean }): Promise<number> {
  const began = Date.now();
  const log = createLogger({ name: 'rollouts-cv-demo', level: process.env.LOG_LEVEL ?? 'warn' }, pino.destination(2));
  const note = (text: string) => process.stderr.write(`demo: ${text}\n`);
  const interrupt = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => interrupt.abort(new Error(`interrupted by ${signal}`));
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  const cleanups: Array<() => Promise<void>> = [];

  try {
    note('preparing the bridge and plugin-host');
    const tools = await prepareBridgeTools(interrupt.signal);
    cleanups.push(tools.cleanup);
    interrupt.signal.throwIfAborted();

    note('starting Prometheus and the synthetic app');
    const sandbox = await startSandbox();
    cleanups.push(sandbox.stop);
    interrupt.signal.throwIfAborted();
    const engine = await startEngine({ listen: '127.0.0.1:0', log, shutdownGraceMs: 2_000 });
    cleanups.push(engine.stop);
    note(`Prometheus ${sandbox.prometheus}, app ${sandbox.app}, engine ${engine.address}`);

    for (const scenario of SCENARIOS) {
      for (const group of [scenario.stable, scenario.canary]) await registerGroup(sandbox.app, group);
    }
    note(`letting traffic run ${WARM_UP_MS / 1000} s before the verification windows open`);
    await sleep(WARM_UP_MS, interrupt.signal);

    note(`verifying both canaries concurrently over a ${WINDOW.duration} window`);
    const outcomes = await Promise.all(
      SCENARIOS.map(async (scenario): Promise<Outcome> => {
        const metric = verifyMetric({ prometheus: sandbox.prometheus, canaryHash: scenario.canary.hash, stableHash: scenario.stable.hash, ...WINDOW });
        const analysisRun = canaryAnalysisRun({ rollout: `shop-${scenario.name}`, namespace: 'demo', canaryHash: scenario.canary.hash, stableHash: scenario.stable.hash, metric });
        const measurement = await measureThroughBridge({
          tools,
          engineAddress: engine.address,
          analysisRun,
          metric,
          signal: interrupt.signal,
          onProgress: (line) => process.stderr.write(`[${scenario.name}] ${describeProgress(line)}\n`),
        });
        return { scenario, measurement, ...parseValue(measurement) };
      }),
    );

    process.stdout.write(report(outcomes, Date.now() - began));
    if (options.json) {
      const summary = Object.fromEntries(outcomes.map((o) => [o.scenario.name, { verdict: o.verdict, phase: o.measurement.phase }]));
      process.stdout.write(`${JSON.stringify(summary)}\n`);
    }
    return outcomes.every((o) => o.measurement.phase === o.scenario.expectedPhase && o.verdict !== null) ? 0 : 1;
  } catch (error) {
    const cause = interrupt.signal.aborted ? interrupt.signal.reason : error;
    process.stderr.write(`demo failed: ${cause instanceof Error ? cause.message : String(cause)}\n`);
    return interrupt.signal.aborted ? 130 : 1;
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: Error) => note(`cleanup: ${error.message}`));
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  }
}

async function registerGroup(app: string, group: { hash: string; pods: number } & Traffic): Promise<void> {
  const response = await fetch(`${app}/groups`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...group, rps: RPS_PER_POD }),
  });
  if (!response.ok) throw new Error(`the synthetic app refused group ${group.hash}: ${response.status} ${await response.text()}`);
}

/** plugin-host reports each plugin answer as `{"method", "measurement"}`; shown as "Resume → Running: …". */
function describeProgress(line: string): string {
  try {
    const { method, measurement } = JSON.parse(line) as { method?: string; measurement?: Measurement };
    if (method && measurement) return `${method} → ${measurement.phase}: ${measurement.message ?? ''}`;
  } catch {
    // not one of its JSON lines: shown as it is
  }
  return line;
}

/** Measurement.value is the engine's `{"verdict", "score", "reasons"}`; anything else leaves the verdict unknown. */
function parseValue(measurement: Measurement): Pick<Outcome, 'verdict' | 'score' | 'reasons'> {
  try {
    const value = JSON.parse(measurement.value ?? '') as { verdict?: unknown; score?: unknown; reasons?: unknown };
    return {
      verdict: typeof value.verdict === 'string' ? value.verdict : null,
      score: typeof value.score === 'number' ? value.score : null,
      reasons: Array.isArray(value.reasons) ? value.reasons.map(String) : [],
    };
  } catch {
    return { verdict: null, score: null, reasons: [] };
  }
}

function report(outcomes: Outcome[], elapsedMs: number): string {
  const describe = (group: { hash: string; pods: number } & Traffic) =>
    `${group.hash} (${group.pods} pod${group.pods === 1 ? '' : 's'}, ${group.errorRate * 100}% errors, ${group.latencyMs} ms median)`;
  const lines = [`rollouts-cv demo: canary vs stable, bridge → engine → Prometheus, ${WINDOW.duration} window`, ''];
  for (const { scenario, measurement, verdict, score, reasons } of outcomes) {
    const expected = measurement.phase === scenario.expectedPhase ? 'as expected' : `EXPECTED ${scenario.expectedPhase}`;
    lines.push(
      `${scenario.name}: canary ${describe(scenario.canary)} vs stable ${describe(scenario.stable)}`,
      `  verdict: ${verdict ?? 'none'}   score: ${score ?? 'n/a'}   phase: ${measurement.phase} (${expected})`,
      `  message: ${measurement.message ?? ''}`,
      ...reasons.map((reason) => `  - ${reason}`),
      '',
    );
  }
  lines.push(`finished in ${(elapsedMs / 1000).toFixed(1)} s`, '');
  return lines.join('\n');
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true });
  });
}
