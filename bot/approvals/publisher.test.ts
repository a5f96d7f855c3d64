// The leader's pass over ApprovalRequests: expiry under the operator's policy, posting where the operator says.
import { describe, expect, it } from 'vitest';
import { APPROVAL_REQUESTS, type ApprovalRequest, statusOf } from '../../shared/approvals/request.js';
import { ROLLOUTS, type Rollout } from '../../shared/kube/rollout-types.js';
import { type KubeObject, failure } from '../../test/helpers/fake-kube-store.js';
import { CONFIG, approvalRequest, rolloutAt } from '../../test/helpers/approval-policy.js';
import { type BotContextHarness, startBotContext } from '../../test/helpers/bot-context.js';
import { Backoff } from '../backoff.js';
import { publishRequests } from './publisher.js';

const HOUR = 3_600_000;

/** One leader pass; `backoff` is what the leader keeps between passes. */
async function pass(bot: BotContextHarness, backoff = new Backoff()): Promise<void> {
  const rollouts = bot.store.list(ROLLOUTS) as unknown as Rollout[];
  await publishRequests(bot.ctx, { client: bot.ctx.slackBackground, defaultChannel: 'C0DEFAULT1', backoff }, bot.cluster, await bot.cluster.approvals.list(undefined), rollouts);
}

const stored = (bot: BotContextHarness, namespace: string, name: string) => bot.store.get({ ...APPROVAL_REQUESTS, namespace, name }) as unknown as ApprovalRequest;

describe('expiry by the bot', () => {
  it('never goes ahead on timeout in a protected environment: the stopping outcome applies, and the message says why', async () => {
    const bot = await startBotContext(CONFIG, { slack: { channels: [{ id: 'C0DEFAULT1', name: 'deploys' }] } });
    const shop = await bot.cluster.approvals.create(approvalRequest('web-abc123-s1', 'shop', { onTimeout: 'approve' }));
    await bot.cluster.approvals.create(approvalRequest('web-abc123-s2', 'shop', { type: 'Intervention', actions: ['promote', 'rollback'], onTimeout: 'promote' }));
    const lab = await bot.cluster.approvals.create(approvalRequest('web-abc123-s3', 'lab', { onTimeout: 'approve', stepIndex: 3 }));
    for (const request of [shop!, lab!]) bot.store.seed(ROLLOUTS, rolloutAt(request));
    bot.advance(2 * HOUR);
    await pass(bot);
    expect(statusOf(stored(bot, 'shop', 'web-abc123-s1'))).toMatchObject({
      state: 'Expired',
      outcome: 'reject',
      message: expect.stringMatching(/: reject \(the default on timeout; production is protected: reject on timeout, not approve\)$/),
    });
    expect(statusOf(stored(bot, 'shop', 'web-abc123-s2'))).toMatchObject({ state: 'Expired', outcome: 'rollback' });
    // Elsewhere the gate's own choice stands.
    expect(statusOf(stored(bot, 'lab', 'web-abc123-s3'))).toMatchObject({ state: 'Expired', outcome: 'approve' });
  });

  it("applies the bot's configured default to the bot's own interventions, whatever the object says", async () => {
    const bot = await startBotContext(CONFIG, { slack: { channels: [{ id: 'C0DEFAULT1', name: 'deploys' }] } });
    const forged = approvalRequest('web-abc123-s1-i1', 'lab', { type: 'Intervention', actions: ['promote', 'rollback'], onTimeout: 'promote', stepIndex: 1 });
    forged.metadata.labels = { ...forged.metadata.labels, 'rollouts-cv.io/source': 'inconclusive-analysis' };
    const created = await bot.cluster.approvals.create(forged);
    bot.store.seed(ROLLOUTS, rolloutAt(created!));
    bot.advance(2 * HOUR);
    await pass(bot);
    expect(bot.ctx.config.intervention.onTimeout).toBe('rollback');
    expect(statusOf(stored(bot, 'lab', 'web-abc123-s1-i1'))).toMatchObject({ state: 'Expired', outcome: 'rollback' });
  });
});

describe('the count of approvals', () => {
  it("is shown against what the environment's floor needs, for kubectl and the step's message", async () => {
    const bot = await startBotContext(CONFIG, { slack: { channels: [{ id: 'C0DEFAULT1', name: 'deploys' }] } });
    const request = await bot.cluster.approvals.create(approvalRequest('web-abc123-s1', 'staging'));
    bot.store.seed(ROLLOUTS, rolloutAt(request!));
    expect(statusOf(stored(bot, 'staging', 'web-abc123-s1')).approvalsText).toBe('0/1');
    await pass(bot);
    expect(statusOf(stored(bot, 'staging', 'web-abc123-s1'))).toMatchObject({ state: 'Pending', approvalsText: '0/2' });
  });
});

describe('namespaces no environment covers', () => {
  it('are left alone: their requests are neither posted nor expired, and each is logged once', async () => {
    const bot = await startBotContext(CONFIG, { slack: { channels: [{ id: 'C0DEFAULT1', name: 'deploys' }] } });
    await bot.cluster.approvals.create(approvalRequest('web-abc123-s1', 'elsewhere'));
    await pass(bot);
    bot.advance(2 * HOUR);
    await pass(bot);
    expect(statusOf(stored(bot, 'elsewhere', 'web-abc123-s1'))).toMatchObject({ state: 'Pending' });
    expect(bot.slack.journal.calls('chat.postMessage')).toEqual([]);
    const warnings = bot.logLines.filter((line) => line.request === 'elsewhere/web-abc123-s1');
    expect(warnings).toEqual([
      expect.objectContaining({ level: 'warn', msg: 'approval request in a namespace no environment of the configuration covers: not posted, not expired by the bot', cluster: 'test' }),
    ]);
  });
});

describe('requests the rollout has left behind', () => {
  it('are withdrawn, so that no live buttons remain: a later step, another revision, a deleted rollout', async () => {
    const bot = await startBotContext(CONFIG, { slack: { channels: [{ id: 'C0DEFAULT1', name: 'deploys' }] } });
    const rollout = bot.store.seed(ROLLOUTS, {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'web', namespace: 'shop' },
      spec: { strategy: { canary: { steps: [{ setWeight: 10 }, { pause: {} }, { pause: {} }] } } },
      status: { currentPodHash: 'newhash', currentStepIndex: 2 },
    } as KubeObject);
    const at = (name: string, podTemplateHash: string, stepIndex: number, uid = rollout.metadata.uid!) =>
      bot.cluster.approvals.create(approvalRequest(name, 'shop', { rollout: { name: 'web', uid, podTemplateHash }, stepIndex }));
    await at('web-newhash-s1', 'newhash', 1);
    await at('web-oldhash-s2', 'oldhash', 2);
    await at('web-newhash-s2', 'newhash', 2);
    await at('gone-newhash-s2', 'newhash', 2, 'uid-of-a-deleted-rollout');
    await pass(bot);
    const state = (name: string) => statusOf(stored(bot, 'shop', name));
    expect(state('web-newhash-s1')).toMatchObject({ state: 'Cancelled', message: 'the rollout moved past step 1 (it is at step 2)' });
    expect(state('web-oldhash-s2')).toMatchObject({ state: 'Cancelled', message: 'the rollout moved on to another revision (canary newhash)' });
    expect(state('gone-newhash-s2')).toMatchObject({ state: 'Cancelled', message: 'the rollout is gone' });
    expect(state('web-newhash-s2')).toMatchObject({ state: 'Pending' });
    // Only the one still asked was posted with buttons.
    expect(bot.slack.journal.calls('chat.postMessage').map((call) => String(call.args.text))).toEqual(['Approval needed: shop/web (Pending)']);
  });
});

describe('a request whose message cannot be recorded', () => {
  it('is not posted anew at every pass: the request backs off', async () => {
    const bot = await startBotContext(CONFIG, { slack: { channels: [{ id: 'C0DEFAULT1', name: 'deploys' }] } });
    const request = await bot.cluster.approvals.create(approvalRequest('web-abc123-s1', 'lab'));
    bot.store.seed(ROLLOUTS, rolloutAt(request!));
    const refused = (r: { method: string; path: string }) => r.method === 'PUT' && r.path.endsWith('/namespaces/lab/approvalrequests/web-abc123-s1/status');
    bot.store.intercept((r) => (refused(r) ? failure(422, 'Invalid', 'ApprovalRequest.rollouts-cv.io "web-abc123-s1" is invalid: status.slack: Invalid value') : undefined));
    const backoff = new Backoff();
    const from = bot.kube.requests.length;
    for (let i = 0; i < 3; i++) await pass(bot, backoff);
    expect(bot.slack.journal.calls('chat.postMessage')).toHaveLength(1);
    expect(bot.kube.requests.slice(from).filter(refused)).toHaveLength(1);
    expect(bot.logLines).toContainEqual(
      expect.objectContaining({ level: 'warn', msg: 'publishing the approval request failed; retried with back-off', object: 'ApprovalRequest lab/web-abc123-s1', err: expect.stringContaining('is invalid') }),
    );
  });
});
