// Which request, if any, a Rollout waits on at its current step, read through the real client from the fake API server.
import { CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeKubeApi, type FakeKubeApi } from '../../test/helpers/fake-kube-api.js';
import { failure, objectStore, type KubeObject } from '../../test/helpers/fake-kube-store.js';
import { rolloutFixture } from '../../test/helpers/leader-harness.js';
import { APPROVAL_REQUESTS, type RequestType, newApprovalRequest } from '../approvals/request.js';
import { ApprovalRequestStore } from '../approvals/store.js';
import { ROLLOUTS, type Rollout } from '../kube/rollout-types.js';
import { pendingApproval } from './pending-approval.js';

const NS = 'shop';
const ref = { namespace: NS, name: 'gated' };

let kube: FakeKubeApi;
const store = objectStore();
let api: CustomObjectsApi;
let rollout: Rollout;

beforeAll(async () => {
  kube = await startFakeKubeApi(store.respond);
  api = kube.kubeConfig().makeApiClient(CustomObjectsApi);
});
afterAll(() => kube.close());
beforeEach(() => {
  store.delete({ ...ROLLOUTS, ...ref });
  for (const r of store.list(APPROVAL_REQUESTS)) store.delete({ ...APPROVAL_REQUESTS, namespace: NS, name: r.metadata.name });
  const fixture = rolloutFixture('canary-paused-step');
  const { resourceVersion: _rv, uid: _uid, ...metadata } = fixture.metadata;
  rollout = store.seed(ROLLOUTS, { ...fixture, metadata: { ...metadata, ...ref } } as unknown as KubeObject) as unknown as Rollout;
});

/** A request of the Rollout's current revision at `stepIndex`, as a gate step creates it (Pending). */
async function request(name: string, stepIndex: number, type: RequestType = 'Approval'): Promise<void> {
  await new ApprovalRequestStore(api).create(
    newApprovalRequest(name, NS, {
      type,
      rollout: { name: ref.name, uid: rollout.metadata.uid!, podTemplateHash: rollout.status!.currentPodHash!, revision: '2' },
      stepIndex,
      policy: { minApprovals: 1, allowSelfApproval: false },
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      onTimeout: 'reject',
    }),
  );
}

describe('pendingApproval', () => {
  it('names the pending Approval request at the current step, and only that', async () => {
    expect(await pendingApproval(api, ref)).toBeUndefined();
    await request('gated-s2', 2);
    await request('gated-s1-intervention', 1, 'Intervention');
    expect(await pendingApproval(api, ref)).toBeUndefined();
    await request('gated-s1', 1);
    expect(await pendingApproval(api, ref)).toEqual({ request: 'gated-s1', step: 1 });
    store.modify({ ...APPROVAL_REQUESTS, namespace: NS, name: 'gated-s1' }, (r) => void ((r.status as { state: string }).state = 'Decided'));
    expect(await pendingApproval(api, ref)).toBeUndefined();
  });

  it('leaves a missing Rollout to the promote, and throws when it cannot tell', async () => {
    expect(await pendingApproval(api, { namespace: NS, name: 'nope' })).toBeUndefined();
    store.once((r) => r.method === 'GET' && r.path.includes('/approvalrequests'), () => failure(403, 'Forbidden', 'approvalrequests.rollouts-cv.io is forbidden'));
    await expect(pendingApproval(api, ref)).rejects.toThrow(/HTTP 403: approvalrequests.rollouts-cv.io is forbidden/);
  });
});
