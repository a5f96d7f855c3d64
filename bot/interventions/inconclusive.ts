// Manual intervention for a rollout paused by an Inconclusive analysis (the controller's InconclusiveAnalysisRun
// pause): the leader asks people with an Intervention ApprovalRequest carrying the verification's evidence, and
// carries out what they chose — or the configured default when nobody chose in time, even if the bot restarted
// meanwhile, since the request and its expiry live in Kubernetes. Promote anyway promotes the rollout; Roll back
// aborts it (the stable version takes all traffic again).
import {
  type ApprovalRequest,
  cancel,
  newApprovalRequest,
  requestName,
  statusOf,
} from '../../shared/approvals/request.js';
import { abort, promote } from '../../shared/kube/rollout-actions.js';
import type { Rollout } from '../../shared/kube/rollout-types.js';
import { type Backoff, isolated } from '../backoff.js';
import type { Cluster } from '../cluster/clusters.js';
import { environmentOf } from '../config.js';
import type { BotContext } from '../context.js';
import { type AnalysisRun, evidenceOf } from './evidence.js';

export const INCONCLUSIVE = 'InconclusiveAnalysisRun';
/** Marks the requests the bot created (and so carries out itself), as opposed to those of a gate step. */
const SOURCE_LABEL = 'rollouts-cv.io/source';
const SOURCE = 'inconclusive-analysis';

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
  const mine = requests.filter((request) => request.metadata.labels?.[SOURCE_LABEL] === SOURCE && managed(request));
  const each = (kind: string, object: { metadata: { namespace?: string; name: string; uid?: string } }, work: () => Promise<void>) => {
    const { namespace, name, uid } = object.metadata;
    return isolated({ log: ctx.log, backoff, now: ctx.now().getTime() }, { key: `${cluster.name}/${kind}/${namespace}/${name}/${uid}`, object: `${kind} ${namespace}/${name}`, what: 'intervention work' }, work);
  };
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
      run = (await cluster.objects.getNamespacedCustomObject({ group: 'argoproj.io', version: 'v1alpha1', plural: 'analysisruns', namespace, name: runName })) as AnalysisRun;
    } catch (error) {
      ctx.log.warn({ analysisRun: `${namespace}/${runName}`, err: (error as Error).message }, 'cannot read the AnalysisRun; asking without its evidence');
    }
  }
  const { timeout, onTimeout } = ctx.config.intervention;
  const environment = environmentOf(ctx.config, cluster.name, namespace)!;
  const request = newApprovalRequest(name, namespace, {
    type: 'Intervention',
    rollout: { name: rollout.metadata.name, uid: rollout.metadata.uid ?? '', podTemplateHash: hash, ...(rollout.metadata.annotations?.['rollout.argoproj.io/revision'] && { revision: rollout.metadata.annotations['rollout.argoproj.io/revision'] }) },
    stepIndex: step,
    environment: environment.name,
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

/** Carries out a decided or expired request once; withdraws a pending one whose pause is over. */
async function settle(ctx: BotContext, cluster: Cluster, request: ApprovalRequest, rollouts: readonly Rollout[]): Promise<void> {
  const status = statusOf(request);
  const { namespace, name } = request.metadata;
  if (status.applied || status.state === 'Cancelled') return;
  const rollout = rollouts.find((r) => r.metadata.uid === request.spec.rollout.uid);
  const stillPaused = rollout && inconclusivePause(rollout) && rollout.status?.currentPodHash === request.spec.rollout.podTemplateHash;
  if (status.state === 'Pending') {
    if (!stillPaused) {
      await cluster.approvals.updateStatus(namespace, name, (current) => ({ status: cancel(current, 'the rollout is no longer paused on this analysis', ctx.now()), result: undefined }));
    }
    return;
  }
  const outcome = status.outcome === 'promote' ? 'promote' : 'rollback';
  const entry = {
    target: { apiVersion: request.apiVersion, kind: request.kind, name, namespace, uid: request.metadata.uid },
    user: { id: status.state === 'Expired' ? 'timeout' : status.decisions.at(-1)?.user ?? 'unknown' },
    action: outcome,
    reason: outcome === 'promote' ? 'InterventionPromote' : 'InterventionRollback',
  };
  // Once across replicas and leader changes: the claim Event is the lock, the status records the result.
  const claim = await cluster.audit.claim(`intervention:${request.metadata.uid ?? `${namespace}/${name}`}`, { ...entry, message: `carrying out ${outcome} for ${namespace}/${request.spec.rollout.name}` });
  let result: string;
  if (!claim.claimed) {
    result = 'carried out before (claim already recorded)';
  } else if (!stillPaused) {
    result = `not carried out: the rollout is no longer paused on this analysis`;
  } else {
    const ref = { namespace, name: request.spec.rollout.name };
    try {
      result = outcome === 'promote' ? await promote(cluster.objects, ref) : await abort(cluster.objects, ref);
      await cluster.audit.record({ ...entry, message: result, outcome: 'succeeded' });
    } catch (error) {
      result = `failed: ${(error as Error).message}`;
      await cluster.audit.record({ ...entry, message: result, outcome: 'failed' });
    }
  }
  await cluster.approvals.updateStatus(namespace, name, (current) => ({ status: { ...statusOf(current), applied: { at: ctx.now().toISOString(), result } }, result: undefined }));
  ctx.log.info({ request: `${namespace}/${name}`, outcome, result }, 'intervention settled');
}

