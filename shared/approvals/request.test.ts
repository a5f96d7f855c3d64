import { describe, expect, it } from 'vitest';
import { type ApprovalRequest, type RolloutRequestSpec, type Decision, type OperatorPolicy, applyDecision, cancel, effectivePolicy, engineTimeout, expire, statusOf } from './request.js';

const NOW = new Date('2026-01-01T10:00:00Z');

function request(spec: Partial<RolloutRequestSpec> = {}, status?: ApprovalRequest['status']): ApprovalRequest {
  return {
    apiVersion: 'rollouts-cv.io/v1alpha1',
    kind: 'ApprovalRequest',
    metadata: { name: 'web-abc-s2', namespace: 'shop' },
    spec: {
      type: 'Approval',
      rollout: { name: 'web', uid: 'u1', podTemplateHash: 'abc' },
      stepIndex: 2,
      environment: 'production',
      requestedBy: 'UDEPLOYER',
      policy: { minApprovals: 2, allowSelfApproval: false },
      expiresAt: '2026-01-01T11:00:00Z',
      onTimeout: 'reject',
      ...spec,
    },
    ...(status && { status }),
  };
}

const PRODUCTION: OperatorPolicy = { environment: 'production', protected: false, minApprovals: 1 };
const policyOf = (r: ApprovalRequest, operator: OperatorPolicy = PRODUCTION) => effectivePolicy(r.spec, operator);

let clicks = 0;
const decision = (user: string, action: Decision['action'], extra: Partial<Decision> = {}): Decision => ({ id: `click-${++clicks}`, user, action, at: NOW.toISOString(), ...extra });

/** Applies decisions in order, each on the request the previous one produced. */
function decideAll(start: ApprovalRequest, decisions: Decision[]) {
  let current = start;
  const results = decisions.map((d) => {
    const result = applyDecision(current, d, NOW, undefined, policyOf(current));
    if (result.kind === 'applied') current = { ...current, status: result.status };
    return result;
  });
  return { current, results };
}

describe('applyDecision', () => {
  it('needs the minimum number of distinct approvers', () => {
    const { current, results } = decideAll(request(), [decision('UALICE', 'approve'), decision('UALICE', 'approve'), decision('UBOB', 'approve')]);
    expect(results.map((r) => r.kind)).toEqual(['applied', 'refused', 'applied']);
    expect(results[1]).toEqual({ kind: 'refused', reason: 'you already chose approve; 1 more from other people needed' });
    expect(statusOf(current)).toMatchObject({ state: 'Decided', outcome: 'approve', approvals: 2, approvalsText: '2/2', message: 'approve by UALICE, UBOB' });
  });

  it('stays pending below the minimum and says how many are in', () => {
    const { current, results } = decideAll(request(), [decision('UALICE', 'approve')]);
    expect(results[0]).toMatchObject({ kind: 'applied', decided: false });
    expect(statusOf(current)).toMatchObject({ state: 'Pending', approvals: 1, approvalsText: '1/2', message: '1/2 approvals' });
  });

  it('decides at the first rejection, with its comment', () => {
    const { current } = decideAll(request(), [decision('UALICE', 'approve'), decision('UBOB', 'reject', { comment: 'error budget spent' })]);
    expect(statusOf(current)).toMatchObject({ state: 'Decided', outcome: 'reject', message: 'reject by UBOB: error budget spent', decidedAt: NOW.toISOString() });
  });

  it('bars the deployer from approving, but lets them reject', () => {
    expect(applyDecision(request(), decision('UDEPLOYER', 'approve'), NOW, undefined, policyOf(request()))).toEqual({
      kind: 'refused',
      reason: 'you triggered this deploy, so someone else has to approve it',
    });
    expect(applyDecision(request(), decision('UDEPLOYER', 'reject'), NOW, undefined, policyOf(request()))).toMatchObject({ kind: 'applied', decided: true });
    const allowed = request({ policy: { minApprovals: 1, allowSelfApproval: true } });
    expect(applyDecision(allowed, decision('UDEPLOYER', 'approve'), NOW, undefined, policyOf(allowed))).toMatchObject({ kind: 'applied', decided: true });
  });

  it('treats the same click twice as one decision', () => {
    const click = decision('UALICE', 'approve');
    const { current } = decideAll(request(), [click]);
    expect(applyDecision(current, click, NOW, undefined, policyOf(current))).toEqual({ kind: 'duplicate' });
  });

  it('refuses the unauthorised, the late, and anything after the end', () => {
    expect(applyDecision(request(), decision('UEVE', 'approve'), NOW, 'you are not allowed to decide requests of rollout shop/web in production', policyOf(request()))).toEqual({
      kind: 'refused',
      reason: 'you are not allowed to decide requests of rollout shop/web in production',
    });
    expect(applyDecision(request(), decision('UALICE', 'approve'), new Date('2026-01-01T11:00:00Z'), undefined, policyOf(request()))).toEqual({
      kind: 'refused',
      reason: 'this request expired at 2026-01-01T11:00:00Z',
    });
    const { current } = decideAll(request(), [decision('UBOB', 'reject')]);
    expect(applyDecision(current, decision('UALICE', 'approve'), NOW, undefined, policyOf(current))).toEqual({ kind: 'refused', reason: 'this request is already decided (reject): reject by UBOB' });
  });

  it('offers an intervention only its actions, and one person decides it', () => {
    const intervention = request({ type: 'Intervention', actions: ['promote', 'retry', 'rollback'], onTimeout: 'rollback' });
    expect(applyDecision(intervention, decision('UALICE', 'approve'), NOW, undefined, policyOf(intervention))).toEqual({
      kind: 'refused',
      reason: '"approve" is not one of the choices here (promote, retry, rollback)',
    });
    const promoted = applyDecision(intervention, decision('UALICE', 'promote'), NOW, undefined, policyOf(intervention));
    expect(promoted).toMatchObject({ kind: 'applied', decided: true, status: { state: 'Decided', outcome: 'promote' } });
  });
});

describe('expire and cancel', () => {
  it('applies the timeout outcome only once the request is due', () => {
    expect(expire(request(), NOW, policyOf(request()))).toBeUndefined();
    expect(expire(request(), new Date('2026-01-01T11:00:00Z'), policyOf(request()))).toMatchObject({
      state: 'Expired',
      outcome: 'reject',
      message: 'nobody decided by 2026-01-01T11:00:00Z: reject (the default on timeout)',
    });
    expect(expire(request({ onTimeout: 'approve' }), new Date('2026-01-01T12:00:00Z'), policyOf(request({ onTimeout: 'approve' })))).toMatchObject({ outcome: 'approve' });
  });

  it('withdraws only a pending request', () => {
    expect(cancel(request(), 'the rollout was aborted', NOW)).toMatchObject({ state: 'Cancelled', message: 'the rollout was aborted' });
    const { current } = decideAll(request(), [decision('UBOB', 'reject')]);
    expect(cancel(current, 'the rollout was aborted', NOW)).toBeUndefined();
    expect(expire(current, new Date('2026-01-02T00:00:00Z'), policyOf(current))).toBeUndefined();
  });
});

describe('effectivePolicy: the operator decides, the gate can only narrow', () => {
  it("takes the environment from the operator's mapping and says when the gate names another", () => {
    const policy = effectivePolicy(request({ environment: 'lab' }).spec, PRODUCTION);
    expect(policy.environment).toBe('production');
    expect(policy.notes).toEqual(['the gate names environment "lab"; the request is in production, whose policy applies']);
    expect(effectivePolicy(request().spec, PRODUCTION).notes).toEqual([]);
  });

  it('raises the approvals needed to the floor of the environment, never lowers them', () => {
    const floor = { ...PRODUCTION, minApprovals: 3 };
    expect(effectivePolicy(request().spec, floor)).toMatchObject({ minApprovals: 3, notes: ['production needs at least 3 approvals (the gate asks for 2)'] });
    expect(effectivePolicy(request({ policy: { minApprovals: 5, allowSelfApproval: false } }).spec, floor)).toMatchObject({ minApprovals: 5, notes: [] });
    // A go-ahead on an intervention needs the floor too.
    const intervention = request({ type: 'Intervention', actions: ['promote', 'rollback'], onTimeout: 'rollback', policy: { minApprovals: 1, allowSelfApproval: true } });
    const first = applyDecision(intervention, decision('UALICE', 'promote'), NOW, undefined, effectivePolicy(intervention.spec, { ...PRODUCTION, minApprovals: 2 }));
    expect(first).toMatchObject({ kind: 'applied', decided: false, status: { approvalsText: '1/2' } });
  });

  it('in a protected environment, never lets the deployer approve and never goes ahead on timeout', () => {
    const guarded = { ...PRODUCTION, protected: true };
    const selfApproving = request({ onTimeout: 'approve', policy: { minApprovals: 1, allowSelfApproval: true } });
    const policy = effectivePolicy(selfApproving.spec, guarded);
    expect(policy).toMatchObject({ allowSelfApproval: false, onTimeout: 'reject' });
    expect(policy.notes).toEqual(['production is protected: the deployer may not approve', 'production is protected: reject on timeout, not approve']);
    expect(applyDecision(selfApproving, decision('UDEPLOYER', 'approve'), NOW, undefined, policy)).toEqual({ kind: 'refused', reason: 'you triggered this deploy, so someone else has to approve it' });
    expect(expire(selfApproving, new Date('2026-01-01T11:00:00Z'), policy)).toMatchObject({
      outcome: 'reject',
      message: 'nobody decided by 2026-01-01T11:00:00Z: reject (the default on timeout; production is protected: reject on timeout, not approve)',
    });
    const intervention = request({ type: 'Intervention', actions: ['promote', 'rollback'], onTimeout: 'promote' });
    expect(effectivePolicy(intervention.spec, guarded).onTimeout).toBe('rollback');
  });

  it('in a protected environment, asks two people for a go-ahead when the deployer is unknown', () => {
    const guarded = { ...PRODUCTION, protected: true };
    const unknown = request({ requestedBy: undefined, deployerUnknown: 'the revision was deployed outside Slack', policy: { minApprovals: 1, allowSelfApproval: false } });
    const policy = effectivePolicy(unknown.spec, guarded);
    expect(policy).toMatchObject({ minApprovals: 2, notes: ['production is protected and the deployer is unknown: a go-ahead needs 2 people'] });
    expect(applyDecision(unknown, decision('UMALLORY', 'approve'), NOW, undefined, policy)).toMatchObject({ kind: 'applied', decided: false });
    const intervention = request({ type: 'Intervention', requestedBy: undefined, actions: ['promote', 'rollback'], onTimeout: 'rollback' });
    expect(effectivePolicy(intervention.spec, guarded).minApprovals).toBe(2);
    // Stopping the rollout still takes one person; an unprotected environment and a known deployer are unchanged.
    expect(applyDecision(unknown, decision('UMALLORY', 'reject'), NOW, undefined, policy)).toMatchObject({ kind: 'applied', decided: true });
    expect(effectivePolicy(unknown.spec, PRODUCTION).minApprovals).toBe(1);
    expect(effectivePolicy(request({ policy: { minApprovals: 1, allowSelfApproval: false } }).spec, guarded).minApprovals).toBe(1);
  });
});

describe('engineTimeout', () => {
  it('lets the engine apply only an outcome that stops the rollout; a go-ahead waits for the bot', () => {
    expect(engineTimeout(request().spec)).toEqual({ onTimeout: 'reject' });
    expect(engineTimeout(request({ onTimeout: 'approve' }).spec)).toBeUndefined();
    expect(expire(request({ onTimeout: 'approve' }), new Date('2026-01-01T12:00:00Z'), engineTimeout(request({ onTimeout: 'approve' }).spec))).toBeUndefined();
    expect(engineTimeout(request({ type: 'Intervention', onTimeout: 'promote' }).spec)).toBeUndefined();
    expect(engineTimeout(request({ type: 'Intervention', onTimeout: 'rollback' }).spec)).toEqual({ onTimeout: 'rollback' });
  });
});
