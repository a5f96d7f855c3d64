// `npm run bench:bot [-- --rate 50] [-- --duration 60] [-- --seed S]`: how fast the Slack bot acknowledges under
// load, and that it loses and duplicates nothing. The bot runs in this process as in production (HTTP mode, Bolt
// acknowledging before the listener works, the leader publishing approval requests), against the fake Slack
// (Slack's rate limits) and the fake Kubernetes API with state. Signed requests are sent on a fixed schedule (open
// loop: nobody waits for an answer before sending the next): approval clicks by many people on many pending
// requests, some of them repeated, and `/rollouts status|promote|pause`. Afterwards every click must be one
// decision and every command one write. Writes bench/results/bot.json; exits 1 when p99 ≥ 300 ms or anything was
// lost, duplicated or not answered 200.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { LogLevel, WebClient } from '@slack/web-api';
import { type RunningBot, startBot } from '../bot/app.js';
import { GroupDirectory } from '../bot/auth/groups.js';
import { connectCluster } from '../bot/cluster/clusters.js';
import { parseBotConfig } from '../bot/config.js';
import type { BotContext } from '../bot/context.js';
import { THREAD_ANNOTATION } from '../bot/notifications/threads.js';
import { signRef } from '../bot/slack/message-ref.js';
import { PacedWebClient } from '../bot/slack/paced-client.js';
import { API_VERSION, APPROVAL_REQUESTS, type ApprovalRequest, pendingStatus, statusOf } from '../shared/approvals/request.js';
import { REVISION_ANNOTATION, ROLLOUTS, type Rollout } from '../shared/kube/rollout-types.js';
import { createLogger } from '../shared/log.js';
import { seededRandom } from '../shared/random.js';
import { FakeSlack } from '../test/fakes/slack/index.js';
import { startFakeKubeApi } from '../test/helpers/fake-kube-api.js';
import { type KubeObject, objectStore } from '../test/helpers/fake-kube-store.js';
import { percentile } from './percentile.js';
import { actLikeRolloutsController } from '../test/helpers/fake-rollouts-controller.js';
import {
  DEFAULT_CONTEXT,
  type SlackContext,
  type SlackHttpRequest,
  type SlackHttpResponse,
  blockActionsPayload,
  formBody,
  payloadBody,
  sendRequest,
  signedRequest,
  slashCommandFields,
} from '../test/helpers/slack-requests.js';

const NS = 'bench';
const CMD_CHANNEL = 'C0BENCHCMD';
const APPROVER_GROUP = 'S0APPROVE1';
const SIGNING_SECRET = 'bench-signing-secret';
/** Environments, each with its own channel: the publisher posts 1 message/s per channel at most (Slack's limit). */
const ENVIRONMENTS = 50;
const APPROVERS = Array.from({ length: 10 }, (_, i) => `U0APPR${String(i).padStart(3, '0')}`);
const OPERATORS = Array.from({ length: 5 }, (_, i) => `U0OPER${String(i).padStart(3, '0')}`);
const DEPLOYER = 'U0DEPLOY01';
/** Distinct approvers each request needs: the last of them decides it, so no click arrives after the decision. */
const APPROVALS_PER_REQUEST = 5;
/** Shares of the requests sent. */
const MIX = { click: 0.76, status: 0.08, promote: 0.08 } as const; // the rest: pause
/** Of the clicks: the same person clicking the same button again, half as Slack's retry (the same signed bytes). */
const CLICK_REPEAT_SHARE = 0.08;
/** Of promote and pause: the same signed request again. */
const COMMAND_REPLAY_SHARE = 0.05;
/** A repeat follows its original within this many requests (within a second at 50/s). */
const REPEAT_WINDOW = 50;
const STATUS_ROLLOUTS = 20;
const P99_LIMIT_MS = 300;
const DRAIN_TIMEOUT_MS = 120_000;

type Planned =
  | { kind: 'click'; pair: number }
  | { kind: 'double-click'; pair: number }
  | { kind: 'click-replay'; of: number }
  | { kind: 'status'; rollout: string }
  | { kind: 'promote' | 'pause'; rollout: string }
  | { kind: 'command-replay'; of: number };

interface Pair {
  request: string;
  user: string;
}

const pad = (n: number, width = 4) => String(n).padStart(width, '0');
const environment = (i: number) => `env-${pad(i, 2)}`;
const channel = (i: number) => `C0BENCH${pad(i, 2)}`;
/** Each environment's namespace, where its requests and the Rollout they gate are: the operator's mapping decides. */
const team = (i: number) => `team-${pad(i, 2)}`;
const appRollout = (i: number) => `app-${pad(i, 2)}`;

/** The schedule, and the (request, approver) pairs its first clicks stand for. */
function plan(count: number, seed: number): { planned: Planned[]; pairs: Pair[]; requests: { name: string; env: number; needed: number }[] } {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  const planned: Planned[] = [];
  let firstClicks = 0;
  const counters = { promote: 0, pause: 0 };
  for (let i = 0; i < count; i++) {
    const r = random();
    const recent = (kinds: Planned['kind'][]) => {
      const start = Math.max(0, planned.length - REPEAT_WINDOW);
      return planned
        .slice(start)
        .map((p, k) => ({ p, index: start + k }))
        .filter(({ p }) => kinds.includes(p.kind));
    };
    if (r < MIX.click) {
      const originals = recent(['click']);
      if (originals.length > 0 && random() < CLICK_REPEAT_SHARE) {
        const { p, index } = pick(originals);
        planned.push(random() < 0.5 ? { kind: 'click-replay', of: index } : { kind: 'double-click', pair: (p as { pair: number }).pair });
      } else planned.push({ kind: 'click', pair: firstClicks++ });
    } else if (r < MIX.click + MIX.status) {
      planned.push({ kind: 'status', rollout: `status-${pad(Math.floor(random() * STATUS_ROLLOUTS), 2)}` });
    } else {
      const kind = r < MIX.click + MIX.status + MIX.promote ? 'promote' : 'pause';
      const originals = recent([kind]);
      if (originals.length > 0 && random() < COMMAND_REPLAY_SHARE) planned.push({ kind: 'command-replay', of: pick(originals).index });
      else planned.push({ kind, rollout: `${kind}-${pad(counters[kind]++)}` });
    }
  }
  // Each request gets APPROVALS_PER_REQUEST distinct approvers (the last request what is left), in shuffled order.
  const requests: { name: string; env: number; needed: number }[] = [];
  const pairs: Pair[] = [];
  for (let r = 0; pairs.length < firstClicks; r++) {
    const needed = Math.min(APPROVALS_PER_REQUEST, firstClicks - pairs.length);
    const name = `req-${pad(r)}`;
    requests.push({ name, env: r % ENVIRONMENTS, needed });
    for (const user of shuffle([...APPROVERS], random).slice(0, needed)) pairs.push({ request: name, user });
  }
  return { planned, pairs: shuffle(pairs, random), requests };
}

/** Fisher–Yates, in place. */
function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function positiveNumber(text: string | undefined, fallback: number, option: string): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${option}: expected a positive number; got ${JSON.stringify(text)}`);
  return value;
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { rate: { type: 'string' }, duration: { type: 'string' }, seed: { type: 'string' } } });
  const rate = positiveNumber(values.rate, 50, '--rate');
  const durationS = positiveNumber(values.duration, 60, '--duration');
  const seed = positiveNumber(values.seed, 20261126, '--seed');
  const count = Math.round(rate * durationS);
  const { planned, pairs, requests } = plan(count, seed);
  const fixture = JSON.parse(readFileSync(new URL('../test/fixtures/rollouts/canary-paused-step.json', import.meta.url), 'utf8')) as Rollout;

  const fake = await FakeSlack.start({
    channels: [{ id: CMD_CHANNEL, name: 'bench-ops' }, ...Array.from({ length: ENVIRONMENTS }, (_, i) => ({ id: channel(i), name: environment(i) }))],
    users: [...APPROVERS, ...OPERATORS, DEPLOYER].map((id) => ({ id, name: id.toLowerCase() })),
    usergroups: [{ id: APPROVER_GROUP, handle: 'approvers', users: APPROVERS }],
  });
  // As buildContext (bot/main.ts) makes it, without its console lines (Slack calls are counted from the fake).
  const slackClient = new WebClient(fake.botToken, { slackApiUrl: fake.apiUrl, retryConfig: { retries: 2 }, logLevel: LogLevel.ERROR });

  // Kubernetes: rollouts paused at a step — one per promote and per pause (so that each command has exactly one
  // write to make), some for status, and one per environment waiting at its approval gate, whose revision has a
  // Slack thread in the environment's channel (each decision is posted in it, as in production).
  const store = objectStore();
  const kube = await startFakeKubeApi(store.respond);
  // a promote answers once the controller has acted on it
  actLikeRolloutsController(store);
  const seedRollout = (name: string, namespace = NS, annotations: Record<string, string> = {}, uid?: string) => {
    const { resourceVersion: _rv, uid: _uid, ...metadata } = fixture.metadata;
    store.seed(ROLLOUTS, { ...fixture, metadata: { ...metadata, name, uid, namespace, annotations: { ...metadata.annotations, ...annotations } } } as unknown as KubeObject);
  };
  for (const name of [
    ...Array.from({ length: STATUS_ROLLOUTS }, (_, i) => `status-${pad(i, 2)}`),
    ...planned.flatMap((p) => (p.kind === 'promote' || p.kind === 'pause' ? [p.rollout] : [])),
  ]) {
    seedRollout(name);
  }
  for (let i = 0; i < ENVIRONMENTS; i++) {
    const name = appRollout(i);
    const namespace = team(i);
    const head = await slackClient.chat.postMessage({ channel: channel(i), text: `${namespace}/${name} revision 2: Paused` });
    const revision = fixture.metadata.annotations?.[REVISION_ANNOTATION] ?? '';
    const at = { channel: channel(i), ts: head.ts! };
    // Signed as the leader records a thread (bot/slack/message-ref.ts), or the bot would not post in it.
    const sig = signRef(fake.botToken, { kind: 'rollout-thread', cluster: 'bench', namespace, name, uid: `uid-${name}`, revision }, at);
    seedRollout(name, namespace, { [THREAD_ANNOTATION]: JSON.stringify({ revision, ...at, digest: '', sig }) }, `uid-${name}`);
  }
  for (const request of requests) {
    const spec: ApprovalRequest['spec'] = {
      type: 'Approval',
      rollout: { name: appRollout(request.env), uid: `uid-${appRollout(request.env)}`, revision: '2', podTemplateHash: '6bb8c57c5d' },
      stepIndex: 1,
      environment: environment(request.env),
      requestedBy: DEPLOYER,
      policy: { approvers: { groups: [APPROVER_GROUP] }, minApprovals: request.needed, allowSelfApproval: false },
      expiresAt: new Date(Date.now() + 4 * 3_600_000).toISOString(),
      onTimeout: 'reject',
    };
    const body: ApprovalRequest = { apiVersion: API_VERSION, kind: 'ApprovalRequest', metadata: { name: request.name, namespace: team(request.env) }, spec, status: pendingStatus(spec) };
    store.seed(APPROVAL_REQUESTS, body as unknown as KubeObject);
  }

  const config = parseBotConfig({
    clusters: [{ name: 'bench' }],
    environments: [
      ...Array.from({ length: ENVIRONMENTS }, (_, i) => ({ name: environment(i), namespaces: [team(i)], channel: channel(i) })),
      // No channel: the leader keeps no threads for the bench's own rollouts (it would post hundreds into one
      // channel at Slack's 1 message/s); the app rollouts' threads exist already.
      { name: 'ops', namespaces: [NS] },
    ],
    channels: [{ id: CMD_CHANNEL, namespace: NS }],
    roles: [
      { name: 'operators', users: OPERATORS, environments: ['ops'], allow: ['view', 'promote', 'pause'] },
      { name: 'approvers', groups: [APPROVER_GROUP], environments: Array.from({ length: ENVIRONMENTS }, (_, i) => environment(i)), allow: ['approve'] },
    ],
  });
  /** Warnings and errors the bot logged, counted by level and message. */
  const logged = new Map<string, number>();
  const log = createLogger({ level: 'warn' }, {
    write(line: string) {
      const entry = JSON.parse(line) as { level: string; msg: string; err?: unknown };
      const err = typeof entry.err === 'string' ? entry.err : (entry.err as { message?: string } | undefined)?.message;
      // URLs carry this run's ports: left out so that runs compare.
      const text = (t: string) => t.replace(/\s*\(url: [^)]*\)/, '').slice(0, 160);
      const key = `${entry.level}: ${text(entry.msg)}${err ? ` (${text(err)})` : ''}`;
      logged.set(key, (logged.get(key) ?? 0) + 1);
    },
  });
  const ctx: BotContext = {
    config,
    slack: slackClient,
    slackBackground: new PacedWebClient(fake.botToken, { slackApiUrl: fake.apiUrl, retryConfig: { retries: 2 }, logLevel: LogLevel.ERROR }),
    clusters: new Map([['bench', connectCluster('bench', kube.kubeConfig(), undefined, { log, instance: 'bench-bot' })]]),
    groups: new GroupDirectory(slackClient, config.groupCacheTtl, log),
    log,
    now: () => new Date(),
  };
  const bot: RunningBot = await startBot({
    ctx,
    slack: { botToken: fake.botToken, signingSecret: SIGNING_SECRET, apiUrl: fake.apiUrl, botId: fake.workspace.botId, botUserId: fake.workspace.botUserId },
    listen: '127.0.0.1:0',
    lease: { namespace: NS, name: 'rollouts-cv-bot', identity: 'bench-bot' },
  });
  const url = `http://${bot.address}/slack/events`;

  // Set-up: the leader posts every request (within Slack's 1 message/s per channel); people click on these messages.
  const setupStarted = performance.now();
  const posted = new Map<string, { channel: string; ts: string; text?: string; blocks?: unknown[] }>();
  while (posted.size < requests.length) {
    if (performance.now() - setupStarted > 300_000) {
      const unposted = (store.list(APPROVAL_REQUESTS) as unknown as ApprovalRequest[]).filter((r) => !posted.has(r.metadata.name)).slice(0, 5);
      const described = unposted.map((r) => `${r.metadata.namespace}/${r.metadata.name}: ${JSON.stringify(statusOf(r))}`).join('; ');
      throw new Error(`only ${posted.size} of ${requests.length} approval requests were posted within 5 minutes (${described}); the bot logged ${JSON.stringify(Object.fromEntries(logged))}`);
    }
    for (const request of store.list(APPROVAL_REQUESTS) as unknown as ApprovalRequest[]) {
      const where = statusOf(request).slack;
      const message = where && fake.message(where.channel, where.ts);
      if (message && !posted.has(request.metadata.name)) posted.set(request.metadata.name, structuredClone({ channel: message.channel, ts: message.ts, text: message.text, blocks: message.blocks }));
    }
    await sleep(200);
  }
  const setupS = (performance.now() - setupStarted) / 1000;

  // The journals are tallied and cleared as the run goes, so that they stay small.
  const tally = { replies: 0, replyErrors: 0, replyTexts: new Map<string, number>(), slack: new Map<string, number>(), patches: new Map<string, number>() };
  const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
  const drainJournals = () => {
    for (const entry of fake.journal.entries.splice(0)) {
      if (entry.method === 'response_url') {
        if (entry.status === 200) tally.replies++;
        else tally.replyErrors++;
        bump(tally.replyTexts, replyKind(String(entry.args.text ?? '')));
      } else bump(tally.slack, `${entry.method} ${entry.status === 429 ? '429' : (entry.response as { ok?: boolean }).ok ? 'ok' : 'error'}`);
    }
    for (const request of kube.requests.splice(0)) if (request.method === 'PATCH') bump(tally.patches, request.path);
  };
  fake.journal.clear();
  kube.requests.length = 0;
  const ticker = setInterval(drainJournals, 2_000);

  // The run: request i is sent at i / rate seconds, whatever happened to the earlier ones.
  const context = (userId: string, channelId: string): SlackContext => ({ ...DEFAULT_CONTEXT, userId, userName: userId.toLowerCase(), channelId, channelName: 'bench' });
  const sent: SlackHttpRequest[] = [];
  const clickIds = new Map<string, Set<string>>(); // "request user" → decision ids sent
  const results: { kind: string; status: number; ms: number }[] = new Array(count);
  const lags: number[] = [];
  const build = (p: Planned, i: number): SlackHttpRequest => {
    switch (p.kind) {
      case 'click':
      case 'double-click': {
        const { request, user } = pairs[p.pair]!;
        const message = posted.get(request)!;
        const payload = blockActionsPayload(
          { message, actionId: 'rcv.request.approve', channelId: message.channel, triggerId: fake.triggerId(), responseUrl: fake.responseUrl({ channel: message.channel, messageTs: message.ts, user }) },
          context(user, message.channel),
        ) as { actions: { action_ts: string }[] };
        const key = `${request} ${user}`;
        clickIds.set(key, (clickIds.get(key) ?? new Set()).add(`click:${payload.actions[0]!.action_ts}:${user}`));
        return signedRequest(url, payloadBody(payload), SIGNING_SECRET);
      }
      case 'status':
      case 'promote':
      case 'pause': {
        const user = OPERATORS[i % OPERATORS.length]!;
        const fields = slashCommandFields(
          { command: '/rollouts', text: `${p.kind} ${p.rollout}`, triggerId: fake.triggerId(), responseUrl: fake.responseUrl({ channel: CMD_CHANNEL, user }) },
          context(user, CMD_CHANNEL),
        );
        return signedRequest(url, formBody(fields), SIGNING_SECRET);
      }
      case 'click-replay':
      case 'command-replay':
        return sent[p.of]!;
    }
  };
  const fire = async (i: number): Promise<void> => {
    const p = planned[i]!;
    const request = (sent[i] = build(p, i));
    let response: SlackHttpResponse | undefined;
    const began = performance.now();
    try {
      response = await sendRequest(request);
    } catch {
      // timed out or refused: counted as not answered
    }
    results[i] = { kind: p.kind, status: response?.status ?? 0, ms: response?.elapsedMs ?? performance.now() - began };
  };
  const load = loadavg().map((l) => round(l, 2));
  const runStarted = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const due = runStarted + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    lags.push(performance.now() - due);
    inflight.push(fire(i));
  }
  const lastSent = performance.now();
  await Promise.all(inflight);
  const answeredAt = performance.now();

  // Drain: every request is answered through its response_url once its work is done.
  while (tally.replies + tally.replyErrors < count && performance.now() - answeredAt < DRAIN_TIMEOUT_MS) {
    drainJournals();
    await sleep(100);
  }
  clearInterval(ticker);
  drainJournals();
  const drainMs = performance.now() - answeredAt;

  // What was recorded: one decision per (request, approver) among the ids clicked; one PATCH per command.
  let lost = 0;
  let duplicated = 0;
  let decisions = 0;
  const undecided: string[] = [];
  for (const request of store.list(APPROVAL_REQUESTS) as unknown as ApprovalRequest[]) {
    const status = statusOf(request);
    decisions += status.decisions.length;
    if (status.state !== 'Decided') undecided.push(request.metadata.name);
    const byUser = new Map<string, number>();
    for (const d of status.decisions) {
      const ids = clickIds.get(`${request.metadata.name} ${d.user}`);
      if (!ids?.has(d.id)) duplicated++; // a decision nobody clicked
      else bump(byUser, d.user);
    }
    for (const n of byUser.values()) duplicated += n - 1;
    for (const key of clickIds.keys()) if (key.startsWith(`${request.metadata.name} `) && !byUser.has(key.slice(key.indexOf(' ') + 1))) lost++;
  }
  const commands = planned.filter((p): p is Extract<Planned, { kind: 'promote' | 'pause' }> => p.kind === 'promote' || p.kind === 'pause');
  for (const command of commands) {
    const path = `/apis/argoproj.io/v1alpha1/namespaces/${NS}/rollouts/${command.rollout}${command.kind === 'promote' ? '/status' : ''}`;
    const writes = tally.patches.get(path) ?? 0;
    if (writes === 0) lost++;
    duplicated += Math.max(0, writes - 1);
  }
  const unexpectedPatches = [...tally.patches.keys()].filter((path) => !commands.some((c) => path.endsWith(`/rollouts/${c.rollout}${c.kind === 'promote' ? '/status' : ''}`))).length;
  duplicated += unexpectedPatches;

  const latencies = results.map((r) => r.ms);
  const notOk = results.filter((r) => r.status !== 200);
  const mix: Record<string, number> = {};
  for (const p of planned) mix[p.kind] = (mix[p.kind] ?? 0) + 1;
  const summary = {
    ack_p50_ms: percentile(latencies, 0.5),
    ack_p90_ms: percentile(latencies, 0.9),
    ack_p99_ms: percentile(latencies, 0.99),
    ack_max_ms: percentile(latencies, 1),
    ack_p99_ms_by_kind: Object.fromEntries(
      Object.keys(mix).map((kind) => [kind, percentile(results.filter((r) => r.kind === kind).map((r) => r.ms), 0.99)]),
    ),
    requests: count,
    answered_200: count - notOk.length,
    not_200: Object.fromEntries([...new Set(notOk.map((r) => r.status))].map((s) => [String(s), notOk.filter((r) => r.status === s).length])),
    lost,
    duplicated,
    rate_target_per_s: rate,
    rate_achieved_per_s: round((count - 1) / ((lastSent - runStarted) / 1000), 2),
    send_lag_p99_ms: percentile(lags, 0.99),
    duration_s: round((lastSent - runStarted) / 1000, 2),
    drain_ms: Math.round(drainMs),
    setup_s: round(setupS),
    mix,
    approval_requests: requests.length,
    approvals_per_request: APPROVALS_PER_REQUEST,
    decisions_recorded: decisions,
    requests_not_decided: undecided.length,
    distinct_clicks: pairs.length,
    commands_written: { promote: commands.filter((c) => c.kind === 'promote').length, pause: commands.filter((c) => c.kind === 'pause').length, patches: [...tally.patches.values()].reduce((a, b) => a + b, 0) },
    replies: { answered: tally.replies, failed: tally.replyErrors, by_kind: Object.fromEntries(tally.replyTexts) },
    slack_calls_during_run: Object.fromEntries([...tally.slack].sort()),
    bot_log: Object.fromEntries(logged),
    node: process.version,
    cpus: cpus().length,
    cpu_model: cpus()[0]?.model ?? 'unknown',
    loadavg_before_run: load,
    loadavg_after_run: loadavg().map((l) => round(l, 2)),
    date: new Date().toISOString(),
  };

  await bot.stop();
  await fake.close();
  await kube.close();
  const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'bot.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(summary, null, 2)}\n`);
  console.log(JSON.stringify(summary, null, 2));
  const failures = [
    ...(summary.ack_p99_ms >= P99_LIMIT_MS ? [`ack p99 ${summary.ack_p99_ms} ms ≥ ${P99_LIMIT_MS} ms`] : []),
    ...(lost > 0 ? [`${lost} lost`] : []),
    ...(duplicated > 0 ? [`${duplicated} duplicated`] : []),
    ...(notOk.length > 0 ? [`${notOk.length} not answered 200`] : []),
    ...(tally.replies + tally.replyErrors < count ? [`${count - tally.replies - tally.replyErrors} requests never answered through response_url`] : []),
  ];
  console.log(failures.length ? `FAIL: ${failures.join('; ')}` : `OK: wrote ${out}`);
  return failures.length ? 1 : 0;
}

/** What a reply said, by its opening words: the run's outcomes at a glance. */
function replyKind(text: string): string {
  if (text.startsWith('<@')) return 'done (command)';
  for (const prefix of ['Recorded your approve', 'Already recorded', 'Already done', 'Not recorded: you already chose', 'Not recorded: this request is already decided', 'Something went wrong']) {
    if (text.startsWith(prefix)) return prefix;
  }
  if (/^bench\/status-\d+: /.test(text)) return 'status';
  return text.slice(0, 40);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(2);
  },
);
