// The report of a verification, end to end below the bridge: the engine verifies a healthy and a regressed canary
// against a real Prometheus, links each Measurement to its report, and serves the report rebuilt from the
// AnalysisRun; a real headless Chromium draws it (every chart, no console errors, keyboard reachable) and takes the
// screenshots the README shows; `rollouts-cv verify` on the same window gives the engine's verdict.
import { mkdirSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiException } from '@kubernetes/client-node';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canaryAnalysisRun, verifyMetric } from '../../plugin/demo/analysis-objects.js';
import { findPrometheus } from '../../plugin/demo/local-prometheus.js';
import { type Sandbox, startSandbox } from '../../plugin/demo/sandbox.js';
import { runVerifyCommand } from '../../plugin/report/command.js';
import { runReportCommand } from '../../plugin/report/report-command.js';
import type { Report } from '../../plugin/report/model.js';
import { type RunningEngine, startEngine } from '../../plugin/server/engine.js';
import type { WireMeasurement, WireStepResult } from '../../plugin/server/wire.js';
import { createLogger } from '../../shared/log.js';
import { launchChromium } from '../helpers/browser.js';
import { startFakeKubeApi } from '../helpers/fake-kube-api.js';
import { type KubeObject, objectStore } from '../helpers/fake-kube-store.js';
import { type EngineClient, connectEngine, driveMeasurement, unary } from '../helpers/engine-client.js';

const WINDOW = { duration: '20s', interval: '4s' };
const WARM_UP_MS = 10_000;
const root = fileURLToPath(new URL('../../', import.meta.url));
// Screenshots of every run, for people looking at a failure; UPDATE_DOCS_IMAGES=1 also refreshes the README's.
const ARTIFACTS = join(root, 'test/artifacts');
const DOCS_IMAGES = process.env.UPDATE_DOCS_IMAGES === '1' ? join(root, 'docs/images') : undefined;

let sandbox: Sandbox;
let engine: RunningEngine;
let client: EngineClient;
let browser: Browser;
const runs = new Map<string, Record<string, unknown>>();
const rollouts = new Map<string, Record<string, unknown>>();

interface Verified {
  name: string;
  run: Record<string, unknown>;
  measurement: WireMeasurement;
  canaryHash: string;
  stableHash: string;
}

async function addGroup(body: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${sandbox.app}/groups`, { method: 'POST', body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`registering ${JSON.stringify(body)}: ${response.status} ${await response.text()}`);
}

/** The metric as the AnalysisRun keeps it: the template, its args filled in only when the controller calls. */
function templated(metric: Record<string, unknown>, canaryHash: string, stableHash: string): Record<string, unknown> {
  return JSON.parse(JSON.stringify(metric).replaceAll(`"${canaryHash}"`, '"{{args.canary-hash}}"').replaceAll(`"${stableHash}"`, '"{{args.stable-hash}}"')) as Record<string, unknown>;
}

/** Verifies through the engine as the controller would, and keeps the AnalysisRun as the API server would. */
async function verifyThroughEngine(name: string, canaryHash: string, stableHash: string): Promise<Verified> {
  const metric = verifyMetric({ prometheus: sandbox.prometheus, canaryHash, stableHash, ...WINDOW });
  const run = canaryAnalysisRun({ rollout: name, namespace: 'shop', canaryHash, stableHash, metric });
  const measurement = await driveMeasurement(client, run, metric);
  const metadata = run.metadata as { namespace: string; name: string };
  const stored = {
    ...run,
    spec: { ...(run.spec as object), metrics: [templated(metric, canaryHash, stableHash)] },
    status: {
      phase: measurement.phase,
      metricResults: [{ name: 'verify', phase: measurement.phase, measurements: [{ phase: measurement.phase, message: measurement.message, startedAt: measurement.started_at, finishedAt: measurement.finished_at, value: measurement.value, metadata: measurement.metadata }] }],
    },
  };
  runs.set(`${metadata.namespace}/${metadata.name}`, stored);
  return { name, run: stored, measurement, canaryHash, stableHash };
}

/**
 * Runs a verify gate at step 1 through the engine as the controller would (Run, again after RequeueAfter, until it
 * ends), and keeps the Rollout with the step's status as the API server would. Resolves with the step's last status.
 */
async function gateThroughEngine(name: string, canaryHash: string, stableHash: string): Promise<{ phase: string; message: string; status: Record<string, unknown> }> {
  const { 'rollouts-cv/verify': verify } = (verifyMetric({ prometheus: sandbox.prometheus, canaryHash, stableHash, ...WINDOW }).provider as { plugin: Record<string, Record<string, unknown>> }).plugin;
  const { canary: _canary, baseline: _baseline, ...config } = verify!;
  const steps = [{ setWeight: 20 }, { plugin: { name: 'rollouts-cv/gate', config: { verify: config } } }];
  const rollout = { metadata: { namespace: 'shop', name, uid: `uid-${name}` }, spec: { strategy: { canary: { steps } } }, status: { currentPodHash: canaryHash, stableRS: stableHash, currentStepIndex: 1 } };
  const json = (value: unknown) => Buffer.from(JSON.stringify(value));
  let status: unknown;
  for (;;) {
    const result = await unary<WireStepResult>(client.step, 'Run', { rollout_json: json(rollout), plugin_name: 'rollouts-cv/gate', config_json: json({ verify: config }), status_json: status === undefined ? Buffer.alloc(0) : json(status) });
    expect(result.error_string).toBe('');
    status = JSON.parse(result.status_json.toString());
    const entry = { index: 1, name: 'rollouts-cv/gate', operation: 'Run', phase: result.phase, message: result.message, status };
    rollouts.set(`shop/${name}`, { ...rollout, status: { ...rollout.status, canary: { stepPluginStatuses: [entry] } } });
    if (result.phase !== 'Running') return { phase: result.phase, message: result.message, status: status as Record<string, unknown> };
    await new Promise((resolve) => setTimeout(resolve, Math.max(1000, Number(result.requeue_after_ms))));
  }
}

/** The report's path on the engine, from the Measurement's link. */
function reportAddress(verified: Verified): string {
  const link = verified.measurement.metadata.report;
  expect(link, 'the Measurement links its report').toMatch(/^http:\/\/reports\.example\.test\/reports\/shop\/[a-z0-9-]+\/verify$/);
  return `http://${engine.reportsAddress}${new URL(link!).pathname}`;
}

beforeAll(async () => {
  findPrometheus();
  sandbox = await startSandbox({ seed: 20_241_205 });
  engine = await startEngine({
    listen: '127.0.0.1:0',
    log: createLogger({ level: 'silent' }),
    reports: {
      listen: '127.0.0.1:0',
      publicUrl: 'http://reports.example.test',
      rolloutsDashboardUrl: 'http://localhost:3100/rollouts',
      objects: {
        analysisRun: async (namespace, name) => {
          const run = runs.get(`${namespace}/${name}`);
          if (!run) throw new ApiException(404, 'not found', { kind: 'Status', code: 404, message: `analysisruns "${name}" not found` }, {});
          return run;
        },
        rollout: async (namespace, name) => {
          const rollout = rollouts.get(`${namespace}/${name}`);
          if (!rollout) throw new ApiException(404, 'not found', { kind: 'Status', code: 404, message: `rollouts.argoproj.io "${name}" not found` }, {});
          return rollout;
        },
      },
    },
  });
  client = connectEngine(engine.address);
  const traffic = { rps: 500, errorRate: 0.01, latencyMs: 50 };
  await Promise.all([
    addGroup({ hash: 'stable7d4', pods: 3, ...traffic }),
    addGroup({ hash: 'canary5f8', pods: 1, ...traffic }),
    addGroup({ hash: 'stable6c1', pods: 3, ...traffic }),
    addGroup({ hash: 'canary9b2', pods: 2, ...traffic, errorRate: 0.06, latencyMs: 85 }),
  ]);
  browser = await launchChromium();
  await new Promise((resolve) => setTimeout(resolve, WARM_UP_MS));
}, 90_000);

afterAll(async () => {
  await browser?.close();
  client?.close();
  await engine?.stop();
  await sandbox?.stop();
});

/** Opens the report in Chromium: every chart drawn, nothing logged as an error, each chart reachable by Tab. */
async function renderInBrowser(url: string, screenshot: string): Promise<{ title: string; charts: number; focused: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(String(error)));
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`));
  try {
    await page.goto(url);
    await page.waitForFunction(() => [...document.querySelectorAll('[data-chart]')].every((chart) => chart.getAttribute('data-drawn') === 'true'), null, { timeout: 15_000 });
    const charts = await page.locator('[data-chart] svg path').count();
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, screenshot), fullPage: true });
    if (DOCS_IMAGES) {
      mkdirSync(DOCS_IMAGES, { recursive: true });
      // The top of the page: the verdict, the metrics' table and the first chart.
      await page.screenshot({ path: join(DOCS_IMAGES, screenshot), fullPage: true, clip: { x: 0, y: 0, width: 1100, height: 1500 } });
    }
    // Keyboard: Tab from the top reaches every chart; on a chart, the arrow keys show the canary's points.
    const focused: string[] = [];
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press('Tab');
      const id = await page.evaluate(() => document.activeElement?.id ?? '');
      if (id.endsWith('-chart')) {
        // Tab wraps around the page: once a chart comes back, every one has been reached.
        if (focused.includes(id)) break;
        focused.push(id);
        await page.keyboard.press('ArrowRight');
        await page.keyboard.press('ArrowRight');
        // The tooltip is HTML inside the chart (the legend is SVG text): visible, naming the canary's series.
        await page.locator(`#${id} div`, { hasText: /canary \(/ }).last().waitFor({ state: 'visible', timeout: 5_000 });
        await page.keyboard.press('Escape');
      }
    }
    expect(problems).toEqual([]);
    return { title: await page.title(), charts, focused };
  } finally {
    await page.close();
  }
}

/** `rollouts-cv verify` on the Measurement's window. */
async function verifyCommand(verified: Verified, file: string): Promise<{ code: number; report: Report }> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await writeFile(file, JSON.stringify({ apiVersion: 'argoproj.io/v1alpha1', kind: 'AnalysisTemplate', metadata: { name: 'web' }, spec: { metrics: (verified.run.spec as { metrics: unknown[] }).metrics } }));
  const output = { out: '', err: '' };
  const stream = (key: 'out' | 'err') => ({ write: (text: string) => ((output[key] += text), true) }) as unknown as NodeJS.WritableStream;
  const metadata = verified.measurement.metadata;
  // Only a closed window is replayed: a verification decided early is replayed once its window has passed.
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(metadata.windowEnd!) + 1000 - Date.now())));
  const code = await runVerifyCommand(
    { file, args: [], canaryHash: verified.canaryHash, stableHash: verified.stableHash, start: new Date(metadata.windowStart!), end: new Date(metadata.windowEnd!), json: true, quiet: true },
    stream('out'),
    stream('err'),
  );
  expect(output.err).toBe('');
  return { code, report: JSON.parse(output.out) as Report };
}

/**
 * `rollouts-cv report <link>` against an API server holding the objects the engine read: the report rebuilt on this
 * machine, with a kubeconfig of its own.
 */
async function reportCommand(link: string): Promise<{ code: number; report: Report }> {
  const store = objectStore();
  for (const run of runs.values()) store.seed({ group: 'argoproj.io', plural: 'analysisruns' }, run as unknown as KubeObject);
  for (const rollout of rollouts.values()) store.seed({ group: 'argoproj.io', plural: 'rollouts' }, rollout as unknown as KubeObject);
  const api = await startFakeKubeApi(store.respond);
  try {
    const kubeconfig = join(await mkdtemp(join(tmpdir(), 'rollouts-cv-report-')), 'kubeconfig');
    await writeFile(kubeconfig, api.kubeConfig().exportConfig());
    const output = { out: '', err: '' };
    const stream = (key: 'out' | 'err') => ({ write: (text: string) => ((output[key] += text), true) }) as unknown as NodeJS.WritableStream;
    const code = await runReportCommand({ target: link, kubeconfig, json: true, quiet: true }, stream('out'), stream('err'));
    expect(output.err).toBe('');
    return { code, report: JSON.parse(output.out) as Report };
  } finally {
    await api.close();
  }
}

describe.concurrent('the report of a verification', () => {
  it('of a healthy canary: served from the AnalysisRun, drawn in Chromium, and replayed by rollouts-cv verify with the same verdict', { timeout: 120_000 }, async () => {
    const verified = await verifyThroughEngine('web', 'canary5f8', 'stable7d4');
    expect(verified.measurement.phase, verified.measurement.message).toBe('Successful');
    const url = reportAddress(verified);
    const report = (await (await fetch(`${url}?format=json`)).json()) as Report;
    expect([report.verdict, report.phase, report.score]).toEqual(['Healthy', 'Successful', JSON.parse(verified.measurement.value).score]);
    expect(report.recorded?.summary?.verdict).toBe('Healthy');
    expect(report.metrics.map((m) => m.judgement.name).sort()).toEqual(['error-rate', 'latency-p95']);
    for (const metric of report.metrics) expect([metric.canary.pods.length, metric.baseline.pods.length]).toEqual([1, 3]);

    const page = await renderInBrowser(url, 'report-healthy.png');
    expect(page.title).toMatch(/^Healthy: AnalysisRun shop\//);
    expect(page.charts).toBeGreaterThan(10);
    expect(page.focused).toEqual(['metric-0-chart', 'metric-1-chart']);

    // The same report from the command line, from the Measurement's link.
    const opened = await reportCommand(verified.measurement.metadata.report!);
    expect([opened.code, opened.report.subject, opened.report.verdict, opened.report.score, opened.report.judged]).toEqual([0, report.subject, report.verdict, report.score, report.judged]);

    const replayed = await verifyCommand(verified, join(ARTIFACTS, 'healthy-template.json'));
    expect(replayed.code).toBe(0);
    expect([replayed.report.verdict, replayed.report.phase, replayed.report.score]).toEqual([report.verdict, report.phase, report.score]);
  });

  it('of a regressed canary: the failing metrics first, their thresholds drawn, and the same verdict from rollouts-cv verify', { timeout: 120_000 }, async () => {
    const verified = await verifyThroughEngine('api', 'canary9b2', 'stable6c1');
    expect(verified.measurement.phase, verified.measurement.message).toBe('Failed');
    const url = reportAddress(verified);
    const report = (await (await fetch(`${url}?format=json`)).json()) as Report;
    expect([report.verdict, report.phase]).toEqual(['Unhealthy', 'Failed']);
    expect(report.metrics[0]!.judgement.classification).toBe('fail');
    expect(report.metrics[0]!.limits.map((l) => l.kind)).toEqual(['marginal', 'fail']);

    const page = await renderInBrowser(url, 'report-regressed.png');
    expect(page.title).toMatch(/^Unhealthy: /);
    expect(page.focused).toEqual(['metric-0-chart', 'metric-1-chart']);

    const replayed = await verifyCommand(verified, join(ARTIFACTS, 'regressed-template.json'));
    expect(replayed.code).toBe(1);
    expect([replayed.report.verdict, replayed.report.phase]).toEqual(['Unhealthy', 'Failed']);
  });

  it("of a verify gate: served from the Rollout's step status with the step's verdict, drawn in Chromium", { timeout: 120_000 }, async () => {
    const gate = await gateThroughEngine('cart', 'canary9b2', 'stable6c1');
    expect(gate.phase, gate.message).toBe('Failed');
    const link = `http://reports.example.test/reports/shop/rollouts/cart/steps/1?verification=${String(gate.status.verificationId)}`;
    expect([gate.status.report, gate.message.endsWith(`; report: ${link}`)]).toEqual([link, true]);
    const url = `http://${engine.reportsAddress}${new URL(link).pathname}${new URL(link).search}`;
    const report = (await (await fetch(`${url}&format=json`)).json()) as Report;
    expect([report.verdict, report.phase, report.score]).toEqual([gate.status.verdict, 'Failed', gate.status.score]);
    expect([report.subject, report.groups, report.recorded?.phase]).toEqual(['Rollout shop/cart, step 1 (verify gate)', { canary: 'canary9b2', baseline: 'stable6c1' }, 'Failed']);
    expect(Date.parse(report.judged.end)).toBe(Date.parse(String(gate.status.judgedUntil)));
    expect(report.links).toEqual([{ label: 'Rollout shop/cart in the Argo Rollouts dashboard', href: 'http://localhost:3100/rollouts/rollout/shop/cart' }]);
    const page = await renderInBrowser(url, 'report-gate.png');
    expect(page.title).toMatch(/^Unhealthy: Rollout shop\/cart, step 1/);
    expect(page.focused).toEqual(['metric-0-chart', 'metric-1-chart']);
    const opened = await reportCommand(link);
    expect([opened.code, opened.report.subject, opened.report.verdict, opened.report.score, opened.report.judged]).toEqual([0, report.subject, report.verdict, report.score, report.judged]);
    // A later verification of the step replaces this one: its link then says so.
    const stale = await fetch(`http://${engine.reportsAddress}/reports/shop/rollouts/cart/steps/1?verification=v-0000000000000000`);
    expect([stale.status, (await stale.text()).startsWith('Rollout shop/cart, step 1 now holds verification')]).toEqual([404, true]);
  });

  it('says what is missing: an unknown AnalysisRun or metric is a 404 naming it', async () => {
    const missing = await fetch(`http://${engine.reportsAddress}/reports/shop/nothing-here/verify`);
    expect([missing.status, await missing.text()]).toEqual([404, 'AnalysisRun shop/nothing-here not found (deleted, or never made)\n']);
  });
});
