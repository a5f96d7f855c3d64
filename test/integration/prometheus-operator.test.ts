// Prometheus as prometheus-operator (kube-prometheus-stack) configures it for the PodMonitor in
// docs/examples/prometheus-operator.yaml: one target per pod, relabelled the way the operator's generated scrape
// config relabels Kubernetes pod discovery (written out below), with and without `podTargetLabels`. Each pod
// serves its own exposition, without pod labels, as a real pod does. The engine's default selection (by pod
// name) judges canaries out of the box with either; selection by the hash label needs podTargetLabels.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { createLogger } from '../../shared/log.js';
import { DEMO_SCRAPE_INTERVAL, DEMO_STEP, canaryAnalysisRun, httpMetrics } from '../../plugin/demo/analysis-objects.js';
import { type LocalPrometheus, findPrometheus, startLocalPrometheus } from '../../plugin/demo/local-prometheus.js';
import { type SyntheticApp, startSyntheticApp } from '../../plugin/demo/synthetic-app.js';
import { type RunningEngine, startEngine } from '../../plugin/server/engine.js';
import { type EngineClient, connectEngine, driveMeasurement } from '../helpers/engine-client.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const WARM_UP_MS = 8_000;
const SCENARIO_TIMEOUT_MS = 60_000;
const NAMESPACE = 'shop';

interface PodMonitor {
  metadata: { name: string; namespace?: string };
  spec: { selector: { matchLabels: Record<string, string> }; podMetricsEndpoints: { port: string }[]; podTargetLabels?: string[] };
}

const sanitize = (name: string) => name.replace(/[^a-zA-Z0-9_]/g, '_');

/**
 * The scrape job prometheus-operator generates for `monitor` (its relabelling of Kubernetes pod discovery: keep
 * the selected pods' named port, `namespace`, `container` and `pod` from the pod, each of `podTargetLabels` from
 * the pod's labels, `job` and `endpoint`), over static targets carrying the discovery's meta labels for `pods`.
 * Each target's metrics path stands in for the pod's own address.
 */
function podMonitorJob(monitor: PodMonitor, app: string, pods: { name: string; labels: Record<string, string> }[]): object {
  const [endpoint] = monitor.spec.podMetricsEndpoints;
  // Applied without a namespace of its own, the monitor lives in (and selects pods of) the namespace it is applied to.
  const namespace = monitor.metadata.namespace ?? NAMESPACE;
  const meta = (labels: Record<string, string>) =>
    Object.fromEntries(
      Object.entries(labels).flatMap(([name, value]) => [
        [`__meta_kubernetes_pod_label_${sanitize(name)}`, value],
        [`__meta_kubernetes_pod_labelpresent_${sanitize(name)}`, 'true'],
      ]),
    );
  return {
    job_name: `podMonitor/${namespace}/${monitor.metadata.name}/0`,
    honor_labels: false,
    static_configs: pods.map((pod) => ({
      targets: [app],
      labels: {
        __metrics_path__: `/pods/${pod.name}/metrics`,
        __meta_kubernetes_namespace: namespace,
        __meta_kubernetes_pod_name: pod.name,
        __meta_kubernetes_pod_phase: 'Running',
        __meta_kubernetes_pod_container_name: 'app',
        __meta_kubernetes_pod_container_port_name: endpoint!.port,
        ...meta(pod.labels),
      },
    })),
    relabel_configs: [
      { source_labels: ['job'], target_label: '__tmp_prometheus_job_name' },
      { action: 'drop', source_labels: ['__meta_kubernetes_pod_phase'], regex: '(Failed|Succeeded)' },
      ...Object.entries(monitor.spec.selector.matchLabels).map(([name, value]) => ({
        action: 'keep',
        source_labels: [`__meta_kubernetes_pod_label_${sanitize(name)}`, `__meta_kubernetes_pod_labelpresent_${sanitize(name)}`],
        regex: `(${value});true`,
      })),
      { action: 'keep', source_labels: ['__meta_kubernetes_pod_container_port_name'], regex: endpoint!.port },
      { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace' },
      { source_labels: ['__meta_kubernetes_pod_container_name'], target_label: 'container' },
      { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
      ...(monitor.spec.podTargetLabels ?? []).map((label) => ({
        source_labels: [`__meta_kubernetes_pod_label_${sanitize(label)}`],
        target_label: sanitize(label),
        regex: '(.+)',
        replacement: '${1}',
      })),
      { target_label: 'job', replacement: `${namespace}/${monitor.metadata.name}` },
      { target_label: 'endpoint', replacement: endpoint!.port },
      { source_labels: ['__address__'], target_label: '__tmp_hash', modulus: 1, action: 'hashmod' },
      { source_labels: ['__tmp_hash'], regex: '0', action: 'keep' },
    ],
  };
}

const documented = parseAllDocuments(readFileSync(`${root}docs/examples/prometheus-operator.yaml`, 'utf8'))
  .map((doc) => doc.toJS() as { kind: string })
  .find((doc) => doc.kind === 'PodMonitor') as unknown as PodMonitor;

let app: SyntheticApp;
let engine: RunningEngine;
let client: EngineClient;
// Prometheus for the documented PodMonitor, and for the same without podTargetLabels.
const prometheus: { withHashLabel?: LocalPrometheus; podOnly?: LocalPrometheus } = {};

async function register(hash: string, pods: number, traffic: Record<string, number>): Promise<string[]> {
  const response = await fetch(`${app.url}/groups`, { method: 'POST', body: JSON.stringify({ hash, pods, rps: 300, ...traffic }) });
  if (!response.ok) throw new Error(`registering ${hash}: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { pods: string[] }).pods;
}

async function verify(address: string, canaryHash: string, stableHash: string, selection: Record<string, string> = {}) {
  const config = {
    duration: '15s',
    interval: '3s',
    ...selection,
    canary: { podTemplateHash: canaryHash },
    baseline: { podTemplateHash: stableHash },
    source: { prometheus: { address, step: DEMO_STEP, scrapeInterval: DEMO_SCRAPE_INTERVAL } },
    metrics: httpMetrics(),
  };
  const metric = { name: 'verify', provider: { plugin: { 'rollouts-cv/verify': config } } };
  const measurement = await driveMeasurement(client, canaryAnalysisRun({ rollout: 'checkout', namespace: NAMESPACE, canaryHash, stableHash, metric }), metric);
  const value = (measurement.value ? JSON.parse(measurement.value) : { verdict: null, reasons: [] }) as { verdict: string | null; reasons: string[] };
  return { phase: measurement.phase, message: measurement.message, ...value };
}

beforeAll(async () => {
  findPrometheus();
  expect(documented.spec.podTargetLabels).toEqual(['rollouts-pod-template-hash']);
  app = await startSyntheticApp({ seed: 20_260_501 });
  engine = await startEngine({ listen: '127.0.0.1:0', log: createLogger({ level: 'silent' }) });
  client = connectEngine(engine.address);
  const groups = [
    { hash: '7d4c9b8f6', pods: await register('7d4c9b8f6', 3, {}) },
    { hash: '5f8b6d9c4', pods: await register('5f8b6d9c4', 1, {}) },
    { hash: '6c9d7f4b8', pods: await register('6c9d7f4b8', 1, { errorRate: 0.05, latencyMs: 90 }) },
  ];
  const pods = groups.flatMap(({ hash, pods: names }) => names.map((name) => ({ name, labels: { app: 'checkout', 'rollouts-pod-template-hash': hash } })));
  const host = new URL(app.url).host;
  const podOnly: PodMonitor = { ...documented, spec: { ...documented.spec, podTargetLabels: undefined } };
  [prometheus.withHashLabel, prometheus.podOnly] = await Promise.all([
    startLocalPrometheus({ scrapeConfigs: [podMonitorJob(documented, host, pods)] }),
    startLocalPrometheus({ scrapeConfigs: [podMonitorJob(podOnly, host, pods)] }),
  ]);
  await new Promise((resolve) => setTimeout(resolve, WARM_UP_MS));
}, 60_000);

afterAll(async () => {
  client?.close();
  await engine?.stop();
  await Promise.all([prometheus.withHashLabel?.stop(), prometheus.podOnly?.stop(), app?.stop()]);
});

describe('the series prometheus-operator gives Prometheus', () => {
  it('carry namespace, pod, container, job and endpoint, and the hash label only with podTargetLabels', async () => {
    const labelsOf = async (url: string) => {
      const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent('http_requests_total{code="200"}')}`);
      return ((await response.json()) as { data: { result: { metric: Record<string, string> }[] } }).data.result.map((r) => r.metric);
    };
    const [withHash, podOnly] = await Promise.all([labelsOf(prometheus.withHashLabel!.url), labelsOf(prometheus.podOnly!.url)]);
    expect(withHash).toHaveLength(5);
    expect(withHash[0]).toMatchObject({ namespace: NAMESPACE, container: 'app', job: 'shop/checkout', endpoint: 'http', pod: expect.stringMatching(/^demo-[0-9a-z]+-[0-9a-z]{5}$/) });
    expect(withHash.every((labels) => labels.pod!.includes(`-${labels.rollouts_pod_template_hash}-`))).toBe(true);
    expect(podOnly).toHaveLength(5);
    expect(podOnly.some((labels) => 'rollouts_pod_template_hash' in labels)).toBe(false);
  });
});

describe.concurrent('verification on them', () => {
  it('judges a canary by default (by pod name) without podTargetLabels', { timeout: SCENARIO_TIMEOUT_MS }, async () => {
    const result = await verify(prometheus.podOnly!.url, '5f8b6d9c4', '7d4c9b8f6');
    expect([result.phase, result.verdict], result.message).toEqual(['Successful', 'Healthy']);
  });

  it('fails a regressed canary by default without podTargetLabels', { timeout: SCENARIO_TIMEOUT_MS }, async () => {
    const result = await verify(prometheus.podOnly!.url, '6c9d7f4b8', '7d4c9b8f6');
    expect([result.phase, result.verdict], result.message).toEqual(['Failed', 'Unhealthy']);
  });

  it('judges a canary by the hash label with podTargetLabels', { timeout: SCENARIO_TIMEOUT_MS }, async () => {
    const result = await verify(prometheus.withHashLabel!.url, '5f8b6d9c4', '7d4c9b8f6', { selectBy: 'label' });
    expect([result.phase, result.verdict], result.message).toEqual(['Successful', 'Healthy']);
  });

  it('has no data by the hash label without podTargetLabels, and says so', { timeout: SCENARIO_TIMEOUT_MS }, async () => {
    const result = await verify(prometheus.podOnly!.url, '5f8b6d9c4', '7d4c9b8f6', { selectBy: 'label' });
    expect([result.phase, result.verdict], result.message).toEqual(['Failed', 'NoData']);
    expect(result.reasons[0]).toMatch(/no data for the canary and baseline/);
  });
});
