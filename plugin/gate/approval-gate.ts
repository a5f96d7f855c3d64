// The `approval` kind of the rollouts-cv/gate step: the step waits for people. It creates an ApprovalRequest in
// the Rollout's namespace, the Slack bot records decisions in its status, and each later step call reads the
// outcome. The step status holds only the request's name, so any engine replica can answer any call.
import { z } from 'zod';
import { type ApprovalRequest, describeEnd, newApprovalRequest, requestName, requestSelector, statusOf } from '../../shared/approvals/request.js';
import type { ApprovalRequestStore } from '../../shared/approvals/store.js';
import { durationField, formatDuration } from '../../shared/config/duration.js';
import { ConfigError, parseConfig } from '../../shared/config/errors.js';
import type { EngineContext } from '../verify/context.js';
import { StepRpcError, type StepResult } from '../verify/types.js';
import { deadlineProblem } from './progress-deadline.js';
import { approversSchema, deployerNote, pollAfterMs, readRequest, timeoutText, withdrawRequest } from '../../shared/approvals/waiting.js';
import { type RolloutRef, orRpcError, requestTarget, rolloutRef, storeOf } from './approval-requests.js';

const CONFIG_ROOT = 'config.approval';
const DEFAULT_TIMEOUT = '1h';

const configSchema = z.strictObject({
  /** Shown with the request only: the bot's configuration maps the namespace to the environment whose policy applies. */
  environment: z.string().max(63).optional(),
  message: z.string().max(2000).optional(),
  approvers: approversSchema.optional(),
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

function newRequest(ref: RolloutRef, config: ApprovalConfig, name: string, now: Date): ApprovalRequest {
  return newApprovalRequest(name, ref.namespace, {
    type: 'Approval',
    ...requestTarget(ref),
    ...(config.environment && { environment: config.environment }),
    ...(config.message && { message: config.message }),
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
    const existing = await store.list(ref.namespace, requestSelector(ref));
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
  return {
    phase: 'Running',
    message: `waiting for approval (${status.approvalsText} approvals) on ApprovalRequest ${request.metadata.name}; ${timeoutText(request, now)}${deployerNote(request)}`,
    requeueAfterMs: pollAfterMs(request, now),
    status: { kind: 'approval', request: request.metadata.name } satisfies ApprovalStepStatus,
  };
}

function ended(request: ApprovalRequest): StepResult {
  const status = statusOf(request);
  const result = { status: { kind: 'approval', request: request.metadata.name } satisfies ApprovalStepStatus };
  const message = `ApprovalRequest ${request.metadata.name} ${describeEnd(status)}`;
  return status.outcome === 'approve' ? { ...result, phase: 'Successful', message } : { ...result, phase: 'Failed', message };
}

export function runApprovalGate(rollout: unknown, rawConfig: unknown, rawStatus: unknown, ctx: EngineContext): Promise<StepResult> {
  return orRpcError('approval gate', () => approvalRun(rollout, rawConfig, rawStatus, ctx));
}

export function cancelApprovalGate(rollout: unknown, rawStatus: unknown, ctx: EngineContext, reason: string): Promise<StepResult> {
  return orRpcError('approval gate', () => approvalCancel(rollout, rawStatus, ctx, reason));
}

async function approvalRun(rollout: unknown, rawConfig: unknown, rawStatus: unknown, ctx: EngineContext): Promise<StepResult> {
  let config: ApprovalConfig;
  try {
    config = parseApprovalConfig(rawConfig);
  } catch (error) {
    if (error instanceof ConfigError) return { phase: 'Failed', message: `invalid config: ${error.message}` };
    throw error;
  }
  const store = storeOf(ctx, 'approval gates');
  const ref = rolloutRef(rollout);
  const now = ctx.now();
  const previous = rawStatus === undefined || rawStatus === null ? undefined : statusSchema.safeParse(rawStatus);
  if (previous && !previous.success) {
    return { phase: 'Failed', message: `the stored step status is not an approval status (${JSON.stringify(rawStatus).slice(0, 200)}); retry the rollout to start over` };
  }

  if (!previous) {
    const tooLong = deadlineProblem(rollout, config.timeout, `the approval timeout (${formatDuration(config.timeout)})`);
    if (tooLong) return { phase: 'Failed', message: tooLong };
    const request = await openRequest(store, ref, config, now);
    ctx.log.info({ request: request.metadata.name, expiresAt: request.spec.expiresAt }, 'approval requested');
    return waiting(request, now);
  }

  const name = previous.data.request;
  const request = await readRequest(store, ref.namespace, name, now, ctx.log);
  if (!request) return { phase: 'Failed', message: `ApprovalRequest ${ref.namespace}/${name} was deleted; retry the rollout to ask again` };
  return statusOf(request).state === 'Pending' ? waiting(request, now) : ended(request);
}

/** Abort or full promotion while waiting: the request is withdrawn, so nobody decides a question no longer asked. */
async function approvalCancel(rollout: unknown, rawStatus: unknown, ctx: EngineContext, reason: string): Promise<StepResult> {
  const previous = statusSchema.safeParse(rawStatus);
  if (!previous.success) return { phase: 'Successful', message: 'no approval request to withdraw', status: rawStatus };
  const ref = rolloutRef(rollout);
  const message = await withdrawRequest(storeOf(ctx, 'approval gates'), ref.namespace, previous.data.request, reason, ctx.now());
  return { phase: 'Successful', message, status: previous.data };
}
