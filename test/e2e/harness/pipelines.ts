// Release pipelines on the e2e cluster, as an operator sets them up: the release repository of
// docs/examples/release-repo served by a git server on loopback (test/helpers/git-server.ts), its Argo CD
// Applications (argocd/loans-api.yaml, pointed at that server) synced once so that every environment runs the
// repository as it was created, a Jira Cloud site (test/helpers/jira-fake.ts), the credentials Secrets the reference
// release names, the ClusterAnalysisTemplates its verify steps name (short windows on the harness's Prometheus), and
// the namespaces that let the runs act. The reference release itself (docs/examples/pipeline-loans-api.yaml) with
// its URLs pointed at these servers; replicas of the pipelines controller as processes (`rollouts-cv pipelines`),
// which a scenario can kill -9 and start again; and what a run, the repository and a canary show.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CoordinationV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { parse, parseAllDocuments } from 'yaml';
import { reserveLoopbackPort } from '../../../plugin/demo/free-port.js';
import { loadKubeConfig } from '../../../shared/kube/client.js';
import { ROLLOUTS, type Rollout } from '../../../shared/kube/rollout-types.js';
import { summarizeRollout, type RolloutSummary } from '../../../shared/kube/rollout-status.js';
import { PIPELINE_RUNS, type PipelineRun } from '../../../shared/pipelines/controller.js';
import { ALLOWED_URLS_ANNOTATION, CREDENTIALS_LABEL } from '../../../shared/pipelines/credentials.js';
import { STEP_TRAILER } from '../../../shared/pipelines/release-repo.js';
import type { PipelineRunStatus } from '../../../shared/pipelines/status.js';
import { PIPELINE_NAMESPACES_ANNOTATION } from '../../../shared/pipelines/targets.js';
import { type GitServer, startGitServer } from '../../helpers/git-server.js';
import { type JiraFake, startJiraFake } from '../../helpers/jira-fake.js';
import { type ArgoCd, startArgoCd } from './argocd.js';
import { CLI, type Environment, REPO } from './environment.js';
import { type ManagedProcess, startProcess, tail, waitFor } from './processes.js';
import { type Traffic, readyPods, registerGroup, verifyConfig } from './verification.js';

const EXAMPLE = join(REPO, 'docs/examples/pipeline-loans-api.yaml');
const RELEASE_REPO = join(REPO, 'docs/examples/release-repo');
/** Where the reference release, its runs and their credentials live. */
export const RELEASES = 'releases';
/** The environments' namespaces, as the example's Applications deploy them. */
export const APP_NAMESPACES = { dev: 'loans-dev', qa: 'loans-qa', 'prod-na': 'loans', 'prod-highreg': 'loans-highreg' } as const;
export type AppEnvironment = keyof typeof APP_NAMESPACES;
export const ROLLOUT = 'loans-api';
const REPO_NAME = 'release';
const CONTROLLER_LEASE = 'rollouts-cv-pipelines';
/** Short, so that a replica takes over a killed leader within seconds. */
const LEASE_DURATION = '4s';

export interface ReleaseCommit {
  id: string;
  subject: string;
  /** Its Rollouts-CV-Step trailer: the key of the step that made it (none for commits made by people). */
  step: string;
}

export interface ReleaseSite {
  git: GitServer;
  repoUrl: string;
  jira: JiraFake;
  argocd: ArgoCd;
  kubeConfig: KubeConfig;
  objects: CustomObjectsApi;
  /** The commits of the release repository's main branch, newest first. */
  log(): ReleaseCommit[];
  /** A file of main as it is now. */
  show(path: string): string;
  stop(): Promise<void>;
}

/** The files of a folder, by path relative to it. */
function filesOf(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (at: string) => {
    for (const entry of readdirSync(at)) {
      const path = join(at, entry);
      if (statSync(path).isDirectory()) walk(path);
      else files[relative(dir, path)] = readFileSync(path, 'utf8');
    }
  };
  walk(dir);
  return files;
}

/** The Rollout of an environment, summarised as the bot and the rollout step see it. */
export async function rolloutOf(objects: CustomObjectsApi, environment: AppEnvironment): Promise<{ rollout: Rollout; summary: RolloutSummary }> {
  const rollout = (await objects.getNamespacedCustomObject({ ...ROLLOUTS, namespace: APP_NAMESPACES[environment], name: ROLLOUT })) as Rollout;
  return { rollout, summary: summarizeRollout(rollout) };
}

/**
 * Sets up the release repository, Argo CD, Jira and what the reference release needs in the cluster, and deploys every
 * environment as the repository was created (each Rollout Healthy).
 */
export async function startReleaseSite(env: Environment): Promise<ReleaseSite> {
  const k = env.kubectl;
  const argocd = await startArgoCd(env);
  const kubeConfig = loadKubeConfig({ kubeconfig: env.kubeconfig });
  const objects = kubeConfig.makeApiClient(CustomObjectsApi);
  const namespaces = [RELEASES, ...Object.values(APP_NAMESPACES)];
  await k.apply(namespaces.map((name) => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n`).join('---\n'));
  // Runs of `releases` act on the prod-na Rollout and sync the Applications, as the owners of those namespaces allow.
  for (const namespace of [APP_NAMESPACES['prod-na'], argocd.namespace]) {
    await k.run(['annotate', '--overwrite', 'namespace', namespace, `${PIPELINE_NAMESPACES_ANNOTATION}=${RELEASES}`]);
  }
  for (const namespace of Object.values(APP_NAMESPACES)) {
    await waitFor(`the default ServiceAccount of ${namespace}`, async () => ((await k.run(['-n', namespace, 'get', 'serviceaccount', 'default', '--ignore-not-found'])).includes('default') ? true : undefined), 60_000, undefined, 250);
  }

  const git = await startGitServer();
  const jira = await startJiraFake();
  const stop = async () => {
    await git.close();
    await jira.close();
  };
  try {
    const repoUrl = git.createRepo(REPO_NAME, filesOf(RELEASE_REPO));
    const secret = (name: string, purpose: string, allowed: string, data: Record<string, string>) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace: RELEASES, labels: { [CREDENTIALS_LABEL]: purpose }, annotations: { [ALLOWED_URLS_ANNOTATION]: allowed } },
      stringData: data,
    });
    await k.apply(
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          secret('release-repo-token', 'git', repoUrl.replace(/[^/]+$/, ''), { username: git.credentials.username, token: git.credentials.password }),
          secret('jira-token', 'jira', `${jira.url}/`, { email: jira.email, apiToken: jira.token }),
          ...(['high', 'medium'] as const).map((sensitivity) => verifyTemplate(env, sensitivity)),
        ],
      }),
    );

    // The operator's Applications, reading this repository; each environment as the repository was created.
    const applications = parseAllDocuments(readFileSync(join(RELEASE_REPO, 'argocd/loans-api.yaml'), 'utf8')).map((doc) => doc.toJS() as { metadata: { name: string }; spec: { source: { repoURL: string } } });
    for (const application of applications) application.spec.source.repoURL = repoUrl;
    await k.apply(JSON.stringify({ apiVersion: 'v1', kind: 'List', items: applications }));
    const initial = git.git(REPO_NAME, ['rev-parse', 'main']).trim();
    await Promise.all(applications.map((application) => argocd.sync(application.metadata.name, initial, 120_000)));
    for (const environment of Object.keys(APP_NAMESPACES) as AppEnvironment[]) {
      await waitFor(`loans-api in ${environment} to be Healthy`, async () => {
        const { summary } = await rolloutOf(objects, environment);
        return summary.phase === 'Healthy' && summary.fullyPromoted ? true : undefined;
      }, 120_000, () => argocd.describe(`${environment}-loans-api`), 500);
    }

    return {
      git,
      repoUrl,
      jira,
      argocd,
      kubeConfig,
      objects,
      log: () =>
        git
          .git(REPO_NAME, ['log', `--format=%H%x00%s%x00%(trailers:key=${STEP_TRAILER},valueonly,separator=%x2C)%x00`, 'main'])
          .split('\0\n')
          .filter((entry) => entry.trim())
          .map((entry) => {
            const [id, subject, step] = entry.replace(/^\n/, '').split('\0');
            return { id: id!, subject: subject!, step: step!.trim() };
          }),
      show: (path) => git.git(REPO_NAME, ['show', `main:${path}`]),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * The ClusterAnalysisTemplate `rollouts-cv-verify-<sensitivity>` that the reference release's verify steps name: the
 * harness's verification (30 s window) at that sensitivity. No initial delay: the canary's pods serve traffic
 * from the moment they are Ready, before the pipeline reaches its verify step.
 */
function verifyTemplate(env: Environment, sensitivity: 'high' | 'medium'): object {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'ClusterAnalysisTemplate',
    metadata: { name: `rollouts-cv-verify-${sensitivity}` },
    spec: {
      args: [{ name: 'canary-hash' }, { name: 'stable-hash' }],
      metrics: [{ name: 'verify', provider: { plugin: { 'rollouts-cv/verify': { ...verifyConfig(env.prometheus), sensitivity } } } }],
    },
  };
}

export interface PipelineObject {
  apiVersion: string;
  kind: 'Pipeline';
  metadata: { name: string; namespace: string };
  spec: { variables: object[]; stages: { name: string; steps: { name: string; [type: string]: unknown }[]; rollback?: object[] }[] };
}

/**
 * The reference release as docs/examples/pipeline-loans-api.yaml writes it (YAML anchors and merge keys resolved, as
 * kubectl reads them), its release repository and Jira site pointed at this site's servers.
 */
export function referencePipeline(site: ReleaseSite): PipelineObject {
  const pipeline = parse(readFileSync(EXAMPLE, 'utf8'), { merge: true }) as PipelineObject;
  const steps = pipeline.spec.stages.flatMap((stage) => [...stage.steps.flatMap((step) => (step.parallel as typeof stage.steps | undefined) ?? [step]), ...((stage.rollback ?? []) as typeof stage.steps)]);
  for (const step of steps) {
    const { gitUpdate, issue } = step as { gitUpdate?: { repository: { url: string } }; issue?: { jira: { url: string } } };
    // An anchor's value is one object shared by every alias once parsed: each step gets its own, with this site's URL.
    if (gitUpdate) gitUpdate.repository = { ...gitUpdate.repository, url: site.repoUrl };
    if (issue) issue.jira = { ...issue.jira, url: site.jira.url };
  }
  const left = ['https://git.example/', 'https://example.atlassian.net'].filter((url) => JSON.stringify(pipeline).includes(url));
  if (left.length) throw new Error(`the reference release still names ${left.join(', ')}`);
  return pipeline;
}

/**
 * A copy of `pipeline` named `name`: only the stages named (in their order), without the steps named, and every
 * manual intervention asking people for `interventionTimeout` instead (aliases of one anchor stay one object).
 */
export function derivedPipeline(pipeline: PipelineObject, name: string, options: { stages?: string[]; dropSteps?: string[]; interventionTimeout?: string } = {}): PipelineObject {
  const copy = structuredClone(pipeline);
  copy.metadata.name = name;
  if (options.stages) copy.spec.stages = copy.spec.stages.filter((stage) => options.stages!.includes(stage.name));
  const drop = new Set(options.dropSteps ?? []);
  for (const stage of copy.spec.stages) stage.steps = stage.steps.filter((step) => !drop.has(step.name));
  const timeout = options.interventionTimeout;
  const retime = (value: unknown): void => {
    if (!timeout || !value || typeof value !== 'object') return;
    const { manualIntervention } = value as { manualIntervention?: { timeout?: string } };
    if (manualIntervention) manualIntervention.timeout = timeout;
    else for (const nested of Object.values(value)) retime(nested);
  };
  for (const stage of copy.spec.stages) for (const step of stage.steps) retime(step.onFailure);
  return copy;
}

export interface StoredRun extends PipelineRun {
  metadata: PipelineRun['metadata'] & { uid: string; annotations?: Record<string, string> };
  status?: PipelineRunStatus;
}

export async function readRun(objects: CustomObjectsApi, name: string): Promise<StoredRun> {
  return (await objects.getNamespacedCustomObject({ ...PIPELINE_RUNS, namespace: RELEASES, name })) as StoredRun;
}

/** The run, once its status has one. */
export type EndedRun = StoredRun & { status: PipelineRunStatus };

/** Waits until the run has ended (Succeeded or Failed); fails with its status and the controllers' last log lines. */
export async function runToEnd(objects: CustomObjectsApi, name: string, timeoutMs: number, describe: () => Promise<string>): Promise<EndedRun> {
  return waitFor(`pipeline run ${name} to end`, async () => {
    const run = await readRun(objects, name);
    return run.status && run.status.phase !== 'Running' ? (run as EndedRun) : undefined;
  }, timeoutMs, async () => `run status: ${JSON.stringify((await readRun(objects, name)).status)}\n${await describe()}`, 500);
}

/** A step's record in a run's status, by stage and step name. */
export function stepOf(run: EndedRun | StoredRun, stage: string, step: string, rollback = false) {
  const stageRecord = run.status?.stages.find((s) => s.name === stage);
  const found = (rollback ? stageRecord?.rollback : stageRecord?.steps)?.find((s) => s.name === step);
  if (!found) throw new Error(`run ${run.metadata.name} has no ${rollback ? 'rollback ' : ''}step ${stage}/${step}`);
  return found;
}

/**
 * Waits for the canary of the Rollout in prod-na to appear (a pod template hash other than `stableHash`), then
 * makes the synthetic app serve its Ready pods with `traffic`; returns the canary's hash. The verification compares
 * it with the stable pods registered before.
 */
export async function serveCanary(env: Environment, objects: CustomObjectsApi, stableHash: string, traffic: Traffic, timeoutMs: number): Promise<string> {
  const namespace = APP_NAMESPACES['prod-na'];
  const describe = async () => `rollout ${namespace}/${ROLLOUT}: ${JSON.stringify((await rolloutOf(objects, 'prod-na')).summary)}`;
  const hash = await waitFor('the canary of prod-na', async () => {
    const current = (await rolloutOf(objects, 'prod-na')).rollout.status?.currentPodHash;
    return current && current !== stableHash ? current : undefined;
  }, timeoutMs, describe, 500);
  await registerGroup(env.app, hash, await readyPods(env.kubectl, namespace, ROLLOUT, hash, 1, describe, 250), traffic);
  return hash;
}

/** Makes the synthetic app serve the Ready pods of the prod-na Rollout's stable ReplicaSet as it is now; returns its hash. */
export async function serveStable(env: Environment, objects: CustomObjectsApi, traffic: Traffic): Promise<string> {
  const { rollout } = await rolloutOf(objects, 'prod-na');
  const hash = rollout.status?.stableRS;
  if (!hash) throw new Error(`rollout ${APP_NAMESPACES['prod-na']}/${ROLLOUT} has no stable ReplicaSet`);
  await registerGroup(env.app, hash, await readyPods(env.kubectl, APP_NAMESPACES['prod-na'], ROLLOUT, hash, 1, async () => JSON.stringify(rollout.status)), traffic);
  return hash;
}

export interface ControllerReplicas {
  /** The replica that holds the Lease, once a running one does. */
  leader(timeoutMs?: number): Promise<string>;
  /** kill -9 of a replica's process group (its git commands with it); resolves once it has exited. */
  kill(identity: string): Promise<void>;
  /** Starts a replica (again, after a kill); resolves once it serves /healthz. */
  start(identity: string): Promise<void>;
  /** The last lines of every replica's log, for failure messages. */
  describe(): Promise<string>;
}

/**
 * Replicas of `rollouts-cv pipelines` campaigning for the Lease in `releases` (4 s), as the chart runs them; their
 * logs are `<folder>/logs/<identity>.log`, and they stop with the environment.
 */
export async function startControllerReplicas(env: Environment, identities: string[]): Promise<ControllerReplicas> {
  const leases = loadKubeConfig({ kubeconfig: env.kubeconfig }).makeApiClient(CoordinationV1Api);
  const running = new Map<string, ManagedProcess>();
  const start = async (identity: string) => {
    const port = await reserveLoopbackPort();
    const args = [CLI, 'pipelines', '--kubeconfig', env.kubeconfig, '--listen', `127.0.0.1:${port}`, '--lease-namespace', RELEASES, '--lease-name', CONTROLLER_LEASE, '--lease-duration', LEASE_DURATION, '--identity', identity, '--commit-author', 'Release Bot <release-bot@example.invalid>'];
    const replica = startProcess(identity, process.execPath, args, { dir: join(env.workdir, 'logs') });
    const earlier = env.processes.findIndex((p) => p.name === identity);
    if (earlier >= 0) env.processes.splice(earlier, 1);
    env.processes.push(replica);
    running.set(identity, replica);
    await waitFor(`pipelines controller ${identity} to serve /healthz`, async () => {
      if (replica.child.exitCode !== null) throw new Error(`${identity} exited:\n${await tail(replica.log)}`);
      const response = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
      return response?.ok ? true : undefined;
    }, 30_000, () => tail(replica.log), 100);
  };
  await Promise.all(identities.map(start));
  return {
    leader: (timeoutMs = 30_000) =>
      waitFor('a running pipelines controller to hold the Lease', async () => {
        const lease = await leases.readNamespacedLease({ namespace: RELEASES, name: CONTROLLER_LEASE });
        const holder = lease.spec?.holderIdentity;
        return holder && running.has(holder) ? holder : undefined;
      }, timeoutMs, undefined, 200),
    kill: async (identity) => {
      const replica = running.get(identity);
      if (!replica) throw new Error(`no running pipelines controller ${identity}`);
      running.delete(identity);
      process.kill(-replica.pid, 'SIGKILL');
      await replica.exited;
    },
    start,
    describe: async () => (await Promise.all(identities.map(async (identity) => `${identity}:\n${await tail(env.log(identity), 15)}`))).join('\n'),
  };
}
