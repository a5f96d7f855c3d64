// Each operation reaches its rollout action and changes the Rollout as it should, with the real client against the
// fake API server and a stand-in for the Argo Rollouts controller; pod templates name their deployer only when told.
import { CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeKubeApi, type FakeKubeApi } from '../../test/helpers/fake-kube-api.js';
import { objectStore, type KubeObject } from '../../test/helpers/fake-kube-store.js';
import { actLikeRolloutsController } from '../../test/helpers/fake-rollouts-controller.js';
import { rolloutFixture } from '../../test/helpers/leader-harness.js';
import { deployerOf } from '../approvals/deployer.js';
import { DEPLOYED_BY_ANNOTATION } from '../approvals/request.js';
import { RolloutActionError } from '../kube/rollout-actions.js';
import { ROLLOUTS, type Rollout } from '../kube/rollout-types.js';
import { type RolloutOperation, applyOperation, describeOperation } from './rollout-operations.js';

const NS = 'shop';
const ref = { namespace: NS, name: 'web' };
const ALICE = 'U0ALICE001';
const REPLICA_SETS = { group: 'apps', plural: 'replicasets' };

let kube: FakeKubeApi;
const store = objectStore();
let api: CustomObjectsApi;
let stopController: () => void;

beforeAll(async () => {
  kube = await startFakeKubeApi(store.respond);
  api = kube.kubeConfig().makeApiClient(CustomObjectsApi);
  stopController = actLikeRolloutsController(store);
});
afterAll(async () => {
  stopController();
  await kube.close();
});
beforeEach(() => {
  store.delete({ ...ROLLOUTS, ...ref });
  for (const rs of store.list(REPLICA_SETS)) store.delete({ ...REPLICA_SETS, namespace: NS, name: rs.metadata.name });
  const rollout = rolloutFixture('canary-paused-step');
  const { resourceVersion: _rv, uid: _uid, ...metadata } = rollout.metadata;
  store.seed(ROLLOUTS, { ...rollout, metadata: { ...metadata, ...ref } } as unknown as KubeObject);
});

const rolloutNow = () => store.get({ ...ROLLOUTS, ...ref }) as unknown as Rollout;
const imageNow = () => rolloutNow().spec.template?.spec?.containers?.[0]?.image;
const deployerNow = () => deployerOf({ ...ref, annotation: rolloutNow().metadata.annotations?.[DEPLOYED_BY_ANNOTATION], template: rolloutNow().spec.template });

/** The previous revision's ReplicaSet, for undo. */
function seedRevision1(): void {
  const hash = '5444c58bc';
  store.seed(REPLICA_SETS, {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `web-${hash}`,
      namespace: NS,
      labels: { app: 'web', 'rollouts-pod-template-hash': hash },
      annotations: { 'rollout.argoproj.io/revision': '1' },
      ownerReferences: [{ uid: rolloutNow().metadata.uid!, controller: true, kind: 'Rollout', name: 'web' }],
    },
    spec: { template: { metadata: { labels: { app: 'web', 'rollouts-pod-template-hash': hash } }, spec: { containers: [{ name: 'app', image: 'registry.invalid/e2e/app:1' }] } } },
  });
}

describe('describeOperation', () => {
  it.each<[RolloutOperation, string]>([
    [{ name: 'promote' }, 'promote rollout shop/web'],
    [{ name: 'promote', full: true }, 'fully promote rollout shop/web'],
    [{ name: 'restart' }, 'restart rollout shop/web'],
    [{ name: 'undo' }, 'roll back rollout shop/web to the previous revision'],
    [{ name: 'undo', toRevision: 3 }, 'roll back rollout shop/web to revision 3'],
    [{ name: 'deploy', images: ['app=web:2', 'side=proxy:1'] }, 'deploy app=web:2, side=proxy:1 to rollout shop/web'],
  ])('%j reads "%s"', (operation, text) => {
    expect(describeOperation(operation, ref)).toBe(text);
  });
});

describe('applyOperation', () => {
  it('sends each operation as its rollout action', async () => {
    expect(await applyOperation(api, ref, { name: 'pause' })).toBe("rollout 'shop/web' paused at step 1/3");
    expect(rolloutNow().spec.paused).toBe(true);
    await applyOperation(api, ref, { name: 'resume' });
    expect(rolloutNow().spec.paused).toBe(false);
    await applyOperation(api, ref, { name: 'restart' });
    expect(rolloutNow().spec.restartAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(await applyOperation(api, ref, { name: 'promote' })).toMatch(/^rollout 'shop\/web' promoted/);
    expect(rolloutNow().status!.currentStepIndex).toBe(2);
    await applyOperation(api, ref, { name: 'abort' });
    expect(rolloutNow().status!.abort).toBe(true);
    await applyOperation(api, ref, { name: 'retry' });
    expect(rolloutNow().status!.abort).toBe(false);
  });

  it('promotes fully when told', async () => {
    await applyOperation(api, ref, { name: 'promote', full: true });
    expect(rolloutNow().status!.currentStepIndex).toBe(3);
  });

  it('names the deployer with the pod template it writes, in deploy and undo, and only when given one', async () => {
    await applyOperation(api, ref, { name: 'deploy', images: ['app=registry.invalid/e2e/app:3'] });
    expect(imageNow()).toBe('registry.invalid/e2e/app:3');
    expect(rolloutNow().metadata.annotations?.[DEPLOYED_BY_ANNOTATION]).toBeUndefined();

    await applyOperation(api, ref, { name: 'deploy', images: ['app=registry.invalid/e2e/app:4'] }, { deployer: ALICE });
    expect(deployerNow()).toEqual({ user: ALICE });

    seedRevision1();
    expect(await applyOperation(api, ref, { name: 'undo', toRevision: 1 }, { deployer: 'U0BOB00001' })).toMatch(/rolled back to revision 1/);
    expect(imageNow()).toBe('registry.invalid/e2e/app:1');
    expect(deployerNow()).toEqual({ user: 'U0BOB00001' });
  });

  it('refuses an operation it does not know, naming the field, and writes nothing', async () => {
    const from = kube.requests.length;
    const unknown = { name: 'delete' } as unknown as RolloutOperation;
    await expect(applyOperation(api, ref, unknown)).rejects.toThrow(
      new RolloutActionError('Invalid', 'operation.name: got "delete"; expected one of promote, abort, retry, pause, resume, restart, undo, deploy'),
    );
    expect(kube.requests.slice(from)).toEqual([]);
  });
});
