import { createServer, type IncomingHttpHeaders, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGitHubFake, type GitHubFake } from '../../../test/helpers/github-fake.js';
import { startGitLabFake, type GitLabFake } from '../../../test/helpers/gitlab-fake.js';
import { startGitServer, type GitServer } from '../../../test/helpers/git-server.js';
import { advanceRun, type StepContext, type StepOutcome } from '../advance.js';
import { ALLOWED_URLS_ANNOTATION, CREDENTIALS_LABEL, type SecretReader } from '../credentials.js';
import { headBranch } from '../forges/pull-request.js';
import { STEP_TRAILER } from '../release-repo.js';
import { parsePipelineSpec, type StepSpec } from '../spec.js';
import { initialStatus, type StepRecord } from '../status.js';
import { releaseRepoSteps } from './release-repo.js';

const ROLLOUT = 'spec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: loans-api:1.0  # released by the pipeline\n';
const PATH = 'apps/loans-api/prod-na/rollout.yaml';
const T0 = new Date('2026-12-05T10:00:00Z');
const MINUTE = 60_000;
const run = { namespace: 'releases', name: 'loans-api-release-1', uid: 'uid-7' };
const facts = { triggeredBy: 'Slack user U012ABCDEF', url: '' };
const author = { name: 'rollouts-cv', email: 'rollouts-cv@example.invalid' };

let server: GitServer;
let github: GitHubFake;
let gitlab: GitLabFake;
/** The Secret's allowed-urls annotation; a test may narrow it. */
let allowed: string;
let token: string;
const readSecret: SecretReader = async () => ({
  labels: { [CREDENTIALS_LABEL]: 'git' },
  annotations: { [ALLOWED_URLS_ANNOTATION]: allowed },
  data: { username: server.credentials.username, token },
});
const steps = () => releaseRepoSteps({ readSecret, author });

beforeAll(async () => {
  server = await startGitServer();
  // One Secret holds the token for both the git server and the forge, as for a real forge.
  github = await startGitHubFake(server, { token: server.credentials.password });
  gitlab = await startGitLabFake(server, { token: server.credentials.password });
});
afterAll(async () => {
  await Promise.all([github.close(), gitlab.close()]);
  await server.close();
});

const FORGES = [
  {
    provider: 'github' as const,
    api: () => github.url,
    noun: (n: number) => `pull request #${n}`,
    hold: (n: number) => github.hold(n),
    release: (n: number) => github.release(n),
    failNext: (status: number, message?: string) => github.failNext(status, {}, message),
    loseNextAnswer: (method: string) => github.loseNextAnswer(method, 500),
    requests: () => github.requests,
    close: (repo: string, number: number) => void (github.pulls.find((p) => p.repo === repo && p.number === number)!.state = 'closed'),
    opened: (repo: string) => github.pulls.filter((p) => p.repo === repo).map((p) => ({ number: p.number, merged: p.mergedAt !== null, open: p.state === 'open', title: p.title })),
  },
  {
    provider: 'gitlab' as const,
    api: () => gitlab.url,
    noun: (n: number) => `merge request !${n}`,
    hold: (n: number) => gitlab.hold(n),
    release: (n: number) => gitlab.release(n),
    failNext: (status: number, message?: string) => gitlab.failNext(status, {}, message),
    loseNextAnswer: (method: string) => gitlab.loseNextAnswer(method, 500),
    requests: () => gitlab.requests,
    close: (repo: string, number: number) => void (gitlab.mergeRequests.find((m) => m.project === repo && m.iid === number)!.state = 'closed'),
    opened: (repo: string) => gitlab.mergeRequests.filter((m) => m.project === repo).map((m) => ({ number: m.iid, merged: m.state === 'merged', open: m.state === 'opened', title: m.title })),
  },
];

let n = 0;
let repo: string;
let url: string;
beforeEach(() => {
  repo = `platform/release-${++n}`;
  url = server.createRepo(repo, { [PATH]: ROLLOUT });
  allowed = `${url.replace(/release-\d+\.git$/, '')} ${github.url}/ ${gitlab.url}/`;
  token = server.credentials.password;
  server.pushes = 0;
  for (const forge of FORGES) for (const number of [1, 2]) forge.release(number);
});

/** A bare HTTP server on loopback, for what the fakes do not do. */
async function listen(handler: RequestListener): Promise<{ url: string; close(): Promise<void> }> {
  const http = createServer(handler);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`, close: () => new Promise<void>((resolve) => http.close(() => resolve())) };
}

const git = (args: string[]) => server.git(repo, args).trim();
const fileOnMain = () => server.git(repo, ['show', `main:${PATH}`]);
const subjects = () => git(['log', '--format=%s', 'main']).split('\n');
/** The commits anywhere in the repository that carry `key` as their step trailer. */
const commitsWithKey = (key: string) => git(['log', '--all', '--no-merges', '--format=%H', `--grep=^${STEP_TRAILER}: ${key}$`]).split('\n').filter(Boolean);

const pipeline = (forge: (typeof FORGES)[number], pullRequest: Record<string, unknown> = {}) =>
  parsePipelineSpec({
    variables: [{ name: 'image', required: true }],
    stages: [
      {
        name: 'prod-na',
        steps: [
          {
            name: 'update',
            gitUpdate: {
              repository: { url, credentialsSecret: { name: 'release-repo-token' } },
              files: [{ path: PATH, set: [{ path: 'spec.template.spec.containers[0].image', value: '${{ vars.image }}' }] }],
              message: 'Deploy ${{ vars.image }} to prod-na\n\nFor ${{ run.name }}',
              pullRequest: { provider: forge.provider, apiUrl: forge.api(), ...pullRequest },
            },
          },
          { name: 'verify', verify: { rollout: 'loans-api', template: { name: 'rollouts-cv-verify' } } },
        ],
        rollback: [{ name: 'revert', gitRevert: { step: 'update' } }],
      },
    ],
  });

/** The gitUpdate step looked at once, as a controller does, from a status that did not record the earlier looks. */
function looker(forge: (typeof FORGES)[number], pullRequest: Record<string, unknown> = {}) {
  const spec = pipeline(forge, pullRequest);
  const stage = spec.stages[0]!;
  const step = stage.steps[0] as StepSpec;
  const key = `${run.uid}/prod-na/update`;
  const record: StepRecord = { name: 'update', type: 'gitUpdate', phase: 'Running', startedAt: T0.toISOString() };
  const context = (now: Date): StepContext => ({ run, stage, key, now, scope: { vars: { image: 'loans-api:2.0' }, run: { name: run.name, namespace: run.namespace, ...facts }, pipeline: { name: 'p' }, steps: {} } });
  return { key, look: (now = T0): Promise<StepOutcome> => steps().gitUpdate(step, record, context(now)) };
}

describe.each(FORGES)('gitUpdate through a $provider pull request', (forge) => {
  it('opens one pull request and merges it once, whichever look a controller died in', async () => {
    const { key, look } = looker(forge);
    // Died after the push landed, before it heard so.
    server.afterPush = () => {
      throw new Error('controller died');
    };
    await expect(look()).rejects.toThrow(/git push failed/);
    expect(commitsWithKey(key)).toHaveLength(1);
    expect(git(['rev-parse', `refs/heads/${headBranch(key)}`])).toBe(commitsWithKey(key)[0]);
    expect(forge.opened(repo)).toEqual([]);

    // Died after opening it: the forge opened it, the answer was lost.
    forge.loseNextAnswer('POST');
    expect(await look()).toMatchObject({ phase: 'Running', message: expect.stringContaining('500') });
    expect(forge.opened(repo)).toEqual([{ number: 1, merged: false, open: true, title: 'Deploy loans-api:2.0 to prod-na' }]);

    // Died after merging it.
    forge.loseNextAnswer('PUT');
    expect(await look()).toMatchObject({ phase: 'Running' });
    expect(forge.opened(repo)).toEqual([{ number: 1, merged: true, open: false, title: 'Deploy loans-api:2.0 to prod-na' }]);
    const merged = git(['rev-parse', 'main']);

    for (const again of [await look(), await look()]) {
      expect(again).toEqual({
        phase: 'Succeeded',
        message: expect.stringMatching(new RegExp(`^${forge.noun(1)} \\(https://\\S+\\) is merged into main: ${merged.slice(0, 12)}$`)),
        outputs: { commit: merged, pullRequest: expect.stringMatching(/^https:\/\/git(hub|lab)\.example\/platform\/release-\d+\//), number: '1' },
      });
    }
    expect(server.pushes).toBe(1);
    expect(commitsWithKey(key)).toHaveLength(1);
    expect(git(['rev-list', '--merges', 'main']).split('\n')).toEqual([merged]);
    expect(git(['rev-parse', 'main^2'])).toBe(commitsWithKey(key)[0]);
    expect(fileOnMain()).toBe(ROLLOUT.replace('loans-api:1.0', 'loans-api:2.0'));
  });

  it('with merge: false, opens it and succeeds with the branch head, leaving the merge to people', async () => {
    const { key, look } = looker(forge, { merge: false, title: 'Release ${{ vars.image }}', body: 'Run ${{ run.name }}' });
    const first = await look();
    const head = git(['rev-parse', `refs/heads/${headBranch(key)}`]);
    expect(first).toMatchObject({ phase: 'Succeeded', message: expect.stringMatching(/is open, for people to merge$/), outputs: { commit: head, number: '1' } });
    expect(await look()).toEqual(first);
    expect(forge.opened(repo)).toEqual([{ number: 1, merged: false, open: true, title: 'Release loans-api:2.0' }]);
    expect(subjects()).toEqual(['Initial release repository']);
  });

  it('answers Running while the forge will not merge it yet, then merges it', async () => {
    const { look } = looker(forge);
    forge.hold(1);
    const waiting = await look();
    expect(waiting).toMatchObject({ phase: 'Running', recheckAfterMs: 15_000, message: expect.stringMatching(new RegExp(`^${forge.noun(1)} \\(https://\\S+\\) into main: not mergeable yet \\((blocked|ci_still_running)\\).*; trying again$`)) });
    expect(await look(new Date(T0.getTime() + 10 * MINUTE))).toMatchObject({ phase: 'Running' });
    expect(subjects()).toEqual(['Initial release repository']);
    forge.release(1);
    expect(await look(new Date(T0.getTime() + 11 * MINUTE))).toMatchObject({ phase: 'Succeeded', outputs: { commit: git(['rev-parse', 'main']) } });
    expect(forge.opened(repo)).toHaveLength(1);
  });

  it('fails naming the pull request when it is still not mergeable at the timeout, or conflicts', async () => {
    const { look } = looker(forge, { timeout: '20m' });
    forge.hold(1);
    expect(await look()).toMatchObject({ phase: 'Running' });
    expect(await look(new Date(T0.getTime() + 20 * MINUTE))).toMatchObject({
      phase: 'Failed',
      message: expect.stringMatching(new RegExp(`^${forge.noun(1)} \\(https://\\S+\\) could not be merged within 20m: not mergeable yet`)),
      outputs: { number: '1', pullRequest: expect.any(String) },
    });
    // Someone changed the same line on main meanwhile.
    server.commit(repo, { [PATH]: ROLLOUT.replace('loans-api:1.0', 'loans-api:1.1') }, 'Hotfix 1.1');
    forge.release(1);
    expect(await look(new Date(T0.getTime() + MINUTE))).toMatchObject({
      phase: 'Failed',
      message: expect.stringMatching(new RegExp(`^${forge.noun(1)} \\(https://\\S+\\) conflicts with main: .*; resolve it there, or roll back$`)),
    });
    expect(subjects()).toEqual(['Hotfix 1.1', 'Initial release repository']);
  });

  it('fails naming the pull request when someone closed it unmerged, and opens no other', async () => {
    const { look } = looker(forge);
    forge.hold(1);
    expect(await look()).toMatchObject({ phase: 'Running' });
    forge.close(repo, 1);
    forge.release(1);
    for (const again of [await look(), await look()]) {
      expect(again).toMatchObject({ phase: 'Failed', message: expect.stringMatching(new RegExp(`^${forge.noun(1)} \\(https://\\S+\\) was closed without being merged$`)), outputs: { number: '1' } });
    }
    expect(forge.opened(repo)).toHaveLength(1);
    expect(subjects()).toEqual(['Initial release repository']);
  });

  it('tries again later on a failure that passes, and never shows the token', async () => {
    const { look } = looker(forge);
    forge.failNext(503);
    expect(await look()).toMatchObject({ phase: 'Running', message: expect.stringMatching(/: 503 .*trying again in 5s \(attempt 2 of 5\)$/), recheckAfterMs: 5_000 });
    // The forge quotes the token back in an error: it is shown as ***.
    forge.failNext(400, `token ${token} is not valid for this request`);
    const quoted = await look();
    expect(quoted).toMatchObject({ phase: 'Failed', message: expect.stringContaining('token *** is not valid') });
    expect(JSON.stringify(quoted)).not.toContain(token);
    // A token the forge refuses: no push, and the message names the Secret, not the token.
    token = 'not-the-token-4711';
    const refused = await look();
    expect(refused).toMatchObject({ phase: 'Failed', message: expect.stringMatching(/: 401 .*the token in Secret releases\/release-repo-token was not accepted/) });
    expect(JSON.stringify(refused)).not.toContain('not-the-token-4711');
    expect(server.pushes).toBe(0);
  });

  it('refuses to send the token to an API the Secret does not allow, before any request', async () => {
    allowed = url.replace(/release-\d+\.git$/, '');
    const before = forge.requests().length;
    await expect(looker(forge).look()).rejects.toThrow(`Secret releases/release-repo-token may not be sent to ${forge.api()}/: its ${ALLOWED_URLS_ANNOTATION} annotation allows ${allowed}`);
    expect(forge.requests()).toHaveLength(before);
    expect(server.pushes).toBe(0);
  });

  it('does not carry the token on when the API redirects to another host', async () => {
    const seen: IncomingHttpHeaders[] = [];
    const elsewhere = await listen((request, response) => {
      seen.push(request.headers);
      response.writeHead(404, { 'Content-Type': 'application/json' }).end('{"message":"Not Found"}');
    });
    const redirector = await listen((request, response) => void response.writeHead(307, { Location: `${elsewhere.url}${request.url}` }).end());
    try {
      const api = `${redirector.url}${forge.provider === 'gitlab' ? '/api/v4' : ''}`;
      allowed = `${allowed} ${api}/`;
      expect(await looker(forge, { apiUrl: api }).look()).toMatchObject({ phase: 'Failed', message: expect.stringContaining(': 404 (Not Found)') });
      expect(seen).not.toHaveLength(0);
      expect(JSON.stringify(seen)).not.toContain(token);
      expect(server.pushes).toBe(0);
    } finally {
      await Promise.all([elsewhere.close(), redirector.close()]);
    }
  });

  it('in a run: merges the update, and on a failed verification reverts it through a pull request of its own', async () => {
    const spec = pipeline(forge);
    const executors = { ...steps(), verify: async (): Promise<StepOutcome> => ({ phase: 'Failed', failure: 'verification', message: 'Unhealthy: latency +80%' }) };
    const status = initialStatus({ name: 'loans-api-release', spec }, { image: 'loans-api:2.0' }, T0);
    const pass = await advanceRun(status, run, facts, executors, T0);
    const [update] = pass.status.stages[0]!.steps;
    const [revert] = pass.status.stages[0]!.rollback;
    expect(update).toMatchObject({ phase: 'Succeeded', outputs: { number: '1' } });
    expect(revert).toMatchObject({ phase: 'Succeeded', message: expect.stringMatching(new RegExp(`^${forge.noun(2)} \\(https://\\S+\\) is merged into main`)), outputs: { number: '2', commit: git(['rev-parse', 'main']) } });
    expect(pass.status.message).toBe('stage prod-na: step verify failed (the verification failed): Unhealthy: latency +80%; rolled back');
    expect(forge.opened(repo)).toEqual([
      { number: 1, merged: true, open: false, title: 'Deploy loans-api:2.0 to prod-na' },
      { number: 2, merged: true, open: false, title: 'Revert "Deploy loans-api:2.0 to prod-na"' },
    ]);
    expect(fileOnMain()).toBe(ROLLOUT);
    // The update's merge commit was reverted against main's side.
    expect(git(['log', '-1', '--format=%s', 'main^2'])).toBe(`Revert "${git(['log', '-1', '--format=%s', update!.outputs!.commit!])}"`);

    // The same pass again (a controller that died before writing its status): nothing new.
    const pushes = server.pushes;
    const again = await advanceRun(status, run, facts, executors, T0);
    expect(again.status.stages[0]!.rollback[0]).toMatchObject({ phase: 'Succeeded', outputs: revert!.outputs });
    expect(forge.opened(repo)).toHaveLength(2);
    expect(server.pushes).toBe(pushes);
  });

  it('rolls back an update left for people by closing its pull request, unmerged', async () => {
    const spec = pipeline(forge, { merge: false });
    const executors = { ...steps(), verify: async (): Promise<StepOutcome> => ({ phase: 'Failed', failure: 'verification', message: 'Unhealthy' }) };
    const { status } = await advanceRun(initialStatus({ name: 'p', spec }, { image: 'loans-api:2.0' }, T0), run, facts, executors, T0);
    expect(status.stages[0]!.rollback[0]).toMatchObject({ phase: 'Succeeded', message: expect.stringMatching(new RegExp(`^closed ${forge.noun(1)} \\(https://\\S+\\), which was not merged: nothing had reached main$`)) });
    expect(forge.opened(repo)).toEqual([{ number: 1, merged: false, open: false, title: 'Deploy loans-api:2.0 to prod-na' }]);
    expect(subjects()).toEqual(['Initial release repository']);
  });
});

describe('gitUpdate pull requests, forge by forge', () => {
  it('GitHub: rebases when asked, so the step’s own commit lands on main', async () => {
    const { key, look } = looker(FORGES[0]!, { mergeMethod: 'rebase' });
    const result = await look();
    expect(result).toMatchObject({ phase: 'Succeeded', outputs: { commit: git(['rev-parse', 'main']) } });
    expect(git(['rev-list', '--merges', 'main'])).toBe('');
    expect(git(['log', '-1', '--format=%(trailers:key=Rollouts-CV-Step,valueonly)', 'main'])).toBe(key);
  });

  it('GitLab: squashes when asked, and removes the source branch once merged', async () => {
    const { key, look } = looker(FORGES[1]!, { mergeMethod: 'squash' });
    const result = await look();
    expect(result).toMatchObject({ phase: 'Succeeded', outputs: { commit: git(['rev-parse', 'main']) } });
    expect(gitlab.mergeRequests.find((m) => m.project === repo)).toMatchObject({ state: 'merged', squashCommit: git(['rev-parse', 'main^2']) });
    expect(() => git(['rev-parse', '--verify', '-q', `refs/heads/${headBranch(key)}`])).toThrow();
    expect(fileOnMain()).toContain('loans-api:2.0');
  });
});
