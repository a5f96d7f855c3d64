// The leader's pass over ApprovalRequests: expiry under the operator's policy, posting where the operator says.
import { describe, expect, it } from 'vitest';
import { APPROVAL_REQUESTS, type ApprovalRequest, statusOf } from '../../shared/approvals/request.js';
import { CONFIG, approvalRequest } from '../../test/helpers/approval-policy.js';
import { type BotContextHarness, startBotContext } from '../../test/helpers/bot-context.js';
import { publishRequests } from './publisher.js';

const HOUR = 3_600_000;

async function pass(bot: BotContextHarness): Promise<void> {
  await publishRequests(bot.ctx, { client: bot.ctx.slackBackground, defaultChannel: 'C0DEFAULT1' }, bot.cluster, await bot.cluster.approvals.list(undefined));
}

const stored = (bot: BotContextHarness, namespace: string, name: string) => bot.store.get({ ...APPROVAL_REQUESTS, namespace, name }) as unknown as ApprovalRequest;

describe('expiry by the bot', () => {
  it('never goes ahead on timeout in a protected environment: the stopping outcome applies, and the message says why', async () => {
    const bot = await startBotContext(CONFIG, { slack: { channels: [{ id: 'C0DEFAULT1', name: 'deploys' }] } });
    await bot.cluster.approvals.create(approvalRequest('web-abc123-s1', 'shop', { onTimeout: 'approve' }));
    await bot.cluster.approvals.create(approvalRequest('web-abc123-s2', 'shop', { type: 'Intervention', actions: ['promote', 'rollback'], onTimeout: 'promote' }));
    await bot.cluster.approvals.create(approvalRequest('web-abc123-s3', 'lab', { onTimeout: 'approve' }));
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
