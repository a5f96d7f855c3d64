// `rollouts-cv check` against a real Prometheus scraping the synthetic app every 2 s: an AnalysisTemplate file,
// the pods given by hash or read from a Rollout (through a kubeconfig, from a stand-in Kubernetes API).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { httpMetrics } from '../../plugin/demo/analysis-objects.js';
import { findPrometheus } from '../../plugin/demo/local-prometheus.js';
import { type Sandbox, startSandbox } from '../../plugin/demo/sandbox.js';
import { type CheckOptions, runCheckCommand } from '../../plugin/check/command.js';
import { type FakeKubeApi, startFakeKubeApi } from '../helpers/fake-kube-api.js';

const SCRAPE_S = 2;
// The window holds ten scrapes, so one scrape missed on a busy machine still shows the 2 s interval.
const WINDOW_MS = 20_000;
const WARM_UP_MS = 24_000;

let sandbox: Sandbox;
let dir: string;
let kube: FakeKubeApi;

/** An AnalysisTemplate as a user writes it, its Prometheus address a template arg. */
function template(metrics: object[]): string {
  return stringify({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AnalysisTemplate',
    metadata: { name: 'rollouts-cv-http' },
    spec: {
      args: [{ name: 'canary-hash' }, { name: 'stable-hash' }, { name: 'prometheus' }],
      metrics: [
        {
          name: 'verify',
          provider: {
            plugin: {
              'rollouts-cv/verify': {
                duration: '30s',
                canary: { podTemplateHash: '{{args.canary-hash}}' },
                baseline: { podTemplateHash: '{{args.stable-hash}}' },
                source: { prometheus: { address: '{{args.prometheus}}', step: '2s', scrapeInterval: `${SCRAPE_S}s` } },
                metrics,
              },
            },
          },
        },
      ],
    },
  });
}

async function check(file: string, options: Partial<CheckOptions>): Promise<{ code: number; out: string; err: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let outText = '';
  let errText = '';
  out.on('data', (chunk: Buffer) => (outText += chunk.toString()));
  err.on('data', (chunk: Buffer) => (errText += chunk.toString()));
  const code = await runCheckCommand({ file: join(dir, file), args: [`prometheus=${sandbox.prometheus}`], windowMs: WINDOW_MS, json: false, ...options }, out, err);
  return { code, out: outText, err: errText };
}

beforeAll(async () => {
  findPrometheus();
  dir = await mkdtemp(join(tmpdir(), 'rollouts-cv-check-'));
  sandbox = await startSandbox({ seed: 20_260_707, scrapeIntervalSeconds: SCRAPE_S });
  for (const group of [
    { hash: 'stable1', pods: 3, rps: 300 },
    { hash: 'canary1', pods: 1, rps: 300 },
    { hash: 'idle1', pods: 1, rps: 0 },
  ]) {
    const response = await fetch(`${sandbox.app}/groups`, { method: 'POST', body: JSON.stringify({ ...group, errorRate: 0.01 }) });
    if (!response.ok) throw new Error(await response.text());
  }
  const [errorRate, latency] = httpMetrics();
  await writeFile(join(dir, 'template.yaml'), template([errorRate!, latency!]));
  await writeFile(join(dir, 'misspelt.yaml'), template([{ ...errorRate!, numerator: 'sum by (pod) (http_request_total{code="500",${selector}})' }]));
  kube = await startFakeKubeApi((request) =>
    request.path === '/apis/argoproj.io/v1alpha1/namespaces/shop/rollouts/web'
      ? { body: { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', metadata: { name: 'web', namespace: 'shop' }, status: { currentPodHash: 'canary1', stableRS: 'stable1' } } }
      : undefined,
  );
  await writeFile(join(dir, 'kubeconfig'), kube.kubeConfig().exportConfig());
  await new Promise((resolve) => setTimeout(resolve, WARM_UP_MS));
}, 60_000);

afterAll(async () => {
  await kube?.close();
  await sandbox?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('rollouts-cv check', () => {
  it('says every metric has enough data, with the scrape interval seen, and exits 0', async () => {
    const { code, out } = await check('template.yaml', { canaryHash: 'canary1', stableHash: 'stable1' });
    expect(out).toContain(`AnalysisTemplate rollouts-cv-http, metric verify: the last 20s of Prometheus at ${sandbox.prometheus}`);
    expect(out).toContain('ok   error-rate (ratio)');
    expect(out).toContain('canary canary1: 1 pod,');
    expect(out).toContain('stable stable1: 3 pods,');
    expect(out).toContain('scrape interval: 2s in the data, 2s configured');
    expect(out).toMatch(/all 2 metrics have enough data to judge\n$/);
    expect(code).toBe(0);
  });

  it('reads the hashes from the Rollout, and answers JSON', async () => {
    const { code, out } = await check('template.yaml', { rollout: 'web', namespace: 'shop', kubeconfig: join(dir, 'kubeconfig'), json: true });
    const report = JSON.parse(out) as { ok: boolean; groups: unknown; verifications: { metrics: { name: string; ok: boolean; seenScrapeIntervalMs: number }[] }[] };
    expect(report.groups).toEqual({ canary: 'canary1', stable: 'stable1' });
    expect(report.verifications[0]!.metrics.map((m) => [m.name, m.ok, m.seenScrapeIntervalMs])).toEqual([
      ['error-rate', true, 2000],
      ['latency-p95', true, 2000],
    ]);
    expect(code).toBe(0);
  });

  it('exits 1 naming what is missing: a canary without traffic, a counter that does not exist', async () => {
    const idle = await check('template.yaml', { canaryHash: 'idle1', stableHash: 'stable1' });
    expect(idle.out).toContain('FAIL error-rate (ratio)');
    expect(idle.out).toContain('problem: no data for the canary');
    expect(idle.code).toBe(1);
    const misspelt = await check('misspelt.yaml', { canaryHash: 'canary1', stableHash: 'stable1' });
    expect(misspelt.out).toContain('problem: no numerator series for any pod');
    expect(misspelt.code).toBe(1);
  });

  it('exits 2 on a usage error, saying what to give', async () => {
    expect(await check('template.yaml', {})).toMatchObject({ code: 2, err: 'rollouts-cv check: give --rollout <name> (read from the cluster) or --stable-hash (and --canary-hash)\n' });
    expect(await check('template.yaml', { stableHash: 's', args: ['nonsense'] })).toMatchObject({ code: 2, err: 'rollouts-cv check: --arg "nonsense": expected name=value\n' });
    expect(await check('absent.yaml', { stableHash: 's' })).toMatchObject({ code: 2, err: expect.stringContaining('no such file') });
  });
});
