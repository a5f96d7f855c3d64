// The Kubernetes objects the Argo Rollouts controller hands to the rollouts-cv/verify metric plugin, built for
// the synthetic app: an AnalysisRun of a canary step and its `verify` Metric.
import { randomUUID } from 'node:crypto';

export interface HttpMetricQuery {
  name: string;
  query: string;
}

/** Per-pod error ratio and p95 latency of the synthetic app, over a rate window short enough for a demo. */
export function httpMetricQueries(rateWindow = '10s'): HttpMetricQuery[] {
  return [
    {
      name: 'error-rate',
      query:
        `sum by (pod) (rate(http_requests_total{code="500",\${selector}}[${rateWindow}]))` +
        ` / sum by (pod) (rate(http_requests_total{\${selector}}[${rateWindow}]))`,
    },
    {
      name: 'latency-p95',
      query: `histogram_quantile(0.95, sum by (pod, le) (rate(http_request_duration_seconds_bucket{\${selector}}[${rateWindow}])))`,
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
  metrics?: HttpMetricQuery[];
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
          source: { prometheus: { address: options.prometheus, step: '2s' } },
          metrics: (options.metrics ?? httpMetricQueries()).map((metric) => ({ ...metric, direction: 'higher-is-bad' })),
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
