// A verification's charts in its intervention's thread: fetched only from the configured engine whatever host the
// request's link names, only for a path that names a report, checked to be a PNG, and uploaded through Slack's
// external upload flow — once, when the message is first posted. The engine here is a local server answering with
// real report images, rendered from judged synthetic data as the engine's report server renders them.
import { type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { reportPng } from '../../plugin/report/image.js';
import { judgedReport } from '../../plugin/report/report.test-helpers.js';
import { APPROVAL_REQUESTS, type ApprovalRequest, statusOf } from '../../shared/approvals/request.js';
import { ROLLOUTS, type Rollout } from '../../shared/kube/rollout-types.js';
import { createLogger } from '../../shared/log.js';
import { FakeSlack } from '../../test/fakes/slack/index.js';
import { CONFIG, approvalRequest, rolloutAt } from '../../test/helpers/approval-policy.js';
import { type BotContextHarness, startBotContext } from '../../test/helpers/bot-context.js';
import { closeLocalServers, serveLocally } from '../../test/helpers/local-server.js';
import { Backoff } from '../backoff.js';
import { publishRequests } from '../approvals/publisher.js';
import { MeteredWebClient } from './metered-client.js';
import { postReportImage, reportImageUrl } from './report-image.js';

const CHANNEL = 'C0DEFAULT1';
const REPORT_PATH = '/reports/shop/web-7f5c9-2-1/verify';

// ---- real report images ----


/** Width and height from the IHDR chunk, which a PNG starts with right after its signature. */
function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(12, 16).toString('latin1')).toBe('IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

let failing: Buffer;
let passing: Buffer;
let empty: Buffer;

beforeAll(async () => {
  failing = await reportPng(judgedReport({ canaryErrorRate: 0.05, seed: 3 }));
  passing = await reportPng(judgedReport({ canaryErrorRate: 0.01, seed: 4 }));
  empty = await reportPng(judgedReport({ canaryErrorRate: 0.01, seed: 3, metrics: false }));
}, 60_000);

// ---- a local engine, and what reached it ----

interface Engine {
  url: string;
  /** Paths with query the engine was asked for. */
  asked: string[];
}

type Answer = (response: ServerResponse) => void;
const png = (bytes: () => Buffer): Answer => (response) => response.writeHead(200, { 'content-type': 'image/png' }).end(bytes());

/** The engine's report server at `prefix`, answering a report image request with `answer`, anything else 404. */
async function startEngine(answer: Answer = png(() => failing), prefix = ''): Promise<Engine> {
  const asked: string[] = [];
  const url = await serveLocally((request, _body, response) => {
    asked.push(request.url ?? '');
    if (request.url === `${prefix}${REPORT_PATH}?format=png`) return answer(response);
    response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
  return { url: `${url}${prefix}`, asked };
}

/** The address of a loopback port nothing listens on any more. */
async function closedAddress(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

/** Addresses fetched through the global fetch (the report image is; Slack's client uses its own HTTP stack). */
function fetched(): () => string[] {
  const spy = vi.spyOn(globalThis, 'fetch');
  return () => spy.mock.calls.map(([input]) => String(input instanceof Request ? input.url : input));
}

afterEach(async () => {
  vi.restoreAllMocks();
  await closeLocalServers();
});

/** The fake Slack with a channel, a client of it, and a logger whose lines are kept in `logs`. */
async function slackFake() {
  const fake = await FakeSlack.start({ channels: [{ id: CHANNEL, name: 'deploys' }] });
  const logs: Record<string, unknown>[] = [];
  const log = createLogger({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
  return { fake, client: new MeteredWebClient(fake.botToken, fake.clientOptions()), log, logs };
}

/** Posts a message standing for the intervention message; its ts, which its thread is known by. */
async function interventionMessage(client: MeteredWebClient): Promise<string> {
  const posted = await client.chat.postMessage({ channel: CHANNEL, text: 'Verification needs a decision: shop/web (Pending)' });
  return posted.ts!;
}

describe('the report image', () => {
  it('is a real chart image: a PNG 900 wide with the verdict line and the decisive charts, of a plausible size, not blank', () => {
    // The verdict line (56 px) over the decisive charts (320 px each): the failing metric alone, or both when all pass.
    // A report without metrics is the verdict line alone: a 900×56 strip of text on white.
    expect(pngSize(empty)).toEqual({ width: 900, height: 56 });
    for (const [image, charts] of [[failing, 1], [passing, 2]] as const) {
      expect(image.subarray(0, 8).equals(SIGNATURE)).toBe(true);
      const { width, height } = pngSize(image);
      expect({ width, height }).toEqual({ width: 900, height: 56 + charts * 320 });
      expect(image.length).toBeGreaterThan(10 * 1024);
      expect(image.length).toBeLessThan(2 * 1024 * 1024);
      // Not blank: a blank 900×height image compresses to no more than height/56 blank strips, each smaller than
      // the strip with the verdict's text; charts take more.
      expect(image.length).toBeGreaterThan(empty.length * Math.ceil(height / 56));
    }
    // Drawn from the data: two different verifications give different images.
    expect(failing.equals(passing)).toBe(false);
  });
});

describe('reportImageUrl', () => {
  const ENGINE = 'http://rollouts-cv-engine.rollouts-cv.svc:8082';

  it.each([
    ['a port-forward link', `http://localhost:8082${REPORT_PATH}`, ENGINE, `${ENGINE}${REPORT_PATH}?format=png`],
    ['an Ingress link under a path prefix', `https://rollouts-cv.example.com/rollouts-cv${REPORT_PATH}`, `${ENGINE}/rollouts-cv`, `${ENGINE}/rollouts-cv${REPORT_PATH}?format=png`],
    ['a link without the prefix the engine has', `https://rollouts-cv.example.com${REPORT_PATH}`, `${ENGINE}/rollouts-cv/`, `${ENGINE}/rollouts-cv${REPORT_PATH}?format=png`],
    ['a link with a query and a fragment', `http://localhost:8082${REPORT_PATH}?measurement=0&format=html#errors`, ENGINE, `${ENGINE}${REPORT_PATH}?format=png`],
    ['a forged link to another host', 'http://evil.example/reports/a/b/c', ENGINE, `${ENGINE}/reports/a/b/c?format=png`],
    ["a verify gate's link", 'http://localhost:8082/reports/shop/rollouts/web/steps/2?verification=v-0123456789abcdef', ENGINE, `${ENGINE}/reports/shop/rollouts/web/steps/2?format=png`],
    ['a forged link to another port of the engine', 'http://rollouts-cv-engine.rollouts-cv.svc:9090/reports/a/b/c', ENGINE, `${ENGINE}/reports/a/b/c?format=png`],
  ])('takes the path alone of %s, on the engine', (_what, link, engine, expected) => {
    expect(reportImageUrl(link, engine)).toBe(expected);
  });

  it.each([
    ['a path that climbs out', 'http://localhost:8082/reports/../../x'],
    ['encoded dots that climb out', 'http://localhost:8082/reports/%2e%2e/%2e%2e/metrics'],
    ['the metrics page', 'http://localhost:8082/metrics'],
    ['a report path with a segment more', `http://localhost:8082${REPORT_PATH}/extra`],
    ['a report path with a segment less', 'http://localhost:8082/reports/shop/verify'],
    ['an encoded slash in a name', 'http://localhost:8082/reports/shop/web%2F..%2Fx/verify'],
    ['a namespace that is not a DNS label', 'http://localhost:8082/reports/Shop/web-7f5c9-2-1/verify'],
    ['an AnalysisRun name that is not a DNS subdomain', 'http://localhost:8082/reports/shop/-web/verify'],
    ['a metric name Argo would not allow', 'http://localhost:8082/reports/shop/web-7f5c9-2-1/ver%20ify'],
    ['a path under another prefix', `http://localhost:8082/other${REPORT_PATH}`],
    ['no URL at all', 'reports/shop/web-7f5c9-2-1/verify'],
  ])('names no report for %s', (_what, link) => {
    expect(reportImageUrl(link, ENGINE)).toBeUndefined();
  });
});

describe('postReportImage', () => {
  it("uploads the engine's image into the message's thread through files.getUploadURLExternal, the upload URL and files.completeUploadExternal", async () => {
    const engine = await startEngine();
    const { fake, client, log, logs } = await slackFake();
    try {
      const threadTs = await interventionMessage(client);
      await postReportImage(client, log, { engineUrl: engine.url, link: `http://localhost:8082${REPORT_PATH}`, channel: CHANNEL, threadTs, verdict: 'Inconclusive', object: 'ApprovalRequest shop/web-7f5c9-s2-i1' });

      expect(engine.asked).toEqual([`${REPORT_PATH}?format=png`]);
      const flow = fake.journal.entries.filter((e) => e.method.startsWith('files.') || e.method === 'upload').map((e) => e.method);
      expect(flow).toEqual(['files.getUploadURLExternal', 'upload', 'files.completeUploadExternal']);
      const [get] = fake.journal.calls('files.getUploadURLExternal');
      expect(get!.args).toMatchObject({ filename: 'verification.png', length: String(failing.length), alt_text: expect.stringContaining('verdict Inconclusive') });
      const [complete] = fake.journal.calls('files.completeUploadExternal', { ok: true });
      expect(complete!.args).toMatchObject({ channel_id: CHANNEL, thread_ts: threadTs });
      const fileId = (get!.response as { file_id: string }).file_id;
      const file = fake.workspace.files.get(fileId)!;
      expect(file).toMatchObject({ completed: true, filename: 'verification.png', title: 'Verification charts', channel: CHANNEL });
      expect(file.content!.equals(failing)).toBe(true);
      expect(fake.messages(CHANNEL).filter((m) => m.thread_ts === threadTs)).toEqual([expect.objectContaining({ files: [fileId] })]);
      expect(logs).toContainEqual(expect.objectContaining({ level: 'info', msg: 'report image posted', bytes: failing.length }));
    } finally {
      await fake.close();
    }
  });

  it('fetches a forged link to another host from the configured engine, never from that host', async () => {
    const engine = await startEngine();
    const { fake, client, log } = await slackFake();
    const addresses = fetched();
    try {
      const threadTs = await interventionMessage(client);
      await postReportImage(client, log, { engineUrl: engine.url, link: `http://evil.example${REPORT_PATH}`, channel: CHANNEL, threadTs, object: 'ApprovalRequest shop/x' });
      expect(addresses()).toEqual([`${engine.url}${REPORT_PATH}?format=png`]);
      expect(engine.asked).toEqual([`${REPORT_PATH}?format=png`]);
      expect(fake.journal.calls('files.completeUploadExternal', { ok: true })).toHaveLength(1);
    } finally {
      await fake.close();
    }
  });

  it('asks an engine under a path prefix there, for a link with or without the prefix', async () => {
    const engine = await startEngine(png(() => failing), '/rollouts-cv');
    const { fake, client, log } = await slackFake();
    try {
      const threadTs = await interventionMessage(client);
      for (const link of [`https://rollouts-cv.example.com/rollouts-cv${REPORT_PATH}`, `http://localhost:8082${REPORT_PATH}`]) {
        await postReportImage(client, log, { engineUrl: engine.url, link, channel: CHANNEL, threadTs, object: 'ApprovalRequest shop/x' });
      }
      expect(engine.asked).toEqual([`/rollouts-cv${REPORT_PATH}?format=png`, `/rollouts-cv${REPORT_PATH}?format=png`]);
      expect(fake.journal.calls('files.completeUploadExternal', { ok: true })).toHaveLength(2);
    } finally {
      await fake.close();
    }
  });

  it.each([
    ['/reports/../../x', 'http://localhost:8082/reports/../../x'],
    ['/metrics', 'http://evil.example/metrics'],
  ])('fetches nothing for a link to %s, and uploads nothing', async (_what, link) => {
    const engine = await startEngine();
    const { fake, client, log, logs } = await slackFake();
    const addresses = fetched();
    try {
      const threadTs = await interventionMessage(client);
      await postReportImage(client, log, { engineUrl: engine.url, link, channel: CHANNEL, threadTs, object: 'ApprovalRequest shop/x' });
      expect(addresses()).toEqual([]);
      expect(engine.asked).toEqual([]);
      expect(fake.journal.entries.filter((e) => e.method.startsWith('files.'))).toEqual([]);
      expect(logs).toContainEqual(expect.objectContaining({ level: 'warn', msg: 'the report link names no report page of the engine: no image posted', object: 'ApprovalRequest shop/x' }));
    } finally {
      await fake.close();
    }
  });

  it.each<[string, Answer | 'unreachable', RegExp]>([
    ['HTML instead of a PNG', (response) => response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>report</title>'), /not a PNG \(content-type text\/html\)/],
    ['a PNG signature in front of 5 MB more, streamed', png(() => Buffer.concat([SIGNATURE, Buffer.alloc(5 * 1024 * 1024)])), /^the image is over 5242880 bytes$/],
    ['a length over 5 MB', (response) => response.writeHead(200, { 'content-type': 'image/png', 'content-length': String(5 * 1024 * 1024 + 1) }).end(Buffer.concat([SIGNATURE, Buffer.alloc(5 * 1024 * 1024 - 7)])), /^the image is over 5242880 bytes \(5242881 declared\)$/],
    ['an error', (response) => response.writeHead(502, { 'content-type': 'text/plain' }).end('the source is unreachable\n'), /the engine answered 502/],
    ['a redirect to another host', (response) => response.writeHead(302, { location: 'http://evil.example/verification.png' }).end(), /^no answer from the engine: .*redirect/],
    ['nothing: the engine is unreachable', 'unreachable', /^no answer from the engine: .*ECONNREFUSED/],
  ])('uploads nothing when the engine answers %s, and says why in the log', async (_what, answer, why) => {
    const engine = answer === 'unreachable' ? { url: await closedAddress(), asked: [] } : await startEngine(answer);
    const { fake, client, log, logs } = await slackFake();
    const addresses = fetched();
    try {
      const threadTs = await interventionMessage(client);
      await postReportImage(client, log, { engineUrl: engine.url, link: `http://localhost:8082${REPORT_PATH}`, channel: CHANNEL, threadTs, object: 'ApprovalRequest shop/x' });
      expect(addresses()).toEqual([`${engine.url}${REPORT_PATH}?format=png`]);
      expect(fake.journal.entries.filter((e) => e.method.startsWith('files.') || e.method === 'upload')).toEqual([]);
      expect(logs).toContainEqual(expect.objectContaining({ level: 'warn', msg: 'cannot post the report image; going on without it', err: expect.stringMatching(why) }));
    } finally {
      await fake.close();
    }
  });

  it('logs a Slack error and goes on', async () => {
    const engine = await startEngine();
    const { fake, client, log, logs } = await slackFake();
    try {
      await postReportImage(client, log, { engineUrl: engine.url, link: `http://localhost:8082${REPORT_PATH}`, channel: 'C0NOWHERE1', threadTs: '1700000000.000100', object: 'ApprovalRequest shop/x' });
      expect(logs).toContainEqual(expect.objectContaining({ level: 'warn', msg: 'cannot post the report image; going on without it', err: expect.stringContaining('channel_not_found') }));
    } finally {
      await fake.close();
    }
  });
});

describe('the intervention message and its image', () => {
  const NAME = 'web-7f5c9-s2-i1';

  /** The leader's pass over the requests. */
  async function pass(bot: BotContextHarness): Promise<void> {
    const rollouts = bot.store.list(ROLLOUTS) as unknown as Rollout[];
    await publishRequests(bot.ctx, { client: bot.ctx.slackBackground, defaultChannel: CHANNEL, backoff: new Backoff() }, bot.cluster, await bot.cluster.approvals.list(undefined), rollouts);
  }

  /** A bot (with the engine at `engineUrl`, when given) and the pending intervention it is about to post. */
  async function botWith(engineUrl: string | undefined): Promise<BotContextHarness> {
    const bot = await startBotContext({ ...CONFIG, ...(engineUrl && { reports: { engineUrl } }) }, { slack: { channels: [{ id: CHANNEL, name: 'deploys' }] } });
    const request = approvalRequest(NAME, 'lab', {
      type: 'Intervention',
      actions: ['promote', 'rollback'],
      onTimeout: 'rollback',
      evidence: { verdict: 'Inconclusive', score: 55, reasons: ['latency: not conclusively higher'], analysisRun: 'web-7f5c9-2-1', report: `http://localhost:8082${REPORT_PATH}` },
    });
    bot.store.seed(ROLLOUTS, rolloutAt((await bot.cluster.approvals.create(request))!));
    return bot;
  }

  const stored = (bot: BotContextHarness) => bot.store.get({ ...APPROVAL_REQUESTS, namespace: 'lab', name: NAME }) as unknown as ApprovalRequest;
  const uploads = (bot: BotContextHarness) => bot.slack.journal.calls('files.completeUploadExternal', { ok: true });

  it('posts the image once, in the thread of the message when it is first posted, not again when the message is updated', async () => {
    const engine = await startEngine(png(() => passing));
    const bot = await botWith(engine.url);
    await pass(bot);
    const message = statusOf(stored(bot)).slack!;
    expect(uploads(bot).map((e) => [e.args.channel_id, e.args.thread_ts])).toEqual([[message.channel, message.ts]]);
    const file = [...bot.slack.workspace.files.values()];
    expect(file).toHaveLength(1);
    expect(file[0]!.content!.equals(passing)).toBe(true);

    await pass(bot);
    await bot.cluster.approvals.updateStatus('lab', NAME, (current) => ({
      status: { ...statusOf(current), state: 'Decided', outcome: 'rollback', decidedAt: new Date().toISOString(), message: 'rollback by U0LARA0001' },
      result: undefined,
    }));
    await pass(bot);
    expect(bot.slack.journal.calls('chat.update', { ok: true }).map((e) => e.args.ts)).toEqual([message.ts]);
    expect(bot.slack.journal.calls('chat.postMessage', { ok: true })).toHaveLength(1);
    expect(uploads(bot)).toHaveLength(1);
    expect(engine.asked).toEqual([`${REPORT_PATH}?format=png`]);
  });

  it('posts no image without reports.engineUrl: nothing is fetched, the message has its link button', async () => {
    const addresses = fetched();
    const bot = await botWith(undefined);
    await pass(bot);
    expect(bot.slack.journal.calls('chat.postMessage', { ok: true })).toHaveLength(1);
    expect(addresses().filter((address) => address.includes('/reports/'))).toEqual([]);
    expect(bot.slack.journal.entries.filter((e) => e.method.startsWith('files.'))).toEqual([]);
    expect(JSON.stringify(bot.slack.messages(CHANNEL)[0]!.blocks)).toContain(`"url":"http://localhost:8082${REPORT_PATH}"`);
  });

  it('an engine that fails leaves the request as it would be without: posted, recorded, not retried', async () => {
    const engine = await startEngine((response) => response.writeHead(503, { 'retry-after': '5' }).end('busy\n'));
    const bot = await botWith(engine.url);
    await pass(bot);
    await pass(bot);
    expect(statusOf(stored(bot)).slack).toMatchObject({ channel: CHANNEL });
    expect(bot.slack.journal.calls('chat.postMessage', { ok: true })).toHaveLength(1);
    expect(engine.asked).toHaveLength(1);
    expect(uploads(bot)).toEqual([]);
    expect(bot.logLines).toContainEqual(expect.objectContaining({ level: 'warn', msg: 'cannot post the report image; going on without it', object: `ApprovalRequest lab/${NAME}` }));
    expect(bot.logLines.filter((line) => String(line.msg).includes('retried with back-off'))).toEqual([]);
  });
});
