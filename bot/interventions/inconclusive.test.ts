// Intervention on Inconclusive analyses, one leader pass at a time, against the stateful fake Kubernetes API: where
// the bot asks, and how a decided or expired request is carried out — as whom, once, and until it is.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deployedBy } from '../../shared/approvals/deployer.js';
import { API_VERSION, APPROVAL_REQUESTS, type ApprovalRequest, DEPLOYED_BY_ANNOTATION, type Decision, pendingStatus, statusOf } from '../../shared/approvals/request.js';
import { ANALYSIS_RUNS, ROLLOUTS, type Rollout } from '../../shared/kube/rollout-types.js';
import type { AnalysisRun } from '../../shared/verdicts/evidence.js';
import { headerValues } from '../../test/helpers/fake-kube-api.js';
import { type KubeObject, failure } from '../../test/helpers/fake-kube-store.js';
import { type LeaderHarness, seedInconclusive, startLeaderHarness } from '../../test/helpers/leader-harness.js';
import { Backoff } from '../backoff.js';
import { intervene } from './inconclusive.js';

const SHOP = 'shop';
const ELSEWHERE = 'elsewhere';
const ALICE = 'U0ALICE001';
const BOB = 'U0BOB00001';

let h: LeaderHarness;
let backoff: Backoff;

const CONFIG = {
  environments: [{ name: 'production', namespaces: [SHOP], channel: 'C0PROD0001' }],
  roles: [{ name: 'release', users: [ALICE, BOB], environments: ['production'], allow: ['approve'] }],
};

/** A harness of its own for the tests of a describe block, with this configuration. */
function withHarness(config: object): void {
  beforeAll(async () => {
    h = await startLeaderHarness(config);
  });
  afterAll(() => h?.close());
}

beforeEach(() => {
  backoff = new Backoff();
});

const pass = () => intervene(h.ctx, h.cluster, h.rollouts(), h.requests(), backoff);
const writesTo = (from: number, rollout: Rollout) =>
  h.kube.requests.slice(from).filter((r) => r.method !== 'GET' && r.path.startsWith(`/apis/argoproj.io/v1alpha1/namespaces/${rollout.metadata.namespace}/rollouts/${rollout.metadata.name}`));

/** An intervention request as the bot creates it, already decided (or expired) as given. */
function decidedRequest(rollout: Rollout, status: { state: 'Decided' | 'Expired'; outcome: 'promote' | 'rollback'; decisions?: Decision[]; applying?: { at: string; by: string } }): ApprovalRequest {
  const spec: ApprovalRequest['spec'] = {
    type: 'Intervention',
    rollout: { name: rollout.metadata.name, uid: rollout.metadata.uid!, podTemplateHash: rollout.status!.currentPodHash! },
    stepIndex: 1,
    policy: { minApprovals: 1, allowSelfApproval: true },
    expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    onTimeout: 'rollback',
    actions: ['promote', 'rollback'],
  };
  const request: ApprovalRequest = {
    apiVersion: API_VERSION,
    kind: 'ApprovalRequest',
    metadata: { name: `${rollout.metadata.name}-6bb8c57c5d-s1-i1`, namespace: rollout.metadata.namespace!, labels: { 'rollouts-cv.io/source': 'inconclusive-analysis' } },
    spec,
    status: { ...pendingStatus(spec), decisions: [], ...status },
  };
  return h.store.seed(APPROVAL_REQUESTS, request as unknown as KubeObject) as unknown as ApprovalRequest;
}

describe('where the bot is responsible', () => {
  withHarness(CONFIG);

  it('asks only for rollouts in namespaces an environment lists', async () => {
    seedInconclusive(h.store, SHOP, 'cart');
    seedInconclusive(h.store, ELSEWHERE, 'cart');
    await pass();
    expect(h.requests().map((r) => `${r.metadata.namespace}/${r.spec.rollout?.name}`)).toEqual([`${SHOP}/cart`]);
  });

  it('names the deployer of the current template in the request, or says why it cannot', async () => {
    const known = seedInconclusive(h.store, SHOP, 'by-alice');
    h.store.modify({ ...ROLLOUTS, namespace: SHOP, name: 'by-alice' }, (object) => {
      object.metadata.annotations = { ...object.metadata.annotations, [DEPLOYED_BY_ANNOTATION]: deployedBy(ALICE, known.spec.template) };
    });
    seedInconclusive(h.store, SHOP, 'by-pipeline');
    await pass();
    const specOf = (name: string) => h.requests().find((r) => r.spec.rollout?.name === name)!.spec;
    expect(specOf('by-alice')).toMatchObject({ requestedBy: ALICE });
    expect(specOf('by-alice').deployerUnknown).toBeUndefined();
    expect(specOf('by-pipeline').requestedBy).toBeUndefined();
    expect(specOf('by-pipeline').deployerUnknown).toBe(`no ${DEPLOYED_BY_ANNOTATION} annotation on Rollout ${SHOP}/by-pipeline (not deployed from Slack)`);
  });

  it("carries the verification's evidence, with the link to its report page", async () => {
    seedInconclusive(h.store, SHOP, 'reported');
    const report = `http://localhost:8082/reports/${SHOP}/reported-run/verify`;
    h.store.modify({ ...ANALYSIS_RUNS, namespace: SHOP, name: 'reported-run' }, (object) => {
      (object as unknown as AnalysisRun).status!.metricResults![0]!.measurements![0]!.metadata = { verificationId: 'v-0123456789abcdef', report };
    });
    await pass();
    expect(h.requests().find((r) => r.spec.rollout?.name === 'reported')!.spec.evidence).toEqual({
      verdict: 'Inconclusive',
      score: 40,
      reasons: ['p99 latency +12%'],
      report,
      analysisRun: 'reported-run',
    });
  });

  it('carries out nothing in a namespace no environment lists, even for a request labelled as its own', async () => {
    const rollout = seedInconclusive(h.store, ELSEWHERE, 'forged');
    decidedRequest(rollout, { state: 'Decided', outcome: 'promote', decisions: [{ id: 'click:1', user: ALICE, action: 'promote', at: new Date().toISOString() }] });
    const from = h.kube.requests.length;
    await pass();
    expect(writesTo(from, rollout)).toEqual([]);
    expect(statusOf(h.requests().find((r) => r.metadata.namespace === ELSEWHERE)!).applied).toBeUndefined();
  });
});

const requestOf = (request: ApprovalRequest) => h.store.get({ ...APPROVAL_REQUESTS, namespace: request.metadata.namespace, name: request.metadata.name }) as unknown as ApprovalRequest;
const rolloutOf = (rollout: Rollout) => h.store.get({ ...ROLLOUTS, namespace: rollout.metadata.namespace, name: rollout.metadata.name }) as unknown as Rollout;
/** The audit Events about a request, as "type reason: message". */
const eventsAbout = (request: ApprovalRequest) =>
  h.store
    .list({ plural: 'events' })
    .map((e) => e as unknown as { type: string; reason: string; message: string; involvedObject: { name: string } })
    .filter((e) => e.involvedObject.name === request.metadata.name)
    .map((e) => `${e.type} ${e.reason}: ${e.message}`);
const by = (user: string, action: 'promote' | 'rollback'): Decision[] => [{ id: `click:${action}`, user, action, at: new Date().toISOString(), source: 'slack:C0PROD0001' }];
const byAlice = (action: 'promote' | 'rollback') => by(ALICE, action);
const PROMOTED = { pauseConditions: null, controllerPause: false, currentStepIndex: 2 };
const statusPatches = (from: number, rollout: Rollout) => writesTo(from, rollout).map((w) => [w.method, w.path.endsWith('/status') ? 'status' : 'spec', w.body]);
/** Past the longest back-off, so that every object is due again. */
const later = () => h.advance(700_000);

describe('carrying out a decision until it is applied', () => {
  withHarness(CONFIG);

  it('acts on a decision a leader marked as applying and then died before acting, despite its claim Event', async () => {
    const rollout = seedInconclusive(h.store, SHOP, 'orphaned');
    const request = decidedRequest(rollout, { state: 'Decided', outcome: 'promote', decisions: byAlice('promote'), applying: { at: new Date(Date.now() - 120_000).toISOString(), by: 'bot-gone-1' } });
    await h.cluster.audit.claim(`intervention:${request.metadata.uid}`, {
      target: { apiVersion: API_VERSION, kind: 'ApprovalRequest', name: request.metadata.name, namespace: SHOP, uid: request.metadata.uid },
      user: { id: ALICE },
      action: 'promote',
      reason: 'InterventionPromote',
      message: 'carrying out promote',
    });
    const from = h.kube.requests.length;
    await pass();
    expect(statusPatches(from, rollout)).toEqual([['PATCH', 'status', { status: PROMOTED }]]);
    expect(statusOf(requestOf(request)).applied).toMatchObject({ result: expect.stringMatching(/promoted from step 1\/3 to step 2\/3/) });
    expect(eventsAbout(request)).toContainEqual(expect.stringMatching(/^Normal InterventionPromote: rollout 'shop\/orphaned' promoted/));
  });

  it('leaves a decision another leader is applying right now, and takes it over once that leader is silent for a minute', async () => {
    const rollout = seedInconclusive(h.store, SHOP, 'busy');
    const request = decidedRequest(rollout, { state: 'Decided', outcome: 'promote', decisions: byAlice('promote'), applying: { at: h.ctx.now().toISOString(), by: 'bot-other-1' } });
    const from = h.kube.requests.length;
    await pass();
    expect(statusPatches(from, rollout)).toEqual([]);
    h.advance(61_000);
    await pass();
    expect(statusPatches(from, rollout)).toEqual([['PATCH', 'status', { status: PROMOTED }]]);
    expect(statusOf(requestOf(request)).applied?.result).toMatch(/promoted/);
  });

  it('records as applied, without acting again, a decision whose effect the rollout already shows', async () => {
    const rollout = seedInconclusive(h.store, SHOP, 'done');
    const request = decidedRequest(rollout, { state: 'Decided', outcome: 'rollback', decisions: byAlice('rollback'), applying: { at: new Date(Date.now() - 120_000).toISOString(), by: 'bot-gone-1' } });
    h.store.modify({ ...ROLLOUTS, namespace: SHOP, name: 'done' }, (object) => void ((object.status as { abort?: boolean }).abort = true));
    const from = h.kube.requests.length;
    await pass();
    expect(statusPatches(from, rollout)).toEqual([]);
    expect(statusOf(requestOf(request)).applied?.result).toBe('carried out: the rollout is aborted');
  });

  it('retries after a transient API error (500) and records it as applied only once it succeeded', async () => {
    const rollout = seedInconclusive(h.store, SHOP, 'flaky');
    const request = decidedRequest(rollout, { state: 'Decided', outcome: 'promote', decisions: byAlice('promote') });
    h.store.once((r) => r.method === 'PATCH' && r.path.endsWith('/rollouts/flaky/status'), () => failure(500, 'InternalError', 'etcdserver: request timed out'));
    const from = h.kube.requests.length;
    await pass();
    expect(statusOf(requestOf(request))).toMatchObject({ state: 'Decided', applying: { by: 'leader-test-1' } });
    expect(statusOf(requestOf(request)).applied).toBeUndefined();
    expect(rolloutOf(rollout).status?.pauseConditions).toHaveLength(1);
    expect(h.logLines).toContainEqual(expect.objectContaining({ msg: 'intervention work failed; retried with back-off', object: `ApprovalRequest ${SHOP}/${request.metadata.name}`, err: expect.stringContaining('etcdserver: request timed out') }));

    await pass();
    expect(statusPatches(from, rollout)).toHaveLength(1);
    later();
    await pass();
    expect(statusPatches(from, rollout)).toEqual([['PATCH', 'status', { status: PROMOTED }], ['PATCH', 'status', { status: PROMOTED }]]);
    expect(statusOf(requestOf(request)).applied?.result).toMatch(/promoted/);
  });

  it('records a definitive refusal (403) as applied with the failure and a Warning, and does not retry it', async () => {
    const rollout = seedInconclusive(h.store, SHOP, 'forbidden');
    const request = decidedRequest(rollout, { state: 'Expired', outcome: 'rollback' });
    const stop = h.store.intercept((r) => (r.method === 'PATCH' && r.path.endsWith('/rollouts/forbidden/status') ? failure(403, 'Forbidden', 'rollouts.argoproj.io "forbidden" is forbidden: User "system:serviceaccount:rollouts-cv:bot" cannot patch resource "rollouts/status"') : undefined));
    try {
      const from = h.kube.requests.length;
      await pass();
      expect(statusOf(requestOf(request)).applied?.result).toMatch(/^failed: .*403.*cannot patch resource "rollouts\/status"/);
      expect(eventsAbout(request)).toContainEqual(expect.stringMatching(/^Warning InterventionRollback: failed: .*403/));
      later();
      await pass();
      expect(statusPatches(from, rollout)).toHaveLength(1);
    } finally {
      stop();
    }
  });

  it('does not hold up the pass while the controller is down: the promotion sent is recognised at the next pass', async () => {
    const rollout = seedInconclusive(h.store, SHOP, 'unattended');
    const request = decidedRequest(rollout, { state: 'Decided', outcome: 'promote', decisions: byAlice('promote') });
    const startController = h.stopController();
    try {
      const from = h.kube.requests.length;
      await pass();
      expect(statusPatches(from, rollout)).toEqual([['PATCH', 'status', { status: PROMOTED }]]);
      expect(statusOf(requestOf(request))).toMatchObject({ applying: { by: 'leader-test-1' } });
      expect(statusOf(requestOf(request)).applied).toBeUndefined();
      expect(h.logLines).toContainEqual(expect.objectContaining({ object: `ApprovalRequest ${SHOP}/${request.metadata.name}`, err: expect.stringContaining('the controller has not acted on it within 5s') }));
      later();
      await pass();
      expect(statusPatches(from, rollout)).toHaveLength(1);
      expect(statusOf(requestOf(request)).applied?.result).toBe('carried out: the rollout moved past this analysis');
    } finally {
      startController();
    }
  }, 20_000);

  it('records a promotion the controller saw and did not carry out as failed, and does not send it again', async () => {
    const rollout = seedInconclusive(h.store, SHOP, 'kept');
    const request = decidedRequest(rollout, { state: 'Decided', outcome: 'promote', decisions: byAlice('promote') });
    const path = `/apis/argoproj.io/v1alpha1/namespaces/${SHOP}/rollouts/kept/status`;
    // The API server accepts the patch, and the controller keeps the rollout paused on the analysis.
    h.store.once((r) => r.method === 'PATCH' && r.path === path, () => ({ status: 200, body: h.store.get({ ...ROLLOUTS, namespace: SHOP, name: 'kept' }) }));
    await pass();
    expect(statusOf(requestOf(request)).applied?.result).toMatch(/^failed: rollout 'shop\/kept' not promoted: the controller kept it at step 1\/3/);
    expect(eventsAbout(request)).toContainEqual(expect.stringMatching(/^Warning InterventionPromote: failed: .*not promoted/));
    const from = h.kube.requests.length;
    later();
    await pass();
    expect(writesTo(from, rollout)).toEqual([]);
  });

  it("carries out an expiry with the configured outcome, not one written into the request's status", async () => {
    const rollout = seedInconclusive(h.store, SHOP, 'forged');
    // Anyone who may write the status could mark the request expired with a go-ahead; intervention.onTimeout is rollback.
    const request = decidedRequest(rollout, { state: 'Expired', outcome: 'promote' });
    const from = h.kube.requests.length;
    await pass();
    expect(statusPatches(from, rollout)).not.toContainEqual(['PATCH', 'status', { status: PROMOTED }]);
    expect(rolloutOf(rollout).status?.abort).toBe(true);
    expect(eventsAbout(request)).toContainEqual(expect.stringMatching(/^Normal InterventionRollback: /));
  });

  it('records a decision on a rollout that is gone as applied, with a Warning', async () => {
    const rollout = seedInconclusive(h.store, SHOP, 'deleted');
    const request = decidedRequest(rollout, { state: 'Decided', outcome: 'promote', decisions: byAlice('promote') });
    h.store.delete({ ...ROLLOUTS, namespace: SHOP, name: 'deleted' });
    await pass();
    expect(statusOf(requestOf(request)).applied?.result).toBe('not carried out: the rollout is gone');
    expect(eventsAbout(request)).toContainEqual(expect.stringMatching(/^Warning InterventionPromote: not carried out: the rollout is gone/));
  });
});

describe('as whom', () => {
  withHarness({ ...CONFIG, impersonation: { users: { [ALICE]: 'alice@example.com' }, groups: ['rollouts-operators'] } });
  const impersonated = (from: number, rollout: Rollout) => writesTo(from, rollout).map((w) => [w.method, headerValues(w, 'impersonate-user'), headerValues(w, 'impersonate-group')]);

  it("carries out a person's decision as that person", async () => {
    const rollout = seedInconclusive(h.store, SHOP, 'as-alice');
    const request = decidedRequest(rollout, { state: 'Decided', outcome: 'promote', decisions: byAlice('promote') });
    const from = h.kube.requests.length;
    await pass();
    expect(impersonated(from, rollout)).toEqual([['PATCH', ['alice@example.com'], ['rollouts-operators']]]);
    expect(statusOf(requestOf(request)).applied?.result).toMatch(/promoted/);
  });

  it('carries out the default on timeout as the bot itself', async () => {
    const rollout = seedInconclusive(h.store, SHOP, 'as-bot');
    decidedRequest(rollout, { state: 'Expired', outcome: 'rollback' });
    const from = h.kube.requests.length;
    await pass();
    expect(impersonated(from, rollout)).toEqual([['PATCH', [], []]]);
    expect(rolloutOf(rollout).status?.abort).toBe(true);
  });

  it('does not act on the decision of a person with no Kubernetes identity, and records the refusal', async () => {
    const rollout = seedInconclusive(h.store, SHOP, 'as-nobody');
    const request = decidedRequest(rollout, { state: 'Decided', outcome: 'promote', decisions: by(BOB, 'promote') });
    const from = h.kube.requests.length;
    await pass();
    expect(writesTo(from, rollout)).toEqual([]);
    expect(statusOf(requestOf(request)).applied?.result).toBe(`refused: Slack user ${BOB} is not mapped to a Kubernetes identity (impersonation.users), so the bot does not act for them`);
    expect(eventsAbout(request)).toContainEqual(expect.stringMatching(new RegExp(`^Warning InterventionPromote: refused: Slack user ${BOB} is not mapped`)));
  });
});
