// Intervention on Inconclusive analyses, one leader pass at a time, against the stateful fake Kubernetes API: where
// the bot asks, and how a decided or expired request is carried out — as whom, once, and until it is.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { API_VERSION, APPROVAL_REQUESTS, type ApprovalRequest, type Decision, pendingStatus, statusOf } from '../../shared/approvals/request.js';
import { ROLLOUTS, type Rollout } from '../../shared/kube/rollout-types.js';
import type { KubeObject } from '../../test/helpers/fake-kube-store.js';
import { type LeaderHarness, seedInconclusive, startLeaderHarness } from '../../test/helpers/leader-harness.js';
import { Backoff } from '../backoff.js';
import { intervene } from './inconclusive.js';

const SHOP = 'shop';
const ELSEWHERE = 'elsewhere';
const ALICE = 'U0ALICE001';

let h: LeaderHarness;
let backoff: Backoff;

beforeAll(async () => {
  h = await startLeaderHarness({
    environments: [{ name: 'production', namespaces: [SHOP], channel: 'C0PROD0001' }],
    roles: [{ name: 'release', users: [ALICE], environments: ['production'], allow: ['approve'] }],
  });
});

afterAll(() => h?.close());

beforeEach(() => {
  backoff = new Backoff();
});

const pass = () => intervene(h.ctx, h.cluster, h.rollouts(), h.requests(), backoff);
const writesTo = (from: number, rollout: Rollout) =>
  h.kube.requests.slice(from).filter((r) => r.method !== 'GET' && r.path.startsWith(`/apis/argoproj.io/v1alpha1/namespaces/${rollout.metadata.namespace}/rollouts/${rollout.metadata.name}`));

/** An intervention request as the bot creates it, already decided (or expired) as given. */
function decidedRequest(rollout: Rollout, status: { state: 'Decided' | 'Expired'; outcome: 'promote' | 'rollback'; decisions?: Decision[] }): ApprovalRequest {
  const spec: ApprovalRequest['spec'] = {
    type: 'Intervention',
    rollout: { name: rollout.metadata.name, uid: rollout.metadata.uid!, podTemplateHash: rollout.status!.currentPodHash! },
    stepIndex: 1,
    policy: { minApprovals: 1, allowSelfApproval: true },
    expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    onTimeout: 'rollback',
    actions: ['promote', 'rollback'],
  };
  const request: ApprovalRequest = {
    apiVersion: API_VERSION,
    kind: 'ApprovalRequest',
    metadata: { name: `${rollout.metadata.name}-6bb8c57c5d-s1-i1`, namespace: rollout.metadata.namespace!, labels: { 'rollouts-cv.io/source': 'inconclusive-analysis' } },
    spec,
    status: { ...pendingStatus(spec), decisions: [], ...status },
  };
  return h.store.seed(APPROVAL_REQUESTS, request as unknown as KubeObject) as unknown as ApprovalRequest;
}

describe('where the bot is responsible', () => {
  it('asks only for rollouts in namespaces an environment lists', async () => {
    seedInconclusive(h.store, SHOP, 'cart');
    seedInconclusive(h.store, ELSEWHERE, 'cart');
    await pass();
    expect(h.requests().map((r) => `${r.metadata.namespace}/${r.spec.rollout.name}`)).toEqual([`${SHOP}/cart`]);
  });

  it('carries out nothing in a namespace no environment lists, even for a request labelled as its own', async () => {
    const rollout = seedInconclusive(h.store, ELSEWHERE, 'forged');
    decidedRequest(rollout, { state: 'Decided', outcome: 'promote', decisions: [{ id: 'click:1', user: ALICE, action: 'promote', at: new Date().toISOString() }] });
    const from = h.kube.requests.length;
    await pass();
    expect(writesTo(from, rollout)).toEqual([]);
    expect(statusOf(h.requests().find((r) => r.metadata.namespace === ELSEWHERE)!).applied).toBeUndefined();
  });
});
