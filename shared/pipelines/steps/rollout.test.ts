import { CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeKubeApi, type FakeKubeApi } from '../../../test/helpers/fake-kube-api.js';
import { objectStore, type KubeObject } from '../../../test/helpers/fake-kube-store.js';
import { actLikeRolloutsController } from '../../../test/helpers/fake-rollouts-controller.js';
import { rolloutFixture } from '../../../test/helpers/leader-harness.js';
import { ROLLOUTS, type Rollout } from '../../kube/rollout-types.js';
import { PIPELINE_NAMESPACES_ANNOTATION, targetGuard } from '../targets.js';
import { advanceRun, type Executors } from '../advance.js';
import { parsePipelineSpec } from '../spec.js';
import { initialStatus, type PipelineRunStatus } from '../status.js';
import { rolloutStep } from './rollout.js';

const NS = 'loans';
const T0 = new Date('2026-12-05T10:00:00Z');
const run = { namespace: 'releases', name: 'release-1', uid: 'uid-1' };
const facts = { triggeredBy: 'Kubernetes user ana', url: '' };

let kube: FakeKubeApi;
const store = objectStore();
let executors: Executors;
let stopController: () => void;

beforeAll(async () => {
  kube = await startFakeKubeApi(store.respond);
  stopController = actLikeRolloutsController(store);
  executors = { rollout: rolloutStep(kube.kubeConfig().makeApiClient(CustomObjectsApi), targetGuard(async (name) => (name === 'loans' ? { [PIPELINE_NAMESPACES_ANNOTATION]: 'releases' } : null))) };
});
afterAll(async () => {
  stopController();
  await kube.close();
});
beforeEach(() => {
  store.delete({ ...ROLLOUTS, namespace: NS, name: 'loans-api' });
  const rollout = rolloutFixture('canary-paused-step');
  const { resourceVersion: _rv, uid: _uid, ...metadata } = rollout.metadata;
  store.seed(ROLLOUTS, { ...rollout, metadata: { ...metadata, name: 'loans-api', namespace: NS } } as unknown as KubeObject);
});

const rolloutNow = () => store.get({ ...ROLLOUTS, namespace: NS, name: 'loans-api' }) as unknown as Rollout;
const start = (steps: unknown[]): PipelineRunStatus => initialStatus({ name: 'p', spec: parsePipelineSpec({ stages: [{ name: 'prod-na', steps }] }) }, {}, T0);
const pass = (status: PipelineRunStatus, at = T0) => advanceRun(status, run, facts, executors, at);

describe('the rollout step', () => {
  it('waits for a state it is in already, and says where the Rollout stands', async () => {
    const { status } = await pass(start([{ name: 'at-pause', rollout: { name: 'loans-api', namespace: NS, waitFor: { phase: 'Paused', pausedReason: 'CanaryPauseStep', stepIndex: 1 } } }]));
    expect(status.phase).toBe('Succeeded');
    expect(status.stages[0]!.steps[0]!.message).toBe('rollout loans/loans-api is PAUSED (CanaryPauseStep); weight 50 of 100');
  });

  it('promotes once: it records where the Rollout stands first, and a repeated look does not promote a second step', async () => {
    const steps = [{ name: 'promote', rollout: { name: 'loans-api', namespace: NS, action: 'promote', waitFor: { stepIndex: 2 } } }];
    // First pass: only the record of where the Rollout stands (written before anything is done).
    const first = await pass(start(steps));
    expect(first.recheckAfterMs).toBe(0);
    expect(first.status.stages[0]!.steps[0]).toMatchObject({ phase: 'Running', message: 'about to promote rollout loans/loans-api' });
    expect(rolloutNow().status!.currentStepIndex).toBe(1);
    // Second pass: the promote, then the wait holds.
    const second = await pass(first.status);
    expect(second.status.phase).toBe('Succeeded');
    expect(rolloutNow().status!.currentStepIndex).toBe(2);
    expect(second.status.stages[0]!.steps[0]!.message).toMatch(/^rollout 'loans\/loans-api' promoted.*; rollout loans\/loans-api is PAUSED/);
    // The second pass again (its status never written: a crash): the Rollout moved on, so no second promote.
    const again = await pass(first.status);
    expect(rolloutNow().status!.currentStepIndex).toBe(2);
    expect(again.status.stages[0]!.steps[0]!.message).toMatch(/^rollout loans\/loans-api had already moved on from where this step found it; /);
  });

  it('fails after its timeout with what did not hold, and when the Rollout does not exist', async () => {
    const waiting = [{ name: 'at-25', rollout: { name: 'loans-api', namespace: NS, waitFor: { weight: 25 }, timeout: '1m' } }];
    const first = await pass(start(waiting));
    expect(first.recheckAfterMs).toBe(5000);
    expect(first.status.stages[0]!.steps[0]!.message).toBe('rollout loans/loans-api is PAUSED (CanaryPauseStep); weight 50 of 100; waiting for weight 25 (is 50)');
    const late = await pass(first.status, new Date(T0.getTime() + 60_000));
    expect(late.status.message).toBe('stage prod-na: step at-25 failed (an error): rollout loans/loans-api is PAUSED (CanaryPauseStep); weight 50 of 100: still not weight 25 (is 50) after 1m');
    const missing = await pass(start([{ name: 'x', rollout: { name: 'nope', namespace: NS, action: 'abort' } }]));
    expect(missing.status.message).toBe('stage prod-na: step x failed (an error): rollout loans/nope does not exist');
  });

  it('acts only where the Rollout’s namespace lets runs of the run’s namespace act', async () => {
    const steps = [{ name: 'abort', rollout: { name: 'loans-api', namespace: NS, action: 'abort' } }];
    const { status } = await advanceRun(start(steps), { ...run, namespace: 'team-b' }, facts, executors, T0);
    expect(status.message).toMatch(/^stage prod-na: step abort failed \(an error\): rollout loans\/loans-api is in namespace loans, which does not let pipeline runs of namespace team-b act there/);
    expect(rolloutNow().status!.abort).toBeFalsy();
  });

  it('aborts at once, whatever the Rollout did meanwhile: a rollback never skips its abort', async () => {
    const steps = [{ name: 'abort', rollout: { name: 'loans-api', namespace: NS, action: 'abort' } }];
    const { status } = await pass(start(steps));
    expect(status.phase).toBe('Succeeded');
    expect(rolloutNow().status!.abort).toBe(true);
  });
});
