// Keeps Slack in step with the ApprovalRequests (run by the leader only): posts each new request to its
// environment's channel (with the verification's charts in its thread, when the engine's reports are configured),
// updates the message in place when its status changes, and applies the default outcome of a request nobody decided
// in time — also for requests that expired while no bot was running. What was last posted is remembered in the
// request's status (channel, ts, a digest and the bot's signature), so a new leader neither posts twice nor rewrites
// unchanged messages.
import type { WebClient } from '@slack/web-api';
import { ApiException } from '@kubernetes/client-node';
import { type ApprovalRequest, type ApprovalRequestStatus, type RolloutApprovalRequest, type RolloutPosition, cancel, isRolloutRequest, effectivePolicy, expire, leftBehind, recount, statusOf } from '../../shared/approvals/request.js';
import { ROLLOUTS, type Rollout } from '../../shared/kube/rollout-types.js';
import { type Backoff, isolated, workOn } from '../backoff.js';
import type { Cluster } from '../cluster/clusters.js';
import { managedObjects } from '../cluster/managed.js';
import { type EnvironmentConfig, operatorPolicy } from '../config.js';
import type { BotContext } from '../context.js';
import { policySpec } from '../interventions/inconclusive.js';
import { approvalRequestMessage } from '../slack/blocks.js';
import { type RefSubject, postedAnew, showMessage } from '../slack/message-ref.js';
import { postReportImage } from '../slack/report-image.js';

export interface PublisherOptions {
  client: WebClient;
  /** Channel for requests of an environment that names none. */
  defaultChannel?: string;
  /** The leader's back-off: a request whose work failed waits before it is tried again (a post is not repeated each pass). */
  backoff: Backoff;
}

/**
 * Brings Slack in step with a cluster's requests and Rollouts (as listed at the start of the pass). Each request on
 * its own: one whose work fails is logged and tried again later (back-off), and the others are worked on.
 */
export async function publishRequests(ctx: BotContext, options: PublisherOptions, cluster: Cluster, requests: readonly ApprovalRequest[], rollouts: readonly Rollout[]): Promise<void> {
  const byUid = new Map(rollouts.map((rollout) => [rollout.metadata.uid, rollout]));
  for (const { object: request, environment } of managedObjects(ctx, cluster, requests, { field: 'request', message: 'approval request in a namespace no environment of the configuration covers: not posted, not expired by the bot' })) {
    await isolated({ log: ctx.log, backoff: options.backoff, now: ctx.now().getTime() }, workOn('publishing the approval request', cluster.name, 'ApprovalRequest', request), async () => {
      // A pipeline run's requests are withdrawn by the pipelines controller, which carries the run.
      const current = (isRolloutRequest(request) && (await withdrawIfLeftBehind(ctx, cluster, request, byUid.get(request.spec.rollout.uid)))) || request;
      await publishRequest(ctx, options, cluster, current, environment);
    });
  }
}

const positionOf = (rollout: Rollout | undefined): RolloutPosition | undefined =>
  rollout && { uid: rollout.metadata.uid, currentPodHash: rollout.status?.currentPodHash, currentStepIndex: rollout.status?.currentStepIndex, abort: rollout.status?.abort };

/**
 * Withdraws a pending request whose rollout moved past its step or revision (e.g. promoted with kubectl), so that
 * no live buttons remain; returns the request as changed. The listed Rollouts may be older than the request, so
 * the Rollout is read again before anything is withdrawn.
 */
async function withdrawIfLeftBehind(ctx: BotContext, cluster: Cluster, request: RolloutApprovalRequest, listed: Rollout | undefined): Promise<ApprovalRequest | undefined> {
  if (!leftBehind(request, positionOf(listed))) return undefined;
  const { namespace, name } = request.metadata;
  let now: Rollout | undefined;
  try {
    now = (await cluster.objects.getNamespacedCustomObject({ ...ROLLOUTS, namespace, name: request.spec.rollout.name })) as Rollout;
  } catch (error) {
    if (!(error instanceof ApiException && error.code === 404)) throw error;
  }
  const reason = leftBehind(request, positionOf(now));
  if (!reason) return undefined;
  const update = await cluster.approvals.updateStatus(namespace, name, (current) => ({ status: cancel(current, reason, ctx.now()), result: undefined }));
  if (update?.changed) ctx.log.info({ request: `${namespace}/${name}`, reason }, 'approval request withdrawn');
  return update?.request;
}

async function publishRequest(ctx: BotContext, options: PublisherOptions, cluster: Cluster, listed: ApprovalRequest, environment: EnvironmentConfig): Promise<void> {
  const { namespace, name } = listed.metadata;
  let request = listed;
  const policy = effectivePolicy(policySpec(ctx, request), operatorPolicy(environment));
  // The bot's timer: a pending request past its expiry gets its default outcome under the operator's policy,
  // whether or not a step is polling. Until then, its count shows the approvals the policy needs (kubectl, step).
  const settle = (current: ApprovalRequest) => expire(current, ctx.now(), policy) ?? recount(current, policy);
  if (settle(request)) {
    const update = await cluster.approvals.updateStatus(namespace, name, (current) => ({ status: settle(current), result: undefined }));
    if (!update) return;
    request = update.request;
    const status = statusOf(request);
    if (update.changed && status.state === 'Expired' && status.outcome) {
      await cluster.audit.record({
        target: { apiVersion: request.apiVersion, kind: request.kind, name, namespace, uid: request.metadata.uid },
        user: { id: 'timeout' },
        action: status.outcome,
        reason: 'ApprovalExpired',
        message: status.message ?? `nobody decided by ${request.spec.expiresAt}`,
        outcome: 'succeeded',
      });
    }
  }

  const status = statusOf(request);
  const channel = environment.channel ?? options.defaultChannel;
  // An ended request that was never shown (it ended while no bot ran) is not worth a new message.
  const postNew = status.state === 'Pending';
  if (postNew && !channel) ctx.log.warn({ request: `${namespace}/${name}`, environment: environment.name }, 'no channel for this approval request: set environments[].channel or --default-channel');
  const message = () => approvalRequestMessage(request, { cluster: cluster.name, namespace, environment: environment.name }, policy);
  // Where the message is, only if the bot recorded it (status is writable by others too): see slack/message-ref.ts.
  const subject: RefSubject = { kind: 'approval-request', cluster: cluster.name, namespace, name, uid: request.metadata.uid ?? '' };
  const object = `ApprovalRequest ${namespace}/${name}`;
  const shown = await showMessage(options.client, ctx.log, { subject, stored: status.slack, channel, object }, message, postNew);
  if (!shown) return;
  await remember(cluster, namespace, name, shown);
  // The verification's charts go in the thread of a message posted anew, once: an update leaves the thread alone.
  const engineUrl = ctx.config.reports?.engineUrl;
  const { report, verdict } = request.spec.evidence ?? {};
  if (engineUrl && report && postedAnew(shown, status.slack)) {
    await postReportImage(options.client, ctx.log, { engineUrl, link: report, channel: shown.channel, threadTs: shown.ts, verdict, object });
  }
}

/** Stores where the message is and what it shows; a concurrent status change only means another update next pass. */
async function remember(cluster: Cluster, namespace: string, name: string, slack: NonNullable<ApprovalRequestStatus['slack']>): Promise<void> {
  await cluster.approvals.updateStatus(namespace, name, (current) => ({ status: { ...statusOf(current), slack }, result: undefined }));
}
