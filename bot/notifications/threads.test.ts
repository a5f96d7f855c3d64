// Rollout threads, one leader pass at a time: where a head message is posted and which message references the bot
// trusts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLLOUTS, type Rollout } from '../../shared/kube/rollout-types.js';
import { type KubeObject, failure } from '../../test/helpers/fake-kube-store.js';
import { type LeaderHarness, rolloutFixture, startLeaderHarness } from '../../test/helpers/leader-harness.js';
import { Backoff } from '../backoff.js';
import { THREAD_ANNOTATION, notifyRollouts, postInThread } from './threads.js';

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

const backoff = new Backoff();
const pass = (rollouts: Rollout[]) => notifyRollouts(h.ctx, { client: h.ctx.slackBackground, defaultChannel: DEFAULT_CHANNEL, backoff }, h.cluster, rollouts);
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

describe('message references', () => {
  const annotated = (namespace: string, name: string) =>
    JSON.parse((h.store.get({ ...ROLLOUTS, namespace, name }) as unknown as Rollout).metadata.annotations?.[THREAD_ANNOTATION] ?? '{}') as { revision?: string; channel?: string; ts?: string; sig?: string };
  const touched = (from: number, ts: string) => h.fake.journal.entries.slice(from).filter((e) => (e.method === 'chat.update' && e.args.ts === ts) || (e.method === 'chat.postMessage' && e.args.thread_ts === ts));
  const warnings = (from: number) => h.logLines.slice(from).filter((l) => l.msg === 'ignoring a Slack message reference the bot did not record; posting a new message');

  it('never uses a thread reference it did not record: forged, copied from another rollout, or in another channel', async () => {
    // A message of the bot's that someone would like to overwrite (say, a production approval request).
    const victim = await h.ctx.slackBackground.chat.postMessage({ channel: PROD_CHANNEL, text: 'Approval needed: shop/checkout (Pending)' });
    const owned = seedRollout(SHOP, 'owned');
    await pass([owned]);
    const ownRef = annotated(SHOP, 'owned');
    expect(ownRef).toMatchObject({ revision: '2', channel: PROD_CHANNEL, sig: expect.any(String) });

    const forged = seedRollout(SHOP, 'forged', { [THREAD_ANNOTATION]: JSON.stringify({ revision: '2', channel: PROD_CHANNEL, ts: victim.ts, digest: '' }) });
    const forgedSig = seedRollout(SHOP, 'forged-sig', { [THREAD_ANNOTATION]: JSON.stringify({ ...ownRef, ts: victim.ts, digest: '' }) });
    const copied = seedRollout(SHOP, 'copied', { [THREAD_ANNOTATION]: JSON.stringify({ ...ownRef, digest: '' }) });
    const elsewhere = seedRollout(SHOP, 'public', { [THREAD_ANNOTATION]: JSON.stringify({ ...ownRef, channel: DEFAULT_CHANNEL, digest: '' }) });
    const fromJournal = h.fake.journal.entries.length;
    const fromLog = h.logLines.length;
    await pass([forged, forgedSig, copied, elsewhere]);
    expect(touched(fromJournal, victim.ts!)).toEqual([]);
    expect(touched(fromJournal, ownRef.ts!)).toEqual([]);
    expect(posted(fromJournal).map((e) => [e.method, e.args.channel])).toEqual(Array(4).fill(['chat.postMessage', PROD_CHANNEL]));
    expect(warnings(fromLog).map((l) => l.object)).toEqual(['Rollout shop/forged', 'Rollout shop/forged-sig', 'Rollout shop/copied', 'Rollout shop/public']);

    // Each now has a thread of its own, signed: the next pass neither posts nor warns again.
    const fromAgain = h.fake.journal.entries.length;
    const fromLogAgain = h.logLines.length;
    await pass(['forged', 'forged-sig', 'copied', 'public'].map((name) => h.store.get({ ...ROLLOUTS, namespace: SHOP, name }) as unknown as Rollout));
    expect(posted(fromAgain)).toEqual([]);
    expect(warnings(fromLogAgain)).toEqual([]);
  });

  it("posts lines about people's actions only in a thread it recorded", async () => {
    const victim = await h.ctx.slackBackground.chat.postMessage({ channel: PROD_CHANNEL, text: 'someone else\'s thread' });
    seedRollout(SHOP, 'redirected', { [THREAD_ANNOTATION]: JSON.stringify({ revision: '2', channel: PROD_CHANNEL, ts: victim.ts, digest: '' }) });
    const from = h.fake.journal.entries.length;
    await postInThread(h.ctx, h.ctx.slack, h.cluster, SHOP, 'redirected', 'U0ALICE001 promoted it');
    expect(touched(from, victim.ts!)).toEqual([]);

    const own = seedRollout(SHOP, 'threaded');
    await pass([own]);
    await postInThread(h.ctx, h.ctx.slack, h.cluster, SHOP, 'threaded', 'U0ALICE001 promoted it');
    expect(touched(from, annotated(SHOP, 'threaded').ts!).map((e) => e.args.text)).toEqual(['U0ALICE001 promoted it']);
  });
});

describe('a thread in a channel the configuration no longer names', () => {
  it('is left for a new thread in the channel the bot would post to now', async () => {
    const rollout = seedRollout('staging', 'moved');
    await pass([rollout]);
    const before = (h.store.get({ ...ROLLOUTS, namespace: 'staging', name: 'moved' }) as unknown as Rollout).metadata.annotations?.[THREAD_ANNOTATION];
    expect(JSON.parse(before!)).toMatchObject({ channel: DEFAULT_CHANNEL });
    const from = h.fake.journal.entries.length;
    await notifyRollouts(h.ctx, { client: h.ctx.slackBackground, defaultChannel: PROD_CHANNEL, backoff }, h.cluster, [h.store.get({ ...ROLLOUTS, namespace: 'staging', name: 'moved' }) as unknown as Rollout]);
    expect(posted(from).map((e) => [e.method, e.args.channel])).toEqual([['chat.postMessage', PROD_CHANNEL]]);
  });
});

describe('a thread whose reference cannot be recorded', () => {
  it('is not posted anew at every pass: the rollout backs off', async () => {
    const rollout = seedRollout(SHOP, 'locked');
    const refused = (r: { method: string; path: string }) => r.method === 'PATCH' && r.path.endsWith(`/namespaces/${SHOP}/rollouts/locked`);
    const stop = h.store.intercept((r) => (refused(r) ? failure(403, 'Forbidden', 'admission webhook "annotations.example.com" denied the request') : undefined));
    try {
      const from = h.fake.journal.entries.length;
      const fromLog = h.logLines.length;
      const fromKube = h.kube.requests.length;
      for (let i = 0; i < 3; i++) await pass([rollout]);
      expect(posted(from)).toHaveLength(1);
      expect(h.kube.requests.slice(fromKube).filter(refused)).toHaveLength(1);
      expect(h.logLines.slice(fromLog)).toContainEqual(
        expect.objectContaining({ level: 'warn', msg: 'updating the rollout thread failed; retried with back-off', object: `Rollout ${SHOP}/locked`, err: expect.stringContaining('admission webhook') }),
      );
    } finally {
      stop();
    }
  });
});
