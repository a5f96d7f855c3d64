// `npm run bench:bot-kube [-- --minutes 2] [-- --label after] [-- --out bench/results/bot-kube.json]`: the API
// requests the Slack bot's leader sends to a real kube-apiserver holding 2,000 Rollouts in 200 namespaces (and 20
// pending ApprovalRequests, one per environment). The cluster is the e2e suite's (kwokctl with the binaries of
// test/e2e/scripts/build-components.sh; no Argo Rollouts controller, nor node); the bot runs in this process as in
// production against the fake Slack, and reaches the API server only through a counting reverse proxy on loopback,
// which records each request (verb, resource, response bytes). Seeding and the churn go straight to the API server
// and are not counted. Phases, each a fresh bot that first leads and publishes (the warm-up, counted apart):
//   steady-3s  nothing changes, passes every 3 s (the default);
//   steady-1s  nothing changes, passes every 1 s;
//   churn-3s   10 Rollout status updates a second (as a controller makes them), passes every 3 s.
// Writes the run under `--label` into the results file, keeping the other labels' runs (so that the same script run
// on another checkout adds its figures beside these). Run it alone: it starts a cluster as the e2e suite does.
import { execFileSync } from 'node:child_process';
import * as http from 'node:http';
import * as https from 'node:https';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CoreV1Api, CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { LogLevel, WebClient } from '@slack/web-api';
import { type RunningBot, startBot } from '../bot/app.js';
import { GroupDirectory } from '../bot/auth/groups.js';
import { connectCluster } from '../bot/cluster/clusters.js';
import { parseBotConfig } from '../bot/config.js';
import type { BotContext } from '../bot/context.js';
import { APPROVAL_REQUESTS, type ApprovalRequest, newApprovalRequest, statusOf } from '../shared/approvals/request.js';
import { ApprovalRequestStore } from '../shared/approvals/store.js';
import { loadKubeConfig } from '../shared/kube/client.js';
import { ROLLOUTS, type Rollout } from '../shared/kube/rollout-types.js';
import { createLogger } from '../shared/log.js';
import { FakeSlack } from '../test/fakes/slack/index.js';
import { Environment } from '../test/e2e/harness/environment.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const NAMESPACES = 200;
const ROLLOUTS_PER_NAMESPACE = 10;
const ENVIRONMENTS = 20;
const LEASE_NAMESPACE = 'rollouts-cv';
const CHURN_PER_SECOND = 10;
const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const pad = (n: number, width: number) => String(n).padStart(width, '0');
const namespaceOf = (i: number) => `team-${pad(i, 3)}`;
const channelOf = (env: number) => `C0BENCH${pad(env, 3)}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

/** What went through the proxy since the last take: requests started, by `verb resource` (`list rollouts`, `watch
 * approvalrequests`, `update leases`, `update approvalrequests/status`, …), and the response bytes received meanwhile
 * (a watch's events count in the window they arrive in). */
interface Window {
  requests: string[];
  bytes: number;
}

/** A reverse proxy on loopback to the API server, as the KubeConfig reaches it (TLS, client certificate), counting. */
async function countingProxy(target: KubeConfig): Promise<{ kubeConfig: KubeConfig; take: () => Window; close: () => Promise<void> }> {
  const server = new URL(target.getCurrentCluster()!.server);
  let window: Window = { requests: [], bytes: 0 };
  const proxy = http.createServer((req, res) => {
    window.requests.push(describeRequest(req.method ?? '', req.url ?? ''));
    const options: https.RequestOptions = { hostname: server.hostname, port: server.port, path: req.url, method: req.method, headers: { ...req.headers, host: server.host } };
    void target.applyToHTTPSOptions(options).then(() => {
      const upstream = https.request(options, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.on('data', (chunk: Buffer) => (window.bytes += chunk.length));
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      res.on('close', () => upstream.destroy());
      req.pipe(upstream);
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'proxy', server: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, skipTLSVerify: true }],
    users: [{ name: 'bot' }],
    contexts: [{ name: 'proxy', cluster: 'proxy', user: 'bot' }],
    currentContext: 'proxy',
  });
  return {
    kubeConfig,
    take: () => {
      const taken = window;
      window = { requests: [], bytes: 0 };
      return taken;
    },
    close: () =>
      new Promise((resolve) => {
        proxy.close(() => resolve());
        proxy.closeAllConnections();
      }),
  };
}

/** `verb resource[/subresource]` of an API request, as the API server's request metrics name them. */
function describeRequest(method: string, url: string): string {
  const { pathname, searchParams } = new URL(url, 'http://x');
  const parts = pathname.split('/').filter(Boolean);
  let rest = parts[0] === 'api' ? parts.slice(2) : parts.slice(3);
  if (rest[0] === 'namespaces' && rest.length > 2) rest = rest.slice(2);
  const [resource = '?', name, sub] = rest;
  const verb =
    method === 'GET' ? (searchParams.get('watch') === 'true' ? 'watch' : name ? 'get' : 'list') : ({ POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' }[method] ?? method);
  return `${verb} ${resource}${sub ? `/${sub}` : ''}`;
}

interface Measured {
  minutes: number;
  requests: number;
  requests_per_minute: number;
  /** Lease renewals left out: what the work itself costs. */
  requests_per_minute_without_lease: number;
  response_mib_per_minute: number;
  by_request_per_minute: Record<string, number>;
}

function measure({ requests, bytes }: Window, ms: number): Measured {
  const minutes = ms / 60_000;
  const by = new Map<string, number>();
  for (const request of requests) by.set(request, (by.get(request) ?? 0) + 1);
  const work = requests.filter((request) => !request.endsWith(' leases'));
  return {
    minutes: round(minutes, 2),
    requests: requests.length,
    requests_per_minute: round(requests.length / minutes),
    requests_per_minute_without_lease: round(work.length / minutes),
    response_mib_per_minute: round(bytes / 2 ** 20 / minutes, 2),
    by_request_per_minute: Object.fromEntries([...by].sort((a, b) => b[1] - a[1]).map(([request, n]) => [request, round(n / minutes)])),
  };
}

/** Runs `task` on every item, `concurrency` at a time. */
async function inParallel<T>(items: readonly T[], concurrency: number, task: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await task(items[next++]!);
  }));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2).filter((a) => a !== '--'),
    options: { minutes: { type: 'string' }, label: { type: 'string' }, out: { type: 'string' } },
  });
  const minutes = Number(values.minutes ?? 2);
  if (!(minutes > 0)) throw new Error(`--minutes: expected a number of minutes > 0, got ${values.minutes}`);
  const label = values.label ?? 'current';
  const out = values.out ?? join(ROOT, 'bench/results/bot-kube.json');
  const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();

  const env = await Environment.start({ clusterOnly: true });
  const fake = await FakeSlack.start({ channels: Array.from({ length: ENVIRONMENTS }, (_, i) => ({ id: channelOf(i), name: `bench-${pad(i, 2)}` })), users: [{ id: 'U0BENCH001', name: 'bench' }] });
  let proxy: Awaited<ReturnType<typeof countingProxy>> | undefined;
  try {
    const adminConfig = loadKubeConfig({ kubeconfig: env.kubeconfig });
    const admin = adminConfig.makeApiClient(CustomObjectsApi);
    const core = adminConfig.makeApiClient(CoreV1Api);

    // Seeding: 200 namespaces of 10 Rollouts each, with the status the controller v1.10.1 writes (Healthy, fully
    // promoted: no thread is started for them), and one pending ApprovalRequest per environment.
    const seedStarted = performance.now();
    const fixture = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/rollouts/canary-healthy.json'), 'utf8')) as Rollout;
    await inParallel([...Array.from({ length: NAMESPACES }, (_, i) => namespaceOf(i)), LEASE_NAMESPACE], 16, (name) => core.createNamespace({ body: { metadata: { name } } }));
    const rollouts = Array.from({ length: NAMESPACES * ROLLOUTS_PER_NAMESPACE }, (_, i) => ({ namespace: namespaceOf(Math.floor(i / ROLLOUTS_PER_NAMESPACE)), name: `app-${pad(i % ROLLOUTS_PER_NAMESPACE, 2)}` }));
    await inParallel(rollouts, 16, async ({ namespace, name }) => {
      const { resourceVersion: _rv, uid: _uid, creationTimestamp: _ct, generation: _g, ...metadata } = fixture.metadata;
      await admin.createNamespacedCustomObject({ ...ROLLOUTS, namespace, body: { ...fixture, metadata: { ...metadata, name, namespace }, status: undefined } });
      await admin.patchNamespacedCustomObjectStatus({ ...ROLLOUTS, namespace, name, body: { status: fixture.status } }, MERGE);
    });
    const approvals = new ApprovalRequestStore(admin);
    for (let e = 0; e < ENVIRONMENTS; e++) {
      const namespace = namespaceOf(e * (NAMESPACES / ENVIRONMENTS));
      await approvals.create(
        newApprovalRequest(`app-00-6bb8c57c5d-s1`, namespace, {
          type: 'Approval',
          rollout: { name: 'app-00', uid: `uid-${namespace}`, revision: '2', podTemplateHash: '6bb8c57c5d' },
          stepIndex: 1,
          environment: `env-${pad(e, 2)}`,
          policy: { minApprovals: 1, allowSelfApproval: false },
          expiresAt: new Date(Date.now() + 24 * 3_600_000).toISOString(),
          onTimeout: 'reject',
        }),
      );
    }
    const seedS = round((performance.now() - seedStarted) / 1000);
    const sample = (await admin.getNamespacedCustomObject({ ...ROLLOUTS, ...rollouts[0]! })) as Rollout;
    const rolloutBytes = Buffer.byteLength(JSON.stringify(sample));

    proxy = await countingProxy(adminConfig);
    const config = parseBotConfig({
      clusters: [{ name: 'bench' }],
      environments: Array.from({ length: ENVIRONMENTS }, (_, e) => ({
        name: `env-${pad(e, 2)}`,
        namespaces: Array.from({ length: NAMESPACES / ENVIRONMENTS }, (_, k) => namespaceOf(e * (NAMESPACES / ENVIRONMENTS) + k)),
        channel: channelOf(e),
      })),
    });
    const warnings = new Map<string, number>();
    const log = createLogger({ level: 'warn' }, {
      write(line: string) {
        const entry = JSON.parse(line) as { msg: string };
        warnings.set(entry.msg, (warnings.get(entry.msg) ?? 0) + 1);
      },
    });
    const slack = new WebClient(fake.botToken, { slackApiUrl: fake.apiUrl, retryConfig: { retries: 2 }, logLevel: LogLevel.ERROR });
    const ctx: BotContext = {
      config,
      slack,
      slackBackground: slack,
      clusters: new Map([['bench', connectCluster('bench', proxy.kubeConfig, undefined, { log, instance: 'bench-bot' })]]),
      groups: new GroupDirectory(slack, config.groupCacheTtl, log),
      log,
      now: () => new Date(),
    };
    const allPosted = async () => ((await admin.listClusterCustomObject(APPROVAL_REQUESTS)) as { items: ApprovalRequest[] }).items.every((r) => statusOf(r).slack);

    const phases = [];
    for (const phase of [
      { name: 'steady-3s', pollIntervalMs: 3_000, churnPerSecond: 0 },
      { name: 'steady-1s', pollIntervalMs: 1_000, churnPerSecond: 0 },
      { name: 'churn-3s', pollIntervalMs: 3_000, churnPerSecond: CHURN_PER_SECOND },
    ]) {
      proxy.take();
      const started = performance.now();
      const bot: RunningBot = await startBot({
        ctx,
        slack: { botToken: fake.botToken, signingSecret: 'bench-signing-secret', apiUrl: fake.apiUrl, botId: fake.workspace.botId, botUserId: fake.workspace.botUserId },
        listen: '127.0.0.1:0',
        lease: { namespace: LEASE_NAMESPACE, name: 'rollouts-cv-bot', identity: `bench-${phase.name}` },
        pollIntervalMs: phase.pollIntervalMs,
      });
      // Warm-up: leading, and every approval request posted (the first phase posts them; the later ones find them).
      while (!bot.isLeader() || !(await allPosted())) {
        if (performance.now() - started > 300_000) throw new Error(`${phase.name}: the bot did not lead and publish within 5 minutes`);
        await sleep(250);
      }
      await sleep(5_000);
      const warmupMs = performance.now() - started;
      const warmup = measure(proxy.take(), warmupMs);

      let churned = 0;
      const churn = phase.churnPerSecond
        ? setInterval(() => {
            for (let k = 0; k < phase.churnPerSecond / 10; k++) {
              const target = rollouts[churned++ % rollouts.length]!;
              const conditions = fixture.status!.conditions!.map((c) => ({ ...c, lastUpdateTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') }));
              void admin.patchNamespacedCustomObjectStatus({ ...ROLLOUTS, ...target, body: { status: { conditions } } }, MERGE).catch(() => churned--);
            }
          }, 100)
        : undefined;
      const measuredFrom = performance.now();
      await sleep(minutes * 60_000);
      clearInterval(churn);
      const measured = measure(proxy.take(), performance.now() - measuredFrom);
      await bot.stop();
      phases.push({
        name: phase.name,
        poll_interval_ms: phase.pollIntervalMs,
        churn_status_updates_per_second: phase.churnPerSecond,
        ...(phase.churnPerSecond && { churn_status_updates: churned }),
        warmup_s: round(warmupMs / 1000),
        warmup_requests: warmup.requests,
        warmup_by_request: Object.fromEntries(Object.entries(warmup.by_request_per_minute).map(([k, perMinute]) => [k, Math.round(perMinute * warmup.minutes)])),
        ...measured,
        process_rss_mib: Math.round(process.memoryUsage().rss / 2 ** 20),
      });
      console.log(JSON.stringify(phases.at(-1)));
    }

    const run = {
      label,
      commit,
      date: new Date().toISOString(),
      phases,
      bot_warnings: Object.fromEntries(warnings),
      seeding_s: seedS,
      cluster_start_s: round((env.timings.total ?? 0) / 1000),
      cpus: cpus().length,
      cpu_model: cpus()[0]?.model.trim(),
      loadavg_after_run: loadavg().map((l) => round(l, 2)),
    };
    const previous = existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as { runs?: { label: string }[] }) : {};
    const results = {
      benchmark: 'bot-kube',
      setup: {
        kube_apiserver: 'v1.34.5 (kwokctl, binary runtime)',
        rollouts: rollouts.length,
        namespaces: NAMESPACES,
        approval_requests: ENVIRONMENTS,
        environments: ENVIRONMENTS,
        rollout_object_bytes: rolloutBytes,
        minutes_per_phase: minutes,
      },
      runs: [...(previous.runs ?? []).filter((r) => r.label !== label), run],
    };
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
    console.log(`wrote ${out} (${label})`);
  } finally {
    await proxy?.close();
    await fake.close();
    await env.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
