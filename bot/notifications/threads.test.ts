// Rollout threads, one leader pass at a time: where a head message is posted, which message references the bot
// trusts, and a failed verify gate's report image posted in the thread once.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ROLLOUTS, type Rollout } from '../../shared/kube/rollout-types.js';
import { type KubeObject, failure } from '../../test/helpers/fake-kube-store.js';
import { type LeaderHarness, rolloutFixture, startLeaderHarness } from '../../test/helpers/leader-harness.js';
import { closeLocalServers, serveLocally } from '../../test/helpers/local-server.js';
import { Backoff } from '../backoff.js';
import { THREAD_ANNOTATION, gateImagesDue, notifyRollouts, postInThread } from './threads.js';

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

// ---- a failed verify gate's report image ----

const VERIFICATION = 'v-0123456789abcdef';

/** A verify gate's Run entry of the step statuses, as Argo Rollouts stores what the gate returned. */
function gateEntry(rollout: string, options: { step?: number; phase?: string; verificationId?: string; report?: string | null; kind?: string; operation?: string } = {}) {
  const { step = 1, phase = 'Failed', verificationId = VERIFICATION, kind = 'verify', operation = 'Run' } = options;
  const report = options.report === undefined ? `http://localhost:8082/reports/${SHOP}/rollouts/${rollout}/steps/${step}?verification=${verificationId}` : options.report;
  return {
    index: step,
    name: 'rollouts-cv/gate',
    operation,
    phase,
    message: 'verdict Fail (score 12): error rate +4%',
    status: {
      kind,
      verificationId,
      windowStart: '2026-11-26T20:00:00Z',
      windowEnd: '2026-11-26T20:10:00Z',
      canary: '6bb8c57c5d',
      baseline: '5444c58bc',
      verdict: 'Fail',
      score: 12,
      reasons: ['error rate +4%'],
      ...(report !== null && { report }),
    },
  };
}

function withGates(name: string, entries: unknown[], namespace = SHOP): Rollout {
  const rollout = rolloutFixture('canary-paused-step');
  return { ...rollout, metadata: { ...rollout.metadata, name, namespace }, status: { ...rollout.status, canary: { stepPluginStatuses: entries } } };
}

describe('gateImagesDue', () => {
  const key = (step: number, id = VERIFICATION) => `gate/${step}/${id}`;

  it("picks the failed verify gates with a report of the rollout's own step, with their verdict", () => {
    const rollout = withGates('web', [gateEntry('web', { step: 1 }), gateEntry('web', { step: 4, verificationId: 'v-fedcba9876543210' })]);
    expect(gateImagesDue(rollout, [])).toEqual({
      due: [
        { key: key(1), link: `http://localhost:8082/reports/${SHOP}/rollouts/web/steps/1?verification=${VERIFICATION}`, verdict: 'Fail' },
        { key: key(4, 'v-fedcba9876543210'), link: `http://localhost:8082/reports/${SHOP}/rollouts/web/steps/4?verification=v-fedcba9876543210`, verdict: 'Fail' },
      ],
      posted: [key(1), key(4, 'v-fedcba9876543210')],
    });
  });

  it('takes a link under the path prefix the engine is served at, and one to another host (the image comes from the engine anyway)', () => {
    for (const report of [`https://rollouts-cv.example.com/rollouts-cv/reports/${SHOP}/rollouts/web/steps/1`, `http://evil.example/reports/${SHOP}/rollouts/web/steps/1`]) {
      expect(gateImagesDue(withGates('web', [gateEntry('web', { report })]), []).due).toEqual([{ key: key(1), link: report, verdict: 'Fail' }]);
    }
  });

  it.each([
    ['a Successful gate', gateEntry('web', { phase: 'Successful' })],
    ['a Running gate', gateEntry('web', { phase: 'Running' })],
    ['an Abort entry', gateEntry('web', { operation: 'Abort' })],
    ['an approval gate', gateEntry('web', { kind: 'approval' })],
    ['a failed verify gate without a report', gateEntry('web', { report: null })],
    ['a report link that is not a string', { ...gateEntry('web'), status: { ...gateEntry('web').status, report: { href: '/reports/shop/rollouts/web/steps/1' } } }],
    ['no URL', gateEntry('web', { report: `/reports/${SHOP}/rollouts/web/steps/1` })],
    ["another rollout's report", gateEntry('web', { report: `http://localhost:8082/reports/${SHOP}/rollouts/checkout/steps/1` })],
    ["another namespace's report", gateEntry('web', { report: 'http://localhost:8082/reports/payments/rollouts/web/steps/1' })],
    ["another step's report", gateEntry('web', { report: `http://localhost:8082/reports/${SHOP}/rollouts/web/steps/2` })],
    ['a step index that is not one', { ...gateEntry('web'), index: '1' }],
    ['a status that is not an object', { ...gateEntry('web'), status: 'verify' }],
    ['an entry that is not an object', 'Failed'],
  ])('picks nothing for %s', (_what, entry) => {
    expect(gateImagesDue(withGates('web', [entry]), [])).toEqual({ due: [], posted: [] });
  });

  it('picks nothing from step statuses that are not a list', () => {
    const rollout = withGates('web', []);
    rollout.status!.canary = { stepPluginStatuses: { 0: gateEntry('web') } };
    expect(gateImagesDue(rollout, [])).toEqual({ due: [], posted: [] });
  });

  it("leaves out what was posted, and records only the keys the status still shows (a retry's new verification is due)", () => {
    const rollout = withGates('web', [gateEntry('web', { step: 1 }), gateEntry('web', { step: 3, verificationId: 'v-1111111111111111' })]);
    expect(gateImagesDue(rollout, [key(1), key(3), 'gate/7/v-gone']).due.map((gate) => gate.key)).toEqual([key(3, 'v-1111111111111111')]);
    expect(gateImagesDue(rollout, [key(1), key(3), 'gate/7/v-gone']).posted).toEqual([key(1), key(3, 'v-1111111111111111')]);
  });

  it('bounds what a forged status can ask for: one image per step and verification, twenty at most, keys of bounded length', () => {
    const many = Array.from({ length: 30 }, (_, step) => gateEntry('web', { step: step + 2 }));
    const { due, posted } = gateImagesDue(withGates('web', [gateEntry('web'), gateEntry('web'), ...many]), []);
    expect(posted).toEqual([key(1), ...Array.from({ length: 19 }, (_, step) => key(step + 2))]);
    expect(due.map((gate) => gate.key)).toEqual(posted);
    const long = gateImagesDue(withGates('web', [gateEntry('web', { verificationId: `v-${'a'.repeat(5000)}` })]), []).posted;
    expect(long).toEqual([`gate/1/v-${'a'.repeat(62)}`]);
  });
});

describe('without reports.engineUrl', () => {
  it('posts no image for a failed gate, and records none', async () => {
    const rollout = h.store.seed(ROLLOUTS, withGates('failed-quietly', [gateEntry('failed-quietly')]) as unknown as KubeObject) as unknown as Rollout;
    const from = h.fake.journal.entries.length;
    await pass([rollout]);
    expect(posted(from)).toHaveLength(1);
    expect(h.fake.journal.entries.slice(from).filter((e) => e.method.startsWith('files.'))).toEqual([]);
    const stored = (h.store.get({ ...ROLLOUTS, namespace: SHOP, name: 'failed-quietly' }) as unknown as Rollout).metadata.annotations?.[THREAD_ANNOTATION];
    expect(JSON.parse(stored!)).toMatchObject({ posted: [] });
  });
});

describe('a failed verify gate in the thread', () => {
  const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('charts of the failed verification')]);
  let g: LeaderHarness;
  let engineUrl: string;
  /** Paths the engine was asked for. */
  const asked: string[] = [];

  beforeAll(async () => {
    // The engine's report server: the report images of shop's rollouts; one rollout's report it cannot render.
    engineUrl = await serveLocally((request, _body, response) => {
      asked.push(request.url ?? '');
      if (request.url?.startsWith(`/reports/${SHOP}/rollouts/unrendered/`)) return response.writeHead(503, { 'content-type': 'text/plain' }).end('busy\n');
      if (/^\/reports\/shop\/rollouts\/[a-z-]+\/steps\/\d+\?format=png$/.test(request.url ?? '')) return response.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
      response.writeHead(404).end();
    });
    g = await startLeaderHarness({ environments: [{ name: 'production', namespaces: [SHOP], channel: PROD_CHANNEL }], reports: { engineUrl } }, [PROD_CHANNEL]);
  });

  afterAll(async () => {
    await g?.close();
    await closeLocalServers();
  });

  const gatePass = (rollouts: Rollout[]) => notifyRollouts(g.ctx, { client: g.ctx.slackBackground, backoff: new Backoff() }, g.cluster, rollouts);
  const current = (name: string) => g.store.get({ ...ROLLOUTS, namespace: SHOP, name }) as unknown as Rollout;
  const seed = (rollout: Rollout) => g.store.seed(ROLLOUTS, rollout as unknown as KubeObject) as unknown as Rollout;
  const threadOf = (name: string) => JSON.parse(current(name).metadata.annotations?.[THREAD_ANNOTATION] ?? '{}') as { channel?: string; ts?: string; posted?: unknown };
  const uploads = (from: number) => g.fake.journal.entries.slice(from).filter((e) => e.method === 'files.completeUploadExternal' && (e.response as { ok?: boolean }).ok);
  const asks = (name: string) => asked.filter((path) => path.includes(`/rollouts/${name}/`));
  const setGates = (name: string, entries: unknown[]) => g.store.modify({ ...ROLLOUTS, namespace: SHOP, name }, (object) => void ((object as unknown as Rollout).status!.canary = { stepPluginStatuses: entries }));

  it("posts the report's image in the thread once, asking the engine whatever host the link names, across passes and head updates", async () => {
    const fetches = vi.spyOn(globalThis, 'fetch');
    try {
      seed(withGates('web', [gateEntry('web', { report: `http://evil.example/reports/${SHOP}/rollouts/web/steps/1?verification=${VERIFICATION}` })]));
      const from = g.fake.journal.entries.length;
      await gatePass([current('web')]);
      const thread = threadOf('web');
      expect(uploads(from).map((e) => [e.args.channel_id, e.args.thread_ts])).toEqual([[PROD_CHANNEL, thread.ts]]);
      expect(g.fake.journal.entries.slice(from).find((e) => e.method === 'files.getUploadURLExternal')!.args).toMatchObject({ alt_text: expect.stringContaining('verdict Fail') });
      expect(fetches.mock.calls.map(([input]) => String(input))).toEqual([`${engineUrl}/reports/${SHOP}/rollouts/web/steps/1?format=png`]);
      expect(thread.posted).toEqual([`gate/1/${VERIFICATION}`]);

      // The head changes (the rollout aborts): the head is updated, the image is not posted again; nor on a pass with no change.
      g.store.modify({ ...ROLLOUTS, namespace: SHOP, name: 'web' }, (object) => Object.assign((object as unknown as Rollout).status!, { phase: 'Degraded', message: 'RolloutAborted: step 1 failed', abort: true }));
      await gatePass([current('web')]);
      await gatePass([current('web')]);
      expect(g.fake.journal.entries.slice(from).filter((e) => e.method === 'chat.update').map((e) => e.args.ts)).toEqual([thread.ts]);
      expect(uploads(from)).toHaveLength(1);
      expect(asks('web')).toHaveLength(1);
      expect(threadOf('web').posted).toEqual([`gate/1/${VERIFICATION}`]);
    } finally {
      fetches.mockRestore();
    }
  });

  it('posts nothing for a running or successful gate, then the image when it fails, and again for a new verification of the step that fails', async () => {
    seed(withGates('later', [gateEntry('later', { phase: 'Running' }), gateEntry('later', { step: 3, phase: 'Successful' })]));
    const from = g.fake.journal.entries.length;
    await gatePass([current('later')]);
    expect(uploads(from)).toEqual([]);

    setGates('later', [gateEntry('later', { phase: 'Failed' }), gateEntry('later', { step: 3, phase: 'Successful' })]);
    await gatePass([current('later')]);
    await gatePass([current('later')]);
    // people chose to verify again: the step's new verification fails too
    setGates('later', [gateEntry('later', { phase: 'Failed', verificationId: 'v-2222222222222222' }), gateEntry('later', { step: 3, phase: 'Successful' })]);
    await gatePass([current('later')]);
    await gatePass([current('later')]);
    expect(uploads(from).map((e) => e.args.thread_ts)).toEqual([threadOf('later').ts, threadOf('later').ts]);
    expect(threadOf('later').posted).toEqual(['gate/1/v-2222222222222222']);
  });

  it('never posts into a thread it did not record: a forged reference gets a new thread, with the image of the gate that failed before it', async () => {
    const victim = await g.ctx.slackBackground.chat.postMessage({ channel: PROD_CHANNEL, text: 'Approval needed: shop/checkout (Pending)' });
    // forged, and claiming the image was posted already
    const forged = { revision: '2', channel: PROD_CHANNEL, ts: victim.ts, digest: '', sig: 'AAAA', posted: [`gate/1/${VERIFICATION}`] };
    const rollout = withGates('forged-gate', [gateEntry('forged-gate')]);
    seed({ ...rollout, metadata: { ...rollout.metadata, annotations: { ...rollout.metadata.annotations, [THREAD_ANNOTATION]: JSON.stringify(forged) } } });
    const from = g.fake.journal.entries.length;
    await gatePass([current('forged-gate')]);
    const thread = threadOf('forged-gate');
    expect(thread.ts).not.toBe(victim.ts);
    expect(g.fake.journal.entries.slice(from).filter((e) => e.args.thread_ts === victim.ts || e.args.ts === victim.ts)).toEqual([]);
    expect(uploads(from).map((e) => e.args.thread_ts)).toEqual([thread.ts]);
  });

  it.each([
    ['a string', 'junk-string', `gate/1/${VERIFICATION}`],
    ['an object', 'junk-object', { [`gate/1/${VERIFICATION}`]: true }],
    ['a list of non-strings', 'junk-list', [1, null, { key: `gate/1/${VERIFICATION}` }]],
  ])('ignores a recorded key list that is %s: the image is posted once, and a list recorded', async (_what, name, junk) => {
    seed(withGates(name, []));
    await gatePass([current(name)]);
    const own = threadOf(name);
    g.store.modify({ ...ROLLOUTS, namespace: SHOP, name }, (object) => {
      const rollout = object as unknown as Rollout;
      rollout.metadata.annotations![THREAD_ANNOTATION] = JSON.stringify({ ...own, posted: junk });
      rollout.status!.canary = { stepPluginStatuses: [gateEntry(name)] };
    });
    const from = g.fake.journal.entries.length;
    await gatePass([current(name)]);
    await gatePass([current(name)]);
    expect(uploads(from).map((e) => e.args.thread_ts)).toEqual([own.ts]);
    expect(threadOf(name).posted).toEqual([`gate/1/${VERIFICATION}`]);
  });

  it('records the image when the engine cannot render it, and does not ask again', async () => {
    seed(withGates('unrendered', [gateEntry('unrendered')]));
    const from = g.fake.journal.entries.length;
    const fromLog = g.logLines.length;
    await gatePass([current('unrendered')]);
    await gatePass([current('unrendered')]);
    expect(asks('unrendered')).toHaveLength(1);
    expect(uploads(from)).toEqual([]);
    expect(threadOf('unrendered').posted).toEqual([`gate/1/${VERIFICATION}`]);
    expect(g.logLines.slice(fromLog)).toContainEqual(expect.objectContaining({ level: 'warn', msg: 'cannot post the report image; going on without it', object: `Rollout ${SHOP}/unrendered` }));
    expect(g.logLines.slice(fromLog).filter((line) => String(line.msg).includes('retried with back-off'))).toEqual([]);
  });
});
