// Pipeline run threads, one leader pass at a time, against the fake Slack and the fake Kubernetes API: where the
// head goes, when it is updated, which replies and report images are posted (once, whichever leader passes), and
// which thread references the bot trusts. The engine whose report images are posted is a local server.
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { PIPELINE_RUNS, type PipelineRun } from '../../shared/pipelines/controller.js';
import type { PipelineRunStatus, StageRecord, StepRecord } from '../../shared/pipelines/status.js';
import { summariseRun } from '../../shared/pipelines/summary.js';
import { type JournalEntry, isOk } from '../../test/fakes/slack/index.js';
import { fakeBotContext } from '../../test/helpers/bot-context.js';
import { type KubeObject, failure } from '../../test/helpers/fake-kube-store.js';
import { type LeaderHarness, startLeaderHarness } from '../../test/helpers/leader-harness.js';
import { closeLocalServers, serveLocally } from '../../test/helpers/local-server.js';
import { Backoff } from '../backoff.js';
import type { BotContext } from '../context.js';
import { SLACK_CHANNEL_ANNOTATION } from '../commands/pipeline.js';
import { THREAD_ANNOTATION } from '../notifications/threads.js';
import { type RunThreadRef, endingsDue, threadPipelineRuns } from './run-thread.js';

const RELEASES = 'releases';
const PROD_CHANNEL = 'C0PROD0001';
const DEFAULT_CHANNEL = 'C0DEFAULT1';
const TEAM_CHANNEL = 'C0TEAM0001';
const CONFIG = {
  environments: [
    { name: 'production', namespaces: [RELEASES], channel: PROD_CHANNEL },
    { name: 'staging', namespaces: ['staging'] },
  ],
};
const T0 = '2026-12-05T10:00:00.000Z';

async function harness(config: object = CONFIG): Promise<LeaderHarness> {
  const h = await startLeaderHarness(config, [PROD_CHANNEL, DEFAULT_CHANNEL, TEAM_CHANNEL]);
  onTestFinished(() => h.close());
  return h;
}

const step = (name: string, type: StepRecord['type'], phase: StepRecord['phase'], extra: Partial<StepRecord> = {}): StepRecord => ({ name, type, phase, ...extra });

/** A release run's status: dev (a commit, then a sync) and prod (a verify), at the phases given. */
function statusAt(dev: [StageRecord['phase'], StepRecord['phase'], StepRecord['phase']], prod: [StageRecord['phase'], StepRecord['phase']], run: Partial<PipelineRunStatus> = {}): PipelineRunStatus {
  const stage = (name: string, phase: StageRecord['phase'], steps: StepRecord[]): StageRecord => ({ name, phase, steps, rollback: [], ...(phase === 'Failed' && { message: 'step verify failed (verification failed): Unhealthy' }) });
  return {
    phase: 'Running',
    pipeline: { name: 'release', spec: { variables: [], stages: [] } },
    variables: { image: 'loans-api:2' },
    startedAt: T0,
    stages: [
      stage('dev', dev[0], [step('update', 'gitUpdate', dev[1], { message: 'committing', ...(dev[1] === 'Succeeded' && { outputs: { commit: 'abc123def4567890' } }) }), step('sync', 'sync', dev[2], { message: 'syncing dev-loans-api' })]),
      stage('prod', prod[0], [step('verify', 'verify', prod[1], { message: prod[1] === 'Failed' ? 'Unhealthy: p99 latency +40%' : 'verifying' })]),
    ],
    ...run,
  };
}

function seedRun(h: LeaderHarness, namespace: string, name: string, status: PipelineRunStatus | undefined, options: { trigger?: object; annotations?: Record<string, string> } = {}): PipelineRun {
  return h.store.seed(PIPELINE_RUNS, {
    apiVersion: 'rollouts-cv.io/v1alpha1',
    kind: 'PipelineRun',
    metadata: { name, namespace, ...(options.annotations && { annotations: options.annotations }) },
    spec: { pipelineRef: { name: 'release' }, triggeredBy: options.trigger ?? { kind: 'kubernetes', id: 'alice@example.com' } },
    ...(status && { status }),
  } as KubeObject) as unknown as PipelineRun;
}

const setStatus = (h: LeaderHarness, name: string, status: PipelineRunStatus, namespace = RELEASES) =>
  h.store.modify({ ...PIPELINE_RUNS, namespace, name }, (run) => {
    run.status = status;
  });

/** One leader pass over every run, by `ctx`'s bot; `backoff` is what that leader keeps between passes. */
async function pass(h: LeaderHarness, options: { ctx?: BotContext; backoff?: Backoff; defaultChannel?: string } = {}): Promise<void> {
  const ctx = options.ctx ?? h.ctx;
  await threadPipelineRuns(ctx, { client: ctx.slackBackground, defaultChannel: options.defaultChannel ?? DEFAULT_CHANNEL, backoff: options.backoff ?? new Backoff() }, h.cluster, h.store.list(PIPELINE_RUNS) as unknown as PipelineRun[]);
}

const threadOf = (h: LeaderHarness, name: string, namespace = RELEASES) =>
  JSON.parse((h.store.get({ ...PIPELINE_RUNS, namespace, name }) as unknown as PipelineRun).metadata.annotations?.[THREAD_ANNOTATION] ?? '{}') as Partial<RunThreadRef>;
const sent = (h: LeaderHarness, from: number) => h.fake.journal.entries.slice(from).filter((e) => e.method === 'chat.postMessage' || e.method === 'chat.update');
const heads = (entries: JournalEntry[]) => entries.filter((e) => e.method === 'chat.postMessage' && e.args.thread_ts === undefined);
const replies = (entries: JournalEntry[], ts: string) => entries.filter((e) => e.method === 'chat.postMessage' && e.args.thread_ts === ts);

describe('the head message', () => {
  it('is posted once, updated in place when a step moves on, and left alone when nothing changed', async () => {
    const h = await harness();
    seedRun(h, RELEASES, 'release-1', statusAt(['Running', 'Running', 'Pending'], ['Pending', 'Pending']));
    const from = h.fake.journal.entries.length;
    await pass(h);
    const posted = sent(h, from);
    expect(posted.map((e) => [e.method, e.args.channel, isOk(e)])).toEqual([['chat.postMessage', PROD_CHANNEL, true]]);
    expect(String(posted[0]!.args.text)).toBe('Pipeline release run releases/release-1: Running');
    const thread = threadOf(h, 'release-1');
    expect(thread).toEqual({ channel: PROD_CHANNEL, ts: (posted[0]!.response as { ts: string }).ts, digest: expect.any(String), sig: expect.any(String), posted: [] });

    // Nothing changed: no Slack call, no write.
    const fromAgain = h.fake.journal.entries.length;
    const fromKube = h.kube.requests.length;
    await pass(h);
    expect(sent(h, fromAgain)).toEqual([]);
    expect(h.kube.requests.slice(fromKube).filter((r) => r.method !== 'GET')).toEqual([]);

    // The commit is made, the sync starts: the same message shows it.
    setStatus(h, 'release-1', statusAt(['Running', 'Succeeded', 'Running'], ['Pending', 'Pending']));
    const fromMove = h.fake.journal.entries.length;
    await pass(h);
    const moved = sent(h, fromMove);
    expect(moved.map((e) => [e.method, e.args.channel, e.args.ts])).toEqual([['chat.update', PROD_CHANNEL, thread.ts]]);
    const shown = JSON.stringify(moved[0]!.args.blocks);
    expect(shown).toContain('update `gitUpdate` Succeeded · commit `abc123def456`');
    expect(shown).toContain('sync `sync` Running: syncing dev-loans-api');
    expect(threadOf(h, 'release-1').digest).not.toBe(thread.digest);
  });

  it('is posted in the channel a person started the run from in Slack; other runs go to their environment', async () => {
    const h = await harness();
    const running = statusAt(['Running', 'Running', 'Pending'], ['Pending', 'Pending']);
    const fromSlack = { [SLACK_CHANNEL_ANNOTATION]: TEAM_CHANNEL };
    seedRun(h, RELEASES, 'from-slack', running, { trigger: { kind: 'slack', id: 'U0ALICE001' }, annotations: fromSlack });
    // Only a Slack-triggered run names where it was started; the annotation alone does not move a thread.
    seedRun(h, RELEASES, 'from-kubectl', running, { annotations: fromSlack });
    seedRun(h, RELEASES, 'not-a-channel', running, { trigger: { kind: 'slack', id: 'U0ALICE001' }, annotations: { [SLACK_CHANNEL_ANNOTATION]: '#general' } });
    seedRun(h, 'staging', 'staged', running);
    const from = h.fake.journal.entries.length;
    await pass(h);
    expect(heads(sent(h, from)).map((e) => [String(e.args.text).split(' ')[3], e.args.channel])).toEqual([
      ['releases/from-kubectl:', PROD_CHANNEL],
      ['releases/from-slack:', TEAM_CHANNEL],
      ['releases/not-a-channel:', PROD_CHANNEL],
      ['staging/staged:', DEFAULT_CHANNEL],
    ]);
  });

  it('is not posted for a run that ended before the bot saw it, nor for a run in a namespace no environment covers', async () => {
    const h = await harness();
    seedRun(h, RELEASES, 'ended', statusAt(['Succeeded', 'Succeeded', 'Succeeded'], ['Succeeded', 'Succeeded'], { phase: 'Succeeded', finishedAt: T0 }));
    seedRun(h, 'elsewhere', 'unmanaged', statusAt(['Running', 'Running', 'Pending'], ['Pending', 'Pending']));
    const from = h.fake.journal.entries.length;
    await pass(h);
    await pass(h);
    expect(sent(h, from)).toEqual([]);
    expect(h.logLines.filter((line) => line.run === 'elsewhere/unmanaged')).toEqual([
      expect.objectContaining({ level: 'warn', msg: 'pipeline run in a namespace no environment of the configuration covers: no Slack thread', cluster: 'default' }),
    ]);
  });
});

describe('replies', () => {
  it('are posted once when a stage ends and when the run ends, whichever leader passes, and a failure is broadcast', async () => {
    const h = await harness();
    seedRun(h, RELEASES, 'release-2', statusAt(['Running', 'Succeeded', 'Running'], ['Pending', 'Pending']));
    await pass(h);
    const { ts } = threadOf(h, 'release-2');

    setStatus(h, 'release-2', statusAt(['Succeeded', 'Succeeded', 'Succeeded'], ['Running', 'Running']));
    const from = h.fake.journal.entries.length;
    await pass(h);
    const devEnded = replies(sent(h, from), ts!);
    expect(devEnded.map((e) => [e.args.channel, String(e.args.text), e.args.reply_broadcast])).toEqual([[PROD_CHANNEL, ':white_check_mark: Stage *dev* of run *release-2* succeeded', 'false']]);
    expect(threadOf(h, 'release-2').posted).toEqual(['stage/dev/Succeeded']);

    // Another replica takes over the lease: same thread, no reply again.
    const next = fakeBotContext(CONFIG, h.kube, h.fake, { instance: 'leader-test-2' });
    const fromNext = h.fake.journal.entries.length;
    await pass(h, { ctx: next.ctx });
    expect(sent(h, fromNext)).toEqual([]);

    setStatus(h, 'release-2', statusAt(['Succeeded', 'Succeeded', 'Succeeded'], ['Failed', 'Failed'], { phase: 'Failed', finishedAt: '2026-12-05T10:42:00.000Z', message: 'stage prod: step verify failed (verification failed): Unhealthy' }));
    const fromEnd = h.fake.journal.entries.length;
    await pass(h, { ctx: next.ctx });
    const ended = sent(h, fromEnd);
    expect(ended.filter((e) => e.method === 'chat.update').map((e) => e.args.ts)).toEqual([ts]);
    expect(replies(ended, ts!).map((e) => [String(e.args.text), e.args.reply_broadcast])).toEqual([
      [':x: Stage *prod* of run *release-2* failed: step verify failed (verification failed): Unhealthy', 'false'],
      [':x: Run *release-2* of pipeline *release* failed (42m): stage prod: step verify failed (verification failed): Unhealthy', 'true'],
    ]);
    expect(threadOf(h, 'release-2').posted).toEqual(['stage/dev/Succeeded', 'stage/prod/Failed', 'run/Failed']);

    // The first leader again, after a restart (a fresh back-off): nothing is posted twice.
    const fromAgain = h.fake.journal.entries.length;
    await pass(h);
    await pass(h, { ctx: next.ctx });
    expect(sent(h, fromAgain)).toEqual([]);
  });

  it("are not posted for what ended before the thread began: the new head shows it", async () => {
    const h = await harness();
    seedRun(h, RELEASES, 'late', statusAt(['Succeeded', 'Succeeded', 'Succeeded'], ['Running', 'Running']));
    const from = h.fake.journal.entries.length;
    await pass(h);
    const posted = sent(h, from);
    expect(posted.map((e) => e.args.thread_ts)).toEqual([undefined]);
    expect(threadOf(h, 'late').posted).toEqual(['stage/dev/Succeeded']);
  });

  it('are recorded even when the pipelines controller wrote the run while they were posted (a conflict)', async () => {
    const h = await harness();
    seedRun(h, RELEASES, 'busy', statusAt(['Running', 'Succeeded', 'Running'], ['Pending', 'Pending']));
    await pass(h);
    const { ts } = threadOf(h, 'busy');
    setStatus(h, 'busy', statusAt(['Succeeded', 'Succeeded', 'Succeeded'], ['Running', 'Running']));
    const isPatch = (r: { method: string; path: string }) => r.method === 'PATCH' && r.path.endsWith(`/namespaces/${RELEASES}/pipelineruns/busy`);
    // The controller's next status write lands between the bot's read and its annotation write.
    h.store.once(isPatch, () => {
      setStatus(h, 'busy', statusAt(['Succeeded', 'Succeeded', 'Succeeded'], ['Running', 'Running']));
      return undefined;
    });
    const from = h.fake.journal.entries.length;
    const fromKube = h.kube.requests.length;
    await pass(h);
    // the guarded write meets the newer run, which is read again and written with its resourceVersion
    const writes = h.kube.requests.slice(fromKube).filter((r) => r.path.endsWith('/pipelineruns/busy')).map((r) => [r.method, (r.body as { metadata?: { resourceVersion?: string } } | undefined)?.metadata?.resourceVersion]);
    expect(writes).toEqual([['PATCH', expect.any(String)], ['GET', undefined], ['PATCH', expect.any(String)]]);
    expect(writes[2]![1]).not.toBe(writes[0]![1]);
    expect(replies(sent(h, from), ts!)).toHaveLength(1);
    expect(threadOf(h, 'busy')).toMatchObject({ ts, posted: ['stage/dev/Succeeded'] });
    const fromAgain = h.fake.journal.entries.length;
    await pass(h);
    expect(replies(sent(h, fromAgain), ts!)).toEqual([]);
  });

  it('of a thread whose annotation cannot be written are not posted anew at every pass: the run backs off', async () => {
    const h = await harness();
    seedRun(h, RELEASES, 'locked', statusAt(['Running', 'Running', 'Pending'], ['Pending', 'Pending']));
    const refused = (r: { method: string; path: string }) => r.method === 'PATCH' && r.path.endsWith(`/namespaces/${RELEASES}/pipelineruns/locked`);
    h.store.intercept((r) => (refused(r) ? failure(403, 'Forbidden', 'admission webhook "annotations.example.com" denied the request') : undefined));
    const backoff = new Backoff();
    const from = h.fake.journal.entries.length;
    const fromLog = h.logLines.length;
    for (let i = 0; i < 3; i++) await pass(h, { backoff });
    expect(sent(h, from)).toHaveLength(1);
    expect(h.logLines.slice(fromLog)).toContainEqual(
      expect.objectContaining({ level: 'warn', msg: 'updating the pipeline run thread failed; retried with back-off', object: `PipelineRun ${RELEASES}/locked`, err: expect.stringContaining('admission webhook') }),
    );
  });
});

describe('thread references', () => {
  const warnings = (h: LeaderHarness, from: number) => h.logLines.slice(from).filter((l) => l.msg === 'ignoring a Slack message reference the bot did not record; posting a new message');
  const touched = (h: LeaderHarness, from: number, ts: string) => sent(h, from).filter((e) => e.args.ts === ts || e.args.thread_ts === ts);

  it('are used only when the bot recorded them for this run: a wrong signature or another run\'s starts a new thread', async () => {
    const h = await harness();
    // A message of the bot's that someone would like to overwrite or reply under.
    const victim = await h.ctx.slackBackground.chat.postMessage({ channel: PROD_CHANNEL, text: 'Approval needed: releases/prod (Pending)' });
    const running = statusAt(['Succeeded', 'Succeeded', 'Succeeded'], ['Running', 'Running']);
    seedRun(h, RELEASES, 'owned', running);
    await pass(h);
    const own = threadOf(h, 'owned');
    // "posted" claims the stage end was replied to already; on a reference that is not used it counts for nothing.
    const forged = { channel: PROD_CHANNEL, ts: victim.ts, digest: '', sig: 'forged', posted: [] };
    seedRun(h, RELEASES, 'forged', running, { annotations: { [THREAD_ANNOTATION]: JSON.stringify(forged) } });
    seedRun(h, RELEASES, 'forged-sig', running, { annotations: { [THREAD_ANNOTATION]: JSON.stringify({ ...own, ts: victim.ts, digest: '' }) } });
    seedRun(h, RELEASES, 'copied', running, { annotations: { [THREAD_ANNOTATION]: JSON.stringify({ ...own, digest: '', posted: [] }) } });
    const from = h.fake.journal.entries.length;
    const fromLog = h.logLines.length;
    await pass(h);
    expect(touched(h, from, victim.ts!)).toEqual([]);
    expect(touched(h, from, own.ts!)).toEqual([]);
    expect(sent(h, from).map((e) => [e.method, e.args.channel, e.args.thread_ts])).toEqual(Array(3).fill(['chat.postMessage', PROD_CHANNEL, undefined]));
    expect(warnings(h, fromLog).map((l) => l.object)).toEqual([`PipelineRun ${RELEASES}/copied`, `PipelineRun ${RELEASES}/forged`, `PipelineRun ${RELEASES}/forged-sig`]);

    // Each now has a thread of its own, signed: the next pass neither posts nor warns again.
    const fromAgain = h.fake.journal.entries.length;
    const fromLogAgain = h.logLines.length;
    await pass(h);
    expect(sent(h, fromAgain)).toEqual([]);
    expect(warnings(h, fromLogAgain)).toEqual([]);
    expect(threadOf(h, 'forged')).toMatchObject({ channel: PROD_CHANNEL, posted: ['stage/dev/Succeeded'] });
  });

  it('in another channel than the bot posts to now are left for a new thread there', async () => {
    const h = await harness();
    seedRun(h, 'staging', 'moved', statusAt(['Running', 'Running', 'Pending'], ['Pending', 'Pending']));
    await pass(h);
    const before = threadOf(h, 'moved', 'staging');
    expect(before.channel).toBe(DEFAULT_CHANNEL);
    setStatus(h, 'moved', statusAt(['Succeeded', 'Succeeded', 'Succeeded'], ['Running', 'Running']), 'staging');
    const from = h.fake.journal.entries.length;
    await pass(h, { defaultChannel: PROD_CHANNEL });
    expect(touched(h, from, before.ts!)).toEqual([]);
    expect(sent(h, from).map((e) => [e.method, e.args.channel, e.args.thread_ts])).toEqual([['chat.postMessage', PROD_CHANNEL, undefined]]);
  });
});

describe('text from the cluster', () => {
  it('reaches Slack escaped and within its limits, however large the run', async () => {
    const h = await harness();
    const hostile = `<!channel> <@U0EVE00001> <https://evil.example|click> ${'x'.repeat(500)}`;
    const steps = Array.from({ length: 500 }, (_, i) => step(`s${i}`, 'webhook', 'Running', { message: hostile }));
    const stages = Array.from({ length: 20 }, (_, i): StageRecord => ({ name: `stage-${i}`, phase: i === 0 ? 'Running' : 'Pending', message: hostile, steps, rollback: [] }));
    seedRun(h, RELEASES, 'hostile', { ...statusAt(['Running', 'Running', 'Pending'], ['Pending', 'Pending']), variables: { image: hostile }, stages });
    const from = h.fake.journal.entries.length;
    await pass(h);
    const [head] = sent(h, from);
    expect(isOk(head!)).toBe(true);
    const shown = JSON.stringify(head!.args);
    for (const markup of ['<!channel>', '<@U0EVE00001>', '<https://evil']) expect(shown).not.toContain(markup);
    expect(shown).toContain('&lt;!channel&gt;');
  });
});

describe('report images', () => {
  const ANALYSIS_RUN = 'loans-api-verify-0123456789ab';
  const REPORT_PATH = `/reports/${RELEASES}/${ANALYSIS_RUN}/verify`;
  const REPORT = `http://localhost:8082${REPORT_PATH}`;
  // What fetchPng takes for a PNG: its signature, then anything.
  const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(256, 7)]);

  afterEach(async () => {
    vi.restoreAllMocks();
    await closeLocalServers();
  });

  /** The engine's report server: the image of REPORT_PATH, 404 for anything else; `asked` lists what it was asked. */
  async function startEngine(): Promise<{ url: string; asked: string[] }> {
    const asked: string[] = [];
    const url = await serveLocally((request, _body, response) => {
      asked.push(request.url ?? '');
      if (request.url === `${REPORT_PATH}?format=png`) return void response.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
      response.writeHead(404).end();
    });
    return { url, asked };
  }

  const withEngine = (url: string) => ({ ...CONFIG, reports: { engineUrl: url } });

  /** A release run whose prod verify step ended (its stage with it, unless `stage` says otherwise) with `report`. */
  function verified(report: string, stage: StageRecord['phase'] = 'Failed'): PipelineRunStatus {
    // A failed verification fails its stage; one that passed lets the stage go on.
    const status = statusAt(['Succeeded', 'Succeeded', 'Succeeded'], [stage, stage === 'Failed' ? 'Failed' : 'Succeeded']);
    const prod = status.stages[1]!;
    prod.steps[0]!.outputs = { analysisRun: ANALYSIS_RUN, phase: stage === 'Failed' ? 'Failed' : 'Successful', report };
    if (stage === 'Running') prod.steps.push(step('look', 'wait', 'Running'));
    return status;
  }

  /** A run whose thread has begun (its dev stage ended, its verify step under way): the thread's ts. */
  async function threadBegun(h: LeaderHarness, name: string): Promise<string> {
    seedRun(h, RELEASES, name, statusAt(['Succeeded', 'Succeeded', 'Succeeded'], ['Running', 'Running']));
    await pass(h);
    return threadOf(h, name).ts!;
  }

  const files = (h: LeaderHarness, from: number) => h.fake.journal.entries.slice(from).filter((e) => e.method.startsWith('files.') || e.method === 'upload');
  /** Addresses fetched through the global fetch that name a report (the report image is fetched so). */
  function fetched(): () => string[] {
    const spy = vi.spyOn(globalThis, 'fetch');
    return () => spy.mock.calls.map(([input]) => String(input instanceof Request ? input.url : input)).filter((address) => address.includes('/reports/'));
  }

  describe('endingsDue', () => {
    const summaryOf = (status: PipelineRunStatus) => summariseRun({ metadata: { name: 'r', namespace: RELEASES }, spec: { pipelineRef: { name: 'release' }, triggeredBy: { kind: 'kubernetes', id: 'ana' } }, status }, new Date(T0));
    const keys = (recorded: readonly string[] | undefined, status: PipelineRunStatus) => endingsDue(summaryOf(status), recorded).due.map((e) => [e.kind, e.key]);

    it("lists a verify step's image after its stage's end, before the run's; each once", () => {
      const status = { ...verified(REPORT), phase: 'Failed' as const };
      expect(keys([], status)).toEqual([
        ['reply', 'stage/dev/Succeeded'],
        ['reply', 'stage/prod/Failed'],
        ['report-image', 'report/prod/verify'],
        ['reply', 'run/Failed'],
      ]);
      expect(keys(['stage/dev/Succeeded', 'stage/prod/Failed'], status)).toEqual([['report-image', 'report/prod/verify'], ['reply', 'run/Failed']]);
      expect(keys(['stage/dev/Succeeded', 'stage/prod/Failed', 'report/prod/verify', 'run/Failed'], status)).toEqual([]);
      const due = endingsDue(summaryOf(status), []).due.find((e) => e.kind === 'report-image');
      expect(due).toMatchObject({ link: REPORT, step: 'prod/verify' });
    });

    it('lists the image as soon as the step ended, while its stage goes on', () => {
      expect(keys(['stage/dev/Succeeded'], verified(REPORT, 'Running'))).toEqual([['report-image', 'report/prod/verify']]);
    });

    it('lists nothing for a new thread, whose head shows what ended: all of it counts as posted', () => {
      const { due, posted } = endingsDue(summaryOf(verified(REPORT)), undefined);
      expect(due).toEqual([]);
      expect([...posted]).toEqual(['stage/dev/Succeeded', 'stage/prod/Failed', 'report/prod/verify']);
    });

    it.each([
      ['not a URL', 'reports/releases/x/verify'],
      ['credentials', `http://ana:secret@localhost:8082${REPORT_PATH}`],
      ['a "|"', `http://localhost:8082${REPORT_PATH}|x`],
      ['over 2048 characters', `http://localhost:8082/reports/${'x'.repeat(2048)}`],
    ])('lists no image for a report output with %s', (_what, report) => {
      expect(keys(['stage/dev/Succeeded'], verified(report))).toEqual([['reply', 'stage/prod/Failed']]);
    });

    it('lists at most 20 images, however many verify steps a status claims', () => {
      const status = verified(REPORT);
      const many = Array.from({ length: 30 }, (_, i) => step(`verify-${i}`, 'verify', 'Succeeded', { outputs: { report: REPORT } }));
      status.stages[1]!.steps = many;
      expect(keys([], status).filter(([kind]) => kind === 'report-image')).toHaveLength(20);
    });
  });

  it("posts the engine's image in the thread once, after the stage's reply with its link, whichever leader passes", async () => {
    const engine = await startEngine();
    const h = await harness(withEngine(engine.url));
    const ts = await threadBegun(h, 'verified');
    setStatus(h, 'verified', verified(REPORT));
    const from = h.fake.journal.entries.length;
    await pass(h);
    const methods = h.fake.journal.entries.slice(from).map((e) => e.method).filter((m) => m !== 'chat.update');
    expect(methods).toEqual(['chat.postMessage', 'files.getUploadURLExternal', 'upload', 'files.completeUploadExternal']);
    expect(String(replies(sent(h, from), ts)[0]!.args.text)).toContain(`:bar_chart: verify: <${REPORT}|report>`);
    const [complete] = h.fake.journal.calls('files.completeUploadExternal', { ok: true });
    expect(complete!.args).toMatchObject({ channel_id: PROD_CHANNEL, thread_ts: ts });
    expect([...h.fake.workspace.files.values()].map((file) => file.content!.equals(PNG))).toEqual([true]);
    expect(engine.asked).toEqual([`${REPORT_PATH}?format=png`]);
    expect(threadOf(h, 'verified').posted).toEqual(['stage/dev/Succeeded', 'stage/prod/Failed', 'report/prod/verify']);

    // The same ending seen again, by this leader and by the next: no second upload.
    const next = fakeBotContext(withEngine(engine.url), h.kube, h.fake, { instance: 'leader-test-2' });
    const fromAgain = h.fake.journal.entries.length;
    await pass(h);
    await pass(h, { ctx: next.ctx });
    expect(files(h, fromAgain)).toEqual([]);
    expect(engine.asked).toHaveLength(1);
  });

  it('posts the image when the verify step ends, not again when its stage ends', async () => {
    const engine = await startEngine();
    const h = await harness(withEngine(engine.url));
    const ts = await threadBegun(h, 'going-on');
    setStatus(h, 'going-on', verified(REPORT, 'Running'));
    const from = h.fake.journal.entries.length;
    await pass(h);
    expect(replies(sent(h, from), ts)).toEqual([]);
    expect(h.fake.journal.calls('files.completeUploadExternal', { ok: true }).map((e) => e.args.thread_ts)).toEqual([ts]);

    setStatus(h, 'going-on', verified(REPORT, 'Failed'));
    const fromEnd = h.fake.journal.entries.length;
    await pass(h);
    expect(replies(sent(h, fromEnd), ts).map((e) => String(e.args.text).split('\n')[0])).toEqual([':x: Stage *prod* of run *going-on* failed: step verify failed (verification failed): Unhealthy']);
    expect(files(h, fromEnd)).toEqual([]);
  });

  it('fetches the image of a link naming another host from the configured engine only', async () => {
    const engine = await startEngine();
    const h = await harness(withEngine(engine.url));
    await threadBegun(h, 'elsewhere');
    const addresses = fetched();
    setStatus(h, 'elsewhere', verified(`http://evil.example:8082${REPORT_PATH}`));
    await pass(h);
    expect(addresses()).toEqual([`${engine.url}${REPORT_PATH}?format=png`]);
    expect(engine.asked).toEqual([`${REPORT_PATH}?format=png`]);
    expect(h.fake.journal.calls('files.completeUploadExternal', { ok: true })).toHaveLength(1);
  });

  it.each([
    ['is not a URL', `localhost:8082${REPORT_PATH}`],
    ['carries credentials', `http://ana:secret@localhost:8082${REPORT_PATH}`],
  ])('shows no link and posts no image when the report output %s', async (_what, report) => {
    const engine = await startEngine();
    const h = await harness(withEngine(engine.url));
    const ts = await threadBegun(h, 'forged');
    const addresses = fetched();
    setStatus(h, 'forged', verified(report));
    const from = h.fake.journal.entries.length;
    await pass(h);
    const [reply] = replies(sent(h, from), ts);
    expect(String(reply!.args.text)).not.toContain('report>');
    expect(JSON.stringify(sent(h, from))).not.toContain('secret');
    expect(files(h, from)).toEqual([]);
    expect(addresses()).toEqual([]);
    expect(engine.asked).toEqual([]);
    expect(threadOf(h, 'forged').posted).toEqual(['stage/dev/Succeeded', 'stage/prod/Failed']);
  });

  it('without reports.engineUrl shows the link and posts no image, not even once an engine is configured', async () => {
    const h = await harness();
    const ts = await threadBegun(h, 'no-engine');
    const addresses = fetched();
    setStatus(h, 'no-engine', verified(REPORT));
    const from = h.fake.journal.entries.length;
    await pass(h);
    expect(String(replies(sent(h, from), ts)[0]!.args.text)).toContain(`<${REPORT}|report>`);
    expect(files(h, from)).toEqual([]);
    expect(addresses()).toEqual([]);
    expect(threadOf(h, 'no-engine').posted).toContain('report/prod/verify');

    // An engine configured later: what ended before it gets no image.
    const engine = await startEngine();
    const next = fakeBotContext(withEngine(engine.url), h.kube, h.fake, { instance: 'leader-test-2' });
    await pass(h, { ctx: next.ctx });
    expect(files(h, from)).toEqual([]);
    expect(engine.asked).toEqual([]);
  });
});
