import { CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeKubeApi, type FakeKubeApi } from '../../../test/helpers/fake-kube-api.js';
import { objectStore } from '../../../test/helpers/fake-kube-store.js';
import { PIPELINE_NAMESPACES_ANNOTATION, targetGuard } from '../targets.js';
import { advanceRun, type Executors } from '../advance.js';
import { parsePipelineSpec } from '../spec.js';
import { initialStatus, type PipelineRunStatus } from '../status.js';
import { syncStep } from './sync.js';

const T0 = new Date('2026-12-05T10:00:00Z');
const run = { namespace: 'releases', name: 'release-1', uid: 'uid-1' };
const facts = { triggeredBy: 'Kubernetes user ana', url: '' };
const APPS = { group: 'argoproj.io', plural: 'applications' };
const APP = { ...APPS, namespace: 'argocd', name: 'prod-na-loans-api' };
const KEY = 'uid-1/prod-na/sync';

let kube: FakeKubeApi;
const store = objectStore();
let executors: Executors;

beforeAll(async () => {
  kube = await startFakeKubeApi(store.respond);
  executors = { sync: syncStep(kube.kubeConfig().makeApiClient(CustomObjectsApi), targetGuard(async (name) => (name === 'argocd' ? { [PIPELINE_NAMESPACES_ANNOTATION]: 'releases' } : null))) };
});
afterAll(() => kube.close());
beforeEach(() => {
  store.delete(APP);
  store.seed(APPS, { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: APP.name, namespace: APP.namespace }, spec: { source: { repoURL: 'https://git.example/r.git', path: 'apps/loans-api/prod-na' } }, status: { sync: { status: 'OutOfSync' }, health: { status: 'Healthy' } } });
  kube.requests.length = 0;
});

const start = (extra: Record<string, unknown> = {}): PipelineRunStatus =>
  initialStatus({ name: 'p', spec: parsePipelineSpec({ stages: [{ name: 'prod-na', steps: [{ name: 'sync', sync: { application: APP.name, health: ['Suspended', 'Healthy'], ...extra } }] }] }) }, {}, T0);
const pass = (status: PipelineRunStatus, at = T0) => advanceRun(status, run, facts, executors, at);
/** What Argo CD does with the operation: takes it, then records how it ended. */
const argoCd = (phase: string, sync: string, health: string, message?: string) =>
  store.modify(APP, (app) => {
    const operation = (app as { operation?: unknown }).operation ?? { info: [{ name: 'rollouts-cv-step', value: KEY }] };
    delete (app as { operation?: unknown }).operation;
    app.status = { sync: { status: sync, revision: 'abc123' }, health: { status: health }, operationState: { phase, operation, ...(message && { message }), syncResult: { revision: 'abc123' } } };
  });

describe('the sync step', () => {
  it('asks Argo CD for one sync tagged with the step key, and succeeds once synced and Suspended', async () => {
    const first = await pass(start());
    expect(first.status.stages[0]!.steps[0]!.message).toBe('asked Argo CD application argocd/prod-na-loans-api to sync');
    expect((store.get(APP) as { operation?: unknown }).operation).toEqual({
      initiatedBy: { username: 'rollouts-cv pipeline run releases/release-1', automated: false },
      info: [{ name: 'rollouts-cv-step', value: KEY }],
      sync: { prune: false },
    });
    // Looked at again before Argo CD took it (a crash before the status was written): no second request.
    await pass(start());
    expect(kube.requests.filter((r) => r.method === 'PATCH')).toHaveLength(1);
    argoCd('Running', 'OutOfSync', 'Progressing');
    expect((await pass(first.status)).status.stages[0]!.steps[0]!.message).toBe('Argo CD application argocd/prod-na-loans-api: operation Running, OutOfSync, Progressing; waiting for Synced and Suspended or Healthy');
    argoCd('Succeeded', 'Synced', 'Suspended');
    const { status } = await pass(first.status);
    expect(status.phase).toBe('Succeeded');
    expect(status.stages[0]!.steps[0]).toMatchObject({ message: 'Argo CD application argocd/prod-na-loans-api: operation Succeeded, Synced, Suspended', outputs: { revision: 'abc123' } });
  });

  it('fails with Argo CD’s message when the sync fails, and after its timeout when health never comes', async () => {
    const first = await pass(start());
    argoCd('Failed', 'OutOfSync', 'Healthy', 'one or more objects failed to apply: Rollout.argoproj.io "loans-api" is invalid');
    expect((await pass(first.status)).status.message).toBe(
      'stage prod-na: step sync failed (an error): Argo CD application argocd/prod-na-loans-api: operation Failed, OutOfSync, Healthy: one or more objects failed to apply: Rollout.argoproj.io "loans-api" is invalid',
    );
    argoCd('Succeeded', 'Synced', 'Degraded');
    const late = await pass(first.status, new Date(T0.getTime() + 600_000));
    expect(late.status.message).toBe('stage prod-na: step sync failed (an error): Argo CD application argocd/prod-na-loans-api: operation Succeeded, Synced, Degraded: not synced and Suspended or Healthy after 10m');
  });

  it('waits while another operation is pending, and says when the application does not exist', async () => {
    store.modify(APP, (app) => void ((app as { operation?: unknown }).operation = { sync: {}, initiatedBy: { username: 'someone' } }));
    expect((await pass(start())).status.stages[0]!.steps[0]!.message).toBe('Argo CD application argocd/prod-na-loans-api has another operation pending; waiting to ask for a sync');
    expect(kube.requests.filter((r) => r.method === 'PATCH')).toHaveLength(0);
    const missing = await pass(start({ application: 'nope' }));
    expect(missing.status.message).toBe('stage prod-na: step sync failed (an error): Argo CD application argocd/nope does not exist');
  });
});
