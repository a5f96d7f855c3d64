// The leader's background work without the rest of the bot: a BotContext (bot-context.ts) against the fake Slack
// (test/fakes/slack) and the stateful fake Kubernetes API (fake-kube-store.ts), and Rollouts as the controller leaves
// them when an analysis is Inconclusive. Tests call one pass of a function (intervene, notifyRollouts, …) at a time
// and look at what it wrote, so that nothing runs in the background between two checks.
import { readFileSync } from 'node:fs';
import type { Cluster } from '../../bot/cluster/clusters.js';
import type { BotContext } from '../../bot/context.js';
import { APPROVAL_REQUESTS, type ApprovalRequest } from '../../shared/approvals/request.js';
import { ANALYSIS_RUNS, ROLLOUTS, type Rollout } from '../../shared/kube/rollout-types.js';
import { FakeSlack } from '../fakes/slack/index.js';
import { fakeBotContext } from './bot-context.js';
import { type FakeKubeApi, startFakeKubeApi } from './fake-kube-api.js';
import { type KubeObject, type ObjectStore, objectStore } from './fake-kube-store.js';
import { actLikeRolloutsController } from './fake-rollouts-controller.js';

export interface LeaderHarness {
  store: ObjectStore;
  kube: FakeKubeApi;
  fake: FakeSlack;
  ctx: BotContext;
  cluster: Cluster;
  /** Every log line, parsed. */
  logLines: Record<string, unknown>[];
  /** Stops the stand-in Rollouts controller, as if it were down; the returned function starts it again. */
  stopController(): () => void;
  /** Moves the bot's clock. */
  advance(ms: number): void;
  rollouts(): Rollout[];
  requests(): ApprovalRequest[];
  close(): Promise<void>;
}

/** `config` is the bot's configuration file as parsed YAML; `channels` are the fake workspace's channels. */
export async function startLeaderHarness(config: unknown, channels: string[] = []): Promise<LeaderHarness> {
  const store = objectStore();
  const kube = await startFakeKubeApi(store.respond);
  // a promote (Promote anyway) is answered once the controller has acted on it
  let stopController = actLikeRolloutsController(store);
  const fake = await FakeSlack.start({ channels: channels.map((id) => ({ id, name: id.toLowerCase() })), rateLimits: false });
  const { ctx, cluster, logLines, advance } = fakeBotContext(config, kube, fake, { instance: 'leader-test-1' });
  return {
    store,
    kube,
    fake,
    ctx,
    cluster,
    logLines,
    advance,
    stopController: () => {
      stopController();
      return () => void (stopController = actLikeRolloutsController(store));
    },
    rollouts: () => store.list(ROLLOUTS) as unknown as Rollout[],
    requests: () => store.list(APPROVAL_REQUESTS) as unknown as ApprovalRequest[],
    close: async () => {
      await fake.close();
      await kube.close();
    },
  };
}

export function rolloutFixture(name: string): Rollout {
  return JSON.parse(readFileSync(new URL(`../fixtures/rollouts/${name}.json`, import.meta.url), 'utf8')) as Rollout;
}

/**
 * A Rollout paused by an Inconclusive step analysis (test/fixtures/rollouts/canary-paused-step.json with the
 * controller's InconclusiveAnalysisRun pause), and its AnalysisRun whose last measurement has `value`.
 */
export function seedInconclusive(store: ObjectStore, namespace: string, name: string, value: object = { verdict: 'Inconclusive', score: 40, reasons: ['p99 latency +12%'] }): Rollout {
  const runName = `${name}-run`;
  store.seed(ANALYSIS_RUNS, {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AnalysisRun',
    metadata: { name: runName, namespace },
    status: { phase: 'Inconclusive', metricResults: [{ name: 'cv', measurements: [{ value: JSON.stringify(value) }] }] },
  });
  const rollout = rolloutFixture('canary-paused-step');
  const { resourceVersion: _rv, uid: _uid, ...metadata } = rollout.metadata;
  const status = {
    ...rollout.status,
    message: 'InconclusiveAnalysisRun',
    pauseConditions: [{ reason: 'InconclusiveAnalysisRun', startTime: '2026-11-26T20:00:00Z' }],
    canary: { currentStepAnalysisRunStatus: { name: runName, status: 'Inconclusive' } },
  };
  return store.seed(ROLLOUTS, { ...rollout, metadata: { ...metadata, name, namespace }, status } as unknown as KubeObject) as unknown as Rollout;
}
