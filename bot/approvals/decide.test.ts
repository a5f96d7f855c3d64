// Decisions on ApprovalRequests as the bot records them: under the operator's policy for the request's namespace,
// whatever the gate that created the request wrote.
import { describe, expect, it } from 'vitest';
import { APPROVAL_REQUESTS, type ApprovalRequest, type Outcome, statusOf } from '../../shared/approvals/request.js';
import { ALICE, BOB, CAROL, CONFIG, EVE, LARA, PROD, STAGING, approvalRequest } from '../../test/helpers/approval-policy.js';
import { type BotContextHarness, startBotContext } from '../../test/helpers/bot-context.js';
import { decide } from './decide.js';

let keys = 0;
async function click(bot: BotContextHarness, request: ApprovalRequest, user: string, action: Outcome = 'approve'): Promise<string> {
  const { namespace, name } = request.metadata;
  await decide(bot.ctx, { cluster: bot.cluster, namespace, name, action }, user, `click:${++keys}`, 'slack:C0TEST0001', bot.reply);
  return bot.answer();
}

async function created(bot: BotContextHarness, request: ApprovalRequest): Promise<ApprovalRequest> {
  return (await bot.cluster.approvals.create(request))!;
}

const stateOf = (bot: BotContextHarness, request: ApprovalRequest) =>
  statusOf(bot.store.get({ ...APPROVAL_REQUESTS, namespace: request.metadata.namespace, name: request.metadata.name }) as unknown as ApprovalRequest);

describe("the operator's policy decides, not the gate's", () => {
  it('an environment named by the gate neither lets its approvers in nor locks the mapped approvers out', async () => {
    const bot = await startBotContext(CONFIG);
    const labelled = await created(bot, approvalRequest('web-abc123-s1', PROD, { environment: 'lab' }));
    expect(await click(bot, labelled, LARA)).toMatch(/^Not recorded: you are not allowed to /);
    expect(stateOf(bot, labelled).decisions).toEqual([]);

    const unknown = await created(bot, approvalRequest('web-abc123-s2', PROD, { environment: 'nowhere' }));
    expect(await click(bot, unknown, ALICE)).toBe(`Recorded your approve on ${PROD}/web-abc123-s2: the request is now decided (approve).`);
  });

  it('named approvers only narrow: the named must also hold approve there, and the unnamed are out', async () => {
    const bot = await startBotContext(CONFIG);
    const named = await created(bot, approvalRequest('web-abc123-s3', PROD, { policy: { minApprovals: 1, allowSelfApproval: false, approvers: { users: [EVE, CAROL] } } }));
    expect(await click(bot, named, EVE)).toMatch(/^Not recorded: you are not allowed to /);
    expect(await click(bot, named, ALICE)).toBe(`Not recorded: you are not among the approvers this gate names (${EVE}, ${CAROL}). Nothing was changed.`);
    expect(stateOf(bot, named).decisions).toEqual([]);
    expect(await click(bot, named, CAROL)).toMatch(/now decided \(approve\)/);
  });

  it("applies the environment's floors: minimum approvals, and no self-approval where protected", async () => {
    const bot = await startBotContext(CONFIG);
    const floor = await created(bot, approvalRequest('web-abc123-s4', STAGING));
    expect(await click(bot, floor, ALICE)).toBe(`Recorded your approve on ${STAGING}/web-abc123-s4: 1/2 approvals so far.`);
    expect(await click(bot, floor, CAROL)).toMatch(/now decided \(approve\)/);

    const selfApproving = await created(bot, approvalRequest('web-abc123-s5', PROD, { requestedBy: ALICE, policy: { minApprovals: 1, allowSelfApproval: true } }));
    expect(await click(bot, selfApproving, ALICE)).toBe('Not recorded: you triggered this deploy, so someone else has to approve it. Nothing was changed.');
  });
});

describe('someone without the approve permission where the request would be', () => {
  it('learns nothing about which requests exist, and makes the bot write nothing there (an audit log line instead)', async () => {
    const bot = await startBotContext(CONFIG);
    const existing = await created(bot, approvalRequest('web-abc123-s1', PROD));
    const missing = approvalRequest('no-such-request', PROD);
    for (const user of [EVE, LARA]) {
      const from = bot.kube.requests.length;
      const answers = [await click(bot, existing, user), await click(bot, missing, user, 'reject')];
      expect(answers).toEqual([
        'Not recorded: you are not allowed to decide approval requests in environment production. Nothing was changed.',
        'Not recorded: you are not allowed to decide approval requests in environment production. Nothing was changed.',
      ]);
      // Not even a read of the request, and no Event.
      expect(bot.kube.requests.slice(from)).toEqual([]);
    }
    expect(bot.logLines.filter((line) => line.audit === true && line.outcome === 'refused').map((line) => [line.user, line.request, line.msg])).toEqual([
      [EVE, `${PROD}/web-abc123-s1`, 'not authorised to decide'],
      [EVE, `${PROD}/no-such-request`, 'not authorised to decide'],
      [LARA, `${PROD}/web-abc123-s1`, 'not authorised to decide'],
      [LARA, `${PROD}/no-such-request`, 'not authorised to decide'],
    ]);
    expect(stateOf(bot, existing).decisions).toEqual([]);
  });
});

describe('with impersonation on', () => {
  it('refuses a decider without a Kubernetes identity before anything is recorded, on interventions and approvals alike', async () => {
    const bot = await startBotContext({ ...CONFIG, impersonation: { users: { [ALICE]: 'alice@example.com' } } });
    const intervention = await created(bot, approvalRequest('web-abc123-s1-v1', PROD, { type: 'Intervention', actions: ['promote', 'rollback'], onTimeout: 'rollback' }));
    const approval = await created(bot, approvalRequest('web-abc123-s2', PROD));
    for (const [request, action] of [[intervention, 'rollback'], [approval, 'approve']] as const) {
      const from = bot.kube.requests.length;
      expect(await click(bot, request, CAROL, action)).toBe(
        `Not recorded: your Slack user ${CAROL} is not mapped to a Kubernetes identity (impersonation.users), so you cannot act on the cluster. Nothing was changed.`,
      );
      expect(bot.kube.requests.slice(from)).toEqual([]);
      expect(stateOf(bot, request).decisions).toEqual([]);
    }
    expect(await click(bot, intervention, ALICE, 'rollback')).toMatch(/now decided \(rollback\)/);
  });
});
