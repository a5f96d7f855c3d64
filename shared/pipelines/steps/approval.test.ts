import { CustomObjectsApi } from '@kubernetes/client-node';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeKubeApi, type FakeKubeApi } from '../../../test/helpers/fake-kube-api.js';
import { objectStore } from '../../../test/helpers/fake-kube-store.js';
import { APPROVAL_REQUESTS, type ApprovalRequest, type Outcome, effectivePolicy, statusOf } from '../../approvals/request.js';
import { ApprovalRequestStore } from '../../approvals/store.js';
import { advanceRun, type Executors, type StepOutcome } from '../advance.js';
import { parsePipelineSpec } from '../spec.js';
import { initialStatus, type PipelineRunStatus } from '../status.js';
import { approvalStep } from './approval.js';
import { interventionStep } from './intervention.js';
import { pipelineRequestName, withdrawRunRequests } from './requests.js';
import { waitStep } from './wait.js';

const NS = 'releases';
const T0 = new Date('2026-12-05T10:00:00Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);
const DEPLOYER = 'U0DEPLOYER';
const ALICE = 'U0ALICE001';
const run = { namespace: NS, name: 'loans-api-x7k2p', uid: 'uid-1', triggeredBy: { kind: 'slack' as const, id: DEPLOYER } };
const facts = { triggeredBy: `Slack user ${DEPLOYER}`, url: '' };
const log = pino({ level: 'silent' });
const OPERATOR = { environment: 'releases', protected: false, minApprovals: 1 };

let kube: FakeKubeApi;
const store = objectStore();
let requests: ApprovalRequestStore;
/** What the verify step answers, in turn. */
let verifyOutcomes: StepOutcome[] = [];
let executors: Executors;

beforeAll(async () => {
  kube = await startFakeKubeApi(store.respond);
  requests = new ApprovalRequestStore(kube.kubeConfig().makeApiClient(CustomObjectsApi));
  executors = {
    approval: approvalStep(requests, log),
    intervention: interventionStep(requests, log),
    verify: async () => verifyOutcomes.shift() ?? { phase: 'Succeeded', message: 'Healthy' },
    wait: waitStep,
  };
});
afterAll(() => kube.close());
beforeEach(() => {
  for (const r of store.list(APPROVAL_REQUESTS)) store.delete({ ...APPROVAL_REQUESTS, namespace: NS, name: r.metadata.name });
  verifyOutcomes = [];
});

const start = (stages: unknown[]): PipelineRunStatus => initialStatus({ name: 'loans-api-release', spec: parsePipelineSpec({ variables: [{ name: 'image', default: 'loans-api:2.4.1' }], stages }) }, { image: 'loans-api:2.4.1' }, T0);
const pass = (status: PipelineRunStatus, when = T0) => advanceRun(status, run, facts, executors, when);
const stored = () => store.list(APPROVAL_REQUESTS) as unknown as ApprovalRequest[];
const decide = (name: string, user: string, action: Outcome, when = at(1)) =>
  requests.decide(NS, name, { id: `click-${user}-${action}`, user, action, at: when.toISOString() }, when, undefined, effectivePolicy(stored().find((r) => r.metadata.name === name)!.spec, OPERATOR));

const gate = (extra: Record<string, unknown> = {}) => ({
  name: 'approve-prod',
  environment: 'prod-na',
  steps: [{ name: 'approve', approval: { message: 'Ship ${{ vars.image }} to prod-na?', timeout: '1h', ...extra } }, { name: 'after', wait: { duration: '1m' } }],
});

describe('the approval step', () => {
  const name = pipelineRequestName(run.name, 'approval', 'uid-1/approve-prod/approve');

  it('asks once with an ApprovalRequest about the run’s step, naming who started the run', async () => {
    const first = await pass(start([gate()]));
    const second = await pass(first.status, at(0.5));
    expect(stored()).toHaveLength(1);
    const [request] = stored();
    expect(request!.metadata).toMatchObject({ name, labels: { 'rollouts-cv.io/pipelinerun-uid': 'uid-1', 'rollouts-cv.io/type': 'Approval' } });
    expect(request!.spec).toMatchObject({
      type: 'Approval',
      pipelineRun: { name: run.name, uid: 'uid-1', stage: 'approve-prod', step: 'approve' },
      environment: 'prod-na',
      message: 'Ship loans-api:2.4.1 to prod-na?',
      requestedBy: DEPLOYER,
      policy: { minApprovals: 1, allowSelfApproval: false },
      expiresAt: at(60).toISOString(),
      onTimeout: 'reject',
    });
    expect(second.status.stages[0]!.steps[0]).toMatchObject({ phase: 'Running', message: `waiting for approval (0/1 approvals) on ApprovalRequest ${name}; reject at ${at(60).toISOString()} if nobody decides` });
    expect(second.recheckAfterMs).toBe(15_000);
  });

  it('does not let the person who started the run approve it; another approver can, and the run goes on', async () => {
    const { status } = await pass(start([gate()]));
    expect((await decide(name, DEPLOYER, 'approve'))!.result).toEqual({ kind: 'refused', reason: 'you triggered this deploy, so someone else has to approve it' });
    expect((await decide(name, ALICE, 'approve'))!.result).toMatchObject({ kind: 'applied', decided: true });
    const next = await pass(status, at(2));
    expect(next.status.stages[0]!.steps[0]).toMatchObject({ phase: 'Succeeded', outputs: { request: name }, message: `ApprovalRequest ${name} decided (approve): approve by ${ALICE}` });
  });

  it('ends the run on a rejection, and on a timeout that rejects', async () => {
    const rejected = await pass(start([gate()]));
    await decide(name, ALICE, 'reject');
    const ended = await pass(rejected.status, at(2));
    expect(ended.status).toMatchObject({ phase: 'Failed', message: `stage approve-prod: step approve failed (rejected): ApprovalRequest ${name} decided (reject): reject by ${ALICE}` });

    store.delete({ ...APPROVAL_REQUESTS, namespace: NS, name });
    const waiting = await pass(start([gate()]));
    const late = await pass(waiting.status, at(61));
    expect(late.status.message).toContain(`ApprovalRequest ${name} expired (reject): nobody decided by ${at(60).toISOString()}`);
  });

  it('leaves a go-ahead on timeout to the bot, which checks it against the operator’s policy', async () => {
    const waiting = await pass(start([gate({ onTimeout: 'approve' })]));
    const late = await pass(waiting.status, at(61));
    expect(late.status.phase).toBe('Running');
    expect(late.status.stages[0]!.steps[0]!.message).toContain('waiting for the Slack bot to apply the default on timeout (approve)');
  });

  it('does not take a request of the same name about another run for its own', async () => {
    const { status } = await pass(start([gate()]));
    store.modify({ ...APPROVAL_REQUESTS, namespace: NS, name }, (r) => void ((r as unknown as ApprovalRequest).spec.pipelineRun!.uid = 'another-run'));
    const next = await pass(status, at(1));
    expect(next.status.message).toBe(`stage approve-prod: step approve failed (an error): ApprovalRequest ${NS}/${name} exists and is not this run's (delete it to ask again)`);
  });
});

describe('manual intervention', () => {
  const stage = {
    name: 'prod-na',
    steps: [{ name: 'verify', verify: { rollout: 'loans-api', template: { name: 't' } }, onFailure: { manualIntervention: { timeout: '2h', onTimeout: 'rollback' } } }],
    rollback: [{ name: 'undo', wait: { duration: '1m' } }],
  };
  const failed: StepOutcome = { phase: 'Failed', failure: 'verification', message: 'AnalysisRun loans/x Failed: verify: Unhealthy; errors +340%', outputs: { analysisRun: 'loans-api-verify-0123' } };
  const name = pipelineRequestName(run.name, 'intervention', 'uid-1/prod-na/verify');

  it('asks with the failure as evidence and the choices the stage allows; a retry runs the step again', async () => {
    verifyOutcomes = [failed];
    const first = await pass(start([stage]));
    expect(first.status.stages[0]!.steps[0]!.phase).toBe('Intervening');
    const [request] = stored();
    expect(request!.spec).toMatchObject({
      type: 'Intervention',
      pipelineRun: { stage: 'prod-na', step: 'verify' },
      actions: ['retry', 'ignore', 'rollback', 'abort'],
      onTimeout: 'rollback',
      expiresAt: at(120).toISOString(),
      evidence: { verdict: 'Failed', reasons: ['AnalysisRun loans/x Failed: verify: Unhealthy; errors +340%'], analysisRun: 'loans-api-verify-0123' },
    });
    expect(request!.metadata.name).toBe(name);
    await decide(name, DEPLOYER, 'retry');
    const retried = await pass(first.status, at(2));
    expect(retried.status.phase).toBe('Succeeded');
    expect(retried.status.stages[0]!.steps[0]).toMatchObject({ phase: 'Succeeded', attempt: 2 });
  });

  it('rolls back when nobody decides in time', async () => {
    verifyOutcomes = [failed];
    const first = await pass(start([stage]));
    const still = await pass(first.status, at(60));
    expect(still.status.stages[0]!.steps[0]!.phase).toBe('Intervening');
    const late = await pass(still.status, at(121));
    expect(late.status.stages[0]!.phase).toBe('RollingBack');
    expect(late.status.stages[0]!.message).toContain(`ApprovalRequest ${name} expired (rollback): nobody decided by ${at(120).toISOString()}`);
    expect(statusOf(stored()[0]!)).toMatchObject({ state: 'Expired', outcome: 'rollback' });
  });

  it('stops the release when its request is withdrawn (the run cancelled meanwhile)', async () => {
    verifyOutcomes = [failed];
    const first = await pass(start([stage]));
    expect(await withdrawRunRequests(requests, run, 'the pipeline run ended: cancelled by ana', at(1))).toBe(1);
    expect(await withdrawRunRequests(requests, run, 'again', at(1))).toBe(0);
    const next = await pass(first.status, at(2));
    expect(next.status.phase).toBe('Failed');
    expect(next.status.message).toContain(`ApprovalRequest ${name} cancelled: the pipeline run ended: cancelled by ana`);
  });

  it('refuses a choice the request does not offer', async () => {
    verifyOutcomes = [failed];
    await pass(start([stage]));
    expect((await decide(name, ALICE, 'approve'))!.result).toEqual({ kind: 'refused', reason: '"approve" is not one of the choices here (retry, ignore, rollback, abort)' });
  });
});

