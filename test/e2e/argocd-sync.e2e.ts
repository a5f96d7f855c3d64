// Release pipelines with a real Argo CD: the pipelines controller runs PipelineRuns whose gitUpdate step commits to a
// release repository (git http-backend on loopback) and whose sync step has Argo CD (application controller and
// repo-server v3.2.11) sync the Application that deploys that repository into the cluster. What the commit changed is
// what the cluster then runs; a sync Argo CD cannot do fails the step with its reason, and the run with the step's
// name; a run from a namespace that Argo CD's namespace does not let in is refused before Argo CD is asked.
import { createWriteStream, type WriteStream } from 'node:fs';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { beforeAll, expect } from 'vitest';
import { stringify } from 'yaml';
import { loadKubeConfig } from '../../shared/kube/client.js';
import { createLogger } from '../../shared/log.js';
import { PIPELINE_RUNS } from '../../shared/pipelines/controller.js';
import { ALLOWED_URLS_ANNOTATION, CREDENTIALS_LABEL } from '../../shared/pipelines/credentials.js';
import { STEP_TRAILER } from '../../shared/pipelines/release-repo.js';
import { type RunningPipelinesController, startPipelinesController } from '../../shared/pipelines/service.js';
import type { PipelineRunStatus } from '../../shared/pipelines/status.js';
import { PIPELINE_NAMESPACES_ANNOTATION } from '../../shared/pipelines/targets.js';
import { type GitServer, startGitServer } from '../helpers/git-server.js';
import { type ArgoCd, startArgoCd } from './harness/argocd.js';
import { rolloutManifest } from './harness/canary.js';
import { type Rollout, rolloutState } from './harness/kubectl.js';
import { tail, waitFor } from './harness/processes.js';
import { clusterForFile } from './harness/suite.js';

/** Where the Applications deploy to. */
const NAMESPACE = 'web-dev';
/** Where the Pipelines, their runs and the release repository's credentials live. */
const RELEASES = 'releases';
/** Runs here are not let into Argo CD's namespace. */
const INTRUDERS = 'intruders';
const REPO = 'release';
const APP_PATH = 'apps/web/dev';
const IMAGE_1 = 'registry.invalid/e2e/app:1';
const IMAGE_2 = 'registry.invalid/e2e/app:2';

let argocd: ArgoCd;
let git: GitServer;
let repoUrl: string;
let controller: RunningPipelinesController | undefined;
let controllerLog: WriteStream | undefined;
let objects: CustomObjectsApi;
const cluster = clusterForFile(NAMESPACE, {
  withPods: true,
  beforeStop: async () => {
    await controller?.stop();
    await git?.close();
    await new Promise((resolve) => (controllerLog ? controllerLog.end(resolve) : resolve(undefined)));
  },
});

const configMap = (release: string) => stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web' }, data: { release } });
// A canary that pauses after its first step: once the new image is synced, Argo CD reports the app Suspended.
const rollout = () => stringify(rolloutManifest(NAMESPACE, 'web', 1, [{ setWeight: 50 }, { pause: {} }]));

beforeAll(async () => {
  const env = cluster.env();
  const k = env.kubectl;
  argocd = await startArgoCd(env);
  // The runs of `releases` may sync the Applications in Argo CD's namespace (its owner says so).
  for (const namespace of [RELEASES, INTRUDERS]) await k.apply(`apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${namespace}\n`);
  await k.run(['annotate', '--overwrite', 'namespace', argocd.namespace, `${PIPELINE_NAMESPACES_ANNOTATION}=${RELEASES}`]);

  git = await startGitServer();
  repoUrl = git.createRepo(REPO, { [`${APP_PATH}/config.yaml`]: configMap('web 1.0.0'), [`${APP_PATH}/rollout.yaml`]: rollout() });
  // The push token, for this server only.
  await k.apply(
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'release-repo', namespace: RELEASES, labels: { [CREDENTIALS_LABEL]: 'git' }, annotations: { [ALLOWED_URLS_ANNOTATION]: repoUrl.replace(/[^/]+$/, '') } },
      stringData: { username: git.credentials.username, token: git.credentials.password },
    }),
  );

  const kubeConfig = loadKubeConfig({ kubeconfig: env.kubeconfig });
  objects = kubeConfig.makeApiClient(CustomObjectsApi);
  controllerLog = createWriteStream(env.log('pipelines-controller'), { flags: 'a' });
  controller = await startPipelinesController({
    kubeConfig,
    lease: { namespace: RELEASES, name: 'rollouts-cv-pipelines', identity: 'pipelines-e2e-1', durationMs: 4_000 },
    listen: '127.0.0.1:0',
    author: { name: 'rollouts-cv', email: 'rollouts-cv@example.invalid' },
    log: createLogger({ level: 'info', name: 'rollouts-cv-pipelines' }, controllerLog),
  });
  await waitFor('the pipelines controller to lead', async () => (controller!.isLeader() ? true : undefined), 30_000);
  console.log(`e2e start (ms): ${JSON.stringify(env.timings)}`);
}, 600_000);

interface StoredRun {
  metadata: { uid: string };
  status?: PipelineRunStatus;
}

/** Creates a run of `pipeline` in `namespace` and waits until it has ended; returns it. */
async function runToEnd(namespace: string, pipeline: string, name: string, variables: Record<string, string>, app: string): Promise<StoredRun & { status: PipelineRunStatus }> {
  const env = cluster.env();
  await env.kubectl.apply(
    JSON.stringify({
      apiVersion: 'rollouts-cv.io/v1alpha1',
      kind: 'PipelineRun',
      metadata: { name, namespace },
      spec: { pipelineRef: { name: pipeline }, variables, triggeredBy: { kind: 'kubernetes', id: 'e2e' } },
    }),
  );
  const read = async () => (await objects.getNamespacedCustomObject({ ...PIPELINE_RUNS, namespace, name })) as StoredRun;
  return waitFor(
    `pipeline run ${name} to end`,
    async () => {
      const run = await read();
      return run.status && run.status.phase !== 'Running' ? (run as StoredRun & { status: PipelineRunStatus }) : undefined;
    },
    150_000,
    async () => `run status: ${JSON.stringify((await read()).status)}\n${await argocd.describe(app)}\npipelines controller log:\n${await tail(env.log('pipelines-controller'), 20)}`,
    500,
  );
}

/** A Pipeline of one stage, `dev`, whose variables are all required. */
const pipeline = (namespace: string, name: string, variables: string[], steps: object[]) =>
  JSON.stringify({ apiVersion: 'rollouts-cv.io/v1alpha1', kind: 'Pipeline', metadata: { name, namespace }, spec: { variables: variables.map((v) => ({ name: v, required: true })), stages: [{ name: 'dev', steps }] } });

cluster.scenario('a gitUpdate commit synced by the sync step: the cluster runs the committed values, one commit, the run Succeeded', async () => {
  const env = cluster.env();
  const k = env.kubectl;
  const readRollout = () => k.json<Rollout & { spec: { template: { spec: { containers: { image: string }[] } } } }>(['-n', NAMESPACE, 'get', 'rollout', 'web']);
  const release = async () => (await k.json<{ data: Record<string, string> }>(['-n', NAMESPACE, 'get', 'configmap', 'web'])).data.release;
  const describeRollout = async () => `rollout web: ${JSON.stringify(rolloutState(await readRollout()))}\n${await tail(env.log('rollouts-controller'), 20)}`;

  // Revision 1, as Argo CD deploys the repository as it was created.
  await argocd.createApplication('web-dev', { repoURL: repoUrl, path: APP_PATH }, NAMESPACE);
  const initial = git.git(REPO, ['rev-parse', 'main']).trim();
  await argocd.sync('web-dev', initial);
  await waitFor('revision 1 to be Healthy', async () => {
    const state = rolloutState(await readRollout());
    return state.phase === 'Healthy' && state.fullyPromoted ? state : undefined;
  }, 120_000, describeRollout);
  expect(await release()).toBe('web 1.0.0');
  expect((await readRollout()).spec.template.spec.containers[0]!.image).toBe(IMAGE_1);

  await k.apply(
    pipeline(RELEASES, 'web', ['image', 'version'], [
      {
        name: 'update',
        gitUpdate: {
          repository: { url: repoUrl, credentialsSecret: { name: 'release-repo' } },
          files: [
            { path: `${APP_PATH}/rollout.yaml`, set: [{ path: 'spec.template.spec.containers[0].image', value: '${{ vars.image }}' }] },
            { path: `${APP_PATH}/config.yaml`, set: [{ path: 'data.release', value: 'web ${{ vars.version }}' }] },
          ],
          message: 'web ${{ vars.version }} to dev',
        },
      },
      { name: 'sync', sync: { application: 'web-dev', timeout: '2m' } },
    ]),
  );
  const run = await runToEnd(RELEASES, 'web', 'web-1', { image: IMAGE_2, version: '1.1.0' }, 'web-dev');
  expect(run.status.phase, run.status.message).toBe('Succeeded');
  const head = git.git(REPO, ['rev-parse', 'main']).trim();
  const [update, sync] = run.status.stages[0]!.steps;
  expect(update).toMatchObject({ name: 'update', phase: 'Succeeded', outputs: { commit: head } });
  // Argo CD synced the step's commit, and the app was Synced and Healthy or Suspended (the canary's pause)
  expect(sync).toMatchObject({ name: 'sync', phase: 'Succeeded', outputs: { revision: head } });
  expect(sync!.message).toMatch(/^Argo CD application argocd\/web-dev: operation Succeeded, Synced, (Healthy|Suspended)/);
  const app = await argocd.get('web-dev');
  expect(app.status?.operationState?.operation?.info).toContainEqual({ name: 'rollouts-cv-step', value: `${run.metadata.uid}/dev/sync` });
  expect(app.status?.operationState?.syncResult?.revision).toBe(head);

  // One commit on top of the initial one, and it is the step's: its trailer carries the step's key.
  const log = git.git(REPO, ['log', `--format=%H %(trailers:key=${STEP_TRAILER},valueonly,separator=%x2C)`, 'main']).trim().split('\n').map((line) => line.trimEnd());
  expect(log).toEqual([`${head} ${run.metadata.uid}/dev/update`, initial]);
  expect(git.git(REPO, ['show', `main:${APP_PATH}/config.yaml`])).toContain('release: web 1.1.0');

  // The cluster runs what was committed.
  expect(await release()).toBe('web 1.1.0');
  expect((await readRollout()).spec.template.spec.containers[0]!.image).toBe(IMAGE_2);
  const paused = await waitFor('the new revision to pause at its pause step', async () => {
    const state = rolloutState(await readRollout());
    return state.phase === 'Paused' ? state : undefined;
  }, 120_000, describeRollout);
  expect(paused).toMatchObject({ phase: 'Paused', message: 'CanaryPauseStep', step: 1, steps: 2, fullyPromoted: false });
  // what the sync step's default health list counts as done for a canary waiting at a pause
  await waitFor('Argo CD to report the paused canary Suspended', async () => ((await argocd.get('web-dev')).status?.health?.status === 'Suspended' ? true : undefined), 60_000, () => argocd.describe('web-dev'), 250);
});

cluster.scenario('a sync of an Application whose path does not exist fails the step with Argo CD’s reason; the run fails naming the step', async () => {
  await argocd.createApplication('web-nowhere', { repoURL: repoUrl, path: 'apps/web/nowhere' }, NAMESPACE);
  await cluster.env().kubectl.apply(pipeline(RELEASES, 'nowhere', [], [{ name: 'sync', sync: { application: 'web-nowhere', timeout: '2m' } }]));
  const before = git.git(REPO, ['rev-parse', 'main']).trim();
  const run = await runToEnd(RELEASES, 'nowhere', 'nowhere-1', {}, 'web-nowhere');
  expect(run.status.phase).toBe('Failed');
  // Argo CD refuses to sync an app it cannot render: an Error operation with the app's ComparisonError.
  expect(run.status.message).toMatch(/^stage dev: step sync failed \(an error\): Argo CD application argocd\/web-nowhere: operation Error, [^:]*: ComparisonError: Failed to load target state: /);
  expect(run.status.message).toMatch(/apps\/web\/nowhere: app path does not exist$/);
  expect(run.status.stages[0]!.steps[0]).toMatchObject({ name: 'sync', phase: 'Failed', failure: 'error' });
  expect(run.status.stages[0]!.phase).toBe('Failed');
  // The operation Argo CD ended was the step's, and the repository is as it was.
  const app = await argocd.get('web-nowhere');
  expect(app.status?.operationState?.operation?.info).toContainEqual({ name: 'rollouts-cv-step', value: `${run.metadata.uid}/dev/sync` });
  expect(git.git(REPO, ['rev-parse', 'main']).trim()).toBe(before);
});

cluster.scenario('a run from a namespace Argo CD’s namespace does not allow cannot sync its Applications', async () => {
  // A path that exists: were the run let in, the sync would succeed.
  await argocd.createApplication('web-guarded', { repoURL: repoUrl, path: APP_PATH }, NAMESPACE);
  await cluster.env().kubectl.apply(pipeline(INTRUDERS, 'take-over', [], [{ name: 'sync', sync: { application: 'web-guarded', timeout: '2m' } }]));
  const run = await runToEnd(INTRUDERS, 'take-over', 'take-over-1', {}, 'web-guarded');
  expect(run.status.phase).toBe('Failed');
  expect(run.status.message).toBe(
    `stage dev: step sync failed (an error): Argo CD application argocd/web-guarded is in namespace argocd, which does not let pipeline runs of namespace ${INTRUDERS} act there: its owner lists the namespaces it allows in the annotation ${PIPELINE_NAMESPACES_ANNOTATION}`,
  );
  // Argo CD was asked nothing.
  const app = await argocd.get('web-guarded');
  expect(app.operation).toBeUndefined();
  expect(app.status?.operationState).toBeUndefined();
});
