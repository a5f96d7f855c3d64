// What anything waiting on an ApprovalRequest shares (the gate step plugin, the pipelines controller): who may be
// named as approvers, when to look again, what the step says about the timeout, and the reading (with the timeout
// outcome that stops) and withdrawing of a request. The outcome means different things to each waiter, so mapping
// it to a result stays with them.
import { z } from 'zod';
import type { Logger } from '../log.js';
import { slackGroupId, slackUserId } from '../slack-ids.js';
import { type ApprovalRequest, cancel, engineTimeout, expire } from './request.js';
import type { ApprovalRequestStore } from './store.js';

// How often a waiting step looks at its request. Argo Rollouts requeues a Running step after at least 10 s.
const POLL_MS = 15_000;

/** Narrows who may decide: a decider must be named here (user or group) and hold `approve` in the bot's roles. */
export const approversSchema = z.strictObject({ users: z.array(slackUserId).max(100).optional(), groups: z.array(slackGroupId).max(50).optional() });

/** "; deployer unknown: <why>" for a step message, when the request names no deployer. */
export function deployerNote(request: ApprovalRequest): string {
  return request.spec.deployerUnknown ? `; deployer unknown: ${request.spec.deployerUnknown}` : '';
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
