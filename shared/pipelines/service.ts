// The pipelines controller as a process: replicas campaign for a Lease; the leader watches PipelineRuns in every
// namespace and passes over them (controller.ts) when they change and when a run said to look again. Another
// replica takes over when the leader goes, and continues every run from its status. /healthz answers while the
// process runs, /readyz once it campaigns.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CoordinationV1Api, CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { ApprovalRequestStore } from '../approvals/store.js';
import { runLeaderElection } from '../kube/leader.js';
import { Wakeup } from '../kube/wakeup.js';
import { watchKind } from '../kube/watch.js';
import { bindHost, splitHostPort } from '../listen.js';
import type { Logger } from '../log.js';
import type { Executors } from './advance.js';
import { type ControllerDeps, PIPELINE_RUNS, type PipelineRun, RunScheduler } from './controller.js';
import { kubeSecretReader } from './credentials.js';
import { approvalStep } from './steps/approval.js';
import { interventionStep } from './steps/intervention.js';
import { issueStep } from './steps/issue.js';
import { releaseRepoSteps } from './steps/release-repo.js';
import { withdrawRunRequests } from './steps/requests.js';
import { rolloutStep } from './steps/rollout.js';
import { syncStep } from './steps/sync.js';
import { verifyStep } from './steps/verify.js';
import { waitStep } from './steps/wait.js';
import { webhookStep } from './steps/webhook.js';
import { kubeNamespaceReader, targetGuard } from './targets.js';

export interface PipelinesControllerOptions {
  kubeConfig: KubeConfig;
  lease: { namespace: string; name: string; identity: string; durationMs?: number };
  /** host:port of /healthz and /readyz. */
  listen: string;
  /** Who the release-repository commits are by. */
  author: { name: string; email: string };
  log: Logger;
  /** A pass at least this often even without changes (default 30 s). */
  resyncMs?: number;
}

export interface RunningPipelinesController {
  address: string;
  isLeader(): boolean;
  stop(): Promise<void>;
}

/** After a change, the next pass waits this long for more (a burst is one pass). */
const CHANGE_DEBOUNCE_MS = 200;

export function pipelineExecutors(kubeConfig: KubeConfig, author: PipelinesControllerOptions['author'], log: Logger): Executors {
  const objects = kubeConfig.makeApiClient(CustomObjectsApi);
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const guard = targetGuard(kubeNamespaceReader(core));
  const approvals = new ApprovalRequestStore(objects);
  return {
    wait: waitStep,
    approval: approvalStep(approvals, log),
    intervention: interventionStep(approvals, log),
    rollout: rolloutStep(objects, guard),
    verify: verifyStep(objects, guard),
    sync: syncStep(objects, guard),
    ...releaseRepoSteps({ readSecret: kubeSecretReader(core), author }),
    issue: issueStep({ readSecret: kubeSecretReader(core) }),
    webhook: webhookStep({ readSecret: kubeSecretReader(core) }),
  };
}

async function passWhileLeading(deps: ControllerDeps, kubeConfig: KubeConfig, resyncMs: number, signal: AbortSignal): Promise<void> {
  const { log } = deps;
  log.info('leading: pipeline runs');
  const wakeup = new Wakeup();
  const runs = watchKind<PipelineRun>({
    kc: kubeConfig,
    what: `${PIPELINE_RUNS.plural}.${PIPELINE_RUNS.group}`,
    path: `/apis/${PIPELINE_RUNS.group}/${PIPELINE_RUNS.version}/${PIPELINE_RUNS.plural}`,
    list: async () => (await deps.objects.listClusterCustomObject(PIPELINE_RUNS)) as { items: PipelineRun[] },
    onChange: () => wakeup.soon(CHANGE_DEBOUNCE_MS),
    log,
  });
  const scheduler = new RunScheduler({ ...deps, signal });
  try {
    while (!signal.aborted) {
      let nextMs = resyncMs;
      if (runs.live) nextMs = Math.min(resyncMs, await scheduler.pass(runs.list()));
      await wakeup.next(Math.max(nextMs, 50), signal);
    }
  } finally {
    await runs.stop();
  }
}

export async function startPipelinesController(options: PipelinesControllerOptions): Promise<RunningPipelinesController> {
  const { kubeConfig, log } = options;
  const approvals = new ApprovalRequestStore(kubeConfig.makeApiClient(CustomObjectsApi));
  const deps: ControllerDeps = {
    objects: kubeConfig.makeApiClient(CustomObjectsApi),
    executors: pipelineExecutors(kubeConfig, options.author, log),
    log,
    now: () => new Date(),
    onEnded: async (run, reason) => {
      const withdrawn = await withdrawRunRequests(approvals, { namespace: run.metadata.namespace, uid: run.metadata.uid ?? '' }, reason, new Date());
      if (withdrawn) log.info({ run: `${run.metadata.namespace}/${run.metadata.name}`, withdrawn }, 'approval requests of the ended run withdrawn');
    },
  };
  let ready = false;
  const health: Server = createServer((request, response) => {
    const ok = request.url === '/healthz' || (request.url === '/readyz' && ready);
    response.writeHead(ok ? 200 : request.url === '/readyz' ? 503 : 404).end(ok ? 'ok\n' : '');
  });
  const { host, port } = splitHostPort(options.listen);
  await new Promise<void>((resolve) => health.listen(port, bindHost(host), resolve));

  const election = runLeaderElection({
    api: kubeConfig.makeApiClient(CoordinationV1Api),
    namespace: options.lease.namespace,
    name: options.lease.name,
    identity: options.lease.identity,
    ...(options.lease.durationMs && { leaseDurationMs: options.lease.durationMs, renewEveryMs: Math.floor(options.lease.durationMs / 3) }),
    log: log.child({ component: 'leader' }),
    onStartedLeading: (signal) =>
      void passWhileLeading(deps, kubeConfig, options.resyncMs ?? 30_000, signal).catch((error: unknown) => log.error({ err: error }, 'the pipelines loop stopped')),
    onStoppedLeading: () => undefined,
  });
  ready = true;
  const address = `${host}:${(health.address() as AddressInfo).port}`;
  log.info({ address, identity: options.lease.identity }, 'pipelines controller running');
  return {
    address,
    isLeader: () => election.isLeader,
    async stop() {
      ready = false;
      await election.stop();
      await new Promise<void>((resolve) => health.close(() => resolve()));
      log.info('pipelines controller stopped');
    },
  };
}
