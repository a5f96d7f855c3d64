// End to end: a real control plane (kwok cluster), the Argo Rollouts controller v1.10.1 loading the rollouts-cv
// bridge, the engine, a Prometheus scraping the synthetic app and a VictoriaLogs holding the pods' log lines.
// Canary Rollouts are verified by an AnalysisTemplate using the `rollouts-cv/verify` metric plugin (on metrics, or
// metrics and logs) or inline by a `rollouts-cv/gate` step, with the engine up, down or restarted, and the Rollout's
// phase, step and message are asserted as the controller writes them. One file: the harness starts one cluster per
// file.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { decodeSummary } from '../../shared/verdicts/summary.js';
import { type AnalysisRun, type CanaryTarget, analysisRun, done, runCanary, startCanary, stepAnalysis, verifyMeasurements, weightThen } from './harness/canary.js';
import { Environment } from './harness/environment.js';
import { promote } from './harness/kubectl.js';
import { podLogsConfig, withPodLogs } from './harness/pod-logs.js';
import { run, sleep, waitFor } from './harness/processes.js';
import { BASELINE, REGRESSED, analysisStep, analysisTemplate, gateStep } from './harness/verification.js';

const NAMESPACE = 'e2e';
const CHART_NAMESPACE = 'rollouts-cv';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TEMPLATE = 'rollouts-cv-http';
/** Unhealthy → Inconclusive: the rollout pauses for a person instead of aborting. */
const INCONCLUSIVE_TEMPLATE = 'rollouts-cv-http-inconclusive';
/** Up to 10 consecutive Error measurements (default 4) before the run fails: rides out the engine being down. */
const TOLERANT_TEMPLATE = 'rollouts-cv-http-tolerant';
const SHADOW_TEMPLATE = 'rollouts-cv-http-shadow';
/** The steps of most scenarios: `setWeight: 25`, then a rollouts-cv analysis. */
const ANALYSED = weightThen(analysisStep(TEMPLATE));
/** Rollouts whose pods log; each has a template reading its own app's lines, as a user writes one per service. */
const LOGGING_APPS = ['logs-healthy', 'logs-new-error'] as const;
const logsTemplate = (app: (typeof LOGGING_APPS)[number]) => `rollouts-cv-${app}`;

let env: Environment | undefined;
const target = (): CanaryTarget => ({ env: env!, namespace: NAMESPACE });
const summary: Record<string, unknown> = {};

// Interrupted (Ctrl-C, a CI timeout): stop the environment first. A run killed outright is cleaned up by the next
// run (Environment.start reaps what its pid files name).
const onSignal = (signal: NodeJS.Signals) => {
  void (env?.stop() ?? Promise.resolve()).catch(() => undefined).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
};

beforeAll(async () => {
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  env = await Environment.start({ victoriaLogs: true });
  summary.startMs = env.timings;
  const k = env.kubectl;
  await k.apply(`apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${NAMESPACE}\n`);
  // Pods are refused until the ServiceAccount controller has created the namespace's `default` account.
  await waitFor('the default ServiceAccount', async () => ((await k.run(['-n', NAMESPACE, 'get', 'serviceaccount', 'default', '--ignore-not-found'])).includes('default') ? true : undefined), 60_000);
  await k.apply(analysisTemplate(NAMESPACE, TEMPLATE, env.prometheus));
  await k.apply(analysisTemplate(NAMESPACE, INCONCLUSIVE_TEMPLATE, env.prometheus, { unhealthyPhase: 'Inconclusive' }));
  await k.apply(analysisTemplate(NAMESPACE, TOLERANT_TEMPLATE, env.prometheus, { consecutiveErrorLimit: 10 }));
  await k.apply(analysisTemplate(NAMESPACE, SHADOW_TEMPLATE, env.prometheus, { dryRun: true }));
  for (const app of LOGGING_APPS) await k.apply(analysisTemplate(NAMESPACE, logsTemplate(app), env.prometheus, { logs: podLogsConfig(env.victoriaLogs!.url, NAMESPACE, app) }));
}, 600_000);

afterAll(async () => {
  process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  if (!env) return;
  summary.peakMemoryMiB = await env.peakMemoryMiB().catch(() => ({}));
  const failed = summary.failed === true;
  if (failed) summary.logs = env.workdir;
  await env.stop({ keepWorkdir: failed });
  const cache = process.env.ROLLOUTS_CV_E2E_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'rollouts-cv/e2e');
  await mkdir(cache, { recursive: true });
  await writeFile(join(cache, 'last-run.json'), `${JSON.stringify(summary, null, 2)}\n`);
  console.log(`e2e summary (also in ${join(cache, 'last-run.json')}):\n${JSON.stringify(summary, null, 2)}`);
}, 180_000);

describe('the documented and packaged objects on the real API server', () => {
  // Server-side dry run: the API server validates each object against its schema (the Argo Rollouts CRDs
  // included) and admission, and stores nothing.
  const dryRun = (yaml: string) => env!.kubectl.run(['apply', '--server-side', '--force-conflicts', '--dry-run=server', '-f', '-'], yaml);
  // The namespaces the objects go to exist in a real install (e.g. the controller's, for its ConfigMap).
  const createNamespacesOf = async (yaml: string) => {
    for (const doc of parseAllDocuments(yaml)) {
      const namespace = (doc.toJS() as { metadata?: { namespace?: string } } | null)?.metadata?.namespace;
      if (namespace) await env!.kubectl.apply(`apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${namespace}\n`);
    }
  };

  it('accepts every example in docs/examples', async () => {
    for (const file of (await readdir(join(ROOT, 'docs/examples'))).filter((f) => f.endsWith('.yaml'))) {
      const text = await readFile(join(ROOT, 'docs/examples', file), 'utf8');
      await createNamespacesOf(text);
      expect(await dryRun(text), file).toMatch(/\(server dry run\)/);
    }
  });

  it('accepts every object the Helm chart renders, with each value set', async () => {
    const helm = (await run('bash', [join(ROOT, 'scripts/helm.sh')], { timeoutMs: 900_000 })).stdout.trim();
    const valueSets = (await readdir(join(ROOT, 'charts/rollouts-cv/ci'))).map((f) => join(ROOT, 'charts/rollouts-cv/ci', f));
    for (const values of [undefined, ...valueSets]) {
      const args = ['template', 'rollouts-cv', join(ROOT, 'charts/rollouts-cv'), '--namespace', CHART_NAMESPACE, ...(values ? ['--values', values] : [])];
      const rendered = (await run(helm, args)).stdout;
      await createNamespacesOf(rendered);
      expect(await dryRun(rendered), values ?? 'default values').toMatch(/\(server dry run\)/);
    }
  });

  it('validates a ServiceMonitor against the prometheus-operator CRD schema', async () => {
    const serviceMonitor = (interval: string) =>
      [
        'apiVersion: monitoring.coreos.com/v1',
        'kind: ServiceMonitor',
        'metadata: {name: e2e-schema, namespace: default}',
        'spec:',
        '  selector: {matchLabels: {app: e2e}}',
        `  endpoints: [{port: metrics, interval: ${interval}, scrapeTimeout: 10s, path: /metrics}]`,
        '',
      ].join('\n');
    expect(await dryRun(serviceMonitor('30s'))).toMatch(/servicemonitor\.monitoring\.coreos\.com\/e2e-schema serverside-applied \(server dry run\)/);
    // monitoringv1.Duration's pattern
    await expect(dryRun(serviceMonitor('banana'))).rejects.toThrow(/spec\.endpoints\[0\]\.interval: Invalid value: "banana": spec\.endpoints\[0\]\.interval in body should match/);
  });
});

describe('Argo Rollouts controller + rollouts-cv bridge + engine on a kwok cluster', () => {
  scenario('promotes a healthy canary fully after a rollouts-cv analysis step', async () => {
    const run = await runCanary(target(), 'healthy', BASELINE, ANALYSED);
    summary.healthy = run;
    // the controller went through the analysis step (index 1) to the end, and promoted the canary
    expect(run.seen.slice(1)).toContain('Progressing step 1/2: more replicas need to be updated');
    expect(run.final).toMatchObject({ phase: 'Healthy', step: 2, steps: 2, fullyPromoted: true, abort: false, currentPodHash: run.canaryHash, stableRS: run.canaryHash });
    expect(run.final.message).toBe('');
    expect(run.analysis).toMatchObject({ phase: 'Successful', measurementPhase: 'Successful' });
    expect(run.analysis.measurementMessage).toMatch(/^Healthy, score \d+\/100/);
    // the engine's own metrics counted the calls and the verdict
    const metrics = await (await fetch(`http://${env!.engineMetricsAddress}/metrics`)).text();
    expect(metrics).toMatch(/^rollouts_cv_verifications_finished_total\{plugin="verify",verdict="Healthy",phase="Successful",early="false"\} [1-9]/m);
    expect(metrics).toMatch(/^rollouts_cv_engine_calls_total\{method="MetricProvider\/Resume",outcome="ok"\} [1-9]/m);
  });

  scenario('promotes a healthy canary through setWeight 10/25/50/100 with a rollouts-cv analysis at each step', async () => {
    const verify = analysisStep(TEMPLATE);
    const steps = [{ setWeight: 10 }, verify, { setWeight: 25 }, verify, { setWeight: 50 }, verify, { setWeight: 100 }];
    const c = await startCanary(target(), 'stepwise', BASELINE, steps);
    const final = await c.until('the rollout to finish', done, 480_000);
    // every analysis step ran to a Healthy rollouts-cv verdict, one AnalysisRun per step (indexes 1, 3, 5)
    const runs = await env!.kubectl.json<{ items: AnalysisRun[] }>(['-n', NAMESPACE, 'get', 'analysisruns', '-l', `rollouts-pod-template-hash=${c.canaryHash}`]);
    const mine = runs.items.filter((r) => r.metadata.name.startsWith(`${c.name}-${c.canaryHash}-`));
    expect(mine.map((r) => r.metadata.labels?.['step-index']).sort()).toEqual(['1', '3', '5']);
    for (const run of mine) {
      const measurement = run.status?.metricResults?.find((m) => m.name === 'verify')?.measurements?.at(-1);
      expect(run.status?.phase, run.metadata.name).toBe('Successful');
      expect(measurement?.message, run.metadata.name).toMatch(/^Healthy, score \d+\/100/);
    }
    // the controller stayed at each analysis step while it ran (each lasts tens of seconds, polled every second)
    for (const step of [1, 3, 5]) expect(c.seen.some((line) => line.startsWith(`Progressing step ${step}/7`)), c.seen.join(' → ')).toBe(true);
    expect(final).toMatchObject({ phase: 'Healthy', message: '', step: 7, steps: 7, fullyPromoted: true, abort: false, stableRS: c.canaryHash });
    summary.stepwise = c.result(final);
  });

  scenario('aborts a regressed canary: Degraded with the rollouts-cv reason, its report linked from the measurement', async () => {
    const c = await startCanary(target(), 'regressed', REGRESSED, ANALYSED);
    const finished = await c.until('the rollout to finish (Healthy and promoted, or Degraded)', done);
    const analysis = await stepAnalysis(c);
    const run = { ...c.result(finished, analysis), analysis };
    summary.regressed = run;
    // aborted at the analysis step (index 1); an abort sets the step index back to 0 and keeps the stable pods
    expect(run.seen.slice(1)).toContain('Progressing step 1/2: more replicas need to be updated');
    expect(run.final).toMatchObject({ phase: 'Degraded', step: 0, steps: 2, fullyPromoted: false, abort: true, currentPodHash: run.canaryHash, stableRS: run.stableHash });
    expect(run.final.message).toMatch(/^RolloutAborted: Rollout aborted update to revision 2: /);
    expect(run.analysis).toMatchObject({ phase: 'Failed', measurementPhase: 'Failed' });
    expect(run.analysis.measurementMessage).toMatch(/Unhealthy, score \d+\/100: /);
    // the reason rollouts-cv gave reaches the Rollout's message, through the AnalysisRun's
    expect(run.final.message).toContain(`Step-based analysis phase error/failed: ${run.analysis.message}`);
    expect(run.analysis.message).toContain(`"Error Message: ${run.analysis.measurementMessage}"`);
    // The measurement links its report; the engine rebuilds it from the AnalysisRun the controller keeps (its
    // metric templated, the args filled from the run) and gives the verdict the measurement recorded.
    const link = (await verifyMeasurements(c)).at(-1)?.metadata?.report;
    expect(link).toBe(`http://${env!.engineReportsAddress}/reports/${NAMESPACE}/${analysis.name}/verify`);
    // The decided message ends with the link, so the controller carries it into the Rollout's message: what
    // `kubectl argo rollouts get rollout` prints and the dashboard shows.
    expect(run.final.message.endsWith(`; report: ${link}"`)).toBe(true);
    const report = (await (await fetch(`${link}?format=json`)).json()) as { verdict: string; recorded: { summary: { verdict: string } }; groups: { canary: string; baseline: string } };
    expect([report.verdict, report.recorded.summary.verdict]).toEqual(['Unhealthy', 'Unhealthy']);
    expect(report.groups).toEqual({ canary: c.canaryHash, baseline: c.stableHash });
    const page = await fetch(link!);
    expect([page.status, page.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
    expect(await page.text()).toContain(`<title>Unhealthy: AnalysisRun ${NAMESPACE}/${analysis.name}, metric verify (Rollout ${c.name})</title>`);
  });

  scenario('shadow mode: a regressed canary under dryRun is promoted, and the AnalysisRun keeps the Unhealthy verdict', async () => {
    const c = await startCanary(target(), 'shadow', REGRESSED, weightThen(analysisStep(SHADOW_TEMPLATE)));
    const final = await c.until('the rollout to finish', done);
    const run = await analysisRun(c);
    const metric = run.status?.metricResults?.find((m) => m.name === 'verify') as { dryRun?: boolean; phase?: string; measurements?: { phase: string; message?: string }[] } | undefined;
    // The verdict was recorded and acted on by nobody: the rollout went on to the end.
    expect(final).toMatchObject({ phase: 'Healthy', step: 2, steps: 2, fullyPromoted: true, abort: false, stableRS: c.canaryHash });
    expect(metric).toMatchObject({ dryRun: true, phase: 'Failed' });
    expect(metric?.measurements?.at(-1)?.message).toMatch(/Unhealthy, score \d+\/100: /);
    expect((run.status as { dryRunSummary?: { failed?: number } } | undefined)?.dryRunSummary?.failed).toBe(1);
    summary.shadow = c.result(final, await stepAnalysis(c));
  });

  scenario('pauses a regressed canary with unhealthyPhase: Inconclusive; a promote continues it to the end', async () => {
    const c = await startCanary(target(), 'inconclusive', REGRESSED, weightThen(analysisStep(INCONCLUSIVE_TEMPLATE)));
    const paused = await c.until('the rollout to pause', (s) => s.phase === 'Paused' || done(s));
    const analysis = await stepAnalysis(c);
    const before = await c.rollout();
    // paused by the controller at the analysis step, for a person to decide
    expect(paused).toMatchObject({ phase: 'Paused', message: 'InconclusiveAnalysisRun', step: 1, steps: 2, fullyPromoted: false, abort: false });
    expect(before.status).toMatchObject({ controllerPause: true, pauseConditions: [{ reason: 'InconclusiveAnalysisRun' }] });
    expect(before.status?.canary?.currentStepAnalysisRunStatus).toMatchObject({ name: analysis.name, status: 'Inconclusive' });
    expect(analysis).toMatchObject({ phase: 'Inconclusive', measurementPhase: 'Inconclusive' });
    expect(analysis.measurementMessage).toMatch(/Unhealthy, score \d+\/100: /);

    // `kubectl argo rollouts promote inconclusive`: at an Inconclusive step analysis it clears the pause and moves on
    const patches = await promote(env!.kubectl, NAMESPACE, c.name);
    expect(patches).toEqual({ status: '{"status":{"pauseConditions":null, "controllerPause":false, "currentStepIndex":2}}', spec: undefined });
    const final = await c.until('the promoted rollout to finish', done);
    expect(final).toMatchObject({ phase: 'Healthy', message: '', step: 2, steps: 2, fullyPromoted: true, abort: false, stableRS: c.canaryHash });
    summary.inconclusive = c.result(final, analysis);
  });

  scenario('rollouts-cv/gate step: a healthy canary passes the inline verification and is promoted', async () => {
    const c = await startCanary(target(), 'gate-healthy', BASELINE, weightThen(gateStep(env!.prometheus)));
    const final = await c.until('the rollout to finish', done);
    // the last status the gate's Run returned, as the controller stored it (index 1: the gate step)
    const gate = c.stepPluginStatuses.find((s) => s.index === 1 && s.operation === 'Run');
    expect(c.seen.slice(1).some((line) => line.startsWith('Progressing step 1/2'))).toBe(true);
    expect(final).toMatchObject({ phase: 'Healthy', message: '', step: 2, steps: 2, fullyPromoted: true, abort: false, stableRS: c.canaryHash });
    expect(gate).toMatchObject({ name: 'rollouts-cv/gate', phase: 'Successful' });
    expect(gate?.message).toMatch(/Healthy, score \d+\/100/);
    // canary and baseline defaulted to the Rollout's hashes
    expect(gate?.status).toMatchObject({ kind: 'verify', canary: c.canaryHash, baseline: c.stableHash, verdict: 'Healthy' });
    summary.gateHealthy = { ...c.result(final), gate };
  });

  scenario('engine down during an analysis: Error measurements naming the engine, no promotion, then completes once it is back', async () => {
    const e = env!;
    const c = await startCanary(target(), 'engine-down', BASELINE, weightThen(analysisStep(TOLERANT_TEMPLATE)));
    await c.poll('a Running measurement (window open)', async () => (await verifyMeasurements(c)).find((m) => m.phase === 'Running'));
    await e.stopEngine();
    const error = await c.poll('an Error measurement', async () => (await verifyMeasurements(c)).find((m) => m.phase === 'Error'));
    // the bridge names the engine it could not reach; the rollout waits at the analysis step
    expect(error.message).toContain(`rollouts-cv engine ${e.engineAddress}: `);
    await sleep(15_000); // still down through the controller's retry (a new Run 10 s after an Error)
    const whileDown = await c.observe();
    const runWhileDown = await analysisRun(c);
    expect(whileDown).toMatchObject({ phase: 'Progressing', step: 1, fullyPromoted: false, abort: false, stableRS: c.stableHash });
    expect(runWhileDown.status?.phase).toBe('Running');
    expect(runWhileDown.status?.metricResults?.[0]?.measurements?.map((m) => m.phase).every((phase) => phase === 'Error')).toBe(true);

    await e.startEngine();
    const final = await c.until('the rollout to finish', done);
    const analysis = await stepAnalysis(c);
    const phases = (await verifyMeasurements(c)).map((m) => m.phase);
    expect(final).toMatchObject({ phase: 'Healthy', message: '', step: 2, steps: 2, fullyPromoted: true, abort: false, stableRS: c.canaryHash });
    expect(analysis).toMatchObject({ phase: 'Successful', measurementPhase: 'Successful' });
    // the measurement cut by the outage and the retries while down are Errors; a new Run after the restart decided
    expect(phases.at(-1)).toBe('Successful');
    expect(phases.slice(0, -1).every((phase) => phase === 'Error')).toBe(true);
    expect(phases.length).toBeGreaterThanOrEqual(2);
    summary.engineDown = { ...c.result(final, analysis), measurements: phases, error: error.message };
  });

  scenario('engine restarted within one interval of an analysis: the same verdict as without a restart', async () => {
    const e = env!;
    const c = await startCanary(target(), 'engine-restart', BASELINE, ANALYSED);
    const running = await c.poll('a Running measurement (window open)', async () => (await verifyMeasurements(c)).find((m) => m.phase === 'Running'));
    const began = performance.now();
    await e.stopEngine();
    await e.startEngine();
    const restartMs = Math.round(performance.now() - began);
    expect(restartMs).toBeLessThan(5000); // the template's interval
    const final = await c.until('the rollout to finish', done);
    const analysis = await stepAnalysis(c);
    const measurements = await verifyMeasurements(c);
    // (the old engine is gone: the restarted one answered the Resumes that closed the window)
    // as the healthy scenario: one measurement, the same window before and after the restart, Healthy
    expect(final).toMatchObject({ phase: 'Healthy', message: '', step: 2, steps: 2, fullyPromoted: true, abort: false, stableRS: c.canaryHash });
    expect(analysis).toMatchObject({ phase: 'Successful', measurementPhase: 'Successful' });
    expect(analysis.measurementMessage).toMatch(/^Healthy, score \d+\/100/);
    expect(measurements.map((m) => m.phase)).toEqual(['Successful']);
    expect(measurements[0]!.metadata).toMatchObject({
      verificationId: running.metadata?.verificationId,
      windowStart: running.metadata?.windowStart,
      windowEnd: running.metadata?.windowEnd,
    });
    summary.engineRestart = { ...c.result(final, analysis), restartMs };
  });

  scenario('rollouts-cv/gate step: a regressed canary fails the step and the rollout is aborted with the gate\'s message', async () => {
    const c = await startCanary(target(), 'gate-regressed', REGRESSED, weightThen(gateStep(env!.prometheus)));
    const final = await c.until('the rollout to finish', done);
    const gate = c.stepPluginStatuses.find((s) => s.index === 1 && s.operation === 'Run');
    expect(final).toMatchObject({ phase: 'Degraded', step: 0, steps: 2, fullyPromoted: false, abort: true, stableRS: c.stableHash });
    expect(gate).toMatchObject({ name: 'rollouts-cv/gate', phase: 'Failed' });
    expect(gate?.message).toMatch(/Unhealthy, score \d+\/100: /);
    expect(gate?.status).toMatchObject({ kind: 'verify', canary: c.canaryHash, baseline: c.stableHash, verdict: 'Unhealthy' });
    // the controller numbers the step from 1 in the message (rollout/stepplugin.go: status.Index+1)
    expect(final.message).toBe(`RolloutAborted: Rollout aborted update to revision 2: Step Plugin 2 (rollouts-cv/gate) failed: ${gate!.message}`);
    // The gate links its report, in its status and at the end of its message (so in the Rollout's); the engine
    // rebuilds it from the Rollout the controller keeps, with the verdict the step recorded.
    const link = (gate?.status as { report?: string; verificationId?: string } | undefined)?.report;
    expect(link).toBe(`http://${env!.engineReportsAddress}/reports/${NAMESPACE}/rollouts/${c.name}/steps/1?verification=${String(gate?.status?.verificationId)}`);
    expect(final.message.endsWith(`; report: ${link}`)).toBe(true);
    const report = (await (await fetch(`${link}&format=json`)).json()) as { verdict: string; subject: string; recorded: { phase: string; summary: { verdict: string } }; groups: { canary: string; baseline: string } };
    expect([report.verdict, report.recorded.phase, report.recorded.summary.verdict]).toEqual(['Unhealthy', 'Failed', 'Unhealthy']);
    expect([report.subject, report.groups]).toEqual([`Rollout ${NAMESPACE}/${c.name}, step 1 (verify gate)`, { canary: c.canaryHash, baseline: c.stableHash }]);
    summary.gateRegressed = { ...c.result(final), gate, stepPluginStatuses: c.stepPluginStatuses };
  });

  // The pods log into VictoriaLogs from their registration on (the stable pods' lines before the window are the
  // history the engine reads, an hour by default); the canary's metrics are healthy in both.
  scenario('promotes a canary whose metrics and logs are as healthy as the stable pods\'', async () => {
    const app = 'logs-healthy';
    const { c, final, shipped } = await withPodLogs(env!.victoriaLogs!, async (shipper) => {
      const c = await startCanary(target(), app, BASELINE, weightThen(analysisStep(logsTemplate(app))), { shipper, canary: 'healthy' });
      const final = await c.until('the rollout to finish', done);
      return { c, final, shipped: Object.fromEntries(shipper.shipped) };
    });
    const analysis = await stepAnalysis(c);
    const verdict = decodeSummary((await verifyMeasurements(c)).at(-1)?.value);
    expect(final).toMatchObject({ phase: 'Healthy', message: '', step: 2, steps: 2, fullyPromoted: true, abort: false, stableRS: c.canaryHash });
    expect(analysis).toMatchObject({ phase: 'Successful', measurementPhase: 'Successful' });
    expect(analysis.measurementMessage).toMatch(/^Healthy, score \d+\/100/);
    // the logs were judged, on enough lines of both groups (at least 100 each, else inconclusive), and found no risk
    expect(verdict?.verdict).toBe('Healthy');
    expect(verdict?.reasons).toContainEqual(expect.stringMatching(/^logs: no risky log template in the canary \(canary [\d,]+ lines, baseline [\d,]+\)/));
    expect(verdict?.templates?.length).toBeGreaterThan(0);
    expect(verdict?.templates?.every((t) => !t.risk)).toBe(true);
    summary.logsHealthy = { ...c.result(final, analysis), verdict, shipped };
  });

  scenario('aborts a canary with healthy metrics whose logs show a new error template', async () => {
    const app = 'logs-new-error';
    const { c, final, shipped } = await withPodLogs(env!.victoriaLogs!, async (shipper) => {
      const c = await startCanary(target(), app, BASELINE, weightThen(analysisStep(logsTemplate(app))), { shipper, canary: 'new-error' });
      const final = await c.until('the rollout to finish', done);
      return { c, final, shipped: Object.fromEntries(shipper.shipped) };
    });
    const analysis = await stepAnalysis(c);
    const verdict = decodeSummary((await verifyMeasurements(c)).at(-1)?.value);
    expect(final).toMatchObject({ phase: 'Degraded', step: 0, steps: 2, fullyPromoted: false, abort: true, currentPodHash: c.canaryHash, stableRS: c.stableHash });
    expect(analysis).toMatchObject({ phase: 'Failed', measurementPhase: 'Failed' });
    // the logs' reason leads (the metrics pass); the template is the new line's, its variable parts masked; the
    // stable pods logged it neither in the window nor before it (the history read has their earlier lines)
    expect(analysis.measurementMessage).toMatch(/^Unhealthy, score \d+\/100: logs: new error template in canary: "[^"]*payment <NUM> failed: upstream returned <NUM>[^"]*" \d+ lines \(baseline 0 of [\d,]+ lines; 0 of [1-9][\d,]* before the window\)/);
    // the metrics pass (a point each), the logs fail (none), at equal weights
    expect(verdict).toMatchObject({ verdict: 'Unhealthy', score: 67 });
    expect(verdict?.templates?.[0]).toMatchObject({ template: expect.stringContaining('payment <NUM> failed'), risk: true });
    expect(final.message).toContain(`Step-based analysis phase error/failed: ${analysis.message}`);
    expect(analysis.message).toContain(`"Error Message: ${analysis.measurementMessage}"`);
    summary.logsNewError = { ...c.result(final, analysis), verdict, shipped };
  });
});

/** A test whose failure keeps the work folder and its logs (see afterAll). */
function scenario(title: string, body: () => Promise<void>): void {
  it(title, async () => {
    try {
      await body();
    } catch (error) {
      summary.failed = true;
      throw error;
    }
  }, 600_000);
}
