// The recommended queries work whatever the scrape interval: a real Prometheus scraping the synthetic app at the
// common 30 s and at 60 s judges a healthy canary (not NoData) and fails a regressed one. The config is the same
// for both Prometheus, with the queries the README recommends (httpMetrics): ratio metrics read the cumulative
// counters, and the latency's range is ${rateInterval}, four configured scrape intervals, which also covers a
// Prometheus scraping half as often as configured.
//
// By default everything is scaled down tenfold so that the suite stays short: scrapes every 3 s and 6 s, with
// the config's step, scrapeInterval and window scaled alike (1.5 s, 3 s and 30 s for the defaults' 15 s, 30 s and
// a 5 m window). ROLLOUTS_CV_SCRAPE_TEST_SCALE=10 runs it unscaled, with the engine's defaults left unset
// (about 8 minutes).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/log.js';
import { canaryAnalysisRun, httpMetrics } from '../../plugin/demo/analysis-objects.js';
import { findPrometheus } from '../../plugin/demo/local-prometheus.js';
import { type Sandbox, startSandbox } from '../../plugin/demo/sandbox.js';
import { type RunningEngine, startEngine } from '../../plugin/server/engine.js';
import { type EngineClient, connectEngine, driveMeasurement } from '../helpers/engine-client.js';

const SCALE = Number(process.env.ROLLOUTS_CV_SCRAPE_TEST_SCALE ?? 1);
const UNSCALED = SCALE === 10;
const SCRAPE_INTERVALS_S = [3 * SCALE, 6 * SCALE];
// ${rateInterval} = max(4 × 3 s, 1.5 s + 3 s) = 12 s (scaled) of history before the window opens.
const WARM_UP_MS = 13_000 * SCALE;
const SCENARIO_TIMEOUT_MS = 90_000 * SCALE;
const TRAFFIC = { rps: 300, errorRate: 0.01, latencyMs: 50 };
// Unscaled, the engine's defaults (15 s step, 30 s scrape interval and look interval) are left to apply.
const SETTINGS = UNSCALED
  ? { duration: '5m', prometheus: {} }
  : { duration: `${30 * SCALE}s`, interval: `${5 * SCALE}s`, prometheus: { step: `${1.5 * SCALE}s`, scrapeInterval: `${3 * SCALE}s` } };

let engine: RunningEngine;
let client: EngineClient;
const sandboxes = new Map<number, Sandbox>();

async function addGroup(sandbox: Sandbox, body: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${sandbox.app}/groups`, { method: 'POST', body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`registering ${JSON.stringify(body)}: ${response.status} ${await response.text()}`);
}

async function verifyCanary(sandbox: Sandbox, canaryHash: string, stableHash: string) {
  const { prometheus, ...window } = SETTINGS;
  const config = {
    ...window,
    canary: { podTemplateHash: canaryHash },
    baseline: { podTemplateHash: stableHash },
    source: { prometheus: { address: sandbox.prometheus, ...prometheus } },
    metrics: httpMetrics(),
  };
  const metric = { name: 'verify', provider: { plugin: { 'rollouts-cv/verify': config } } };
  const measurement = await driveMeasurement(client, canaryAnalysisRun({ rollout: 'web', namespace: 'it', canaryHash, stableHash, metric }), metric);
  const value = (measurement.value ? JSON.parse(measurement.value) : { verdict: null, reasons: [] }) as { verdict: string | null; reasons: string[] };
  return { phase: measurement.phase, message: measurement.message, ...value };
}

beforeAll(async () => {
  findPrometheus();
  engine = await startEngine({ listen: '127.0.0.1:0', log: createLogger({ level: 'silent' }) });
  client = connectEngine(engine.address);
  await Promise.all(
    SCRAPE_INTERVALS_S.map(async (seconds) => {
      const sandbox = await startSandbox({ seed: 20_260_000 + seconds, scrapeIntervalSeconds: seconds });
      sandboxes.set(seconds, sandbox);
      await Promise.all([
        addGroup(sandbox, { hash: 'okstable', pods: 3, ...TRAFFIC }),
        addGroup(sandbox, { hash: 'okcanary', pods: 1, ...TRAFFIC }),
        addGroup(sandbox, { hash: 'badstable', pods: 3, ...TRAFFIC }),
        addGroup(sandbox, { hash: 'badcanary', pods: 1, ...TRAFFIC, errorRate: 0.05, latencyMs: 90 }),
      ]);
    }),
  );
  await new Promise((resolve) => setTimeout(resolve, WARM_UP_MS));
}, 60_000 + WARM_UP_MS);

afterAll(async () => {
  client?.close();
  await engine?.stop();
  await Promise.all([...sandboxes.values()].map((sandbox) => sandbox.stop()));
});

describe.concurrent.each(SCRAPE_INTERVALS_S)('a Prometheus scraping every %i s, with the same config', (seconds) => {
  it('judges a healthy canary Healthy, on both metrics', { timeout: SCENARIO_TIMEOUT_MS }, async () => {
    const result = await verifyCanary(sandboxes.get(seconds)!, 'okcanary', 'okstable');
    expect([result.phase, result.verdict], result.message).toEqual(['Successful', 'Healthy']);
    expect(result.reasons.join(' ')).not.toMatch(/no data|too little/);
  });

  it('fails a canary with 5x the errors and 80% more latency', { timeout: SCENARIO_TIMEOUT_MS }, async () => {
    const result = await verifyCanary(sandboxes.get(seconds)!, 'badcanary', 'badstable');
    expect([result.phase, result.verdict], result.message).toEqual(['Failed', 'Unhealthy']);
  });
});
