import { describe, expect, it } from 'vitest';
import { readMetricConfig } from '../verify/metric.js';
import { canaryAnalysisRun, httpMetrics, verifyMetric } from './analysis-objects.js';

describe('verifyMetric', () => {
  const metric = verifyMetric({ prometheus: 'http://127.0.0.1:9090', canaryHash: 'c0ffee1', stableHash: '5tab1e1', duration: '30s', interval: '5s' });

  it('is a metric config the engine accepts: errors as a ratio of counters, latency as latency', () => {
    const config = readMetricConfig(metric);
    expect(config.metrics.map((m) => [m.name, m.kind, m.direction])).toEqual([
      ['error-rate', 'ratio', 'higher-is-bad'],
      ['latency-p95', 'latency', 'higher-is-bad'],
    ]);
    expect(config.source).toEqual({ kind: 'prometheus', settings: expect.objectContaining({ step: 2000, scrapeInterval: 1000 }) });
    const [errors] = config.metrics;
    expect(errors).toMatchObject({
      numerator: 'sum by (pod) (http_requests_total{code="500",${selector}})',
      denominator: 'sum by (pod) (http_requests_total{${selector}})',
    });
  });

  it('takes other metrics', () => {
    const [, latency] = httpMetrics();
    const config = readMetricConfig(verifyMetric({ prometheus: 'http://p', canaryHash: 'a', stableHash: 'b', duration: '1m', interval: '10s', metrics: [latency!] }));
    expect(config.metrics).toEqual([expect.objectContaining({ name: 'latency-p95', kind: 'latency', query: expect.stringContaining('[${rateInterval}]') })]);
  });
});

describe('canaryAnalysisRun', () => {
  it('carries the metric and the hashes as the controller would', () => {
    const metric = { name: 'verify' };
    const run = canaryAnalysisRun({ rollout: 'shop', namespace: 'demo', canaryHash: 'c1', stableHash: 's1', metric }) as { metadata: { name: string }; spec: { metrics: unknown[] } };
    expect(run.metadata.name).toBe('shop-c1-2-1');
    expect(run.spec.metrics).toEqual([metric]);
  });
});
