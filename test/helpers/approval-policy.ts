// A bot configuration with a protected environment, one with a floor of approvals and one without either, and
// ApprovalRequests as a gate would create them there: the fixtures of the tests of the approval policy.
import { API_VERSION, type ApprovalRequest, isRolloutRequest, type RolloutApprovalRequest, type RolloutRequestSpec } from '../../shared/approvals/request.js';
import type { KubeObject } from './fake-kube-store.js';

export const PROD = 'shop';
export const STAGING = 'staging';
export const LAB = 'lab';
export const ALICE = 'U0ALICE001';
export const BOB = 'U0BOB00001';
export const CAROL = 'U0CAROL001';
export const LARA = 'U0LARA0001';
export const EVE = 'U0EVE00001';

export const CONFIG = {
  clusters: [{ name: 'test' }],
  environments: [
    { name: 'production', namespaces: [PROD], protected: true },
    { name: 'staging', namespaces: [STAGING], approvals: { minApprovals: 2 } },
    { name: 'lab', namespaces: [LAB] },
  ],
  roles: [
    { name: 'release', users: [ALICE, BOB, CAROL], environments: ['production', 'staging'], allow: ['view', 'approve'] },
    { name: 'lab', users: [LARA], environments: ['lab'], allow: ['view', 'approve'] },
  ],
};

export function approvalRequest(name: string, namespace: string, spec: Partial<RolloutRequestSpec> = {}): RolloutApprovalRequest {
  return {
    apiVersion: API_VERSION,
    kind: 'ApprovalRequest',
    metadata: { name, namespace },
    spec: {
      type: 'Approval',
      rollout: { name: 'web', uid: 'web-uid', revision: '2', podTemplateHash: 'abc123' },
      stepIndex: 1,
      requestedBy: BOB,
      policy: { minApprovals: 1, allowSelfApproval: false },
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      onTimeout: 'reject',
      ...spec,
    },
  };
}


/** The Rollout a request is about, waiting at the request's step of its revision (no revision annotation, so no thread). */
export function rolloutAt(request: ApprovalRequest): KubeObject {
  if (!isRolloutRequest(request)) throw new Error(`${request.metadata.name} is not a rollout's request`);
  const { name, uid, podTemplateHash } = request.spec.rollout;
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name, namespace: request.metadata.namespace, uid },
    spec: { strategy: { canary: { steps: [] } } },
    status: { currentPodHash: podTemplateHash, currentStepIndex: request.spec.stepIndex },
  };
}
