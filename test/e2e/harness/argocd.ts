// Argo CD on the e2e cluster, as processes on loopback: its Application and AppProject CRDs (copied into the cache by
// build-components.sh), the `argocd` namespace with the argocd-cm ConfigMap and the `default` AppProject, a redis,
// the repo-server and the application controller (one binary acting by the name it runs under). The controller
// reaches the cluster through its kubeconfig and takes it for the in-cluster destination
// (https://kubernetes.default.svc). Its processes belong to the environment, which stops them.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { reserveLoopbackPort } from '../../../plugin/demo/free-port.js';
import { type Environment, tcpOpen } from './environment.js';
import { established } from './kubectl.js';
import { type ManagedProcess, run, startProcess, tail, waitFor } from './processes.js';

export const ARGOCD_NAMESPACE = 'argocd';
/** The destination the application controller resolves to its own cluster. */
export const IN_CLUSTER = 'https://kubernetes.default.svc';
/** Marks the harness's own sync requests in an operation's `info`, to tell them from an earlier sync's state. */
const SYNC_INFO = 'e2e-sync';

export interface Application {
  metadata: { name: string; annotations?: Record<string, string> };
  operation?: unknown;
  status?: {
    sync?: { status?: string; revision?: string };
    health?: { status?: string; message?: string };
    conditions?: { type: string; message: string }[];
    operationState?: {
      phase?: string;
      message?: string;
      operation?: { info?: { name: string; value: string }[] };
      syncResult?: { revision?: string };
    };
  };
}

export interface ApplicationSource {
  repoURL: string;
  path: string;
  targetRevision?: string;
}

export interface ArgoCd {
  namespace: string;
  /** Creates an Application of the `default` project that deploys `source` into `destinationNamespace`. */
  createApplication(name: string, source: ApplicationSource, destinationNamespace: string): Promise<void>;
  get(name: string): Promise<Application>;
  /**
   * Syncs `name` as `kubectl patch` would (a merge patch of `.operation`) and waits until that sync has succeeded on
   * `revision` (a commit id); fails with Argo CD's message when it does not.
   */
  sync(name: string, revision: string, timeoutMs?: number): Promise<Application>;
  /** The Application's sync and health state and the controller's last log lines, for failure messages. */
  describe(name: string): Promise<string>;
}

/**
 * Starts Argo CD against the environment's cluster; its processes stop with the environment. The time it took is
 * recorded in `env.timings.argocd`.
 */
export async function startArgoCd(env: Environment): Promise<ArgoCd> {
  const began = performance.now();
  const k = env.kubectl;
  const b = env.binaries;
  await run('bash', ['-c', 'command -v redis-server']).catch(() => {
    throw new Error('redis-server is not on PATH: Argo CD needs a redis (apt-get install redis-server; scripts/setup.sh installs it)');
  });
  await k.run(['apply', '--server-side', ...b.argocdCrds.flatMap((file) => ['-f', file])]);
  for (const crd of ['applications.argoproj.io', 'appprojects.argoproj.io']) await established(k, crd);
  await k.apply(
    [
      `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ARGOCD_NAMESPACE}`,
      // Without the part-of label the controller's settings do not see the ConfigMap, and it exits.
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-cm\n  namespace: ${ARGOCD_NAMESPACE}\n  labels:\n    app.kubernetes.io/part-of: argocd\ndata: {}`,
      [
        'apiVersion: argoproj.io/v1alpha1',
        'kind: AppProject',
        'metadata:',
        '  name: default',
        `  namespace: ${ARGOCD_NAMESPACE}`,
        'spec:',
        "  sourceRepos: ['*']",
        "  destinations: [{server: '*', namespace: '*'}]",
        "  clusterResourceWhitelist: [{group: '*', kind: '*'}]",
      ].join('\n'),
      '',
    ].join('\n---\n'),
  );

  const dir = join(env.workdir, 'argocd');
  const tmp = join(dir, 'tmp');
  await mkdir(tmp, { recursive: true });
  const logs = join(env.workdir, 'logs');
  const start = (name: string, command: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}): ManagedProcess => {
    const started = startProcess(name, command, args, { dir: logs, cwd: dir, env: { ...process.env, ...extraEnv } });
    env.processes.push(started);
    return started;
  };
  const healthy = (process: ManagedProcess, port: number) =>
    waitFor(`${process.name} to be healthy`, async () => {
      if (process.child.exitCode !== null) throw new Error(`${process.name} exited:\n${await tail(process.log)}`);
      const response = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
      return response?.ok ? true : undefined;
    }, 90_000, () => tail(process.log), 250);

  const [redisPort, repoPort, repoMetricsPort, controllerMetricsPort] = [await reserveLoopbackPort(), await reserveLoopbackPort(), await reserveLoopbackPort(), await reserveLoopbackPort()];
  const redisAddress = `127.0.0.1:${redisPort}`;
  // Nothing persisted; the process title kept as started (its --dir names the work folder, which a later run's
  // clean-up looks for before it kills a process).
  const redis = start('argocd-redis', 'redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--set-proc-title', 'no']);
  await waitFor('redis to listen', () => tcpOpen('127.0.0.1', redisPort), 30_000, () => tail(redis.log), 100);

  // Checkouts go to the work folder; no GPG keyring to set up.
  const repoServer = start(
    'argocd-repo-server',
    b.argocdRepoServer,
    ['--disable-tls', '--address', '127.0.0.1', '--port', String(repoPort), '--metrics-address', '127.0.0.1', '--metrics-port', String(repoMetricsPort), '--redis', redisAddress, '--logformat', 'text'],
    { TMPDIR: tmp, ARGOCD_GPG_ENABLED: 'false' },
  );
  // ARGOCD_FAKE_IN_CLUSTER: the kubeconfig's cluster stands for the in-cluster destination. The controller binds its
  // metrics (and /healthz) on 0.0.0.0, hard-coded.
  const controller = start(
    'argocd-application-controller',
    b.argocdApplicationController,
    [
      '--kubeconfig',
      env.kubeconfig,
      '--namespace',
      ARGOCD_NAMESPACE,
      '--repo-server',
      `127.0.0.1:${repoPort}`,
      '--repo-server-plaintext',
      '--redis',
      redisAddress,
      '--metrics-port',
      String(controllerMetricsPort),
      '--logformat',
      'text',
    ],
    { ARGOCD_FAKE_IN_CLUSTER: 'true', KUBECONFIG: env.kubeconfig },
  );
  await Promise.all([healthy(repoServer, repoMetricsPort), healthy(controller, controllerMetricsPort)]);
  env.timings.argocd = Math.round(performance.now() - began);

  const get = (name: string) => k.json<Application>(['-n', ARGOCD_NAMESPACE, 'get', 'application', name]);
  const describe = async (name: string) => {
    const app = await get(name).then(
      ({ operation, status }) => JSON.stringify({ operation, sync: status?.sync, health: status?.health, conditions: status?.conditions, operationState: status?.operationState }),
      (error: Error) => error.message,
    );
    return `application ${name}: ${app}\napplication controller log:\n${await tail(controller.log, 30)}`;
  };
  return {
    namespace: ARGOCD_NAMESPACE,
    createApplication: async (name, source, destinationNamespace) => {
      await k.apply(
        JSON.stringify({
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'Application',
          metadata: { name, namespace: ARGOCD_NAMESPACE },
          spec: { project: 'default', source: { targetRevision: 'main', ...source }, destination: { server: IN_CLUSTER, namespace: destinationNamespace } },
        }),
      );
    },
    get,
    describe,
    sync: async (name, revision, timeoutMs = 60_000) => {
      // (After a restart of the controller with existing Applications, the first sync fails with "InvalidSpecError:
      // project default not found" until an `argocd.argoproj.io/refresh: normal` annotation; the harness never
      // restarts it.)
      const tag = `${Date.now()}-${Math.random().toString(36).slice(2)}`;
      const operation = { initiatedBy: { username: 'e2e' }, info: [{ name: SYNC_INFO, value: tag }], sync: {} };
      await k.run(['-n', ARGOCD_NAMESPACE, 'patch', 'application', name, '--type', 'merge', '-p', JSON.stringify({ operation })]);
      const app = await waitFor(`the sync of application ${name} to end`, async () => {
        const current = await get(name);
        const state = current.status?.operationState;
        const ours = state?.operation?.info?.some((info) => info.name === SYNC_INFO && info.value === tag) === true;
        return ours && !current.operation && state?.phase !== 'Running' ? current : undefined;
      }, timeoutMs, () => describe(name), 250);
      const state = app.status!.operationState!;
      if (state.phase !== 'Succeeded') throw new Error(`the sync of application ${name} ended ${state.phase}: ${state.message}\n${await describe(name)}`);
      if (state.syncResult?.revision !== revision) throw new Error(`application ${name} synced revision ${state.syncResult?.revision}, not ${revision}`);
      return app;
    },
  };
}
