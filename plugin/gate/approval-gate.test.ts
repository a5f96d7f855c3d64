import { CustomObjectsApi } from '@kubernetes/client-node';
import { describe, expect, it, onTestFinished } from 'vitest';
import { deployedBy } from '../../shared/approvals/deployer.js';
import { APPROVAL_REQUESTS, type ApprovalRequest, effectivePolicy, statusOf } from '../../shared/approvals/request.js';
import { ApprovalRequestStore } from '../../shared/approvals/store.js';
import { createLogger } from '../../shared/log.js';
import { startFakeKubeApi } from '../../test/helpers/fake-kube-api.js';
import { failure, objectStore } from '../../test/helpers/fake-kube-store.js';
import type { EngineContext } from '../verify/context.js';
import { StepRpcError } from '../verify/types.js';
import { gateAbort, gateRun, gateTerminate } from './gate.js';

const T0 = new Date('2026-01-01T10:00:00Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

// The template as the controller marshals it, and as the bot wrote it when UDEPLOYER deployed it from Slack.
const template = { metadata: { creationTimestamp: null, labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'web:2', resources: {} }] } };
const written = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'web:2' }] } };

const rollout = {
  metadata: {
    name: 'web',
    namespace: 'shop',
    uid: 'r-uid',
    annotations: { 'rollout.argoproj.io/revision': '3', 'rollouts-cv.io/deployed-by': deployedBy('UDEPLOYER', written) },
  },
  spec: { template, progressDeadlineSeconds: 7200 },
  status: { currentPodHash: 'canary1', stableRS: 'stable1', currentStepIndex: 2 },
};

const withAnnotation = (value: string, spec: object = rollout.spec) => ({ ...rollout, spec, metadata: { ...rollout.metadata, annotations: { ...rollout.metadata.annotations, 'rollouts-cv.io/deployed-by': value } } });

/** The gate's store through the real client, over HTTP, against the fake API server's objects. */
async function setup() {
  const fake = objectStore();
  const server = await startFakeKubeApi(fake.respond);
  onTestFinished(() => server.close());
  const store = new ApprovalRequestStore(server.kubeConfig().makeApiClient(CustomObjectsApi));
  const requests = () => fake.list(APPROVAL_REQUESTS) as unknown as ApprovalRequest[];
  const context = (now: Date): EngineContext => ({ now: () => now, log: createLogger({ level: 'silent' }), approvals: store });
  const step = (config: unknown, status?: unknown) => ({ pluginName: 'rollouts-cv/gate', config: { approval: config }, status });
  const only = (): ApprovalRequest => {
    expect(requests().length).toBe(1);
    return requests()[0]!;
  };
  const decide = async (user: string, action: 'approve' | 'reject', id = `${user}-${action}`) => {
    const policy = effectivePolicy(only().spec, { environment: 'production', protected: false, minApprovals: 1 });
    await store.decide('shop', only().metadata.name, { id, user, action, at: T0.toISOString() }, at(1), undefined, policy);
  };
  return { fake, requests, store, context, step, only, decide };
}

const config = { environment: 'production', message: 'Ship web to 50%?', approvers: { groups: ['SRELEASE'] }, minApprovals: 2, timeout: '30m' };

describe('approval gate', () => {
  it('asks with an ApprovalRequest holding the policy, the deployer and the expiry, and waits', async () => {
    const { context, step, only } = await setup();
    const result = await gateRun(rollout, step(config), context(T0));
    const request = only();
    expect(request.metadata).toMatchObject({
      name: 'web-canary1-s2',
      namespace: 'shop',
      labels: { 'rollouts-cv.io/rollout-uid': 'r-uid', 'rollouts-cv.io/pod-template-hash': 'canary1', 'rollouts-cv.io/step-index': '2', 'rollouts-cv.io/type': 'Approval' },
    });
    expect(request.spec).toEqual({
      type: 'Approval',
      rollout: { name: 'web', uid: 'r-uid', revision: '3', podTemplateHash: 'canary1' },
      stepIndex: 2,
      environment: 'production',
      message: 'Ship web to 50%?',
      requestedBy: 'UDEPLOYER',
      policy: { approvers: { groups: ['SRELEASE'] }, minApprovals: 2, allowSelfApproval: false },
      expiresAt: '2026-01-01T10:30:00.000Z',
      onTimeout: 'reject',
    });
    expect(request.status).toMatchObject({ state: 'Pending', approvalsText: '0/2' });
    expect(result).toEqual({
      phase: 'Running',
      message: 'waiting for approval (0/2 approvals) on ApprovalRequest web-canary1-s2; reject at 2026-01-01T10:30:00.000Z if nobody decides',
      requeueAfterMs: 15_000,
      status: { kind: 'approval', request: 'web-canary1-s2' },
    });
  });

  it('adopts the pending request when the controller calls Run again without the status', async () => {
    const { requests, context, step } = await setup();
    await gateRun(rollout, step(config), context(T0));
    const again = await gateRun(rollout, step(config), context(at(5)));
    expect(requests().length).toBe(1);
    expect(again.status).toEqual({ kind: 'approval', request: 'web-canary1-s2' });
  });

  it('passes once enough people approved, and says who', async () => {
    const { context, step, decide } = await setup();
    const first = await gateRun(rollout, step(config), context(T0));
    await decide('UALICE', 'approve');
    expect((await gateRun(rollout, step(config, first.status), context(at(20)))).message).toContain('(1/2 approvals)');
    await decide('UBOB', 'approve');
    expect(await gateRun(rollout, step(config, first.status), context(at(40)))).toEqual({
      phase: 'Successful',
      message: 'ApprovalRequest web-canary1-s2 decided (approve): approve by UALICE, UBOB',
      status: first.status,
    });
  });

  it('fails the step, which aborts the rollout, when someone rejects', async () => {
    const { context, step, decide } = await setup();
    const first = await gateRun(rollout, step(config), context(T0));
    await decide('UBOB', 'reject');
    expect(await gateRun(rollout, step(config, first.status), context(at(20)))).toMatchObject({
      phase: 'Failed',
      message: 'ApprovalRequest web-canary1-s2 decided (reject): reject by UBOB',
    });
  });

  it('applies the timeout outcome when nobody decided, and records it on the request', async () => {
    const { context, step, only } = await setup();
    const first = await gateRun(rollout, step(config), context(T0));
    const late = await gateRun(rollout, step(config, first.status), context(at(1800)));
    expect(late).toMatchObject({ phase: 'Failed', message: expect.stringContaining('expired (reject): nobody decided by 2026-01-01T10:30:00.000Z') });
    expect(statusOf(only())).toMatchObject({ state: 'Expired', outcome: 'reject' });

  });

  it('leaves a go-ahead on timeout to the bot, which knows the policy of the environment', async () => {
    const { context, step, only, store } = await setup();
    const approveOnTimeout = { ...config, onTimeout: 'approve' };
    const first = await gateRun(rollout, step(approveOnTimeout), context(T0));
    expect(first.message).toContain('approve at 2026-01-01T10:30:00.000Z if nobody decides (applied by the Slack bot, under the policy of the environment)');
    const late = await gateRun(rollout, step(approveOnTimeout, first.status), context(at(3600)));
    expect(late).toMatchObject({
      phase: 'Running',
      message: expect.stringContaining('expired at 2026-01-01T10:30:00.000Z: waiting for the Slack bot to apply the default on timeout (approve) under the policy of the environment; without a running bot this request waits'),
      requeueAfterMs: 15_000,
    });
    expect(statusOf(only()).state).toBe('Pending');
    // The bot applied it (a protected environment would have made it a rejection).
    await store.updateStatus('shop', only().metadata.name, (current) => ({ status: { ...statusOf(current), state: 'Expired', outcome: 'approve' }, result: undefined }));
    expect((await gateRun(rollout, step(approveOnTimeout, first.status), context(at(3610)))).phase).toBe('Successful');
  });

  it('lets a decision written just before the expiry win over it', async () => {
    const { fake, context, step, only } = await setup();
    const first = await gateRun(rollout, step(config), context(T0));
    // A bot replica records the rejection between the step's read and its write of the expiry.
    fake.once(
      (request) => request.method === 'PUT' && request.path.endsWith('/status'),
      () => {
        fake.modify({ ...APPROVAL_REQUESTS, namespace: 'shop', name: 'web-canary1-s2' }, (object) => {
          object.status = { ...(object.status as object), state: 'Decided', outcome: 'reject', message: 'reject by UBOB' };
        });
        return undefined;
      },
    );
    const result = await gateRun(rollout, step(config, first.status), context(at(1800)));
    expect(result).toMatchObject({ phase: 'Failed', message: 'ApprovalRequest web-canary1-s2 decided (reject): reject by UBOB' });
    expect(statusOf(only()).state).toBe('Decided');
  });

  it('withdraws a pending request when the rollout is aborted or promoted past it', async () => {
    const { context, step, only } = await setup();
    const first = await gateRun(rollout, step(config), context(T0));
    expect(await gateAbort(rollout, step(config, first.status), context(at(10)))).toMatchObject({
      phase: 'Successful',
      message: 'ApprovalRequest web-canary1-s2 cancelled: the rollout was aborted',
    });
    expect(statusOf(only())).toMatchObject({ state: 'Cancelled', message: 'the rollout was aborted' });
    expect((await gateTerminate(rollout, step(config, first.status), context(at(20)))).message).toBe('ApprovalRequest web-canary1-s2 had already ended');
  });

  it('asks anew after a retry, keeping the ended request as the record', async () => {
    const { requests, context, step } = await setup();
    const first = await gateRun(rollout, step(config), context(T0));
    await gateAbort(rollout, step(config, first.status), context(at(10)));
    const retried = await gateRun(rollout, step(config), context(at(60)));
    expect(retried.status).toEqual({ kind: 'approval', request: 'web-canary1-s2-2' });
    expect(requests().map((r) => `${r.metadata.namespace}/${r.metadata.name}`).sort()).toEqual(['shop/web-canary1-s2', 'shop/web-canary1-s2-2']);
  });

  it('fails with the field named on an invalid config', async () => {
    const { context, step, requests } = await setup();
    const result = await gateRun(rollout, step({ minApprovals: 0, approvers: { users: ['alice'] }, timeout: '5s', onTimeout: 'maybe' }), context(T0));
    expect(result.phase).toBe('Failed');
    expect(result.message).toContain('config.approval.minApprovals:');
    expect(result.message).toContain('config.approval.approvers.users[0]: expected a Slack user ID such as U0123ABCD; got "alice"');
    expect(result.message).toContain('config.approval.timeout: expected at least 1m; got "5s"');
    expect(result.message).toContain('config.approval.onTimeout: expected one of reject, approve; got "maybe"');
    expect(requests().length).toBe(0);
  });

  it('fails when its request was deleted, and retries API failures as RpcErrors', async () => {
    const { fake, context, step } = await setup();
    const first = await gateRun(rollout, step(config), context(T0));
    fake.delete({ ...APPROVAL_REQUESTS, namespace: 'shop', name: 'web-canary1-s2' });
    expect(await gateRun(rollout, step(config, first.status), context(at(20)))).toMatchObject({
      phase: 'Failed',
      message: 'ApprovalRequest shop/web-canary1-s2 was deleted; retry the rollout to ask again',
    });
    fake.intercept(() => failure(503, 'InternalError', 'injected failure 503'));
    const call = gateRun(rollout, step(config), context(at(30)));
    await expect(call).rejects.toThrow(StepRpcError);
    await expect(call).rejects.toThrow('approval gate: cannot list approvalrequests in shop: HTTP 503: injected failure 503');
  });

  it('treats an invalid deployed-by annotation as an unknown deployer, and says which annotation is wrong', async () => {
    const { fake, context, step, only } = await setup();
    // The API server's CRD validation: spec.requestedBy is at most 32 characters.
    fake.intercept((request) => {
      const spec = (request.body as { spec?: { requestedBy?: string } } | undefined)?.spec;
      return request.method === 'POST' && (spec?.requestedBy?.length ?? 0) > 32 ? failure(422, 'Invalid', 'spec.requestedBy: Too long: may not be more than 32 bytes') : undefined;
    });
    const long = `U${'X'.repeat(40)}`;
    const result = await gateRun(withAnnotation(deployedBy(long, written)), step(config), context(T0));
    const why =
      'the annotation rollouts-cv.io/deployed-by on Rollout shop/web is not valid (expected {"user":"<Slack user ID>","template":"<digest>"}, as the bot writes it; ' +
      `user: expected a Slack user ID such as U0123ABCD; got "${long}")`;
    expect(result.phase).toBe('Running');
    expect(result.message).toContain(`deployer unknown: ${why}`);
    expect(only().spec.requestedBy).toBeUndefined();
    expect(only().spec.deployerUnknown).toBe(why);
  });

  it('names the deployer only for the template the bot wrote with the annotation', async () => {
    // kubectl changed the image after the deploy from Slack: the annotation is about another template.
    const changed = { ...rollout.spec, template: { ...template, spec: { containers: [{ name: 'app', image: 'web:3', resources: {} }] } } };
    const cases: [object, string][] = [
      [withAnnotation(deployedBy('UDEPLOYER', written), changed), "the rollout's template changed after the last deploy from Slack (by UDEPLOYER; rollouts-cv.io/deployed-by on Rollout shop/web is for another template)"],
      // The plain user ID of earlier versions is not bound to a template.
      [withAnnotation('UDEPLOYER'), 'the annotation rollouts-cv.io/deployed-by on Rollout shop/web is not valid (expected {"user":"<Slack user ID>","template":"<digest>"}, as the bot writes it; got "UDEPLOYER")'],
      [{ ...rollout, metadata: { ...rollout.metadata, annotations: {} } }, 'no rollouts-cv.io/deployed-by annotation on Rollout shop/web (not deployed from Slack)'],
    ];
    for (const [ro, why] of cases) {
      const { context, step, only } = await setup();
      const result = await gateRun(ro, step(config), context(T0));
      expect(only().spec.requestedBy).toBeUndefined();
      expect(only().spec.deployerUnknown).toBe(why);
      expect(result.message).toContain(`deployer unknown: ${why}`);
    }
  });

  it("fails at its first call when its timeout does not fit in the Rollout's progressDeadlineSeconds, naming both and the fix", async () => {
    const { context, step, requests } = await setup();
    const withDeadline = (seconds?: number) => ({ ...rollout, spec: { template, ...(seconds !== undefined && { progressDeadlineSeconds: seconds }) } });
    expect(await gateRun(withDeadline(), step(config), context(T0))).toEqual({
      phase: 'Failed',
      message:
        "the approval timeout (30m) does not fit in the Rollout's spec.progressDeadlineSeconds (600, the default): the controller would mark the rollout Degraded " +
        '(ProgressDeadlineExceeded) while the step still waits, and stop calling it. Set spec.progressDeadlineSeconds to at least 1860 (the wait plus 60 s), or shorten the wait to at most 9m',
    });
    expect((await gateRun(withDeadline(1859), step(config), context(T0))).message).toContain("spec.progressDeadlineSeconds (1859): the controller would mark");
    expect(requests()).toEqual([]);
    expect((await gateRun(withDeadline(1860), step(config), context(T0))).phase).toBe('Running');
  });

  it('says the engine needs Kubernetes access when it has none', async () => {
    const { step } = await setup();
    const call = gateRun(rollout, step(config), { now: () => T0, log: createLogger({ level: 'silent' }) });
    await expect(call).rejects.toThrow('approval gates need Kubernetes access and the engine has none');
  });
});
