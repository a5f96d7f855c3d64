// End to end below the bridge: gRPC client (as the bridge) → engine → a real Prometheus scraping the synthetic
// app. The scenarios share one sandbox and run concurrently; each verification window is 15 s.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/log.js';
import { canaryAnalysisRun, httpMetrics, verifyMetric } from '../../plugin/demo/analysis-objects.js';
import { findPrometheus } from '../../plugin/demo/local-prometheus.js';
import { type Sandbox, startSandbox } from '../../plugin/demo/sandbox.js';
import { type RunningEngine, startEngine } from '../../plugin/server/engine.js';
import type { WireMeasurement } from '../../plugin/server/wire.js';
import { type EngineClient, connectEngine, driveMeasurement } from '../helpers/engine-client.js';

const WINDOW = { duration: '15s', interval: '3s' };
const WARM_UP_MS = 10_000; // rate() over ${rateInterval} (4 s here) needs history before the window opens
const SCENARIO_TIMEOUT_MS = 60_000;

let sandbox: Sandbox;
let engine: RunningEngine;
let client: EngineClient;

async function addGroup(body: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${sandbox.app}/groups`, { method: 'POST', body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`registering ${JSON.stringify(body)}: ${response.status} ${await response.text()}`);
}

async function verifyCanary(canaryHash: string, stableHash: string, overrides: Partial<Parameters<typeof verifyMetric>[0]> = {}) {
  const metric = verifyMetric({ prometheus: sandbox.prometheus, canaryHash, stableHash, ...WINDOW, ...overrides });
  const analysisRun = canaryAnalysisRun({ rollout: 'web', namespace: 'it', canaryHash, stableHash, metric });
  const polls: WireMeasurement[] = [];
  const measurement = await driveMeasurement(client, analysisRun, metric, (m) => polls.push(m));
  const value = measurement.value ? (JSON.parse(measurement.value) as { verdict: string | null; reasons: string[] }) : undefined;
  return { ...measurement, verdict: value?.verdict, reasons: value?.reasons, polls };
}

beforeAll(async () => {
  // Fails (rather than skips) on a machine without Prometheus, with the command that installs it.
  findPrometheus();
  sandbox = await startSandbox({ seed: 20_240_601 });
  engine = await startEngine({ listen: '127.0.0.1:0', log: createLogger({ level: 'silent' }) });
  client = connectEngine(engine.address);
  // Enough requests that the single canary pod passes the judge's least evidence (200 requests per group) within
  // the first step, and that a 5x error rate is conclusive long before the window closes.
  const traffic = { rps: 1000, errorRate: 0.01, latencyMs: 50 };
  await Promise.all([
    addGroup({ hash: 'okstable', pods: 3, ...traffic }),
    addGroup({ hash: 'okcanary', pods: 1, ...traffic }),
    addGroup({ hash: 'badstable', pods: 5, ...traffic }),
    addGroup({ hash: 'badcanary', pods: 2, ...traffic, errorRate: 0.05 }),
    addGroup({ hash: 'idlestable', pods: 3, ...traffic }),
    addGroup({ hash: 'idlecanary', pods: 1, ...traffic, rps: 0 }),
  ]);
  await new Promise((resolve) => setTimeout(resolve, WARM_UP_MS));
}, 60_000);

afterAll(async () => {
  client?.close();
  await engine?.stop();
  await sandbox?.stop();
});

describe.concurrent('verification against a real Prometheus', () => {
  it('passes a healthy canary at the end of the window, Running while undecided', { timeout: SCENARIO_TIMEOUT_MS }, async () => {
    const result = await verifyCanary('okcanary', 'okstable');
    expect(result.phase, result.message).toBe('Successful');
    expect(result.verdict).toBe('Healthy');
    // Never passed early: every look before the end was Running without a verdict.
    const interim = result.polls.slice(0, -1);
    expect(interim.length).toBeGreaterThan(1);
    for (const poll of interim) expect([poll.phase, JSON.parse(poll.value).verdict]).toEqual(['Running', null]);
    expect(Date.parse(result.finished_at)).toBeGreaterThanOrEqual(Date.parse(result.metadata.windowEnd!));
  });

  it('fails a canary with 5x the error rate before the window closes', { timeout: SCENARIO_TIMEOUT_MS }, async () => {
    const result = await verifyCanary('badcanary', 'badstable');
    expect(result.phase, result.message).toBe('Failed');
    expect(result.verdict).toBe('Unhealthy');
    expect(result.reasons?.[0]).toMatch(/^error-rate: /);
    expect(result.message).toMatch(/^decided early, after /);
    expect(Date.parse(result.finished_at)).toBeLessThan(Date.parse(result.metadata.windowEnd!));
  });

  it('fails a canary without traffic when failOnNoData is set', { timeout: SCENARIO_TIMEOUT_MS }, async () => {
    const result = await verifyCanary('idlecanary', 'idlestable', { failOnNoData: true });
    expect(result.phase, result.message).toBe('Failed');
    expect(result.verdict).toBe('NoData');
  });

  it('pauses for a person on a canary without traffic when failOnNoData is off', { timeout: SCENARIO_TIMEOUT_MS }, async () => {
    const result = await verifyCanary('idlecanary', 'idlestable', { failOnNoData: false });
    expect(result.phase, result.message).toBe('Inconclusive');
    expect(result.verdict).toBe('NoData');
  });

  it('reports a query Prometheus rejects as Error naming the metric', { timeout: SCENARIO_TIMEOUT_MS }, async () => {
    const [errorRate] = httpMetrics();
    const broken = { name: 'broken-query', kind: 'gauge' as const, query: 'sum by (pod) (rate(http_requests_total{${selector}}[10s])' };
    const result = await verifyCanary('okcanary', 'okstable', { metrics: [errorRate!, broken] });
    expect(result.phase).toBe('Error');
    expect(result.message).toContain('broken-query');
    expect(result.finished_at).not.toBe('');
  });
});
