// What the gate kinds that ask people share: the Rollout fields a request names, the ApprovalRequestStore, and the
// reading (with expiry) and withdrawing of a request. The request's outcome means different things to each kind,
// so mapping it to a step result stays with the kind.
import { z } from 'zod';
import { type Deployer, deployerFields, deployerOf } from '../../shared/approvals/deployer.js';
import { type ApprovalRequest, type ApprovalRequestSpec, DEPLOYED_BY_ANNOTATION, cancel, engineTimeout, expire } from '../../shared/approvals/request.js';
import type { ApprovalRequestStore } from '../../shared/approvals/store.js';
import { REVISION_ANNOTATION } from '../../shared/kube/rollout-types.js';
import type { Logger } from '../../shared/log.js';
import { slackGroupId, slackUserId } from '../../shared/slack-ids.js';
import { isRecord, stringAt } from '../../shared/kube/json.js';
import type { EngineContext } from '../verify/metric.js';
import { StepRpcError } from '../verify/types.js';

// How often a waiting step looks at its request. Argo Rollouts requeues a Running step after at least 10 s.
const POLL_MS = 15_000;

/** Narrows who may decide: a decider must be named here (user or group) and hold `approve` in the bot's roles. */
export const approversSchema = z.strictObject({ users: z.array(slackUserId).max(100).optional(), groups: z.array(slackGroupId).max(50).optional() });

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
export function requestTarget(ref: RolloutRef): Pick<ApprovalRequestSpec, 'rollout' | 'stepIndex' | 'requestedBy' | 'deployerUnknown'> {
  return {
    rollout: { name: ref.name, uid: ref.uid, podTemplateHash: ref.podTemplateHash, ...(ref.revision && { revision: ref.revision }) },
    stepIndex: ref.stepIndex,
    ...deployerFields(ref.deployer),
  };
}

/** "; deployer unknown: <why>" for a step message, when the request names no deployer. */
export function deployerNote(request: ApprovalRequest): string {
  return request.spec.deployerUnknown ? `; deployer unknown: ${request.spec.deployerUnknown}` : '';
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

/** When a step waiting on `request` should look again: every POLL_MS, and just after it expires. */
export function pollAfterMs(request: ApprovalRequest, now: Date): number {
  const untilExpiry = Date.parse(request.spec.expiresAt) - now.getTime();
  return untilExpiry < 0 ? POLL_MS : Math.max(1000, Math.min(POLL_MS, untilExpiry + 1000));
}

/**
 * What happens when nobody decides a pending request, for the step message: "reject at <time> if nobody decides".
 * A go-ahead on timeout is the bot's to apply (engineTimeout), which a request past its expiry is waiting for.
 */
export function timeoutText(request: ApprovalRequest, now: Date): string {
  const { onTimeout, expiresAt } = request.spec;
  if (engineTimeout(request.spec)) return `${onTimeout} at ${expiresAt} if nobody decides`;
  if (now.getTime() < Date.parse(expiresAt)) return `${onTimeout} at ${expiresAt} if nobody decides (applied by the Slack bot, under the policy of the environment)`;
  return `expired at ${expiresAt}: waiting for the Slack bot to apply the default on timeout (${onTimeout}) under the policy of the environment; without a running bot this request waits`;
}

/**
 * The request as it stands, with its timeout outcome applied first if its time is up and the outcome stops the
 * rollout (a go-ahead is left to the bot); undefined when it was deleted. A decision written a moment before the
 * expiry wins over it, as it holds the newer version.
 */
export async function readRequest(store: ApprovalRequestStore, namespace: string, name: string, now: Date, log: Logger): Promise<ApprovalRequest | undefined> {
  const update = await store.updateStatus(namespace, name, (current) => ({ status: expire(current, now, engineTimeout(current.spec)), result: undefined }));
  if (update?.changed) log.info({ request: name, outcome: update.request.spec.onTimeout }, 'approval request expired');
  return update?.request;
}

/** Withdraws a pending request (nobody should decide a question no longer asked); says what happened. */
export async function withdrawRequest(store: ApprovalRequestStore, namespace: string, name: string, reason: string, now: Date): Promise<string> {
  const update = await store.updateStatus(namespace, name, (current) => ({ status: cancel(current, reason, now), result: undefined }));
  return update?.changed ? `ApprovalRequest ${name} cancelled: ${reason}` : `ApprovalRequest ${name} had already ended`;
}
