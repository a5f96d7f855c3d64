// Signed references to the bot's own Slack messages: what verifies and what does not, and the publisher, which
// keeps an ApprovalRequest's message reference in its status (writable by the engine's service account too).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, APPROVAL_REQUESTS, type ApprovalRequest, type ApprovalRequestStatus, statusOf } from '../../shared/approvals/request.js';
import { ROLLOUTS, type Rollout } from '../../shared/kube/rollout-types.js';
import { rolloutAt } from '../../test/helpers/approval-policy.js';
import { type LeaderHarness, startLeaderHarness } from '../../test/helpers/leader-harness.js';
import { publishRequests } from '../approvals/publisher.js';
import { Backoff } from '../backoff.js';
import { type RefSubject, checkRef, signRef } from './message-ref.js';

const TOKEN = 'xoxb-1-signing';
const SUBJECT: RefSubject = { kind: 'rollout-thread', cluster: 'prod', namespace: 'shop', name: 'web', uid: 'uid-1', revision: '2' };
const REF = { channel: 'C0PROD0001', ts: '1700000000.000100' };

describe('signRef and checkRef', () => {
  const sig = signRef(TOKEN, SUBJECT, REF);

  it('verifies a reference the bot signed for the same subject, in the channel it would post to', () => {
    expect(checkRef(TOKEN, SUBJECT, { ...REF, sig }, REF.channel)).toEqual({ ref: REF });
    expect(checkRef(TOKEN, SUBJECT, { ...REF, sig }, undefined)).toEqual({ ref: REF });
  });

  it.each([
    ['no signature', { ...REF }, REF.channel, TOKEN, SUBJECT],
    ['another message', { ...REF, ts: '1700000000.000200', sig }, REF.channel, TOKEN, SUBJECT],
    ['another channel', { ...REF, channel: 'C0OTHER001', sig }, 'C0OTHER001', TOKEN, SUBJECT],
    ['another rollout', { ...REF, sig }, REF.channel, TOKEN, { ...SUBJECT, name: 'api', uid: 'uid-2' }],
    ['the same name recreated', { ...REF, sig }, REF.channel, TOKEN, { ...SUBJECT, uid: 'uid-3' }],
    ['another revision', { ...REF, sig }, REF.channel, TOKEN, { ...SUBJECT, revision: '3' }],
    ['another kind of message', { ...REF, sig }, REF.channel, TOKEN, { ...SUBJECT, kind: 'approval-request' as const, revision: undefined }],
    ['another cluster', { ...REF, sig }, REF.channel, TOKEN, { ...SUBJECT, cluster: 'lab' }],
    ['another bot token (rotated)', { ...REF, sig }, REF.channel, 'xoxb-2-rotated', SUBJECT],
    ['a malformed signature', { ...REF, sig: 'zz' }, REF.channel, TOKEN, SUBJECT],
    ['fields that are not strings', { channel: 1, ts: REF.ts, sig }, REF.channel, TOKEN, SUBJECT],
  ])('refuses %s', (_what, stored, channel, token, subject) => {
    expect(checkRef(token, subject, stored, channel)).toMatchObject({ problem: expect.any(String) });
  });

  it('refuses a reference it signed when it would now post elsewhere', () => {
    expect(checkRef(TOKEN, SUBJECT, { ...REF, sig }, 'C0NEWCHAN1')).toEqual({ problem: `it is in channel ${REF.channel}, not ${'C0NEWCHAN1'} where the bot posts now` });
  });

  it('has nothing to check when nothing is stored', () => {
    expect(checkRef(TOKEN, SUBJECT, undefined, REF.channel)).toBeUndefined();
  });
});

describe('the publisher', () => {
  const PROD = 'C0PROD0001';
  let h: LeaderHarness;

  beforeAll(async () => {
    h = await startLeaderHarness({ environments: [{ name: 'production', namespaces: ['shop'], channel: PROD }] }, [PROD]);
  });
  afterAll(() => h?.close());

  const request = (name: string, status?: Partial<ApprovalRequestStatus>): ApprovalRequest => ({
    apiVersion: API_VERSION,
    kind: 'ApprovalRequest',
    metadata: { name, namespace: 'shop' },
    spec: {
      type: 'Approval',
      rollout: { name: name.split('-')[0]!, uid: `uid-${name}`, revision: '2', podTemplateHash: 'abc123' },
      stepIndex: 1,
      policy: { minApprovals: 1, allowSelfApproval: false },
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      onTimeout: 'reject',
    },
    ...(status && { status: { state: 'Pending', approvals: 0, approvalsText: '0/1', decisions: [], ...status } }),
  });
  const backoff = new Backoff();
  const publish = () => publishRequests(h.ctx, { client: h.ctx.slackBackground, backoff }, h.cluster, h.requests(), h.store.list(ROLLOUTS) as unknown as Rollout[]);
  /** A request as the gate creates it, with its Rollout waiting at its step (a request left behind is withdrawn). */
  const create = async (request: ApprovalRequest) => {
    h.store.seed(ROLLOUTS, rolloutAt(request));
    await h.cluster.approvals.create(request);
  };
  const stored = (name: string) => h.store.get({ ...APPROVAL_REQUESTS, namespace: 'shop', name }) as unknown as ApprovalRequest;

  it('never updates a message through a status.slack it did not record, and posts the request anew', async () => {
    await create(request('checkout-abc123-s1'));
    await publish();
    const own = statusOf(stored('checkout-abc123-s1')).slack!;
    expect(own).toMatchObject({ channel: PROD, sig: expect.any(String) });
    const shown = h.fake.message(own.channel, own.ts)!.text;

    // Another writer of ApprovalRequest status points a request of its own at that message.
    await create(request('forged-abc123-s1'));
    await h.cluster.approvals.updateStatus('shop', 'forged-abc123-s1', (current) => ({ status: { ...statusOf(current), slack: { channel: own.channel, ts: own.ts, digest: 'x' } }, result: undefined }));
    const from = h.fake.journal.entries.length;
    await publish();
    expect(h.fake.message(own.channel, own.ts)!.text).toBe(shown);
    expect(h.fake.journal.entries.slice(from).filter((e) => e.method === 'chat.update')).toEqual([]);
    const fresh = statusOf(stored('forged-abc123-s1')).slack!;
    expect(fresh.ts).not.toBe(own.ts);
    expect(h.fake.message(fresh.channel, fresh.ts)!.text).toBe('Approval needed: shop/forged (Pending)');
    expect(h.logLines).toContainEqual(expect.objectContaining({ msg: 'ignoring a Slack message reference the bot did not record; posting a new message', object: 'ApprovalRequest shop/forged-abc123-s1' }));
  });
});
