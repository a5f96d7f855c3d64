// `/rollouts` commands handled as after Slack's ack: what the person and the channel are told, and what is written
// to Kubernetes, with the real client against the fake API server.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ROLLOUTS, type Rollout } from '../../shared/kube/rollout-types.js';
import { type BotContextHarness, startBotContext } from '../../test/helpers/bot-context.js';
import type { KubeObject } from '../../test/helpers/fake-kube-store.js';
import { runCommand } from './run.js';

const NS = 'lab';
const ALICE = 'U0ALICE001';

const CONFIG = {
  clusters: [{ name: 'test' }],
  environments: [{ name: 'lab', namespaces: [NS] }],
  roles: [{ name: 'everything', users: [ALICE], environments: ['*'], allow: ['view', 'promote', 'abort', 'retry', 'undo', 'pause', 'resume', 'restart', 'deploy', 'approve'] }],
};

/** A Rollout as the controller left it (one of test/fixtures/rollouts), under a new name. */
function seedRollout(bot: BotContextHarness, fixture: string, name: string, change: (rollout: Rollout) => void = () => undefined): Rollout {
  const rollout = JSON.parse(readFileSync(new URL(`../../test/fixtures/rollouts/${fixture}.json`, import.meta.url), 'utf8')) as Rollout;
  const { resourceVersion: _rv, uid: _uid, ...metadata } = rollout.metadata;
  const seeded = { ...rollout, metadata: { ...metadata, name, namespace: NS } } as Rollout;
  change(seeded);
  return bot.store.seed(ROLLOUTS, seeded as unknown as KubeObject) as unknown as Rollout;
}

const sectionText = (bot: BotContextHarness) => (bot.replies.at(-1)!.message.blocks[0] as { text: { text: string } }).text.text;

describe('results in the channel', () => {
  it('mention the person who acted, while the text that came from people stays escaped', async () => {
    const bot = await startBotContext(CONFIG);
    seedRollout(bot, 'canary-paused-step', 'web');
    await runCommand(bot.ctx, 'pause web -n lab', bot.invocation(ALICE), bot.reply);
    expect(bot.replies.at(-1)!.visibility).toBe('in_channel');
    expect(sectionText(bot)).toBe(`<@${ALICE}>: rollout '${NS}/web' paused at step 1/3`);

    await runCommand(bot.ctx, 'deploy web -n lab app=<!channel>&x', bot.invocation(ALICE), bot.reply);
    expect(sectionText(bot)).toBe(`<@${ALICE}>: rollout '${NS}/web' image updated: app=&lt;!channel&gt;&amp;x (was registry.invalid/e2e/app:2)`);
  });
});
