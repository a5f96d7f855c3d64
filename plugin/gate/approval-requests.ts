// What the gate kinds that ask people share: the Rollout fields a request names and the ApprovalRequestStore. The
// waiting itself (polling, expiry, withdrawing) is shared with the pipelines controller: shared/approvals/waiting.ts.
import { type Deployer, deployerFields, deployerOf } from '../../shared/approvals/deployer.js';
import { type ApprovalRequestSpec, DEPLOYED_BY_ANNOTATION, type RolloutTarget } from '../../shared/approvals/request.js';
import type { ApprovalRequestStore } from '../../shared/approvals/store.js';
import { REVISION_ANNOTATION } from '../../shared/kube/rollout-types.js';
import { isRecord, stringAt } from '../../shared/kube/json.js';
import type { EngineContext } from '../verify/context.js';
import { StepRpcError } from '../verify/types.js';

export interface RolloutRef {
  namespace: string;
  name: string;
  uid: string;
  podTemplateHash: string;
  revision: string;
  stepIndex: number;
  deployer: Deployer;
}

export function rolloutRef(rollout: unknown): RolloutRef {
  const status = isRecord(rollout) && isRecord(rollout.status) ? rollout.status : {};
  const annotations = isRecord(rollout) && isRecord(rollout.metadata) && isRecord(rollout.metadata.annotations) ? rollout.metadata.annotations : {};
  const namespace = stringAt(rollout, 'metadata', 'namespace');
  const name = stringAt(rollout, 'metadata', 'name');
  const deployedBy = annotations[DEPLOYED_BY_ANNOTATION];
  const ref = {
    namespace,
    name,
    uid: stringAt(rollout, 'metadata', 'uid'),
    podTemplateHash: stringAt(rollout, 'status', 'currentPodHash'),
    revision: stringAt(rollout, 'metadata', 'annotations', REVISION_ANNOTATION),
    stepIndex: typeof status.currentStepIndex === 'number' ? status.currentStepIndex : 0,
    deployer: deployerOf({ namespace, name, annotation: typeof deployedBy === 'string' ? deployedBy : undefined, template: isRecord(rollout) && isRecord(rollout.spec) ? rollout.spec.template : undefined }),
  };
  const missing = (['namespace', 'name', 'uid', 'podTemplateHash'] as const).filter((key) => !ref[key]);
  if (missing.length) throw new StepRpcError(`the Rollout sent by the controller lacks ${missing.join(', ')}`);
  return ref;
}

/** The parts of a request's spec that say which rollout, step and deploy it is about. */
export function requestTarget(ref: RolloutRef): RolloutTarget & Pick<ApprovalRequestSpec, 'requestedBy' | 'deployerUnknown'> {
  return {
    rollout: { name: ref.name, uid: ref.uid, podTemplateHash: ref.podTemplateHash, ...(ref.revision && { revision: ref.revision }) },
    stepIndex: ref.stepIndex,
    ...deployerFields(ref.deployer),
  };
}

/** `who` names the gates in the error, e.g. "approval gates". */
export function storeOf(ctx: EngineContext, who: string): ApprovalRequestStore {
  if (!ctx.approvals) throw new StepRpcError(`${who} need Kubernetes access and the engine has none (run it with a service account or KUBECONFIG)`);
  return ctx.approvals;
}

/** Kubernetes API failures are not engine bugs: the controller retries an RpcError, and the message says what failed. */
export async function orRpcError<T>(gate: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof StepRpcError) throw error;
    throw new StepRpcError(`${gate}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

