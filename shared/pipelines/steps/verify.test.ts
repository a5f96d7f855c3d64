import { CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeKubeApi, type FakeKubeApi } from '../../../test/helpers/fake-kube-api.js';
import { objectStore, type KubeObject } from '../../../test/helpers/fake-kube-store.js';
import { rolloutFixture } from '../../../test/helpers/leader-harness.js';
import { ROLLOUTS } from '../../kube/rollout-types.js';
import { PIPELINE_NAMESPACES_ANNOTATION, targetGuard } from '../targets.js';
import { advanceRun, type Executors } from '../advance.js';
import { parsePipelineSpec } from '../spec.js';
import { initialStatus, type PipelineRunStatus } from '../status.js';
import { analysisRunName, verifyStep } from './verify.js';
import { waitStep } from './wait.js';

const NS = 'loans';
const T0 = new Date('2026-12-05T10:00:00Z');
const run = { namespace: NS, name: 'release-1', uid: 'uid-1' };
const facts = { triggeredBy: 'Kubernetes user ana', url: '' };
const RUNS = { group: 'argoproj.io', plural: 'analysisruns' };
const TEMPLATES = { group: 'argoproj.io', plural: 'analysistemplates' };
const METRICS = [{ name: 'verify', provider: { plugin: { 'rollouts-cv/verify': { duration: '5m', canary: { podTemplateHash: '{{args.canary-hash}}' } } } } }];

let kube: FakeKubeApi;
const store = objectStore();
let executors: Executors;

beforeAll(async () => {
  kube = await startFakeKubeApi(store.respond);
  executors = { verify: verifyStep(kube.kubeConfig().makeApiClient(CustomObjectsApi), targetGuard(async (name) => (name === 'loans' ? { [PIPELINE_NAMESPACES_ANNOTATION]: 'releases' } : null))), wait: waitStep };
  const rollout = rolloutFixture('canary-paused-step');
  const { resourceVersion: _rv, uid: _uid, ...metadata } = rollout.metadata;
  store.seed(ROLLOUTS, { ...rollout, metadata: { ...metadata, name: 'loans-api', namespace: NS } } as unknown as KubeObject);
  store.seed(TEMPLATES, {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AnalysisTemplate',
    metadata: { name: 'rollouts-cv-http', namespace: NS },
    spec: { args: [{ name: 'canary-hash' }, { name: 'stable-hash' }, { name: 'sensitivity', value: 'medium' }, { name: 'service' }], metrics: METRICS },
  });
});
afterAll(() => kube.close());
beforeEach(() => {
  for (const r of store.list(RUNS)) store.delete({ ...RUNS, namespace: NS, name: r.metadata.name });
});

const verify = (extra: Record<string, unknown> = {}) => ({ name: 'verify-10', verify: { rollout: 'loans-api', template: { name: 'rollouts-cv-http' }, args: [{ name: 'service', value: '${{ vars.service }}' }], ...extra } });
const start = (steps: unknown[], rollback: unknown[] = []): PipelineRunStatus =>
  initialStatus({ name: 'p', spec: parsePipelineSpec({ variables: [{ name: 'service', default: 'loans-api' }], stages: [{ name: 'prod-na', steps, rollback }] }) }, { service: 'loans-api' }, T0);
const pass = (status: PipelineRunStatus, at = T0) => advanceRun(status, run, facts, executors, at);
const name = analysisRunName('loans-api', 'uid-1/prod-na/verify-10');
const finish = (phase: string, value: object) =>
  store.modify({ ...RUNS, namespace: NS, name }, (r) => void (r.status = { phase, metricResults: [{ name: 'verify', phase, measurements: [{ value: JSON.stringify(value) }] }] }));

describe('the verify step', () => {
  it('creates one AnalysisRun from the template with the Rollout’s hashes and the step’s args, and succeeds when it does', async () => {
    const first = await pass(start([verify()]));
    expect(first.recheckAfterMs).toBe(10_000);
    const created = store.get({ ...RUNS, namespace: NS, name }) as unknown as { spec: { args: unknown[]; metrics: unknown[] }; metadata: { labels: Record<string, string> } };
    expect(created.spec.args).toEqual([
      { name: 'canary-hash', value: '6bb8c57c5d' },
      { name: 'stable-hash', value: '5444c58bc' },
      { name: 'sensitivity', value: 'medium' },
      { name: 'service', value: 'loans-api' },
    ]);
    expect(created.spec.metrics).toEqual(METRICS);
    expect(created.metadata.labels).toEqual({ 'rollouts-cv.io/pipeline-run': 'release-1', 'rollouts-cv.io/pipeline-step': 'verify-10' });
    // Looked at again (a crash before the status was written): the same AnalysisRun, not a second one.
    await pass(start([verify()]));
    expect(store.list(RUNS)).toHaveLength(1);
    finish('Successful', { verdict: 'Healthy', score: 97, reasons: ['latency-p95: canary 120 ms vs baseline 118 ms'] });
    const { status } = await pass(first.status);
    expect(status.phase).toBe('Succeeded');
    expect(status.stages[0]!.steps[0]!.message).toBe(`AnalysisRun ${NS}/${name} Successful: verify: Healthy; latency-p95: canary 120 ms vs baseline 118 ms`);
    expect(status.stages[0]!.steps[0]!.outputs).toEqual({ analysisRun: name, phase: 'Successful' });
  });

  it('fails as a verification failure when the AnalysisRun fails or is inconclusive, so the verification strategy applies', async () => {
    const first = await pass(start([verify()], [{ name: 'look', wait: { duration: '1s' } }]));
    finish('Failed', { verdict: 'Unhealthy', reasons: ['error-rate: +340%'] });
    const { status } = await pass(first.status);
    expect(status.stages[0]!.steps[0]).toMatchObject({ phase: 'Failed', failure: 'verification', message: `AnalysisRun ${NS}/${name} Failed: verify: Unhealthy; error-rate: +340%` });
    expect(status.stages[0]!.phase).toBe('RollingBack');
  });

  it('reports whatever a metric provider wrote within bounds: odd reasons as text, other providers by their message', async () => {
    const first = await pass(start([verify()]));
    store.modify({ ...RUNS, namespace: NS, name }, (r) => {
      r.status = {
        phase: 'Failed',
        metricResults: [
          { name: 'verify', phase: 'Failed', measurements: [{ value: JSON.stringify({ verdict: 'Unhealthy', reasons: ['r'.repeat(5000), 7, null, { a: 1 }] }) }] },
          { name: 'errors', phase: 'Failed', measurements: [{ value: 'null', message: 'error ratio 0.3 > 0.1' }] },
          { name: 'odd', phase: 'Successful', measurements: [{ value: JSON.stringify({ verdict: 42, reasons: 5 }) }] },
        ],
      };
    });
    const { status } = await pass(first.status);
    expect(status.stages[0]!.steps[0]!.message).toBe(`AnalysisRun ${NS}/${name} Failed: verify: Unhealthy; ${'r'.repeat(999)}…; 7; null | errors: error ratio 0.3 > 0.1`);
  });

  describe('links the report of its most decisive metric', () => {
    const REPORTS = `http://localhost:8082/reports/${NS}/${name}`;
    const measured = (metric: string, phase: string, verdict: string, report?: string) => ({
      name: metric,
      phase,
      measurements: [{ value: JSON.stringify({ verdict, reasons: [] }), ...(report !== undefined && { metadata: { report } }) }],
    });
    /** The outputs of the step once its AnalysisRun ended in `phase` with `metricResults`. */
    async function outputsWhenEnded(phase: string, metricResults: object[]): Promise<Record<string, string> | undefined> {
      const first = await pass(start([verify()]));
      store.modify({ ...RUNS, namespace: NS, name }, (r) => void (r.status = { phase, metricResults }));
      const { status } = await pass(first.status);
      return status.stages[0]!.steps[0]!.outputs;
    }

    it('the first failing metric, in the run\'s order, whatever came before it', async () => {
      const outputs = await outputsWhenEnded('Failed', [
        measured('latency', 'Successful', 'Healthy', `${REPORTS}/latency`),
        { name: 'errors-prometheus', phase: 'Failed', measurements: [{ value: '0.3', message: 'error ratio 0.3 > 0.1' }] },
        measured('errors', 'Failed', 'Unhealthy', `${REPORTS}/errors`),
        measured('saturation', 'Failed', 'Unhealthy', `${REPORTS}/saturation`),
      ]);
      expect(outputs).toEqual({ analysisRun: name, phase: 'Failed', report: `${REPORTS}/errors` });
    });

    it('else the first metric with a link, skipping other providers', async () => {
      const outputs = await outputsWhenEnded('Successful', [
        { name: 'web', phase: 'Successful', measurements: [{ value: '1' }] },
        measured('latency', 'Successful', 'Healthy', `${REPORTS}/latency`),
        measured('errors', 'Successful', 'Healthy', `${REPORTS}/errors`),
      ]);
      expect(outputs).toEqual({ analysisRun: name, phase: 'Successful', report: `${REPORTS}/latency` });
    });

    it('only a link people may be sent to: a forged failing metric\'s link gives way to the next valid one', async () => {
      const outputs = await outputsWhenEnded('Failed', [
        measured('a', 'Failed', 'Unhealthy', 'http://admin:secret@evil.example/reports/x/y/z'),
        measured('b', 'Failed', 'Unhealthy', 'javascript:alert(1)//'),
        measured('c', 'Failed', 'Unhealthy', `http://localhost:8082/reports/${'x'.repeat(2048)}`),
        measured('d', 'Successful', 'Healthy', `${REPORTS}/d`),
      ]);
      expect(outputs?.report).toBe(`${REPORTS}/d`);
    });

    it.each([
      ['no measurement links one', undefined],
      ['no link is a URL', 'reports/loans/x/verify'],
      ['every link carries credentials', 'https://user:pw@localhost:8082/reports/loans/x/verify'],
      ['the link is not a string', 42],
    ])('none when %s: the output is absent', async (_what, report) => {
      const metric = { name: 'verify', phase: 'Failed', measurements: [{ value: JSON.stringify({ verdict: 'Unhealthy', reasons: [] }), ...(report !== undefined && { metadata: { report } }) }] };
      expect(await outputsWhenEnded('Failed', [metric])).toEqual({ analysisRun: name, phase: 'Failed' });
    });

    it('only once the AnalysisRun ended', async () => {
      const first = await pass(start([verify()]));
      store.modify({ ...RUNS, namespace: NS, name }, (r) => void (r.status = { phase: 'Running', metricResults: [measured('verify', 'Running', 'Healthy', `${REPORTS}/verify`)] }));
      const { status } = await pass(first.status);
      expect(status.stages[0]!.steps[0]).toMatchObject({ phase: 'Running' });
      expect(status.stages[0]!.steps[0]!.outputs).toBeUndefined();
    });
  });

  it('says what is missing: the template, a value for an arg, a canary', async () => {
    const missing = await pass(start([verify({ template: { name: 'nope' } })]));
    expect(missing.status.message).toBe(`stage prod-na: step verify-10 failed (an error): AnalysisTemplate ${NS}/nope does not exist`);
    const noArg = await pass(start([verify({ args: [] })]));
    expect(noArg.status.message).toBe('stage prod-na: step verify-10 failed (an error): the template\'s arg "service" has no value: give it in the step\'s args');
    store.modify({ ...ROLLOUTS, namespace: NS, name: 'loans-api' }, (r) => void ((r.status as { stableRS: string }).stableRS = '6bb8c57c5d'));
    const noCanary = await pass(start([verify()]));
    expect(noCanary.status.message).toContain('has no canary to verify (canary 6bb8c57c5d, stable 6bb8c57c5d)');
    store.modify({ ...ROLLOUTS, namespace: NS, name: 'loans-api' }, (r) => void ((r.status as { stableRS: string }).stableRS = '5444c58bc'));
    expect(store.list(RUNS)).toHaveLength(0);
  });

  it('gives up after its timeout when the AnalysisRun does not end', async () => {
    const first = await pass(start([verify({ timeout: '10m' })]));
    const late = await pass(first.status, new Date(T0.getTime() + 600_000));
    expect(late.status.message).toBe(`stage prod-na: step verify-10 failed (an error): AnalysisRun ${NS}/${name} has not ended after 10m (not started by the Argo Rollouts controller)`);
  });

  it('names its AnalysisRun after the step key, within 63 characters', () => {
    expect(analysisRunName('loans-api', 'k')).toMatch(/^loans-api-verify-[0-9a-f]{12}$/);
    expect(analysisRunName('a'.repeat(80), 'k').length).toBeLessThanOrEqual(63);
  });
});
