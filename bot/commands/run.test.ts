// `/rollouts` commands handled as after Slack's ack: what the person and the channel are told, and what is written
// to Kubernetes, with the real client against the fake API server.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type DeployedRollout, deployerOf } from '../../shared/approvals/deployer.js';
import { APPROVAL_REQUESTS, type ApprovalRequest, newApprovalRequest, statusOf } from '../../shared/approvals/request.js';
import { ROLLOUTS, type Rollout } from '../../shared/kube/rollout-types.js';
import { type BotContextHarness, startBotContext } from '../../test/helpers/bot-context.js';
import { type KubeObject, failure } from '../../test/helpers/fake-kube-store.js';
import { actLikeRolloutsController } from '../../test/helpers/fake-rollouts-controller.js';
import { runCommand } from './run.js';

const NS = 'lab';
const ALICE = 'U0ALICE001';
const BOB = 'U0BOB00001';
const JSON_PATCH = 'application/json-patch+json';

const CONFIG = {
  clusters: [{ name: 'test' }],
  environments: [{ name: 'lab', namespaces: [NS] }, { name: 'production', namespaces: ['shop'], protected: true }],
  roles: [{ name: 'everything', users: [ALICE, BOB], environments: ['*'], allow: ['view', 'promote', 'abort', 'retry', 'undo', 'pause', 'resume', 'restart', 'deploy', 'approve'] }],
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

const rolloutOf = (bot: BotContextHarness, name: string) => bot.store.get({ ...ROLLOUTS, namespace: NS, name }) as unknown as Rollout;

/** Who the gate would name as the deployer, given the Rollout's template as it is now. */
function deployerSeenByGate(rollout: Rollout, template: unknown = rollout.spec.template): ReturnType<typeof deployerOf> {
  const seen: DeployedRollout = { namespace: NS, name: rollout.metadata.name, annotation: rollout.metadata.annotations?.['rollouts-cv.io/deployed-by'], template };
  return deployerOf(seen);
}

function replicaSet(rollout: Rollout, hash: string, revision: string, image: string) {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${rollout.metadata.name}-${hash}`,
      namespace: NS,
      labels: { app: 'web', 'rollouts-pod-template-hash': hash },
      annotations: { 'rollout.argoproj.io/revision': revision },
      ownerReferences: [{ uid: rollout.metadata.uid!, controller: true, kind: 'Rollout', name: rollout.metadata.name }],
    },
    spec: { template: { metadata: { creationTimestamp: null, labels: { app: 'web', 'rollouts-pod-template-hash': hash } }, spec: { containers: [{ name: 'app', image, resources: {} }] } } },
  };
}

describe('the deployer of a revision', () => {
  it('is written with every template the bot writes, in the same request: deploy and undo', async () => {
    const bot = await startBotContext(CONFIG);
    const rollout = seedRollout(bot, 'canary-healthy', 'web');
    bot.store.seed({ group: 'apps', plural: 'replicasets' }, replicaSet(rollout, '6bb8c57c5d', '2', 'registry.invalid/e2e/app:2'));
    bot.store.seed({ group: 'apps', plural: 'replicasets' }, replicaSet(rollout, '5444c58bc', '1', 'registry.invalid/e2e/app:1'));

    await runCommand(bot.ctx, 'deploy web -n lab app=registry.invalid/e2e/app:3', bot.invocation(BOB), bot.reply);
    expect(deployerSeenByGate(rolloutOf(bot, 'web'))).toEqual({ user: BOB });

    // ALICE undoes BOB's deploy: she is the deployer of what runs now, and the patch that restores the template
    // carries the annotation.
    await runCommand(bot.ctx, 'undo web -n lab', bot.invocation(ALICE), bot.reply);
    const from = bot.kube.requests.length;
    await bot.confirmLast(ALICE);
    const [patch] = bot.writesSince(from).filter((w) => !w.path.endsWith('/events'));
    expect(patch).toMatchObject({ method: 'PATCH', path: `/apis/argoproj.io/v1alpha1/namespaces/${NS}/rollouts/web`, contentType: JSON_PATCH });
    expect((patch!.body as { op: string; path: string }[]).map((op) => `${op.op} ${op.path}`)).toEqual(['replace /spec/template', 'add /metadata/annotations/rollouts-cv.io~1deployed-by']);
    const undone = rolloutOf(bot, 'web');
    expect(undone.spec.template?.spec?.containers?.[0]?.image).toBe('registry.invalid/e2e/app:1');
    expect(deployerSeenByGate(undone)).toEqual({ user: ALICE });
    // The same template as the controller would send it (hash label, Go's empty values) still names ALICE.
    expect(deployerSeenByGate(undone, replicaSet(rollout, '5444c58bc', '1', 'registry.invalid/e2e/app:1').spec.template)).toEqual({ user: ALICE });
  });

  it('with a workloadRef, goes on the Rollout just before the Deployment is written', async () => {
    const bot = await startBotContext(CONFIG);
    const rollout = seedRollout(bot, 'canary-healthy', 'wl', (r) => {
      delete r.spec.template;
      r.spec.workloadRef = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'wl-app' };
    });
    bot.store.seed({ group: 'apps', plural: 'deployments' }, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'wl-app', namespace: NS },
      spec: { replicas: 0, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'registry.invalid/e2e/app:2' }] } } },
    });
    bot.store.seed({ group: 'apps', plural: 'replicasets' }, replicaSet(rollout, '5444c58bc', '1', 'registry.invalid/e2e/app:1'));
    bot.store.seed({ group: 'apps', plural: 'replicasets' }, replicaSet(rollout, '6bb8c57c5d', '2', 'registry.invalid/e2e/app:2'));
    const deployment = () => bot.store.get({ group: 'apps', plural: 'deployments', namespace: NS, name: 'wl-app' }) as unknown as { spec: { template: unknown } };

    await runCommand(bot.ctx, 'deploy wl -n lab app=registry.invalid/e2e/app:3', bot.invocation(BOB), bot.reply);
    expect(deployerSeenByGate(rolloutOf(bot, 'wl'), deployment().spec.template)).toEqual({ user: BOB });
    await runCommand(bot.ctx, 'undo wl -n lab', bot.invocation(ALICE), bot.reply);
    await bot.confirmLast(ALICE);
    expect(deployerSeenByGate(rolloutOf(bot, 'wl'), deployment().spec.template)).toEqual({ user: ALICE });
  });
});

describe('promote at an approval gate', () => {
  it('is refused while the gate waits on a pending request, which it names; nothing is written', async () => {
    const bot = await startBotContext(CONFIG);
    const rollout = seedRollout(bot, 'canary-paused-step', 'gated', (r) => {
      r.spec.strategy = { canary: { steps: [{ setWeight: 50 }, { plugin: { name: 'rollouts-cv/gate' } }, { setWeight: 100 }] } };
      r.status = { ...r.status, pauseConditions: undefined, controllerPause: false, phase: 'Progressing', message: undefined };
    });
    const request = newApprovalRequest('gated-6bb8c57c5d-s1', NS, {
      type: 'Approval',
      rollout: { name: 'gated', uid: rollout.metadata.uid!, podTemplateHash: rollout.status!.currentPodHash!, revision: '2' },
      stepIndex: 1,
      policy: { minApprovals: 1, allowSelfApproval: false },
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      onTimeout: 'reject',
    });
    await bot.cluster.approvals.create(request);
    for (const text of ['promote gated -n lab', 'promote gated -n lab --full']) {
      const from = bot.kube.requests.length;
      await runCommand(bot.ctx, text, bot.invocation(ALICE), bot.reply);
      expect(bot.answer(), text).toBe(
        `Not promoted: rollout ${NS}/gated is waiting at step 1 for approval request gated-6bb8c57c5d-s1; decide the request instead (its buttons, or \`/rollouts approve|reject ${NS}/gated-6bb8c57c5d-s1\`). Nothing was changed.`,
      );
      expect(bot.writesSince(from)).toEqual([]);
    }
    const stored = bot.store.get({ ...APPROVAL_REQUESTS, namespace: NS, name: request.metadata.name }) as unknown as ApprovalRequest;
    expect(statusOf(stored).state).toBe('Pending');

    // A read that fails cannot tell that no gate waits: nothing is promoted either.
    actLikeRolloutsController(bot.store);
    bot.store.once((r) => r.method === 'GET' && r.path === `/apis/argoproj.io/v1alpha1/namespaces/${NS}/rollouts/gated`, () => failure(500, 'InternalError', 'etcdserver: request timed out'));
    const from = bot.kube.requests.length;
    await runCommand(bot.ctx, 'promote gated -n lab', bot.invocation(ALICE), bot.reply);
    expect(bot.answer()).toBe(`Not promoted: cannot tell whether rollout ${NS}/gated waits at an approval gate (HTTP 500: etcdserver: request timed out). Nothing was changed.`);
    expect(bot.writesSince(from)).toEqual([]);
  });
});

describe('confirmations', () => {
  const image = (i: number) => `c${i}=registry.example.com/platform/checkout-service-component-${i}:1.4.2@sha256:${'0123456789abcdef'.repeat(4)}`;
  const seedShop = (bot: BotContextHarness, containers: number) =>
    bot.store.seed(ROLLOUTS, {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'web', namespace: 'shop' },
      spec: { template: { spec: { containers: Array.from({ length: containers }, (_, i) => ({ name: `c${i}`, image: 'old:1' })) } } },
    } as KubeObject);

  it('of a protected deploy of many images fit in the button, and one that cannot fit is refused before asking', async () => {
    const bot = await startBotContext(CONFIG);
    seedShop(bot, 20);
    const eleven = Array.from({ length: 11 }, (_, i) => image(i));
    await runCommand(bot.ctx, `deploy shop/web ${eleven.join(' ')}`, bot.invocation(ALICE), bot.reply);
    expect(bot.lastConfirmation().length).toBeLessThanOrEqual(2000);
    await bot.confirmLast(ALICE);
    expect(bot.answer()).toMatch(new RegExp(`^<@${ALICE}>: rollout 'shop/web' image updated: c0=`));

    const twenty = Array.from({ length: 20 }, (_, i) => image(i));
    const from = bot.replies.length;
    await runCommand(bot.ctx, `deploy shop/web ${twenty.join(' ')}`, bot.invocation(ALICE), bot.reply);
    expect(bot.replies.slice(from).map((r) => r.message.text)).toEqual([
      expect.stringMatching(/^This deploy cannot be confirmed in Slack: its confirmation would need \d+ characters and a button holds 2000\. Deploy fewer containers at once\. Nothing was changed\.$/),
    ]);
  });

  it('expire after 10 minutes, as the question says', async () => {
    const bot = await startBotContext(CONFIG);
    seedShop(bot, 1);
    await runCommand(bot.ctx, 'deploy shop/web c0=web:2', bot.invocation(ALICE), bot.reply);
    expect(bot.answer()).toBe('Deploy c0=web:2 to rollout shop/web? This confirmation expires in 10 minutes.');
    bot.advance(10 * 60_000 + 1000);
    const from = bot.kube.requests.length;
    await bot.confirmLast(ALICE);
    expect(bot.answer()).toMatch(/^This confirmation expired at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(confirmations last 10 minutes\)\. Nothing was changed; run the command again\.$/);
    expect(bot.writesSince(from)).toEqual([]);
  });
});
