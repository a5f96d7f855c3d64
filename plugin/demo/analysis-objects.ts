// The Kubernetes objects the Argo Rollouts controller hands to the rollouts-cv/verify metric plugin, built for
// the synthetic app: an AnalysisRun of a canary step and its `verify` Metric.
import { randomUUID } from 'node:crypto';

/** Resolution of the demo's range queries. */
export const DEMO_STEP = '2s';
/** How often the sandbox's Prometheus scrapes the synthetic app (local-prometheus.ts). */
export const DEMO_SCRAPE_INTERVAL = '1s';

/** One metric of a verify config, as written in an AnalysisTemplate. */
export type HttpMetric =
  | { name: string; kind: 'ratio'; numerator: string; denominator: string }
  | { name: string; kind: 'latency' | 'throughput' | 'resource' | 'gauge'; query: string };

/**
 * The synthetic app's metrics, written as the README recommends: the error ratio from the error and request
 * counters (the engine takes their increases), and each pod's p95 latency over `${rateInterval}`.
 */
export function httpMetrics(): HttpMetric[] {
  return [
    {
      name: 'error-rate',
      kind: 'ratio',
      numerator: 'sum by (pod) (http_requests_total{code="500",${selector}})',
      denominator: 'sum by (pod) (http_requests_total{${selector}})',
    },
    {
      name: 'latency-p95',
      kind: 'latency',
      query: 'histogram_quantile(0.95, sum by (pod, le) (rate(http_request_duration_seconds_bucket{${selector}}[${rateInterval}])))',
    },
  ];
}

export interface VerifyMetricOptions {
  prometheus: string;
  canaryHash: string;
  stableHash: string;
  duration: string;
  interval: string;
  sensitivity?: 'high' | 'medium' | 'low';
  failOnNoData?: boolean;
  metrics?: HttpMetric[];
}

/** The `verify` Metric, with the template args already substituted as the controller does before a call. */
export function verifyMetric(options: VerifyMetricOptions): Record<string, unknown> {
  return {
    name: 'verify',
    provider: {
      plugin: {
        'rollouts-cv/verify': {
          duration: options.duration,
          interval: options.interval,
          sensitivity: options.sensitivity ?? 'medium',
          failOnNoData: options.failOnNoData ?? true,
          canary: { podTemplateHash: options.canaryHash },
          baseline: { podTemplateHash: options.stableHash },
          source: { prometheus: { address: options.prometheus, step: DEMO_STEP, scrapeInterval: DEMO_SCRAPE_INTERVAL } },
          metrics: (options.metrics ?? httpMetrics()).map((metric) => ({ ...metric, direction: 'higher-is-bad' })),
        },
      },
    },
  };
}

/** An AnalysisRun as the controller creates it for step analysis of a Rollout's canary. */
export function canaryAnalysisRun(options: {
  rollout: string;
  namespace: string;
  canaryHash: string;
  stableHash: string;
  metric: Record<string, unknown>;
}): Record<string, unknown> {
  const { rollout, namespace, canaryHash, stableHash, metric } = options;
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AnalysisRun',
    metadata: {
      name: `${rollout}-${canaryHash}-2-1`,
      namespace,
      uid: randomUUID(),
      creationTimestamp: now,
      labels: { 'rollouts-pod-template-hash': canaryHash, 'rollout-type': 'Step', 'step-index': '1' },
      ownerReferences: [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: rollout, uid: randomUUID(), controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      args: [
        { name: 'canary-hash', value: canaryHash },
        { name: 'stable-hash', value: stableHash },
      ],
      metrics: [metric],
    },
    status: { phase: 'Running', startedAt: now },
  };
}
