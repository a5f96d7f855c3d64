// `rollouts-cv pipeline approve`: decides what a run is waiting on people for — an approval step (approve, or
// --reject) or a failed step's manual intervention (--choice retry|ignore|rollback|abort) — as the kubeconfig's
// user, so that a release can go on when Slack is down. The decision is recorded in the ApprovalRequest's status
// (who, when, from where) under the same rules as a click in Slack: the person who started the run may not approve
// it alone, a go-ahead needs the approvals asked for, a choice is made once. This command does not know the bot's
// configuration, so it applies the strictest environment policy (as for a protected environment); the cluster's RBAC
// decides who may write decisions at all.
import { randomUUID } from 'node:crypto';
import { LABELS, type ApprovalRequest, type Outcome, allowedActions, describeEnd, effectivePolicy, statusOf } from '../../shared/approvals/request.js';
import { ApprovalRequestStore } from '../../shared/approvals/store.js';
import { type Cluster, CommandError, readRun, whoAmI } from './cluster.js';
import type { Output } from './output.js';

export interface ApproveOptions {
  run: string;
  reject: boolean;
  choice?: Outcome;
  comment?: string;
  now?: () => Date;
}

/** Resolves with the exit code: 0 recorded, 1 refused (nothing pending, not allowed, not a choice here). */
export async function approveRun(cluster: Cluster, options: ApproveOptions, output: Output): Promise<number> {
  const user = await whoAmI(cluster);
  const run = await readRun(cluster, options.run);
  const store = new ApprovalRequestStore(cluster.objects);
  const uid = run.metadata.uid ?? '';
  const pending = (await refusing(() => store.list(cluster.namespace, `${LABELS.pipelineRunUid}=${uid}`))).filter((request) => statusOf(request).state === 'Pending');
  if (pending.length === 0) throw new CommandError(`PipelineRun ${cluster.namespace}/${options.run} is not waiting for a decision`);
  // A parallel group can wait on more than one: the first asked first.
  const request = pending.sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? ''))[0]!;
  const action = actionFor(request, options);
  const { users = [], groups = [] } = request.spec.policy.approvers ?? {};
  if (users.length || groups.length) {
    throw new CommandError(`ApprovalRequest ${request.metadata.name} names its approvers as Slack users and groups (${[...users, ...groups].join(', ')}); decide it in Slack`);
  }
  const now = options.now?.() ?? new Date();
  const policy = effectivePolicy(request.spec, { environment: `namespace ${cluster.namespace}`, protected: true, minApprovals: 1 });
  const decision = { id: `cli:${randomUUID()}`, user, action, at: now.toISOString(), source: 'cli', ...(options.comment && { comment: options.comment.slice(0, 500) }) };
  const update = await refusing(() => store.decide(cluster.namespace, request.metadata.name, decision, now, undefined, policy));
  if (!update) throw new CommandError(`ApprovalRequest ${cluster.namespace}/${request.metadata.name} is gone`);
  const result = update.result;
  if (result.kind === 'refused') throw new CommandError(`not recorded: ${result.reason}`);
  if (result.kind === 'duplicate') throw new CommandError('not recorded: this decision was recorded before');
  const status = statusOf(update.request);
  const state = result.decided ? `the request is now ${describeEnd(status)}` : `${status.approvalsText} approvals so far`;
  output.out(`Recorded ${user}'s ${action} on ApprovalRequest ${cluster.namespace}/${request.metadata.name} (step ${request.spec.pipelineRun?.step} of stage ${request.spec.pipelineRun?.stage}): ${state}`);
  return 0;
}

/** The store's failures (RBAC, the API server gone) say what was attempted: a refusal to print, not a crash. */
async function refusing<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw new CommandError((error as Error).message, { cause: error });
  }
}

function actionFor(request: ApprovalRequest, options: ApproveOptions): Outcome {
  const allowed = allowedActions(request.spec);
  const what = `ApprovalRequest ${request.metadata.name} (${request.spec.type === 'Approval' ? 'an approval step' : 'a failed step'})`;
  if (request.spec.type === 'Approval') {
    if (options.choice) throw new CommandError(`${what} takes approve or --reject, not --choice`);
    return options.reject ? 'reject' : 'approve';
  }
  if (!options.choice) throw new CommandError(`${what} needs --choice: one of ${allowed.join(', ')}`);
  if (!allowed.includes(options.choice)) throw new CommandError(`${what}: "${options.choice}" is not one of the choices here (${allowed.join(', ')})`);
  return options.choice;
}
