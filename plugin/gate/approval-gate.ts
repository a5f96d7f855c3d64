// The `approval` kind of the rollouts-cv/gate step: the step waits for people. It creates an ApprovalRequest in
// the Rollout's namespace, the Slack bot records decisions in its status, and each later step call reads the
// outcome. The step status holds only the request's name, so any engine replica can answer any call.
import { z } from 'zod';
import {
  DEPLOYED_BY_ANNOTATION,
  LABELS,
  type ApprovalRequest,
  cancel,
  describeEnd,
  expire,
  newApprovalRequest,
  requestName,
  statusOf,
} from '../../shared/approvals/request.js';
import type { ApprovalRequestStore } from '../../shared/approvals/store.js';
import { durationField } from '../../shared/config/duration.js';
import { ConfigError, parseConfig } from '../../shared/config/errors.js';
import { isRecord, stringAt } from '../verify/kube-json.js';
import type { EngineContext } from '../verify/metric.js';
import { StepRpcError, type StepResult } from '../verify/types.js';

const CONFIG_ROOT = 'config.approval';
// How often a waiting step looks at its request. Argo Rollouts requeues a Running step after at least 10 s.
const POLL_MS = 15_000;
const DEFAULT_TIMEOUT = '1h';

const slackUser = z.string().regex(/^[UW][A-Z0-9]{2,30}$/, { error: (issue) => `expected a Slack user ID such as U0123ABCD; got ${JSON.stringify(issue.input)}` });
const slackGroup = z.string().regex(/^S[A-Z0-9]{2,30}$/, { error: (issue) => `expected a Slack user group ID such as S0123ABCD; got ${JSON.stringify(issue.input)}` });

const configSchema = z.strictObject({
  /** Shown with the request; the bot maps it to roles and channels. */
  environment: z.string().max(63).optional(),
  message: z.string().max(2000).optional(),
  approvers: z.strictObject({ users: z.array(slackUser).max(100).optional(), groups: z.array(slackGroup).max(50).optional() }).optional(),
  minApprovals: z.int().min(1).max(10).default(1),
  allowSelfApproval: z.boolean().default(false),
  timeout: durationField({ min: 60_000 }).prefault(DEFAULT_TIMEOUT),
  onTimeout: z.enum(['reject', 'approve']).default('reject'),
});

export type ApprovalConfig = z.output<typeof configSchema>;

const statusSchema = z.object({ kind: z.literal('approval'), request: z.string().min(1) });
export interface ApprovalStepStatus {
  kind: 'approval';
  /** Name of the ApprovalRequest in the Rollout's namespace. */
  request: string;
}

export function parseApprovalConfig(raw: unknown): ApprovalConfig {
  return parseConfig(configSchema, raw ?? {}, CONFIG_ROOT);
}

interface RolloutRef {
  namespace: string;
  name: string;
  uid: string;
  podTemplateHash: string;
  revision: string;
  stepIndex: number;
  deployedBy: string;
}

function rolloutRef(rollout: unknown): RolloutRef {
  const status = isRecord(rollout) && isRecord(rollout.status) ? rollout.status : {};
  const ref = {
    namespace: stringAt(rollout, 'metadata', 'namespace'),
    name: stringAt(rollout, 'metadata', 'name'),
    uid: stringAt(rollout, 'metadata', 'uid'),
    podTemplateHash: stringAt(rollout, 'status', 'currentPodHash'),
    revision: stringAt(rollout, 'metadata', 'annotations', 'rollout.argoproj.io/revision'),
    stepIndex: typeof status.currentStepIndex === 'number' ? status.currentStepIndex : 0,
    deployedBy: stringAt(rollout, 'metadata', 'annotations', DEPLOYED_BY_ANNOTATION),
  };
  const missing = (['namespace', 'name', 'uid', 'podTemplateHash'] as const).filter((key) => !ref[key]);
  if (missing.length) throw new StepRpcError(`the Rollout sent by the controller lacks ${missing.join(', ')}`);
  return ref;
}

function storeOf(ctx: EngineContext): ApprovalRequestStore {
  if (!ctx.approvals) throw new StepRpcError('approval gates need Kubernetes access and the engine has none (run it with a service account or KUBECONFIG)');
  return ctx.approvals;
}

function selectorOf(ref: RolloutRef): string {
  return `${LABELS.rolloutUid}=${ref.uid},${LABELS.podTemplateHash}=${ref.podTemplateHash},${LABELS.stepIndex}=${ref.stepIndex}`;
}

function newRequest(ref: RolloutRef, config: ApprovalConfig, name: string, now: Date): ApprovalRequest {
  return newApprovalRequest(name, ref.namespace, {
    type: 'Approval',
    rollout: { name: ref.name, uid: ref.uid, podTemplateHash: ref.podTemplateHash, ...(ref.revision && { revision: ref.revision }) },
    stepIndex: ref.stepIndex,
    ...(config.environment && { environment: config.environment }),
    ...(config.message && { message: config.message }),
    ...(ref.deployedBy && { requestedBy: ref.deployedBy }),
    policy: {
      ...(config.approvers && { approvers: config.approvers }),
      minApprovals: config.minApprovals,
      allowSelfApproval: config.allowSelfApproval,
    },
    expiresAt: new Date(now.getTime() + config.timeout).toISOString(),
    onTimeout: config.onTimeout,
  });
}

/**
 * The request this step waits on: a pending one already made for this revision and step (the controller may call
 * Run again if it lost the last result), or a new one. Earlier attempts that ended (a retried rollout) stay as
 * the record of what was decided then.
 */
async function openRequest(store: ApprovalRequestStore, ref: RolloutRef, config: ApprovalConfig, now: Date): Promise<ApprovalRequest> {
  for (let tries = 0; tries < 3; tries++) {
    const existing = await store.list(ref.namespace, selectorOf(ref));
    const pending = existing.find((request) => statusOf(request).state === 'Pending');
    if (pending) return pending;
    const attempt = existing.length + 1;
    const name = requestName(ref.name, ref.podTemplateHash, ref.stepIndex, attempt > 1 ? `-${attempt}` : '');
    const created = await store.create(newRequest(ref, config, name, now));
    if (created) return created;
  }
  throw new StepRpcError(`cannot create an ApprovalRequest for ${ref.namespace}/${ref.name}: its name keeps being taken`);
}

function waiting(request: ApprovalRequest, now: Date): StepResult {
  const status = statusOf(request);
  const expiresIn = Date.parse(request.spec.expiresAt) - now.getTime();
  return {
    phase: 'Running',
    message: `waiting for approval (${status.approvalsText} approvals) on ApprovalRequest ${request.metadata.name}; ${request.spec.onTimeout} at ${request.spec.expiresAt} if nobody decides`,
    requeueAfterMs: Math.max(1000, Math.min(POLL_MS, expiresIn + 1000)),
    status: { kind: 'approval', request: request.metadata.name } satisfies ApprovalStepStatus,
  };
}

function ended(request: ApprovalRequest): StepResult {
  const status = statusOf(request);
  const result = { status: { kind: 'approval', request: request.metadata.name } satisfies ApprovalStepStatus };
  const message = `ApprovalRequest ${request.metadata.name} ${describeEnd(status)}`;
  return status.outcome === 'approve' ? { ...result, phase: 'Successful', message } : { ...result, phase: 'Failed', message };
}

/** Kubernetes API failures are not engine bugs: the controller retries an RpcError, and the message says what failed. */
async function orRpcError<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof StepRpcError) throw error;
    throw new StepRpcError(`approval gate: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export function runApprovalGate(rollout: unknown, rawConfig: unknown, rawStatus: unknown, ctx: EngineContext): Promise<StepResult> {
  return orRpcError(() => approvalRun(rollout, rawConfig, rawStatus, ctx));
}

export function cancelApprovalGate(rollout: unknown, rawStatus: unknown, ctx: EngineContext, reason: string): Promise<StepResult> {
  return orRpcError(() => approvalCancel(rollout, rawStatus, ctx, reason));
}

async function approvalRun(rollout: unknown, rawConfig: unknown, rawStatus: unknown, ctx: EngineContext): Promise<StepResult> {
  let config: ApprovalConfig;
  try {
    config = parseApprovalConfig(rawConfig);
  } catch (error) {
    if (error instanceof ConfigError) return { phase: 'Failed', message: `invalid config: ${error.message}` };
    throw error;
  }
  const store = storeOf(ctx);
  const ref = rolloutRef(rollout);
  const now = ctx.now();
  const previous = rawStatus === undefined || rawStatus === null ? undefined : statusSchema.safeParse(rawStatus);
  if (previous && !previous.success) {
    return { phase: 'Failed', message: `the stored step status is not an approval status (${JSON.stringify(rawStatus).slice(0, 200)}); retry the rollout to start over` };
  }

  if (!previous) {
    const request = await openRequest(store, ref, config, now);
    ctx.log.info({ request: request.metadata.name, expiresAt: request.spec.expiresAt }, 'approval requested');
    return waiting(request, now);
  }

  const name = previous.data.request;
  // Expire on the way if the time is up; a decision written a moment earlier wins, as it holds the newer version.
  const update = await store.updateStatus(ref.namespace, name, (current) => {
    const expired = expire(current, now);
    return expired ? { status: expired, result: 'expired' as const } : { result: 'unchanged' as const };
  });
  if (!update) return { phase: 'Failed', message: `ApprovalRequest ${ref.namespace}/${name} was deleted; retry the rollout to ask again` };
  if (update.changed) ctx.log.info({ request: name, outcome: update.request.spec.onTimeout }, 'approval request expired');
  return statusOf(update.request).state === 'Pending' ? waiting(update.request, now) : ended(update.request);
}

/** Abort or full promotion while waiting: the request is withdrawn, so nobody decides a question no longer asked. */
async function approvalCancel(rollout: unknown, rawStatus: unknown, ctx: EngineContext, reason: string): Promise<StepResult> {
  const previous = statusSchema.safeParse(rawStatus);
  if (!previous.success) return { phase: 'Successful', message: 'no approval request to withdraw', status: rawStatus };
  const ref = rolloutRef(rollout);
  const name = previous.data.request;
  const now = ctx.now();
  const update = await storeOf(ctx).updateStatus(ref.namespace, name, (current) => {
    const cancelled = cancel(current, reason, now);
    return cancelled ? { status: cancelled, result: true } : { result: false };
  });
  const message = update?.changed ? `ApprovalRequest ${name} cancelled: ${reason}` : `ApprovalRequest ${name} had already ended`;
  return { phase: 'Successful', message, status: previous.data };
}
