import { CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeKubeApi, type FakeKubeApi } from '../../test/helpers/fake-kube-api.js';
import { objectStore, type KubeObject } from '../../test/helpers/fake-kube-store.js';
import { createLogger } from '../log.js';
import type { Executors } from './advance.js';
import { CANCEL_ANNOTATION, type ControllerDeps, type PipelineRun, reconcileRun, RunScheduler } from './controller.js';
import { waitStep } from './steps/wait.js';

const NS = 'releases';
const T0 = new Date('2026-12-05T10:00:00Z');
const PIPELINES = { group: 'rollouts-cv.io', plural: 'pipelines' };
const RUNS = { group: 'rollouts-cv.io', plural: 'pipelineruns' };

let kube: FakeKubeApi;
let store: ReturnType<typeof objectStore>;
let now = T0;
let effects: string[];
const log = createLogger({ level: 'silent' });

const executors: Executors = {
  wait: waitStep,
  verify: async (step, _record, { key }) => {
    effects.push(key);
    return { phase: 'Succeeded', message: `${step.name}: Healthy` };
  },
};
const deps = (): ControllerDeps => ({ objects: kube.kubeConfig().makeApiClient(CustomObjectsApi), executors, log, now: () => now });

const pipeline = (name: string, spec: unknown): KubeObject => ({ apiVersion: 'rollouts-cv.io/v1alpha1', kind: 'Pipeline', metadata: { name, namespace: NS }, spec });
const pipelineRun = (name: string, pipelineName: string, variables: Record<string, string> = { image: 'app:2' }): KubeObject => ({
  apiVersion: 'rollouts-cv.io/v1alpha1',
  kind: 'PipelineRun',
  metadata: { name, namespace: NS },
  spec: { pipelineRef: { name: pipelineName }, variables, triggeredBy: { kind: 'slack', id: 'U012ABCDEF' } },
});
const read = (name: string) => store.get({ ...RUNS, namespace: NS, name }) as unknown as PipelineRun & { status: Record<string, unknown> };

beforeAll(async () => {
  store = objectStore();
  kube = await startFakeKubeApi(store.respond);
});
afterAll(() => kube.close());
beforeEach(() => {
  now = T0;
  effects = [];
  for (const r of store.list(RUNS)) store.delete({ ...RUNS, namespace: NS, name: r.metadata.name });
  for (const p of store.list(PIPELINES)) store.delete({ ...PIPELINES, namespace: NS, name: p.metadata.name });
  store.seed(PIPELINES, pipeline('release', {
    variables: [{ name: 'image', required: true }],
    stages: [
      { name: 'dev', steps: [{ name: 'verify', verify: { rollout: 'app', template: { name: 't' } } }, { name: 'look', wait: { duration: '1m' } }] },
      { name: 'prod', steps: [{ name: 'verify', verify: { rollout: 'app', template: { name: 't' } } }] },
    ],
  }));
});

describe('reconcileRun', () => {
  it('starts a run with the Pipeline as it is now, then advances it pass by pass to its end', async () => {
    store.seed(RUNS, pipelineRun('r1', 'release'));
    expect(await reconcileRun(deps(), read('r1'))).toEqual({ recheckAfterMs: 0, wrote: true });
    expect(read('r1').status).toMatchObject({ phase: 'Running', variables: { image: 'app:2' }, pipeline: { name: 'release' }, startedAt: T0.toISOString() });
    expect(await reconcileRun(deps(), read('r1'))).toEqual({ recheckAfterMs: 60_000, wrote: true });
    expect(read('r1').status).toMatchObject({ currentStage: 'dev' });
    // Editing the Pipeline does not change a run under way.
    store.modify({ ...PIPELINES, namespace: NS, name: 'release' }, (p) => void ((p.spec as { stages: unknown[] }).stages = []));
    now = new Date(T0.getTime() + 60_000);
    expect(await reconcileRun(deps(), read('r1'))).toEqual({ recheckAfterMs: null, wrote: true });
    expect(read('r1').status).toMatchObject({ phase: 'Succeeded', message: 'all 2 stages succeeded' });
    const uid = read('r1').metadata.uid;
    expect(effects).toEqual([`${uid}/dev/verify`, `${uid}/prod/verify`]);
    // An ended run is left alone.
    expect(await reconcileRun(deps(), read('r1'))).toEqual({ recheckAfterMs: null, wrote: false });
  });

  it('fails a run that cannot start, saying why: no such Pipeline, an invalid one, a missing variable', async () => {
    store.seed(PIPELINES, pipeline('broken', { stages: [{ name: 'dev', steps: [{ name: 'w', wait: { duration: 'soon' } }] }] }));
    store.seed(RUNS, pipelineRun('nope', 'missing'));
    store.seed(RUNS, pipelineRun('broken', 'broken'));
    store.seed(RUNS, pipelineRun('novar', 'release', {}));
    for (const name of ['nope', 'broken', 'novar']) expect(await reconcileRun(deps(), read(name))).toEqual({ recheckAfterMs: null, wrote: true });
    expect(read('nope').status).toMatchObject({ phase: 'Failed', message: 'Pipeline releases/missing does not exist' });
    expect(read('broken').status.message).toBe('cannot start: spec.stages[0].steps[0].wait.duration: expected a duration such as "90s", "1m30s" or "5m"; got "soon"');
    expect(read('novar').status.message).toBe('cannot start: spec.variables.image: is required');
    expect(effects).toEqual([]);
  });

  it('stops a run someone cancelled (while it waits in stage dev), naming them, without running its next step', async () => {
    store.seed(RUNS, pipelineRun('r2', 'release'));
    await reconcileRun(deps(), read('r2'));
    await reconcileRun(deps(), read('r2'));
    effects = [];
    store.modify({ ...RUNS, namespace: NS, name: 'r2' }, (r) => void (r.metadata.annotations = { [CANCEL_ANNOTATION]: 'Slack user U0OTHER' }));
    // Past the wait: without the cancel, prod's verification would run now.
    now = new Date(T0.getTime() + 120_000);
    expect(await reconcileRun(deps(), read('r2'))).toEqual({ recheckAfterMs: null, wrote: true });
    expect(read('r2').status).toMatchObject({ phase: 'Failed', message: 'cancelled by Slack user U0OTHER during stage dev' });
    expect(read('r2').status.currentStage).toBeUndefined();
    expect(effects).toEqual([]);
  });

  it('writes with the resourceVersion it read: a run changed meanwhile is not overwritten', async () => {
    store.seed(RUNS, pipelineRun('r3', 'release'));
    const stale = read('r3');
    store.modify({ ...RUNS, namespace: NS, name: 'r3' }, (r) => void (r.metadata.labels = { touched: 'yes' }));
    await expect(reconcileRun(deps(), stale)).rejects.toMatchObject({ code: 409 });
    expect(read('r3').status).toBeUndefined();
  });
});

describe('RunScheduler', () => {
  it('passes over due runs only, and one run that fails does not stop the others', async () => {
    const seen: string[] = [];
    let fail = true;
    const scheduler = new RunScheduler(deps(), async (_d, run) => {
      seen.push(run.metadata.name);
      if (run.metadata.name === 'bad' && fail) throw Object.assign(new Error('boom'), {});
      return { recheckAfterMs: run.metadata.name === 'waiting' ? 60_000 : null, wrote: false };
    });
    const runs = ['bad', 'waiting', 'done'].map((name) => ({ metadata: { name, namespace: NS, uid: name, resourceVersion: '1' }, spec: {} }));
    expect(await scheduler.pass(runs)).toBe(1000);
    expect(seen).toEqual(['bad', 'waiting', 'done']);
    // Nothing is due yet; then the failed run after its backoff, the waiting one after its wait.
    seen.length = 0;
    expect(await scheduler.pass(runs)).toBe(1000);
    expect(seen).toEqual([]);
    fail = false;
    now = new Date(T0.getTime() + 1000);
    await scheduler.pass(runs);
    expect(seen).toEqual(['bad']);
    now = new Date(T0.getTime() + 60_000);
    await scheduler.pass(runs);
    expect(seen).toEqual(['bad', 'waiting']);
    // A change (a new resourceVersion) makes a run due at once, even one that has ended.
    await scheduler.pass([{ ...runs[2]!, metadata: { ...runs[2]!.metadata, resourceVersion: '2' } }]);
    expect(seen).toEqual(['bad', 'waiting', 'done']);
  });

  it('after writing a run, waits for the cache to show the write instead of working from the replaced copy', async () => {
    const seen: string[] = [];
    const scheduler = new RunScheduler(deps(), async (_d, run) => {
      seen.push(run.metadata.resourceVersion!);
      return { recheckAfterMs: 0, wrote: true };
    });
    const at = (version: string) => [{ metadata: { name: 'r', namespace: NS, uid: 'r', resourceVersion: version }, spec: {} }];
    await scheduler.pass(at('1'));
    expect(await scheduler.pass(at('1'))).toBe(30_000);
    await scheduler.pass(at('2'));
    expect(seen).toEqual(['1', '2']);
  });
});

describe('status writes', () => {
  it('go to the status subresource', async () => {
    store.seed(RUNS, pipelineRun('r4', 'release'));
    kube.requests.length = 0;
    await reconcileRun(deps(), read('r4'));
    expect(kube.requests.filter((r) => r.method === 'PUT').map((r) => r.path)).toEqual(['/apis/rollouts-cv.io/v1alpha1/namespaces/releases/pipelineruns/r4/status']);
  });
});
