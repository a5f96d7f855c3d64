import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startFakeKubeApi } from '../../test/helpers/fake-kube-api.js';
import { objectStore } from '../../test/helpers/fake-kube-store.js';
import { UsageError } from '../check/inputs.js';
import { reportRefOf, runReportCommand } from './report-command.js';

describe('reportRefOf', () => {
  it.each([
    ['a Measurement link', 'http://localhost:8082/reports/shop/web-7f5c9-2/verify', { kind: 'analysis-run', namespace: 'shop', analysisRun: 'web-7f5c9-2', metric: 'verify' }],
    ['an earlier measurement', 'https://cv.example.com/reports/shop/web-7f5c9-2/verify?measurement=2&format=html', { kind: 'analysis-run', namespace: 'shop', analysisRun: 'web-7f5c9-2', metric: 'verify', measurement: 2 }],
    ['a link under an Ingress prefix', 'https://cv.example.com/rollouts-cv/reports/shop/web/verify', { kind: 'analysis-run', namespace: 'shop', analysisRun: 'web', metric: 'verify' }],
    ['a namespace called reports', 'http://localhost:8082/reports/reports/web/verify', { kind: 'analysis-run', namespace: 'reports', analysisRun: 'web', metric: 'verify' }],
    ['a path alone', '/reports/shop/web/verify', { kind: 'analysis-run', namespace: 'shop', analysisRun: 'web', metric: 'verify' }],
    ["a verify gate's link", 'http://localhost:8082/reports/shop/rollouts/web/steps/1?verification=v-0123456789abcdef', { kind: 'gate-step', namespace: 'shop', rollout: 'web', step: 1, verification: 'v-0123456789abcdef' }],
  ])('reads %s', (_what, target, ref) => {
    expect(reportRefOf(target)).toEqual(ref);
  });

  it.each([
    ['no report path', 'http://localhost:8082/metrics', 'it has no /reports/ part'],
    ['a bad name', 'http://localhost:8082/reports/Shop/web/verify', 'the namespace is not a Kubernetes namespace name'],
    ['a bad verification', '/reports/shop/rollouts/web/steps/1?verification=latest', 'verification must be a verification id (v- and 16 hex digits)'],
    ['a climbing path', '/reports/../../etc/passwd', 'it has no /reports/ part'],
  ])('refuses %s as a usage error naming what is wrong', (_what, target, why) => {
    expect(() => reportRefOf(target)).toThrow(UsageError);
    expect(() => reportRefOf(target)).toThrow(`${JSON.stringify(target)} names no report (${why}): expected a report link or path such as`);
  });
});

describe('runReportCommand', () => {
  async function run(target: string, kubeconfig?: string) {
    const output = { out: '', err: '' };
    const stream = (key: 'out' | 'err') => ({ write: (text: string) => ((output[key] += text), true) }) as unknown as NodeJS.WritableStream;
    const code = await runReportCommand({ target, json: true, quiet: true, ...(kubeconfig && { kubeconfig }) }, stream('out'), stream('err'));
    return { code, ...output };
  }

  async function cluster() {
    const store = objectStore();
    const api = await startFakeKubeApi(store.respond);
    onTestFinished(() => api.close());
    const dir = await mkdtemp(join(tmpdir(), 'rollouts-cv-report-'));
    const kubeconfig = join(dir, 'kubeconfig');
    await writeFile(kubeconfig, api.kubeConfig().exportConfig());
    return { store, kubeconfig };
  }

  it('exits 2 on a link that names no report, before reading anything', async () => {
    expect(await run('http://localhost:8082/healthz', '/nonexistent')).toMatchObject({ code: 2, out: '', err: expect.stringMatching(/^rollouts-cv report: "http:\/\/localhost:8082\/healthz" names no report/) });
  });

  it('exits 1 saying why when the kubeconfig cannot be loaded', async () => {
    expect(await run('/reports/shop/web/verify', '/nonexistent/kubeconfig')).toMatchObject({ code: 1, out: '', err: expect.stringMatching(/^rollouts-cv report: cannot load the kubeconfig \/nonexistent\/kubeconfig: /) });
  });

  it('exits 1 naming the object the cluster does not have, or the step that is no verify gate', async () => {
    const { store, kubeconfig } = await cluster();
    expect(await run('http://localhost:8082/reports/shop/gone/verify', kubeconfig)).toEqual({ code: 1, out: '', err: 'rollouts-cv report: AnalysisRun shop/gone not found (deleted, or never made)\n' });
    store.seed({ group: 'argoproj.io', plural: 'rollouts' }, { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', metadata: { namespace: 'shop', name: 'web' }, spec: { strategy: { canary: { steps: [{ setWeight: 20 }] } } } });
    expect(await run('/reports/shop/rollouts/web/steps/0', kubeconfig)).toEqual({ code: 1, out: '', err: 'rollouts-cv report: Rollout shop/web, step 0 is not a verify gate (a plugin step with config {"verify": {...}})\n' });
  });
});
