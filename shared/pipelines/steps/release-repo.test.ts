import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitServer, type GitServer } from '../../../test/helpers/git-server.js';
import { advanceRun, type Executors } from '../advance.js';
import { ALLOWED_URLS_ANNOTATION, CREDENTIALS_LABEL, type SecretReader } from '../credentials.js';
import { parsePipelineSpec } from '../spec.js';
import { initialStatus } from '../status.js';
import { releaseRepoSteps } from './release-repo.js';

const ROLLOUT = 'spec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: loans-api:1.0  # released by the pipeline\n';
const PATH = 'apps/loans-api/prod-na/rollout.yaml';
const T0 = new Date('2026-12-05T10:00:00Z');
const run = { namespace: 'releases', name: 'loans-api-release-1', uid: 'uid-7' };
const facts = { triggeredBy: 'Slack user U012ABCDEF', url: '' };

let server: GitServer;
let url: string;
let executors: Executors;
let verdict: 'Healthy' | 'Unhealthy' = 'Healthy';

beforeAll(async () => {
  server = await startGitServer();
  url = server.createRepo('release', { [PATH]: ROLLOUT });
  const readSecret: SecretReader = async () => ({
    labels: { [CREDENTIALS_LABEL]: 'git' },
    annotations: { [ALLOWED_URLS_ANNOTATION]: url.replace(/release\.git$/, '') },
    data: { username: server.credentials.username, token: server.credentials.password },
  });
  executors = {
    ...releaseRepoSteps({ readSecret, author: { name: 'rollouts-cv', email: 'rollouts-cv@example.invalid' } }),
    verify: async () => (verdict === 'Healthy' ? { phase: 'Succeeded', message: 'Healthy' } : { phase: 'Failed', failure: 'verification', message: 'Unhealthy: latency +80%' }),
  };
});
afterAll(() => server.close());

const pipeline = () =>
  parsePipelineSpec({
    variables: [{ name: 'image', required: true }],
    stages: [
      {
        name: 'prod-na',
        steps: [
          {
            name: 'update-release-repo',
            gitUpdate: {
              repository: { url, credentialsSecret: { name: 'release-repo-token' } },
              files: [{ path: PATH, set: [{ path: 'spec.template.spec.containers[0].image', value: '${{ vars.image }}' }] }],
              message: 'Deploy ${{ vars.image }} to prod-na (${{ run.name }})',
            },
          },
          { name: 'verify', verify: { rollout: 'loans-api', template: { name: 'rollouts-cv-verify' } } },
        ],
        rollback: [{ name: 'revert', gitRevert: { step: 'update-release-repo' } }],
      },
    ],
  });
const subjects = () => server.git('release', ['log', '--format=%s', 'main']).trim().split('\n');

describe('release-repository steps in a run', () => {
  it('commit the image, output the commit, and on a failed verification revert it in the rollback', async () => {
    verdict = 'Unhealthy';
    const status = initialStatus({ name: 'loans-api-release', spec: pipeline() }, { image: 'loans-api:2.0' }, T0);
    const pass = await advanceRun(status, run, facts, executors, T0);
    const [update, , ] = pass.status.stages[0]!.steps;
    expect(update!.outputs!.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(update!.message).toMatch(/^committed [0-9a-f]{12} on main of http:\/\/127\.0\.0\.1:\d+\/release\.git$/);
    expect(pass.status.stages[0]!.rollback[0]).toMatchObject({ phase: 'Succeeded', message: expect.stringMatching(/^reverted [0-9a-f]{12} on main/) });
    expect(pass.status.message).toBe('stage prod-na: step verify failed (the verification failed): Unhealthy: latency +80%; rolled back');
    expect(subjects()).toEqual(['Revert "Deploy loans-api:2.0 to prod-na (loans-api-release-1)"', 'Deploy loans-api:2.0 to prod-na (loans-api-release-1)', 'Initial release repository']);
    expect(server.git('release', ['show', `main:${PATH}`])).toBe(ROLLOUT);

    // The same pass again (a controller that died before writing its status): no second commit, no second revert.
    const again = await advanceRun(status, run, facts, executors, T0);
    expect(again.status.stages[0]!.steps[0]!.message).toMatch(/^found its earlier commit/);
    expect(again.status.stages[0]!.rollback[0]!.message).toMatch(/^found the earlier revert of/);
    expect(subjects()).toHaveLength(3);
  });

  it('fail the step with the field named when a path is missing, and commit nothing', async () => {
    verdict = 'Healthy';
    const spec = pipeline();
    spec.stages[0]!.steps[0]!.gitUpdate!.files[0]!.set[0]!.path = 'spec.template.spec.containers[0].imag';
    const before = subjects();
    const { status } = await advanceRun(initialStatus({ name: 'p', spec }, { image: 'loans-api:3.0' }, T0), { ...run, uid: 'uid-8' }, facts, executors, T0);
    expect(status.message).toBe(
      'stage prod-na: step update-release-repo failed (an error): file "apps/loans-api/prod-na/rollout.yaml": path "spec.template.spec.containers[0].imag": spec.template.spec.containers[0] has no key "imag"; rolled back',
    );
    expect(status.stages[0]!.rollback[0]!.message).toBe('step update-release-repo made no commit: nothing to revert');
    expect(subjects()).toEqual(before);
  });
});
