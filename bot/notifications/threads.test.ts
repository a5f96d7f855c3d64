// Rollout threads, one leader pass at a time: where a head message is posted and which message references the bot
// trusts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLLOUTS, type Rollout } from '../../shared/kube/rollout-types.js';
import type { KubeObject } from '../../test/helpers/fake-kube-store.js';
import { type LeaderHarness, rolloutFixture, startLeaderHarness } from '../../test/helpers/leader-harness.js';
import { notifyRollouts } from './threads.js';

const SHOP = 'shop';
const ELSEWHERE = 'elsewhere';
const PROD_CHANNEL = 'C0PROD0001';
const DEFAULT_CHANNEL = 'C0DEFAULT1';

let h: LeaderHarness;

beforeAll(async () => {
  h = await startLeaderHarness(
    {
      environments: [
        { name: 'production', namespaces: [SHOP], channel: PROD_CHANNEL },
        { name: 'staging', namespaces: ['staging'] },
      ],
    },
    [PROD_CHANNEL, DEFAULT_CHANNEL],
  );
});

afterAll(() => h?.close());

function seedRollout(namespace: string, name: string, annotations: Record<string, string> = {}): Rollout {
  const rollout = rolloutFixture('canary-paused-step');
  const { resourceVersion: _rv, uid: _uid, ...metadata } = rollout.metadata;
  return h.store.seed(ROLLOUTS, { ...rollout, metadata: { ...metadata, name, namespace, annotations: { ...metadata.annotations, ...annotations } } } as unknown as KubeObject) as unknown as Rollout;
}

const pass = (rollouts: Rollout[]) => notifyRollouts(h.ctx, h.ctx.slackBackground, h.cluster, rollouts, DEFAULT_CHANNEL);
const posted = (from: number) => h.fake.journal.entries.slice(from).filter((e) => e.method === 'chat.postMessage' || e.method === 'chat.update');

describe('where threads are posted', () => {
  it('posts a thread for a rollout in an environment, in its channel or the default one, and none elsewhere', async () => {
    const rollouts = [seedRollout(SHOP, 'web'), seedRollout('staging', 'web'), seedRollout(ELSEWHERE, 'web')];
    const from = h.fake.journal.entries.length;
    await pass(rollouts);
    expect(posted(from).map((e) => [e.method, e.args.channel])).toEqual([
      ['chat.postMessage', PROD_CHANNEL],
      ['chat.postMessage', DEFAULT_CHANNEL],
    ]);
  });
});
