// What the engine benchmark verifies: services of 20 pods each (18 stable, 2 canary) served by the synthetic app,
// each verification ten metrics of an HTTP service — two ratios (errors, slow requests), four latency quantiles,
// the mean latency, throughput, error and success rates — 24 queries per look when each group is read apart.

/** Time scale of a bench: production-like (30 s looks) or compressed for a smoke run and the test. */
export interface Timing {
  /** Seconds between looks of a verification. */
  lookSeconds: number;
  /** source.prometheus.step. */
  stepSeconds: number;
  /** History a look needs before the window's start: the range of rate() (`${rateInterval}`, four scrapes) and more. */
  rateSeconds: number;
  /** Prometheus scrape interval. */
  scrapeSeconds: number;
}

export const FULL_TIMING: Timing = { lookSeconds: 30, stepSeconds: 15, rateSeconds: 60, scrapeSeconds: 5 };

export interface Service {
  name: string;
  stable: { hash: string; pods: number; errorRate: number; latencyMs: number };
  canary: { hash: string; pods: number; errorRate: number; latencyMs: number };
  regressed: boolean;
}

const RPS_PER_POD = 50;
const STABLE_PODS = 18;
const CANARY_PODS = 2;
const BASELINE = { errorRate: 0.01, latencyMs: 50 };

/** `count` services; every tenth one (the first included) has a canary with 5x the errors and slower requests. */
export function services(count: number, withRegressions: boolean): Service[] {
  return Array.from({ length: count }, (_, i) => {
    const regressed = withRegressions && i % 10 === 0;
    return {
      name: `svc-${i}`,
      stable: { hash: `5b${String(i).padStart(4, '0')}f7c`, pods: STABLE_PODS, ...BASELINE },
      canary: { hash: `7d${String(i).padStart(4, '0')}c9a`, pods: CANARY_PODS, ...(regressed ? { errorRate: 0.05, latencyMs: 90 } : BASELINE) },
      regressed,
    };
  });
}

/** The synthetic app's group registrations (POST /groups bodies) for the services. */
export function appGroups(list: Service[]): object[] {
  return list.flatMap((service) => [service.stable, service.canary].map((group) => ({ ...group, rps: RPS_PER_POD })));
}

function metrics(): object[] {
  const rate = (counter: string) => `rate(${counter}{\${selector}}[\${rateInterval}])`;
  const buckets = `sum by (pod, le) (${rate('http_request_duration_seconds_bucket')})`;
  const quantile = (q: number, name: string) => ({ name, kind: 'latency', query: `histogram_quantile(${q}, ${buckets})` });
  return [
    {
      name: 'error-rate',
      kind: 'ratio',
      numerator: 'sum by (pod) (http_requests_total{code="500",${selector}})',
      denominator: 'sum by (pod) (http_requests_total{${selector}})',
    },
    {
      name: 'slow-rate',
      kind: 'ratio',
      numerator:
        'sum by (pod) (http_request_duration_seconds_count{${selector}}) - sum by (pod) (http_request_duration_seconds_bucket{le="0.2",${selector}})',
      denominator: 'sum by (pod) (http_request_duration_seconds_count{${selector}})',
    },
    quantile(0.5, 'latency-p50'),
    quantile(0.9, 'latency-p90'),
    quantile(0.95, 'latency-p95'),
    quantile(0.99, 'latency-p99'),
    {
      name: 'latency-mean',
      kind: 'latency',
      query: `sum by (pod) (${rate('http_request_duration_seconds_sum')}) / sum by (pod) (${rate('http_request_duration_seconds_count')})`,
    },
    { name: 'throughput', kind: 'throughput', direction: 'lower-is-bad', query: `sum by (pod) (${rate('http_requests_total')})` },
    { name: 'errors-per-second', kind: 'gauge', query: 'sum by (pod) (rate(http_requests_total{code="500",${selector}}[${rateInterval}]))' },
    {
      name: 'successes-per-second',
      kind: 'throughput',
      direction: 'lower-is-bad',
      query: 'sum by (pod) (rate(http_requests_total{code="200",${selector}}[${rateInterval}]))',
    },
  ];
}

/** The Metric of the AnalysisTemplate, as the controller hands it to the plugin. */
export function metricObject(service: Service, prometheus: string, timing: Timing, looks: number): object {
  return {
    name: 'verify',
    provider: {
      plugin: {
        'rollouts-cv/verify': {
          duration: `${timing.lookSeconds * looks}s`,
          interval: `${timing.lookSeconds}s`,
          canary: { podTemplateHash: service.canary.hash },
          baseline: { podTemplateHash: service.stable.hash },
          source: { prometheus: { address: prometheus, step: `${timing.stepSeconds}s`, scrapeInterval: `${timing.scrapeSeconds}s` } },
          metrics: metrics(),
        },
      },
    },
  };
}

/** An AnalysisRun as the controller sends it with each call (spec, status, owner), for verification `id`. */
export function analysisRunObject(service: Service, id: number, metric: object): object {
  const name = `${service.name}-${service.canary.hash}-${id}`;
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AnalysisRun',
    metadata: {
      name,
      namespace: 'bench',
      uid: `00000000-0000-4000-8000-${String(id).padStart(12, '0')}`,
      labels: { 'rollouts-pod-template-hash': service.canary.hash, 'rollout-type': 'Step', 'step-index': '1' },
      ownerReferences: [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: service.name, uid: `rollout-${service.name}`, controller: true }],
      creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    },
    spec: {
      metrics: [metric],
      args: [
        { name: 'canary-hash', value: service.canary.hash },
        { name: 'stable-hash', value: service.stable.hash },
      ],
    },
    status: { phase: 'Running', startedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), metricResults: [{ name: 'verify', phase: 'Running', count: 1 }] },
  };
}
