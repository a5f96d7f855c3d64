// Whether a Rollout waits at an approval gate. Promoting it would skip the gate and leave the gate's request
// pending with live buttons, so people decide the request instead: whoever promotes asks this first.
import type { CustomObjectsApi } from '@kubernetes/client-node';
import { requestSelector, statusOf } from '../approvals/request.js';
import { ApprovalRequestStore } from '../approvals/store.js';
import { isApiStatus } from '../kube/api-errors.js';
import type { RolloutRef } from '../kube/rollout-actions.js';
import { ROLLOUTS, type Rollout } from '../kube/rollout-types.js';

/**
 * The pending Approval request the Rollout waits on at its current step, if any. Throws when that cannot be told
 * (a read fails), so that no promote goes ahead unchecked.
 */
export async function pendingApproval(api: CustomObjectsApi, ref: RolloutRef): Promise<{ request: string; step: number } | undefined> {
  let rollout: Rollout;
  try {
    rollout = (await api.getNamespacedCustomObject({ ...ROLLOUTS, ...ref })) as Rollout;
  } catch (error) {
    // no such Rollout: the promote itself says so
    if (isApiStatus(error, 404)) return undefined;
    throw error;
  }
  const { uid } = rollout.metadata;
  const podTemplateHash = rollout.status?.currentPodHash;
  const stepIndex = rollout.status?.currentStepIndex ?? 0;
  if (!uid || !podTemplateHash) return undefined;
  const requests = await new ApprovalRequestStore(api).list(ref.namespace, requestSelector({ uid, podTemplateHash, stepIndex }));
  const pending = requests.find((request) => request.spec.type === 'Approval' && statusOf(request).state === 'Pending');
  return pending && { request: pending.metadata.name, step: stepIndex };
}
