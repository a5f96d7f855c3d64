// Manual intervention for a rollout paused by an Inconclusive analysis (the controller's InconclusiveAnalysisRun
// pause): the leader asks people with an Intervention ApprovalRequest carrying the verification's evidence, and
// carries out what they chose, as the person who chose it — or the configured default, as the bot, when nobody chose
// in time, even if the bot restarted meanwhile, since the request and its expiry live in Kubernetes. Promote anyway
// promotes the rollout; Roll back aborts it (the stable version takes all traffic again).
import type { CustomObjectsApi } from '@kubernetes/client-node';
import { deployerFields, deployerOf } from '../../shared/approvals/deployer.js';
import {
  type ApprovalRequest,
  type RolloutApprovalRequest,
  isRolloutRequest,
  type ApprovalRequestSpec,
  type ApprovalRequestStatus,
  DEPLOYED_BY_ANNOTATION,
  type Outcome,
  cancel,
  effectivePolicy,
  newApprovalRequest,
  requestName,
  statusOf,
} from '../../shared/approvals/request.js';
import { RolloutActionError, type RolloutErrorCode, abort, promote } from '../../shared/kube/rollout-actions.js';
import { ANALYSIS_RUNS, REVISION_ANNOTATION, type Rollout } from '../../shared/kube/rollout-types.js';
import { clip } from '../../shared/text.js';
import { type AnalysisRun, evidenceOf } from '../../shared/verdicts/evidence.js';
import { type Backoff, isolated, workOn } from '../backoff.js';
import { type Cluster, NotMappedError } from '../cluster/clusters.js';
import { environmentOf, operatorPolicy } from '../config.js';
import type { BotContext } from '../context.js';

export const INCONCLUSIVE = 'InconclusiveAnalysisRun';
/** Marks the requests the bot created (and so carries out itself), as opposed to those of a gate step. */
const SOURCE_LABEL = 'rollouts-cv.io/source';
const SOURCE = 'inconclusive-analysis';

/** A request the bot carries out itself, as opposed to one of a gate step. */
const isBotIntervention = (request: ApprovalRequest): request is RolloutApprovalRequest => request.metadata.labels?.[SOURCE_LABEL] === SOURCE && isRolloutRequest(request);

/**
 * The spec the operator's policy applies to (effectivePolicy). Anyone who may create or update a request could label
 * it as the bot's or change its status, so the bot's own interventions time out as its configuration says, whatever
 * the object says — when it expires them and when it carries the expiry out.
 */
export function policySpec(ctx: BotContext, request: ApprovalRequest): ApprovalRequestSpec {
  return isBotIntervention(request) ? { ...request.spec, onTimeout: ctx.config.intervention.onTimeout } : request.spec;
}

function inconclusivePause(rollout: Rollout): { startTime: string } | undefined {
  const condition = rollout.status?.pauseConditions?.find((c) => c.reason === INCONCLUSIVE);
  return condition ? { startTime: condition.startTime ?? '' } : undefined;
}

/**
 * One pass over a cluster (its Rollouts and ApprovalRequests as listed at the start of the pass): ask for every new
 * Inconclusive pause, carry out decided requests, withdraw those the rollout left behind — only in namespaces an
 * environment of the configuration lists (elsewhere the bot is not responsible, and nobody would see a request).
 * Each object on its own: one that fails is logged and tried again later (backoff), and the others are worked on.
 */
export async function intervene(ctx: BotContext, cluster: Cluster, rollouts: readonly Rollout[], requests: readonly ApprovalRequest[], backoff: Backoff): Promise<void> {
  const managed = (object: { metadata: { namespace?: string } }) => environmentOf(ctx.config, cluster.name, object.metadata.namespace ?? '') !== undefined;
  const mine = requests.filter(isBotIntervention).filter(managed);
  const each = (kind: string, object: { metadata: { namespace?: string; name: string; uid?: string } }, work: () => Promise<void>) =>
    isolated({ log: ctx.log, backoff, now: ctx.now().getTime() }, workOn('intervention work', cluster.name, kind, object), work);
  for (const rollout of rollouts) {
    if (inconclusivePause(rollout) && managed(rollout)) await each('Rollout', rollout, () => ask(ctx, cluster, rollout, mine));
  }
  for (const request of mine) await each('ApprovalRequest', request, () => settle(ctx, cluster, request, rollouts));
}

async function ask(ctx: BotContext, cluster: Cluster, rollout: Rollout, existing: readonly ApprovalRequest[]): Promise<void> {
  const namespace = rollout.metadata.namespace!;
  const pause = inconclusivePause(rollout)!;
  const hash = rollout.status?.currentPodHash ?? '';
  const step = rollout.status?.currentStepIndex ?? 0;
  // One request per pause: the pause's start time tells a new pause (after a retry) from the same one.
  const suffix = `-i${Math.floor(Date.parse(pause.startTime) / 1000) || 0}`;
  const name = requestName(rollout.metadata.name, hash, step, suffix);
  if (existing.some((r) => r.metadata.namespace === namespace && r.metadata.name === name)) return;

  const runName = rollout.status?.canary?.currentStepAnalysisRunStatus?.name;
  let run: AnalysisRun | undefined;
  if (runName) {
    try {
      run = (await cluster.objects.getNamespacedCustomObject({ ...ANALYSIS_RUNS, namespace, name: runName })) as AnalysisRun;
    } catch (error) {
      ctx.log.warn({ analysisRun: `${namespace}/${runName}`, err: (error as Error).message }, 'cannot read the AnalysisRun; asking without its evidence');
    }
  }
  const { timeout, onTimeout } = ctx.config.intervention;
  const environment = environmentOf(ctx.config, cluster.name, namespace)!;
  const request = newApprovalRequest(name, namespace, {
    type: 'Intervention',
    rollout: { name: rollout.metadata.name, uid: rollout.metadata.uid ?? '', podTemplateHash: hash, ...(rollout.metadata.annotations?.[REVISION_ANNOTATION] && { revision: rollout.metadata.annotations[REVISION_ANNOTATION] }) },
    stepIndex: step,
    environment: environment.name,
    // Named so that the protected environment's self-approval ban applies to Promote anyway too.
    ...deployerFields(deployerOf({ namespace, name: rollout.metadata.name, annotation: rollout.metadata.annotations?.[DEPLOYED_BY_ANNOTATION], template: rollout.spec.template })),
    message: 'The verification was inconclusive and the rollout is paused. Promote anyway, or roll back to the stable version?',
    policy: { minApprovals: 1, allowSelfApproval: true },
    expiresAt: new Date(ctx.now().getTime() + timeout).toISOString(),
    onTimeout,
    actions: ['promote', 'rollback'],
    ...(run && { evidence: evidenceOf(run) }),
  });
  request.metadata.labels = { ...request.metadata.labels, [SOURCE_LABEL]: SOURCE };
  const created = await cluster.approvals.create(request);
  if (created) ctx.log.info({ request: `${namespace}/${name}`, analysisRun: runName }, 'intervention requested for an inconclusive analysis');
}

/** After this long without a result, a replica's mark that it is carrying out an outcome is presumed left by a dead one. */
const APPLYING_STALE_MS = 60_000;

/** What to do with one of the bot's intervention requests, given the rollout as it is now. */
type Step =
  | { kind: 'none' }
  | { kind: 'cancel'; reason: string }
  | { kind: 'record'; result: string; succeeded: boolean }
  | { kind: 'act'; outcome: 'promote' | 'rollback' };

/** What is carried out: the person's choice, or on expiry the operator's timeout outcome (see policySpec). */
function outcomeOf(status: ApprovalRequestStatus, timeout: Outcome): 'promote' | 'rollback' {
  return (status.state === 'Expired' ? timeout : status.outcome) === 'promote' ? 'promote' : 'rollback';
}

/**
 * The next step for a request, from its status and the rollout: withdraw a pending one whose pause is over; record
 * as applied what cannot or need not be done (the rollout is gone, moved on, or already shows the outcome a replica
 * was carrying out); leave alone what another replica is carrying out right now; otherwise act. Pure.
 */
function nextStep(request: RolloutApprovalRequest, rollout: Rollout | undefined, me: string, now: Date, timeout: Outcome): Step {
  const status = statusOf(request);
  if (status.applied || status.state === 'Cancelled') return { kind: 'none' };
  const paused = rollout !== undefined && inconclusivePause(rollout) !== undefined && rollout.status?.currentPodHash === request.spec.rollout.podTemplateHash;
  if (status.state === 'Pending') return paused ? { kind: 'none' } : { kind: 'cancel', reason: 'the rollout is no longer paused on this analysis' };
  const outcome = outcomeOf(status, timeout);
  if (!rollout) return { kind: 'record', result: 'not carried out: the rollout is gone', succeeded: false };
  if (status.applying) {
    // A replica marked it and has no result: the rollout tells whether its action took effect.
    if (outcome === 'rollback' && rollout.status?.abort === true) return { kind: 'record', result: 'carried out: the rollout is aborted', succeeded: true };
    if (outcome === 'promote' && !paused) return { kind: 'record', result: 'carried out: the rollout moved past this analysis', succeeded: true };
  }
  if (!paused) return { kind: 'record', result: 'not carried out: the rollout is no longer paused on this analysis', succeeded: false };
  const { applying } = status;
  if (applying && applying.by !== me && now.getTime() - Date.parse(applying.at) < APPLYING_STALE_MS) return { kind: 'none' };
  return { kind: 'act', outcome };
}

/**
 * Failures a retry would not change: the outcome is recorded as applied, with the failure. NoEffect: the controller
 * saw the promotion and kept the rollout where it was; promoting again would be refused the same way.
 */
const DEFINITIVE: ReadonlySet<RolloutErrorCode> = new Set(['NotFound', 'NotApplicable', 'Invalid', 'Forbidden', 'NoEffect']);

/**
 * How long the leader waits for the controller, before promoting and after, so that a slow or stopped controller holds
 * up the pass (every other request of the cluster) for seconds, not a minute. A promotion sent but not yet acted on
 * is recognised at the next pass: the request is marked applying and the rollout is no longer paused.
 */
const PROMOTE_WAIT_MS = 5_000;

/**
 * Carries out a decided or expired request until it is applied; withdraws a pending one whose pause is over. The
 * status says `applying` (written, resourceVersion-guarded, before acting) and then `applied` (once the action
 * succeeded or can never succeed). A transient failure is thrown, so the request is tried again with back-off.
 */
async function settle(ctx: BotContext, cluster: Cluster, request: RolloutApprovalRequest, rollouts: readonly Rollout[]): Promise<void> {
  const { namespace, name } = request.metadata;
  const rollout = rollouts.find((r) => r.metadata.uid === request.spec.rollout.uid);
  // intervene() settles only requests in namespaces an environment lists
  const timeout = effectivePolicy(policySpec(ctx, request), operatorPolicy(environmentOf(ctx.config, cluster.name, namespace ?? '')!)).onTimeout;
  const step = nextStep(request, rollout, cluster.instance, ctx.now(), timeout);
  if (step.kind === 'none') return;
  if (step.kind === 'cancel') {
    await cluster.approvals.updateStatus(namespace, name, (current) => ({ status: cancel(current, step.reason, ctx.now()), result: undefined }));
    return;
  }
  if (step.kind === 'record') return finish(ctx, cluster, request, timeout, step.result, step.succeeded);
  const actor = actingFor(cluster, request);
  if ('refused' in actor) return finish(ctx, cluster, request, timeout, `refused: ${actor.refused}`, false);

  // The mark is written on the latest version of the request: of two replicas, only one gets to act.
  const marked = await cluster.approvals.updateStatus(namespace, name, (current) =>
    // the spec, and so its target, never changes: `current` is the same rollout's request
    nextStep({ ...current, spec: request.spec }, rollout, cluster.instance, ctx.now(), timeout).kind === 'act'
      ? { status: { ...statusOf(current), applying: { at: ctx.now().toISOString(), by: cluster.instance } }, result: true }
      : { result: false },
  );
  if (!marked?.result) return;
  const ref = { namespace, name: request.spec.rollout.name };
  let result: string;
  try {
    result = step.outcome === 'promote' ? await promote(actor.client, ref, { timeoutMs: PROMOTE_WAIT_MS }) : await abort(actor.client, ref);
  } catch (error) {
    if (!(error instanceof RolloutActionError && DEFINITIVE.has(error.code))) throw error;
    return finish(ctx, cluster, request, timeout, `failed: ${error.message}`, false);
  }
  await finish(ctx, cluster, request, timeout, result, true);
}

/**
 * Whose authority the outcome is carried out with: the person who chose it (impersonated, when configured, so that
 * the cluster's RBAC has the final word), or the bot itself for the default on timeout.
 */
function actingFor(cluster: Cluster, request: RolloutApprovalRequest): { client: CustomObjectsApi } | { refused: string } {
  const status = statusOf(request);
  if (status.state === 'Expired') return { client: cluster.objects };
  const decider = status.decisions.at(-1)?.user;
  if (!decider) return { refused: 'no decision names who chose this outcome' };
  try {
    return { client: cluster.actingAs(decider) };
  } catch (error) {
    if (!(error instanceof NotMappedError)) throw error;
    return { refused: `Slack user ${decider} is not mapped to a Kubernetes identity (impersonation.users), so the bot does not act for them` };
  }
}

/** Records the outcome as applied (once: a replica that finds it recorded writes nothing) and audits it. */
async function finish(ctx: BotContext, cluster: Cluster, request: RolloutApprovalRequest, timeout: Outcome, result: string, succeeded: boolean): Promise<void> {
  const { namespace, name } = request.metadata;
  const update = await cluster.approvals.updateStatus(namespace, name, (current) => ({
    status: statusOf(current).applied ? undefined : { ...statusOf(current), applied: { at: ctx.now().toISOString(), result: clip(result, 1_000) } },
    result: undefined,
  }));
  if (!update?.changed) return;
  const status = statusOf(update.request);
  const outcome = outcomeOf(status, timeout);
  const entry = {
    target: { apiVersion: request.apiVersion, kind: request.kind, name, namespace, uid: request.metadata.uid },
    user: { id: status.state === 'Expired' ? 'timeout' : status.decisions.at(-1)?.user ?? 'unknown' },
    action: outcome,
    reason: outcome === 'promote' ? 'InterventionPromote' : 'InterventionRollback',
    message: result,
    outcome: succeeded ? ('succeeded' as const) : ('failed' as const),
  };
  // The result is stored: an audit Event that cannot be written is logged, not retried.
  await cluster.audit.record(entry).catch((error: unknown) => ctx.log.error({ err: error, request: `${namespace}/${name}` }, 'cannot write the audit Event'));
  ctx.log.info({ request: `${namespace}/${name}`, outcome, result }, 'intervention settled');
}
