import axios from 'axios';
import { afterEach, describe, expect, it } from 'vitest';
import { splitHostPort } from '../../shared/listen.js';
import { type MetricsServer, serveMetrics } from '../../shared/metrics-http.js';
import { createEngineMetrics } from './metrics.js';

let server: MetricsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('engine metrics', () => {
  it('counts calls by method and outcome, with their durations, and verdicts by plugin', async () => {
    const metrics = createEngineMetrics();
    metrics.call('MetricProvider/Resume', 'ok', 0.02);
    metrics.call('MetricProvider/Resume', 'ok', 0.3);
    metrics.call('MetricProvider/Resume', 'error', 1.2);
    metrics.verifications.finished({ plugin: 'verify', verdict: 'Unhealthy', phase: 'Failed', early: true });
    metrics.verifications.finished({ plugin: 'gate', verdict: null, phase: 'Error', early: false });
    metrics.verifications.collectionFailed('verify');

    const text = await metrics.registry.metrics();
    expect(text).toContain('rollouts_cv_engine_calls_total{method="MetricProvider/Resume",outcome="ok"} 2');
    expect(text).toContain('rollouts_cv_engine_calls_total{method="MetricProvider/Resume",outcome="error"} 1');
    expect(text).toContain('rollouts_cv_engine_call_duration_seconds_bucket{le="0.025",method="MetricProvider/Resume"} 1');
    expect(text).toContain('rollouts_cv_engine_call_duration_seconds_count{method="MetricProvider/Resume"} 3');
    expect(text).toContain('rollouts_cv_verifications_finished_total{plugin="verify",verdict="Unhealthy",phase="Failed",early="true"} 1');
    expect(text).toContain('rollouts_cv_verifications_finished_total{plugin="gate",verdict="none",phase="Error",early="false"} 1');
    expect(text).toContain('rollouts_cv_collection_failures_total{plugin="verify"} 1');
    expect(text).toMatch(/rollouts_cv_build_info\{version="\d+\.\d+\.\d+[^"]*"\} 1/);
    expect(text).toContain('process_cpu_seconds_total');
  });

  it('keeps each engine\'s counts apart', async () => {
    const first = createEngineMetrics();
    const second = createEngineMetrics();
    first.call('StepPlugin/Run', 'ok', 0.01);
    expect(await second.registry.metrics()).not.toContain('StepPlugin/Run');
  });

  it('serves GET /metrics in the Prometheus text format and nothing else', async () => {
    const metrics = createEngineMetrics();
    metrics.call('StepPlugin/Run', 'ok', 0.01);
    server = await serveMetrics(metrics.registry, '127.0.0.1:0', 'the engine');
    const url = `http://${server.address}`;

    const response = await axios.get<string>(`${url}/metrics`);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(response.data).toContain('rollouts_cv_engine_calls_total{method="StepPlugin/Run",outcome="ok"} 1');

    const missing = await axios.get<string>(`${url}/`, { validateStatus: () => true });
    expect(missing.status).toBe(404);
    expect(missing.data).toContain('GET /metrics');
    const posted = await axios.post(`${url}/metrics`, '', { validateStatus: () => true });
    expect(posted.status).toBe(404);
  });

  it('says which address it cannot listen on', async () => {
    server = await serveMetrics(createEngineMetrics().registry, '127.0.0.1:0', 'the engine');
    await expect(serveMetrics(createEngineMetrics().registry, server.address, 'the engine')).rejects.toThrow(`cannot serve metrics on ${server.address}: listen EADDRINUSE`);
  });

  it('rejects a listen address without a port', () => {
    expect(() => splitHostPort('localhost')).toThrow('listen address "localhost" must be host:port, e.g. 0.0.0.0:7070');
    expect(() => splitHostPort('0.0.0.0:http')).toThrow('must be host:port');
    expect(splitHostPort('[::1]:8080')).toEqual({ host: '[::1]', port: 8080 });
  });
});
