// The ApprovalRequests a pipeline run asks people with: an approval step's, and a failed step's intervention. They
// are the same objects, rules and Slack buttons as the gate step's, about a PipelineRun step instead of a Rollout
// step. A request is named after the step's once-only key, so a look repeated after a crash finds the request it
// made instead of asking twice; the run's uid label finds what a run still asks when it ends.
import { createHash } from 'node:crypto';
import { LABELS, newApprovalRequest, statusOf, type ApprovalRequest, type PipelineRequestSpec } from '../../approvals/request.js';
import type { ApprovalRequestStore } from '../../approvals/store.js';
import { readRequest, withdrawRequest } from '../../approvals/waiting.js';
import type { Logger } from '../../log.js';
import type { RunRef, StepContext } from '../advance.js';

/** `<run>-<approval|intervention>-<12 hex of the key>`, at most 253 characters. */
export function pipelineRequestName(run: string, kind: 'approval' | 'intervention', key: string): string {
  const tail = `-${kind}-${createHash('sha256').update(key).digest('hex').slice(0, 12)}`;
  return `${run.slice(0, 253 - tail.length).replace(/[-.]+$/, '')}${tail}`;
}

/** Who started the run, as the request names its deployer (barred from a go-ahead alone unless allowed). */
export function requester(run: RunRef): Pick<PipelineRequestSpec, 'requestedBy' | 'deployerUnknown'> {
  return run.triggeredBy ? { requestedBy: run.triggeredBy.id } : { deployerUnknown: 'the pipeline run does not say who started it' };
}

type Asked = Omit<PipelineRequestSpec, 'pipelineRun' | 'requestedBy' | 'deployerUnknown'>;

/**
 * The request under `name` as it stands (with a timeout that stops applied), made now from `spec` if there is none
 * yet. A request of the same name about another run (a run deleted and made again under its name) is not taken
 * for this one's.
 */
export async function openRequest(store: ApprovalRequestStore, context: StepContext, step: string, name: string, spec: Asked, log: Logger): Promise<ApprovalRequest> {
  const { run, stage, now } = context;
  for (let tries = 0; tries < 2; tries++) {
    const existing = await readRequest(store, run.namespace, name, now, log);
    if (existing) {
      if (existing.spec.pipelineRun?.uid !== run.uid) throw new Error(`ApprovalRequest ${run.namespace}/${name} exists and is not this run's (delete it to ask again)`);
      return existing;
    }
    const created = await store.create(newApprovalRequest(name, run.namespace, { ...spec, pipelineRun: { name: run.name, uid: run.uid, stage: stage.name, step }, ...requester(run) }));
    if (created) return created;
  }
  throw new Error(`cannot create ApprovalRequest ${run.namespace}/${name}: its name keeps being taken`);
}

/** Withdraws every request the run still has pending; says how many. */
export async function withdrawRunRequests(store: ApprovalRequestStore, run: { namespace: string; uid: string }, reason: string, now: Date): Promise<number> {
  const pending = (await store.list(run.namespace, `${LABELS.pipelineRunUid}=${run.uid}`)).filter((request) => statusOf(request).state === 'Pending');
  for (const request of pending) await withdrawRequest(store, run.namespace, request.metadata.name, reason, now);
  return pending.length;
}
