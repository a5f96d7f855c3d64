import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeKubeApi, type FakeKubeApi } from '../../test/helpers/fake-kube-api.js';
import { objectStore } from '../../test/helpers/fake-kube-store.js';
import { startGitServer, type GitServer } from '../../test/helpers/git-server.js';
import { createLogger } from '../log.js';
import { ALLOWED_URLS_ANNOTATION, CREDENTIALS_LABEL } from './credentials.js';
import { startPipelinesController, type RunningPipelinesController } from './service.js';

const NS = 'releases';
const RUNS = { group: 'rollouts-cv.io', plural: 'pipelineruns' };
const ROLLOUT = 'spec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: app:1\n';

let kube: FakeKubeApi;
let git: GitServer;
let controller: RunningPipelinesController;
const store = objectStore();

beforeAll(async () => {
  kube = await startFakeKubeApi(store.respond);
  git = await startGitServer();
  const url = git.createRepo('release', { 'apps/app/dev/rollout.yaml': ROLLOUT });
  store.seed({ plural: 'secrets' }, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'release-token', namespace: NS, labels: { [CREDENTIALS_LABEL]: 'git' }, annotations: { [ALLOWED_URLS_ANNOTATION]: url.replace(/release\.git$/, '') } },
    data: { username: Buffer.from(git.credentials.username).toString('base64'), token: Buffer.from(git.credentials.password).toString('base64') },
  });
  store.seed({ group: 'rollouts-cv.io', plural: 'pipelines' }, {
    apiVersion: 'rollouts-cv.io/v1alpha1',
    kind: 'Pipeline',
    metadata: { name: 'release', namespace: NS },
    spec: {
      variables: [{ name: 'image', required: true }],
      stages: [
        {
          name: 'dev',
          steps: [
            { name: 'update', gitUpdate: { repository: { url, credentialsSecret: { name: 'release-token' } }, files: [{ path: 'apps/app/dev/rollout.yaml', set: [{ path: 'spec.template.spec.containers[0].image', value: '${{ vars.image }}' }] }], message: 'Deploy ${{ vars.image }} to dev' } },
            { name: 'settle', wait: { duration: '1s' } },
          ],
        },
      ],
    },
  });
  controller = await startPipelinesController({
    kubeConfig: kube.kubeConfig(),
    lease: { namespace: 'rollouts-cv', name: 'rollouts-cv-pipelines', identity: 'replica-1', durationMs: 3000 },
    listen: '127.0.0.1:0',
    author: { name: 'rollouts-cv', email: 'rollouts-cv@example.invalid' },
    log: createLogger({ level: process.env.DEBUG_LOG ?? 'silent' }),
    resyncMs: 500,
  });
});
afterAll(async () => {
  await controller.stop();
  await git.close();
  await kube.close();
});

async function until<T>(what: string, read: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the pipelines controller', () => {
  it('leads, runs a PipelineRun it sees to its end (a commit to the release repository, a wait) and answers its probes', async () => {
    await until('leadership', () => (controller.isLeader() ? true : undefined));
    store.seed(RUNS, { apiVersion: 'rollouts-cv.io/v1alpha1', kind: 'PipelineRun', metadata: { name: 'release-1', namespace: NS }, spec: { pipelineRef: { name: 'release' }, variables: { image: 'app:2' }, triggeredBy: { kind: 'kubernetes', id: 'ana' } } });
    const status = await until('the run to end', () => {
      const run = store.get({ ...RUNS, namespace: NS, name: 'release-1' }) as { status?: { phase: string; message: string; stages: { steps: { outputs?: { commit?: string } }[] }[] } };
      return run.status && run.status.phase !== 'Running' ? run.status : undefined;
    });
    expect(status.phase).toBe('Succeeded');
    expect(git.git('release', ['show', 'main:apps/app/dev/rollout.yaml'])).toContain('image: app:2');
    expect(git.git('release', ['rev-parse', 'main']).trim()).toBe(status.stages[0]!.steps[0]!.outputs!.commit);
    const codes = await Promise.all(['/healthz', '/readyz', '/other'].map(async (path) => (await fetch(`http://${controller.address}${path}`)).status));
    expect(codes).toEqual([200, 200, 404]);
  }, 30_000);
});
