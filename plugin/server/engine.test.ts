import axios from 'axios';
import { Writable } from 'node:stream';
import type * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/log.js';
import { type EngineClient, connectEngine, healthStatus, unary } from '../../test/helpers/engine-client.js';
import { type Measurement, StepRpcError } from '../verify/types.js';
import type { HealthSource, InstanceSeries } from '../collect/source.js';
import { type EngineContext, type EngineDomain, verifyDomain } from './domain.js';
import { type RunningEngine, startEngine } from './engine.js';
import { METRIC_PROVIDER_SERVICE, STEP_PLUGIN_SERVICE } from './proto.js';
import type { WireMeasurement, WireStepResult } from './wire.js';

const analysisRun = { metadata: { name: 'web-6d4f8b9c7d-3-1', namespace: 'shop', uid: 'u-1' } };
const metric = { name: 'verify', provider: { plugin: { 'rollouts-cv/verify': { password: 'hunter2-secret' } } } };
const rollout = { metadata: { name: 'web', namespace: 'shop' } };
const json = (value: unknown) => Buffer.from(JSON.stringify(value));

/** Records what the server handed to the domain and answers with fixed shapes. */
function recordingDomain(overrides: Partial<EngineDomain> = {}): { domain: EngineDomain; calls: unknown[][] } {
  const calls: unknown[][] = [];
  const domain: EngineDomain = {
    metricRun: async (ar, m, ctx) => {
      calls.push(['metricRun', ar, m]);
      const now = ctx.now().toISOString();
      return { phase: 'Running', startedAt: now, resumeAt: now, metadata: { verificationId: 'v-1' } };
    },
    metricResume: async (ar, m, measurement) => {
      calls.push(['metricResume', ar, m, measurement]);
      return { ...measurement, phase: 'Successful', value: '{"verdict":"Healthy"}', finishedAt: '2026-01-01T00:01:00Z' };
    },
    metricTerminate: async (ar, m, measurement) => {
      calls.push(['metricTerminate', ar, m, measurement]);
      return { ...measurement, phase: 'Successful', message: 'terminated', finishedAt: '2026-01-01T00:01:00Z' };
    },
    metricGarbageCollect: (ar, m, limit) => {
      calls.push(['metricGarbageCollect', ar, m, limit]);
    },
    metricMetadata: (m) => {
      calls.push(['metricMetadata', m]);
      return { provider: 'rollouts-cv' };
    },
    gateRun: async (r, step) => {
      calls.push(['gateRun', r, step]);
      return { phase: 'Running', message: 'waiting', requeueAfterMs: 15_000, status: { polls: 1 } };
    },
    gateTerminate: async (r, step) => {
      calls.push(['gateTerminate', r, step]);
      return { phase: 'Successful' };
    },
    gateAbort: async (r, step) => {
      calls.push(['gateAbort', r, step]);
      return { phase: 'Failed', message: 'aborted' };
    },
    ...overrides,
  };
  return { domain, calls };
}

function captureLog(): { log: ReturnType<typeof createLogger>; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const log = createLogger({ level: 'info' }, sink);
  return { log, lines: () => chunks.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line)) };
}

let engine: RunningEngine | undefined;
let client: EngineClient | undefined;

async function start(domain: EngineDomain, shutdownGraceMs = 5_000) {
  const captured = captureLog();
  engine = await startEngine({ listen: '127.0.0.1:0', domain, log: captured.log, shutdownGraceMs });
  client = connectEngine(engine.address);
  return { engine, client, lines: captured.lines };
}

afterEach(async () => {
  client?.close();
  await engine?.stop();
  client = engine = undefined;
});

describe('MetricProvider', () => {
  it('runs and resumes a measurement, mapping the proto fields to the engine shapes', async () => {
    const { domain, calls } = recordingDomain();
    const { client } = await start(domain);
    const request = { analysis_run_json: json(analysisRun), metric_json: json(metric) };

    const running = await unary<WireMeasurement>(client.metric, 'Run', request);
    expect(running.phase).toBe('Running');
    expect(running.resume_at).toBe(running.started_at);
    expect(running.finished_at).toBe('');
    expect(calls[0]).toEqual(['metricRun', analysisRun, metric]);

    const done = await unary<WireMeasurement>(client.metric, 'Resume', { ...request, measurement: running });
    const passed = calls[1]?.[3] as Measurement;
    expect(passed).toEqual({ phase: 'Running', startedAt: running.started_at, resumeAt: running.resume_at, metadata: { verificationId: 'v-1' } });
    expect(done).toMatchObject({ phase: 'Successful', value: '{"verdict":"Healthy"}', metadata: { verificationId: 'v-1' } });
  });

  it('answers malformed JSON with a finished Error measurement naming the field', async () => {
    const { domain, calls } = recordingDomain();
    const { client, lines } = await start(domain);
    const measurement = await unary<WireMeasurement>(client.metric, 'Run', {
      analysis_run_json: Buffer.from('{"metadata":'),
      metric_json: json(metric),
    });
    expect(measurement.phase).toBe('Error');
    expect(measurement.message).toMatch(/^analysis_run_json is not valid JSON/);
    expect(measurement.finished_at).not.toBe('');
    expect(calls).toHaveLength(0);

    const empty = await unary<WireMeasurement>(client.metric, 'Run', { analysis_run_json: json(analysisRun) });
    expect(empty).toMatchObject({ phase: 'Error', message: expect.stringContaining('metric_json is empty') });
    expect(lines().filter((entry) => entry.method === 'MetricProvider/Run').map((entry) => [entry.level, entry.phase])).toEqual([
      ['warn', 'Error'],
      ['warn', 'Error'],
    ]);
  });

  it("hands each call the reader of people's marks on log templates", async () => {
    const reader = { readMarks: async () => new Map() };
    const seen: unknown[] = [];
    const { domain } = recordingDomain({
      metricResume: async (_ar, _m, measurement, ctx) => {
        seen.push(ctx.feedback);
        return { ...measurement, phase: 'Successful' };
      },
    });
    engine = await startEngine({ listen: '127.0.0.1:0', domain, feedback: reader, log: createLogger({ level: 'silent' }) });
    client = connectEngine(engine.address);
    const measurement = { phase: 'Running', started_at: '2026-01-01T00:00:00Z' };
    await unary<WireMeasurement>(client.metric, 'Resume', { analysis_run_json: json(analysisRun), metric_json: json(metric), measurement });
    await unary<WireMeasurement>(client.metric, 'Resume', { analysis_run_json: json(analysisRun), metric_json: json(metric), measurement });
    expect(seen).toHaveLength(2);
    for (const given of seen) expect(given).toBe(reader);
  });

  it('calls the verification engine by default', async () => {
    engine = await startEngine({ listen: '127.0.0.1:0', log: createLogger({ level: 'silent' }) });
    client = connectEngine(engine.address);
    const measurement = await unary<WireMeasurement>(client.metric, 'Run', { analysis_run_json: json(analysisRun), metric_json: json(metric) });
    expect(measurement.phase).toBe('Error');
    expect(measurement.message).toMatch(/^invalid config: .*duration/);
  });

  it('carries the verification’s looks over the wire: Running while undecided, an early failure, a Terminate verdict', async () => {
    // The real verification domain on a fixed clock and a fake source: 4 pods per group, 1000 requests per 15 s
    // step and pod (counters), the canary at 1% errors (healthy) or 10% (regressed), the stable group at 1%.
    const T0 = Date.parse('2026-01-01T00:00:00Z');
    let nowMs = T0;
    const source = (canaryRate: number): HealthSource => ({
      description: 'fake',
      async fetchSeries(request) {
        const rate = request.group.podTemplateHash === 'canary1' ? canaryRate : 0.01;
        const perStep = request.metric.name.endsWith('(numerator)') ? 1000 * rate : 1000;
        const series: InstanceSeries = new Map();
        for (const pod of ['a', 'b', 'c', 'd']) {
          // The counters from the window's start, growing by perStep every 15 s.
          const samples: [number, number][] = [];
          for (let t = request.start.getTime() / 1000, total = 0; t <= request.end.getTime() / 1000; t += 15, total += perStep) samples.push([t, total]);
          series.set(pod, samples);
        }
        return { series, warnings: [] };
      },
    });
    const withSource = (canaryRate: number) => (ctx: EngineContext): EngineContext => ({ ...ctx, now: () => new Date(nowMs), createSource: () => source(canaryRate) });
    const domainFor = (canaryRate: number): EngineDomain => ({
      ...verifyDomain,
      metricRun: (ar, m, ctx) => verifyDomain.metricRun(ar, m, withSource(canaryRate)(ctx)),
      metricResume: (ar, m, measurement, ctx) => verifyDomain.metricResume(ar, m, measurement, withSource(canaryRate)(ctx)),
      metricTerminate: (ar, m, measurement, ctx) => verifyDomain.metricTerminate(ar, m, measurement, withSource(canaryRate)(ctx)),
    });
    const verify = {
      name: 'verify',
      provider: {
        plugin: {
          'rollouts-cv/verify': {
            duration: '5m',
            // The early failure at the second look needs the canary's first minute.
            warmup: '0s',
            canary: { podTemplateHash: 'canary1' },
            baseline: { podTemplateHash: 'stable1' },
            source: { prometheus: { address: 'http://prometheus:9090' } },
            metrics: [{ name: 'error-rate', kind: 'ratio', numerator: 'sum by (pod) (e_total{${selector}})', denominator: 'sum by (pod) (r_total{${selector}})' }],
          },
        },
      },
    };
    const request = { analysis_run_json: json(analysisRun), metric_json: json(verify) };

    const healthy = await start(domainFor(0.01));
    const started = await unary<WireMeasurement>(healthy.client.metric, 'Run', request);
    nowMs = T0 + 120_000;
    const undecided = await unary<WireMeasurement>(healthy.client.metric, 'Resume', { ...request, measurement: started });
    expect(undecided).toMatchObject({ phase: 'Running', finished_at: '', resume_at: '2026-01-01T00:02:30Z' });
    expect(JSON.parse(undecided.value)).toMatchObject({ verdict: null, score: null });
    const terminated = await unary<WireMeasurement>(healthy.client.metric, 'Terminate', { ...request, measurement: undecided });
    expect(terminated).toMatchObject({ phase: 'Successful', finished_at: '2026-01-01T00:02:00Z', resume_at: '' });
    expect(terminated.message).toMatch(/^terminated early, after 2m of the 5m window \(40%\); the data so far judged as a closed window: Healthy/);
    healthy.client.close();
    await healthy.engine.stop();

    nowMs = T0;
    const regressed = await start(domainFor(0.1));
    const run = await unary<WireMeasurement>(regressed.client.metric, 'Run', request);
    nowMs = T0 + 60_000;
    const failed = await unary<WireMeasurement>(regressed.client.metric, 'Resume', { ...request, measurement: run });
    expect(failed).toMatchObject({ phase: 'Failed', finished_at: '2026-01-01T00:01:00Z', resume_at: '' });
    expect(failed.message).toMatch(/^decided early, after 1m of the 5m window \(20%\): Unhealthy/);
    expect(JSON.parse(failed.value)).toMatchObject({ verdict: 'Unhealthy', score: 0 });
  });

  it('turns an exception in the engine into Error, keeping the in-flight start time and metadata', async () => {
    const { domain } = recordingDomain({
      metricResume: async () => {
        throw new TypeError('boom');
      },
    });
    const { client, lines } = await start(domain);
    const inFlight = { phase: 'Running', started_at: '2026-01-01T00:00:00Z', resume_at: '2026-01-01T00:00:05Z', metadata: { verificationId: 'v-9' } };
    const measurement = await unary<WireMeasurement>(client.metric, 'Resume', {
      analysis_run_json: json(analysisRun),
      metric_json: json(metric),
      measurement: inFlight,
    });
    expect(measurement).toMatchObject({ phase: 'Error', message: 'unexpected engine error: boom', started_at: '2026-01-01T00:00:00Z', resume_at: '' });
    expect(measurement.metadata).toEqual({ verificationId: 'v-9' });
    expect(measurement.finished_at).not.toBe('');
    const line = lines().find((entry) => entry.method === 'MetricProvider/Resume');
    expect(line).toMatchObject({ level: 'warn', namespace: 'shop', name: 'web-6d4f8b9c7d-3-1', metric: 'verify', phase: 'Error' });
    expect((line?.err as { stack?: string }).stack).toContain('boom');
  });

  it('rejects a measurement with an unknown phase', async () => {
    const { domain, calls } = recordingDomain();
    const { client } = await start(domain);
    const measurement = await unary<WireMeasurement>(client.metric, 'Terminate', {
      analysis_run_json: json(analysisRun),
      metric_json: json(metric),
      measurement: { phase: 'Done' },
    });
    expect(measurement).toMatchObject({ phase: 'Error', message: expect.stringContaining('measurement.phase "Done"') });
    expect(calls).toHaveLength(0);
  });

  it('forwards GarbageCollect, GetMetadata and InitPlugin', async () => {
    const { domain, calls } = recordingDomain();
    const { client, lines } = await start(domain);
    const gc = await unary(client.metric, 'GarbageCollect', { analysis_run_json: json(analysisRun), metric_json: json(metric), limit: 7 });
    expect(gc).toEqual({ error_string: '' });
    expect(calls[0]).toEqual(['metricGarbageCollect', analysisRun, metric, 7]);
    expect(await unary(client.metric, 'GetMetadata', { metric_json: json(metric) })).toEqual({ metadata: { provider: 'rollouts-cv' } });
    expect(await unary(client.metric, 'GetMetadata', { metric_json: Buffer.from('nope') })).toEqual({ metadata: {} });
    expect(await unary(client.metric, 'InitPlugin', { plugin_name: 'rollouts-cv/verify', bridge_version: '1.2.3' })).toEqual({ error_string: '' });
    expect(lines().find((entry) => entry.method === 'MetricProvider/InitPlugin')).toMatchObject({
      pluginName: 'rollouts-cv/verify',
      bridgeVersion: '1.2.3',
    });
  });

  it('logs one line per call with names and durations, never the plugin config', async () => {
    const { domain } = recordingDomain();
    const { client, lines } = await start(domain);
    await unary(client.metric, 'Run', { analysis_run_json: json(analysisRun), metric_json: json(metric) });
    const calls = lines().filter((entry) => entry.method === 'MetricProvider/Run');
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ msg: 'call', namespace: 'shop', name: 'web-6d4f8b9c7d-3-1', metric: 'verify', phase: 'Running' });
    expect(calls[0]?.durationMs).toEqual(expect.any(Number));
    expect(JSON.stringify(lines())).not.toContain('hunter2-secret');
  });
});

describe('StepPlugin', () => {
  it('passes config and the previous status and returns the new status as JSON', async () => {
    const { domain, calls } = recordingDomain();
    const { client } = await start(domain);
    const result = await unary<WireStepResult>(client.step, 'Run', {
      rollout_json: json(rollout),
      plugin_name: 'rollouts-cv/gate',
      config_json: json({ approval: { minApprovals: 1 } }),
      status_json: json({ polls: 0 }),
    });
    expect(calls[0]).toEqual(['gateRun', rollout, { pluginName: 'rollouts-cv/gate', config: { approval: { minApprovals: 1 } }, status: { polls: 0 } }]);
    expect(result).toMatchObject({ phase: 'Running', message: 'waiting', requeue_after_ms: 15_000, error_string: '' });
    expect(JSON.parse(result.status_json.toString())).toEqual({ polls: 1 });

    await unary(client.step, 'Abort', { rollout_json: json(rollout), plugin_name: 'rollouts-cv/gate' });
    expect(calls[1]).toEqual(['gateAbort', rollout, { pluginName: 'rollouts-cv/gate', config: undefined, status: undefined }]);
  });

  it('returns StepRpcError, unexpected exceptions and bad JSON as error_string, never a phase', async () => {
    const { domain } = recordingDomain({
      gateRun: async () => {
        throw new StepRpcError('cannot reach the Kubernetes API');
      },
      gateTerminate: async () => {
        throw new Error('bug');
      },
    });
    const { client } = await start(domain);
    const request = { rollout_json: json(rollout), plugin_name: 'rollouts-cv/gate' };
    expect(await unary(client.step, 'Run', request)).toMatchObject({ phase: '', error_string: 'cannot reach the Kubernetes API' });
    expect(await unary(client.step, 'Terminate', request)).toMatchObject({ phase: '', error_string: 'unexpected engine error: bug' });
    expect(await unary(client.step, 'Abort', { ...request, config_json: Buffer.from('{') })).toMatchObject({
      phase: '',
      error_string: expect.stringMatching(/^config_json is not valid JSON/),
    });
  });
});

describe('health and shutdown', () => {
  it('reports SERVING for the server and each service once listening', async () => {
    const { client } = await start(recordingDomain().domain);
    for (const service of ['', METRIC_PROVIDER_SERVICE, STEP_PLUGIN_SERVICE]) {
      expect(await healthStatus(client, service)).toBe('SERVING');
    }
    await expect(healthStatus(client, 'rolloutscv.v1.Nope')).rejects.toMatchObject({ code: 5 });
  });

  it('switches to NOT_SERVING when stopping', async () => {
    const { engine, client } = await start(recordingDomain().domain, 300);
    const statuses: string[] = [];
    const watch = (client.health as unknown as { Watch(req: object): grpc.ClientReadableStream<{ status: string }> }).Watch({ service: '' });
    const notServing = new Promise<void>((resolve) => {
      watch.on('data', ({ status }) => {
        statuses.push(status);
        if (status === 'NOT_SERVING') resolve();
      });
      watch.on('error', () => resolve());
    });
    await new Promise((resolve) => watch.once('data', resolve));
    const stopped = engine.stop();
    await notServing;
    await stopped;
    expect(statuses).toEqual(['SERVING', 'NOT_SERVING']);
  });

  it('lets an in-flight call finish, refuses new ones, and stops before the grace period', async () => {
    let release!: () => void;
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const { domain } = recordingDomain({
      metricRun: async () => {
        entered();
        await new Promise<void>((resolve) => (release = resolve));
        return { phase: 'Successful', finishedAt: new Date().toISOString(), value: 'done' };
      },
    });
    const { engine, client } = await start(domain, 20_000);
    const inFlight = unary<WireMeasurement>(client.metric, 'Run', { analysis_run_json: json(analysisRun), metric_json: json(metric) });
    await inside;
    const began = Date.now();
    const stopped = engine.stop();
    const late = connectEngine(engine.address);
    await expect(healthStatus(late, '')).rejects.toBeDefined();
    late.close();
    setTimeout(() => release(), 200);
    await expect(inFlight).resolves.toMatchObject({ phase: 'Successful', value: 'done' });
    await stopped;
    expect(Date.now() - began).toBeLessThan(5_000);
  });

  it('cancels calls still running when the grace period ends', async () => {
    const { domain } = recordingDomain({ metricRun: () => new Promise<never>(() => {}) });
    const { engine, client } = await start(domain, 200);
    const inFlight = unary(client.metric, 'Run', { analysis_run_json: json(analysisRun), metric_json: json(metric) });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await engine.stop();
    await expect(inFlight).rejects.toBeDefined();
  });

  it('fails clearly on an unusable listen address or TLS file', async () => {
    await expect(startEngine({ listen: 'nohost', domain: recordingDomain().domain })).rejects.toThrow(/must be host:port/);
    const { engine } = await start(recordingDomain().domain);
    await expect(startEngine({ listen: engine.address, domain: recordingDomain().domain, log: createLogger({ level: 'silent' }) })).rejects.toThrow(
      `cannot listen on ${engine.address}`,
    );
    await expect(
      startEngine({ listen: '127.0.0.1:0', domain: recordingDomain().domain, tls: { certFile: '/nonexistent.pem', keyFile: '/nonexistent.key' } }),
    ).rejects.toThrow(/cannot read the TLS certificate file \/nonexistent.pem/);
  });
});

describe('metrics', () => {
  it('serves /metrics counting the calls it answered and the verdicts the domain reported', async () => {
    const { domain } = recordingDomain({
      metricResume: async (_ar, _m, measurement, ctx) => {
        ctx.events?.finished({ plugin: 'verify', verdict: 'Unhealthy', phase: 'Failed', early: true });
        return { ...measurement, phase: 'Failed', finishedAt: '2026-01-01T00:01:00Z' };
      },
    });
    engine = await startEngine({ listen: '127.0.0.1:0', metricsListen: '127.0.0.1:0', domain, log: createLogger({ level: 'silent' }) });
    client = connectEngine(engine.address);
    const request = { analysis_run_json: json(analysisRun), metric_json: json(metric) };
    const running = await unary<WireMeasurement>(client.metric, 'Run', request);
    await unary<WireMeasurement>(client.metric, 'Resume', { ...request, measurement: running });
    await unary<WireMeasurement>(client.metric, 'Run', { analysis_run_json: Buffer.from('{') });

    expect(engine.metricsAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    const text = (await axios.get<string>(`http://${engine.metricsAddress}/metrics`)).data;
    expect(text).toContain('rollouts_cv_engine_calls_total{method="MetricProvider/Run",outcome="ok"} 1');
    expect(text).toContain('rollouts_cv_engine_calls_total{method="MetricProvider/Run",outcome="error"} 1');
    expect(text).toContain('rollouts_cv_engine_calls_total{method="MetricProvider/Resume",outcome="ok"} 1');
    expect(text).toContain('rollouts_cv_verifications_finished_total{plugin="verify",verdict="Unhealthy",phase="Failed",early="true"} 1');

    const address = engine.metricsAddress;
    await engine.stop();
    await expect(axios.get(`http://${address}/metrics`)).rejects.toThrow();
  });

  it('serves no metrics unless asked, and fails to start on a taken metrics address', async () => {
    const { engine } = await start(recordingDomain().domain);
    expect(engine.metricsAddress).toBeUndefined();
    const metricsAddress = engine.address; // taken by the gRPC server
    await expect(
      startEngine({ listen: '127.0.0.1:0', metricsListen: metricsAddress, domain: recordingDomain().domain, log: createLogger({ level: 'silent' }) }),
    ).rejects.toThrow(`cannot serve metrics on ${metricsAddress}`);
  });
});
