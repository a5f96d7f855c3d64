// The whole e2e environment on loopback: a kwok cluster (etcd, kube-apiserver, kube-controller-manager,
// kube-scheduler, kwok) started by kwokctl from binaries built by scripts/build-components.sh, one fake node, the
// Argo Rollouts CRDs and controller (with the rollouts-cv bridge registered as metric and step plugin), the
// prometheus-operator ServiceMonitor CRD (so that a server-side dry run validates ServiceMonitors against its schema),
// the rollouts-cv engine, and the sandbox (a Prometheus scraping the synthetic app); VictoriaLogs beside them when a
// suite reads logs.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from 'node:net';
import { reserveLoopbackPort } from '../../../plugin/demo/free-port.js';
import { Kubectl, established } from './kubectl.js';
import { type ManagedProcess, killGroupMembers, peakRssKiB, run, startProcess, tail, waitFor } from './processes.js';
import { type VictoriaLogs, startVictoriaLogs } from './victorialogs.js';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const BUILD_SCRIPT = join(REPO, 'test/e2e/scripts/build-components.sh');
export const BRIDGE = join(REPO, 'dist/bridge/rollouts-cv-bridge-linux-amd64');
export const CLI = join(REPO, 'dist/cli/main.js');
const ARGO_ROLLOUTS_MODULE = 'github.com/argoproj/argo-rollouts@v1.10.1';
/**
 * The monitoring.coreos.com CRDs installed, by plural: of those build-components.sh generates (every
 * monitoring.coreos.com/v1 kind of prometheus-operator), only what the chart can render and docs/examples show.
 */
const MONITORING_CRDS = ['servicemonitors', 'podmonitors', 'prometheusrules'];
/** The project's CRDs, as the chart installs them. */
const PROJECT_CRD_DIR = join(REPO, 'charts/rollouts-cv/crds');
const PROJECT_CRDS = ['approvalrequests.rollouts-cv.io', 'logtemplatefeedbacks.rollouts-cv.io', 'pipelines.rollouts-cv.io', 'pipelineruns.rollouts-cv.io'];
const CLUSTER = 'rollouts-cv-e2e';
export const CONTROLLER_NAMESPACE = 'argo-rollouts';
/** The engine's token (`--auth-token-file`), which the bridge sends (`--engine-token-file`). */
const ENGINE_TOKEN = 'e2e-engine-token-0123456789abcdef';

export interface Binaries {
  etcd: string;
  kwok: string;
  kwokctl: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubeScheduler: string;
  rolloutsController: string;
  /** The monitoring.coreos.com CRD manifests to install (`<cache>/monitoring-<pin>/crds/`). */
  monitoringCrds: string[];
  /** Argo CD's one binary, under the names it acts by (harness/argocd.ts starts them). */
  argocdApplicationController: string;
  argocdRepoServer: string;
  /** Argo CD's Application and AppProject CRD manifests (`<cache>/argocd-<pin>/crds/`). */
  argocdCrds: string[];
}

/**
 * Where build-components.sh put (or would put) each binary; fails naming the missing ones (and the engine's and
 * bridge's builds unless `clusterOnly`).
 */
export async function locateBinaries(options: { clusterOnly?: boolean } = {}): Promise<Binaries> {
  const { stdout } = await run('bash', [BUILD_SCRIPT, '--print-paths']);
  const dirs = Object.fromEntries(stdout.trim().split('\n').map((line) => line.split(' ') as [string, string]));
  const binaries: Binaries = {
    etcd: join(dirs.etcd!, 'etcd'),
    kwok: join(dirs.kwok!, 'kwok'),
    kwokctl: join(dirs.kwok!, 'kwokctl'),
    kubeApiserver: join(dirs.k8s!, 'kube-apiserver'),
    kubeControllerManager: join(dirs.k8s!, 'kube-controller-manager'),
    kubeScheduler: join(dirs.k8s!, 'kube-scheduler'),
    rolloutsController: join(dirs.argo!, 'rollouts-controller'),
    monitoringCrds: MONITORING_CRDS.map((plural) => join(dirname(dirs.monitoring!), 'crds', `monitoring.coreos.com_${plural}.yaml`)),
    argocdApplicationController: join(dirs.argocd!, 'argocd-application-controller'),
    argocdRepoServer: join(dirs.argocd!, 'argocd-repo-server'),
    argocdCrds: ['application', 'appproject'].map((kind) => join(dirname(dirs.argocd!), 'crds', `${kind}-crd.yaml`)),
  };
  const missing = Object.values(binaries).flat().filter((path) => !existsSync(path));
  if (missing.length > 0) throw new Error(`e2e binaries missing (run bash test/e2e/scripts/build-components.sh): ${missing.join(', ')}`);
  for (const path of options.clusterOnly ? [] : [BRIDGE, CLI]) {
    if (!existsSync(path)) throw new Error(`${path} is missing: run npm run build && npm run build:bridge`);
  }
  return binaries;
}

export interface Timings {
  [step: string]: number;
}

export class Environment {
  readonly timings: Timings = {};
  readonly processes: ManagedProcess[] = [];
  kubectl!: Kubectl;
  kubeconfig = '';
  engineAddress = '';
  /** host:port of the engine's /metrics (the same across restarts). */
  engineMetricsAddress = '';
  /** host:port of the engine's report pages; Measurements link to http://<it>/reports/…. */
  engineReportsAddress = '';
  get engineTokenFile(): string {
    return join(this.workdir, 'engine-token');
  }
  prometheus = '';
  app = '';
  /** Started with `victoriaLogs: true` (its `url`, and `ingest` to write pods' lines). */
  victoriaLogs?: VictoriaLogs;
  private kwokctlEnv: NodeJS.ProcessEnv = {};
  private clusterCreated = false;
  private stopped = false;

  private constructor(
    readonly binaries: Binaries,
    readonly workdir: string,
  ) {}

  /**
   * `clusterOnly`: the cluster and the CRDs, without the fake node, the engine, the sandbox and the Argo Rollouts
   * controller (for a benchmark of API requests). `victoriaLogs`: VictoriaLogs too, started beside the sandbox.
   */
  static async start(options: { clusterOnly?: boolean; victoriaLogs?: boolean } = {}): Promise<Environment> {
    const binaries = await locateBinaries(options);
    const base = workdirBase();
    await reapStaleRuns(base, binaries);
    const workdir = await createWorkdir(base);
    const env = new Environment(binaries, workdir);
    try {
      await env.startAll(options.clusterOnly ?? false, options.victoriaLogs ?? false);
      return env;
    } catch (error) {
      await env.stop({ keepWorkdir: true });
      throw new Error(`${(error as Error).message}\n(logs kept in ${workdir})`);
    }
  }

  private async timed<T>(step: string, action: () => Promise<T>): Promise<T> {
    const began = performance.now();
    try {
      return await action();
    } finally {
      this.timings[step] = Math.round(performance.now() - began);
    }
  }

  private async startAll(clusterOnly: boolean, victoriaLogs: boolean): Promise<void> {
    const began = performance.now();
    await mkdir(join(this.workdir, 'logs'), { recursive: true });
    if (clusterOnly) {
      await this.timed('cluster', () => this.startCluster());
      await this.timed('crds', () => this.applyCrds());
      this.timings.total = Math.round(performance.now() - began);
      return;
    }
    // The engine, the sandbox and VictoriaLogs start while the cluster comes up.
    const sideServices = Promise.all([
      this.timed('engine', () => this.startEngine()),
      this.timed('sandbox', () => this.startSandbox()),
      ...(victoriaLogs ? [this.timed('victoriaLogs', async () => void (this.victoriaLogs = await startVictoriaLogs()))] : []),
    ]);
    await this.timed('cluster', () => this.startCluster());
    await this.timed('node', () => this.createNode());
    await this.timed('crds', () => this.applyCrds());
    await sideServices;
    await this.timed('controller', () => this.startController());
    this.timings.total = Math.round(performance.now() - began);
  }

  private async startCluster(): Promise<void> {
    const b = this.binaries;
    const config = [
      'apiVersion: config.kwok.x-k8s.io/v1alpha1',
      'kind: KwokctlConfiguration',
      'options:',
      '  runtime: binary',
      '  bindAddress: 127.0.0.1',
      `  kubeVersion: v1.34.5`,
      `  etcdBinary: ${b.etcd}`,
      `  kubeApiserverBinary: ${b.kubeApiserver}`,
      `  kubeControllerManagerBinary: ${b.kubeControllerManager}`,
      `  kubeSchedulerBinary: ${b.kubeScheduler}`,
      `  kwokControllerBinary: ${b.kwok}`,
      `  kubectlBinary: ${await which('kubectl')}`,
      '',
    ].join('\n');
    const configFile = join(this.workdir, 'kwokctl.yaml');
    await writeFile(configFile, config);
    // KUBECONFIG: kwokctl adds a context for the cluster to it; keep that (and the kubectl it runs's discovery
    // cache) out of the user's ~/.kube.
    this.kwokctlEnv = {
      ...process.env,
      KWOK_WORKDIR: join(this.workdir, 'kwok'),
      KUBECONFIG: join(this.workdir, 'kwokctl-kubeconfig.yaml'),
      KUBECACHEDIR: join(this.workdir, 'kube-cache'),
    };
    this.clusterCreated = true; // from here on, stop() deletes it
    await run(b.kwokctl, ['--name', CLUSTER, '--config', configFile, 'create', 'cluster', '--wait', '3m'], { env: this.kwokctlEnv, timeoutMs: 240_000 });
    this.kubeconfig = this.clusterKubeconfig();
    this.kubectl = new Kubectl(this.kubeconfig, join(this.workdir, 'kube-cache'));
    await waitFor('the API server to answer', async () => ((await this.kubectl.run(['get', '--raw', '/readyz'])).includes('ok') ? true : undefined), 60_000);
  }

  /** Where kwokctl writes the cluster's kubeconfig (known before the cluster exists). */
  private clusterKubeconfig(): string {
    return join(this.workdir, 'kwok/clusters', CLUSTER, 'kubeconfig.yaml');
  }

  private async createNode(): Promise<void> {
    await run(this.binaries.kwokctl, ['--name', CLUSTER, 'scale', 'node', '--replicas', '1'], { env: this.kwokctlEnv });
    await waitFor(
      'a Ready fake node',
      async () => {
        const nodes = await this.kubectl.json<{ items: { status?: { conditions?: { type: string; status: string }[] } }[] }>(['get', 'nodes']);
        return nodes.items.some((node) => node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) ? true : undefined;
      },
      60_000,
      async () => this.kubectl.run(['get', 'nodes', '-o', 'wide']),
    );
  }

  private async applyCrds(): Promise<void> {
    const { stdout } = await run('go', ['env', 'GOMODCACHE']);
    const crds = join(stdout.trim(), ARGO_ROLLOUTS_MODULE, 'manifests/crds');
    if (!existsSync(crds)) throw new Error(`no Argo Rollouts CRDs at ${crds}: build the controller first (build-components.sh argo)`);
    // Every *-crd.yaml of the folder (it also holds a kustomization.yaml, which is no Kubernetes object).
    const files = (await readdir(crds)).filter((file) => file.endsWith('-crd.yaml')).sort();
    if (files.length === 0) throw new Error(`no *-crd.yaml in ${crds}`);
    // and the monitoring.coreos.com CRDs build-components.sh generated, and the chart's own, in one call
    const manifests = [...files.map((file) => join(crds, file)), ...this.binaries.monitoringCrds, ...PROJECT_CRDS.map((crd) => join(PROJECT_CRD_DIR, `${crd}.yaml`))];
    await this.kubectl.run(['apply', '--server-side', ...manifests.flatMap((file) => ['-f', file])]);
    const names = [
      ...['rollouts', 'analysistemplates', 'analysisruns', 'experiments', 'clusteranalysistemplates'].map((plural) => `${plural}.argoproj.io`),
      ...MONITORING_CRDS.map((plural) => `${plural}.monitoring.coreos.com`),
      ...PROJECT_CRDS,
    ];
    for (const crd of names) await established(this.kubectl, crd);
  }

  /**
   * Starts the engine; again after stopEngine() on the same address (the bridge's args name it), appending to the
   * same log.
   */
  async startEngine(): Promise<void> {
    if (this.processes.some((p) => p.name === 'engine')) throw new Error('the engine is already running');
    if (!this.engineAddress) this.engineAddress = `127.0.0.1:${await reserveLoopbackPort()}`;
    const port = Number(this.engineAddress.split(':')[1]);
    // Approval gates reach the API server through the cluster's kubeconfig, read at their first call (the engine
    // starts while the cluster is still coming up).
    const env = { ...process.env, KUBECONFIG: this.clusterKubeconfig() };
    if (!this.engineMetricsAddress) this.engineMetricsAddress = `127.0.0.1:${await reserveLoopbackPort()}`;
    if (!this.engineReportsAddress) this.engineReportsAddress = `127.0.0.1:${await reserveLoopbackPort()}`;
    // As the chart runs it: every call but the health checks needs the token the bridge is given.
    await writeFile(this.engineTokenFile, `${ENGINE_TOKEN}\n`, { mode: 0o600 });
    const args = [CLI, 'engine', '--listen', this.engineAddress, '--metrics-listen', this.engineMetricsAddress, '--auth-token-file', this.engineTokenFile,
      '--report-listen', this.engineReportsAddress, '--report-url', `http://${this.engineReportsAddress}`];
    const engine = startProcess('engine', process.execPath, args, { dir: join(this.workdir, 'logs'), env });
    this.processes.push(engine);
    await waitFor('the engine to listen', () => tcpOpen('127.0.0.1', port), 30_000, () => tail(engine.log), 100);
  }

  /** Stops the engine process (SIGTERM, as a Deployment's rollout would; SIGKILL after 10 s). */
  async stopEngine(): Promise<void> {
    const index = this.processes.findIndex((p) => p.name === 'engine');
    if (index < 0) throw new Error('the engine is not running');
    const [engine] = this.processes.splice(index, 1);
    await engine!.stop();
  }

  private async startSandbox(): Promise<void> {
    // It stops on end of stdin, so it also stops when this process dies; its stdout carries the URLs.
    const sandbox = startProcess('sandbox', process.execPath, [CLI, 'sandbox'], { dir: join(this.workdir, 'logs'), stdinPipe: true, stdoutPipe: true });
    this.processes.push(sandbox);
    const urls = await new Promise<{ prometheus: string; app: string }>((resolveUrls, reject) => {
      let buffered = '';
      const timer = setTimeout(() => reject(new Error('the sandbox printed no URLs within 60 s')), 60_000);
      sandbox.child.stdout!.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const line = buffered.split('\n').find((l) => l.startsWith('{'));
        if (line) {
          clearTimeout(timer);
          resolveUrls(JSON.parse(line) as { prometheus: string; app: string });
        }
      });
      void sandbox.exited.then(async ({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`the sandbox exited (${signal ?? `code ${code}`}):\n${await tail(sandbox.log)}`));
      });
    });
    this.prometheus = urls.prometheus;
    this.app = urls.app;
  }

  private async startController(): Promise<void> {
    const k = this.kubectl;
    await k.apply(`apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${CONTROLLER_NAMESPACE}\n`);
    const plugin = (name: string) =>
      `    - name: ${name}\n      location: file://${BRIDGE}\n      args: ["--engine-address=${this.engineAddress}", "--engine-token-file=${this.engineTokenFile}", "--call-timeout=30s"]\n`;
    await k.apply(
      [
        'apiVersion: v1',
        'kind: ConfigMap',
        'metadata:',
        '  name: argo-rollouts-config',
        `  namespace: ${CONTROLLER_NAMESPACE}`,
        'data:',
        '  metricProviderPlugins: |-',
        plugin('rollouts-cv/verify').trimEnd(),
        '  stepPlugins: |-',
        plugin('rollouts-cv/gate').trimEnd(),
        '',
      ].join('\n'),
    );
    const cwd = join(this.workdir, 'controller');
    await mkdir(cwd, { recursive: true });
    const [metricsPort, healthzPort] = [await reserveLoopbackPort(), await reserveLoopbackPort()];
    const controller = startProcess(
      'rollouts-controller',
      this.binaries.rolloutsController,
      [
        '--kubeconfig',
        this.kubeconfig,
        '--leader-elect=false',
        `--metricsPort=${metricsPort}`,
        `--healthzPort=${healthzPort}`,
        '--loglevel=info',
        '--logformat=text',
      ],
      { cwd, dir: join(this.workdir, 'logs'), env: { ...process.env, POD_NAMESPACE: CONTROLLER_NAMESPACE } },
    );
    this.processes.push(controller);
    await waitFor(
      'the Argo Rollouts controller to be healthy',
      async () => {
        if (controller.child.exitCode !== null) throw new Error(`the controller exited:\n${await tail(controller.log)}`);
        const response = await fetch(`http://127.0.0.1:${healthzPort}/healthz`).catch(() => undefined);
        return response?.ok ? true : undefined;
      },
      90_000,
      () => tail(controller.log),
    );
    if (!existsSync(join(cwd, 'plugin-bin/rollouts-cv/verify')) || !existsSync(join(cwd, 'plugin-bin/rollouts-cv/gate'))) {
      throw new Error(`the controller did not install the plugins into ${cwd}/plugin-bin:\n${await tail(controller.log)}`);
    }
  }

  /** Pid of each process: ours, and those kwokctl started (from its pid files). */
  async pids(): Promise<Record<string, number>> {
    const pids: Record<string, number> = Object.fromEntries(this.processes.map((p) => [p.name, p.pid]));
    const dir = join(this.workdir, 'kwok/clusters', CLUSTER, 'pids');
    for (const file of await readdir(dir).catch(() => [] as string[])) {
      const pid = Number((await readFile(join(dir, file), 'utf8')).trim());
      if (pid > 0) pids[file.replace(/\.pid$/, '')] = pid;
    }
    return pids;
  }

  /** Peak resident memory so far of every process of the environment, in MiB. */
  async peakMemoryMiB(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const [name, pid] of Object.entries(await this.pids())) {
      const kib = await peakRssKiB(pid);
      if (kib !== undefined) out[name] = Math.round(kib / 1024);
    }
    return out;
  }

  log(name: string): string {
    return join(this.workdir, 'logs', `${name}.log`);
  }

  async stop(options: { keepWorkdir?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const problems: string[] = [];
    for (const process of [...this.processes].reverse()) {
      await process.stop().catch((error: Error) => problems.push(`${process.name}: ${error.message}`));
    }
    await this.victoriaLogs?.stop({ keepDir: options.keepWorkdir ?? false }).catch((error: Error) => problems.push(`victoria-logs: ${error.message}`));
    if (this.clusterCreated) {
      await run(this.binaries.kwokctl, ['--name', CLUSTER, 'delete', 'cluster'], { env: this.kwokctlEnv, timeoutMs: 120_000 }).catch((error: Error) =>
        problems.push(`kwokctl delete cluster: ${error.message}`),
      );
    }
    if (!options.keepWorkdir && problems.length === 0) await rm(this.workdir, { recursive: true, force: true });
    if (problems.length > 0) throw new Error(`cleanup problems (workdir kept: ${this.workdir}):\n${problems.join('\n')}`);
  }
}

/** Where run folders are made: `ROLLOUTS_CV_E2E_WORKDIR`, else the system's temporary folder. */
const workdirBase = (): string => process.env.ROLLOUTS_CV_E2E_WORKDIR ?? tmpdir();

/**
 * A fresh `rollouts-cv-e2e-*` run folder owned by this process: once this process is gone, a later run's
 * reapStaleRuns stops the processes its `logs/*.pid` name.
 */
export async function createWorkdir(base = workdirBase()): Promise<string> {
  const workdir = await mkdtemp(join(base, 'rollouts-cv-e2e-'));
  await writeFile(join(workdir, 'owner.pid'), `${process.pid}\n`);
  return workdir;
}

/**
 * Stops what an earlier run left behind when it was killed before its cleanup (its processes run in their own
 * process groups, so they outlive it): for each work folder whose owner process is gone, every process of its
 * pid files that is still alive and still runs from that folder or the harness's binaries, and its kwok cluster
 * (`kwokctl delete cluster`, by kwokctl's own pid files). The folder's logs stay.
 */
export async function reapStaleRuns(base: string, binaries: Binaries): Promise<string[]> {
  const reaped: string[] = [];
  for (const entry of await readdir(base).catch(() => [] as string[])) {
    if (!entry.startsWith('rollouts-cv-e2e-')) continue;
    const dir = join(base, entry);
    const owner = Number((await readFile(join(dir, 'owner.pid'), 'utf8').catch(() => '')).trim());
    if (!owner || isAlive(owner)) continue;
    const logs = join(dir, 'logs');
    for (const file of (await readdir(logs).catch(() => [] as string[])).filter((f) => f.endsWith('.pid'))) {
      const pid = Number((await readFile(join(logs, file), 'utf8')).trim());
      if (pid > 0) await killGroupMembers(pid, [dir, REPO, binaries.rolloutsController, binaries.argocdApplicationController, binaries.argocdRepoServer]);
    }
    if (existsSync(join(dir, 'kwok/clusters', CLUSTER))) {
      const env = { ...process.env, KWOK_WORKDIR: join(dir, 'kwok'), KUBECONFIG: join(dir, 'kwokctl-kubeconfig.yaml') };
      await run(binaries.kwokctl, ['--name', CLUSTER, 'delete', 'cluster'], { env }).catch(() => undefined);
    }
    await rm(join(dir, 'controller'), { recursive: true, force: true }); // plugin copies; the logs stay
    await rm(join(dir, 'owner.pid'), { force: true });
    reaped.push(dir);
  }
  return reaped;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function which(command: string): Promise<string> {
  const { stdout } = await run('bash', ['-c', `command -v ${command}`]);
  return stdout.trim();
}

export function tcpOpen(host: string, port: number): Promise<true | undefined> {
  return new Promise((resolveOpen) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolveOpen(true);
    });
    socket.once('error', () => resolveOpen(undefined));
  });
}
