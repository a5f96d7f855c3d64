import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGitServer, type GitServer } from '../../test/helpers/git-server.js';
import { GitError } from './git.js';
import { checkRepoUrl, commitValues, ReleaseRepoError, revertCommit, STEP_TRAILER, type ReleaseRepo } from './release-repo.js';
import { YamlPathError } from './yaml-paths.js';

const ROLLOUT = `# loans-api in prod-na
apiVersion: argoproj.io/v1alpha1
kind: Rollout
spec:
  replicas: 2   # two stable pods
  template:
    spec:
      containers:
        - name: app
          image: registry.example/loans-api:1.0   # set by the pipeline
`;
const PATH = 'apps/loans-api/prod-na/rollout.yaml';
const author = { name: 'rollouts-cv', email: 'rollouts-cv@example.invalid' };
const image = (tag: string) => ({ path: PATH, set: [{ path: 'spec.template.spec.containers[0].image', value: `registry.example/loans-api:${tag}` }] });

let server: GitServer;
let repo: ReleaseRepo;
let n = 0;

beforeAll(async () => {
  server = await startGitServer();
});
afterAll(() => server.close());
beforeEach(() => {
  const name = `release-${++n}`;
  repo = { url: server.createRepo(name, { [PATH]: ROLLOUT, 'README.md': 'release repo\n' }), branch: 'main', credentials: { kind: 'token', ...server.credentials, token: server.credentials.password } };
  server.pushes = 0;
});
const name = () => `release-${n}`;
const log = () => server.git(name(), ['log', '--format=%s', 'main']).trim().split('\n');
const fileAt = (ref = 'main') => server.git(name(), ['show', `${ref}:${PATH}`]);

describe('commitValues', () => {
  it('sets the values, commits them with the step key and pushes: the diff is the change and nothing else', async () => {
    const result = await commitValues(repo, { files: [image('2.0')], message: 'Deploy loans-api 2.0 to prod-na', author, key: 'run-1/prod-na/update' });
    expect(result.pushed).toBe(true);
    expect(result.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(server.git(name(), ['rev-parse', 'main']).trim()).toBe(result.commit);
    expect(fileAt()).toBe(ROLLOUT.replace('loans-api:1.0', 'loans-api:2.0'));
    expect(server.git(name(), ['log', '-1', '--format=%an <%ae>%n%B', 'main'])).toBe(`rollouts-cv <rollouts-cv@example.invalid>\nDeploy loans-api 2.0 to prod-na\n\n${STEP_TRAILER}: run-1/prod-na/update\n\n`);
  });

  it('makes one commit per key: a second call (a restarted controller) finds the first', async () => {
    const first = await commitValues(repo, { files: [image('2.0')], message: 'Deploy 2.0', author, key: 'run-1/s' });
    const again = await commitValues(repo, { files: [image('2.0')], message: 'Deploy 2.0', author, key: 'run-1/s' });
    expect(again).toEqual({ commit: first.commit, pushed: false });
    expect(log()).toEqual(['Deploy 2.0', 'Initial release repository']);
    expect(server.pushes).toBe(1);
  });

  it('redoes its change on the new tip when another push got there first', async () => {
    server.beforePush = () => void server.commit(name(), { 'README.md': 'changed meanwhile\n' }, 'Someone else’s release');
    const result = await commitValues(repo, { files: [image('2.0')], message: 'Deploy 2.0', author, key: 'run-2/s' });
    expect(result.pushed).toBe(true);
    expect(log()).toEqual(['Deploy 2.0', 'Someone else’s release', 'Initial release repository']);
    expect(server.git(name(), ['show', 'main:README.md'])).toBe('changed meanwhile\n');
    expect(fileAt()).toContain('loans-api:2.0');
    expect(server.pushes).toBe(2);
  });

  it('commits nothing when the values are already set, unless an empty commit is asked for', async () => {
    expect(await commitValues(repo, { files: [image('1.0')], message: 'Deploy 1.0', author, key: 'k' })).toEqual({ commit: null, pushed: false });
    expect(server.pushes).toBe(0);
    const empty = await commitValues(repo, { files: [image('1.0')], message: 'Deploy 1.0', author, key: 'k2', allowEmpty: true });
    expect(empty.pushed).toBe(true);
    expect(log()).toEqual(['Deploy 1.0', 'Initial release repository']);
  });

  it('fails clearly on a missing path or file and changes nothing in the repository', async () => {
    const missing = { path: PATH, set: [{ path: 'spec.template.spec.containers[0].imag', value: 'x' }] };
    await expect(commitValues(repo, { files: [image('2.0'), missing], message: 'm', author, key: 'k' })).rejects.toThrow(YamlPathError);
    await expect(commitValues(repo, { files: [image('2.0'), missing], message: 'm', author, key: 'k' })).rejects.toThrow(`file "${PATH}": path "spec.template.spec.containers[0].imag": spec.template.spec.containers[0] has no key "imag"`);
    await expect(commitValues(repo, { files: [{ ...image('2.0'), path: 'apps/nope.yaml' }], message: 'm', author, key: 'k' })).rejects.toThrow('file "apps/nope.yaml" does not exist on branch main');
    await expect(commitValues(repo, { files: [{ ...image('2.0'), path: '../../etc/passwd' }], message: 'm', author, key: 'k' })).rejects.toThrow(ReleaseRepoError);
    await expect(commitValues(repo, { files: [image('2.0')], message: `Deploy\n\n${STEP_TRAILER}: victim-uid/prod/update`, author, key: 'k' })).rejects.toThrow(`must not contain "${STEP_TRAILER}"`);
    await expect(commitValues({ ...repo, branch: 'nope' }, { files: [image('2.0')], message: 'm', author, key: 'k' })).rejects.toThrow('branch "nope" does not exist');
    expect(server.pushes).toBe(0);
    expect(log()).toEqual(['Initial release repository']);
  });

  it('refuses a file reached through a symbolic link the repository holds, and writes nothing outside the checkout', async () => {
    const outside = join(mkdtempSync(join(tmpdir(), 'rcv-victim-')), 'victim.yaml');
    writeFileSync(outside, 'v: safe\n');
    server.commit(name(), { 'apps/evil.yaml': { symlink: outside }, 'apps/linked': { symlink: 'loans-api' } }, 'Links');
    const at = (path: string) => ({ path, set: [{ path: 'v', value: 'pwned' }] });
    await expect(commitValues(repo, { files: [at('apps/evil.yaml')], message: 'm', author, key: 'k' })).rejects.toThrow('file "apps/evil.yaml" is, or is reached through, a symbolic link');
    await expect(commitValues(repo, { files: [at('apps/linked/prod-na/rollout.yaml')], message: 'm', author, key: 'k' })).rejects.toThrow('symbolic link');
    expect(readFileSync(outside, 'utf8')).toBe('v: safe\n');
  });

  it('fails on a wrong token without showing it', async () => {
    const wrong: ReleaseRepo = { ...repo, credentials: { kind: 'token', username: 'release-bot', token: 'sekret-wrong-token' } };
    const error = await commitValues(wrong, { files: [image('2.0')], message: 'm', author, key: 'k' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitError);
    expect(String((error as GitError).message)).toMatch(/git push failed/);
    expect(JSON.stringify({ message: (error as GitError).message, stderr: (error as GitError).stderr })).not.toContain('sekret-wrong-token');
    expect(log()).toEqual(['Initial release repository']);
  });
});

describe('a change for a pull request (pushTo)', () => {
  it('is made on the branch’s tip, pushed to its own branch once, and leaves the branch alone', async () => {
    const first = await commitValues(repo, { files: [image('2.0')], message: 'Deploy 2.0', author, key: 'run-5/u', pushTo: 'rollouts-cv/0123abcd' });
    expect(first.pushed).toBe(true);
    expect(server.git(name(), ['rev-parse', 'rollouts-cv/0123abcd']).trim()).toBe(first.commit);
    expect(server.git(name(), ['rev-parse', 'rollouts-cv/0123abcd~1']).trim()).toBe(server.git(name(), ['rev-parse', 'main']).trim());
    expect(log()).toEqual(['Initial release repository']);
    expect(await commitValues(repo, { files: [image('2.0')], message: 'Deploy 2.0', author, key: 'run-5/u', pushTo: 'rollouts-cv/0123abcd' })).toEqual({ commit: first.commit, pushed: false });
    expect(server.pushes).toBe(1);
  });

  it('refuses a branch of that name that holds no commit of the step', async () => {
    server.git(name(), ['branch', 'rollouts-cv/0123abcd', 'main']);
    server.commit(name(), { 'README.md': 'someone else’s\n' }, 'Unrelated', 'rollouts-cv/0123abcd');
    await expect(commitValues(repo, { files: [image('2.0')], message: 'Deploy 2.0', author, key: 'run-6/u', pushTo: 'rollouts-cv/0123abcd' })).rejects.toThrow(
      /branch "rollouts-cv\/0123abcd" of http:\/\/127\.0\.0\.1:\d+\/release-\d+\.git exists without this step's commit/,
    );
    expect(server.pushes).toBe(0);
  });
});

describe('revertCommit', () => {
  it('reverts the step’s commit once: the file is as before, and a second call finds the revert', async () => {
    const deployed = await commitValues(repo, { files: [image('2.0')], message: 'Deploy 2.0', author, key: 'run-3/deploy' });
    const reverted = await revertCommit(repo, { commit: deployed.commit!, key: 'run-3/rollback', author });
    expect(reverted.pushed).toBe(true);
    expect(fileAt()).toBe(ROLLOUT);
    expect(await revertCommit(repo, { commit: deployed.commit!, key: 'run-3/rollback', author })).toEqual({ commit: reverted.commit, pushed: false });
    expect(log()).toEqual([`Revert "Deploy 2.0"`, 'Deploy 2.0', 'Initial release repository']);
  });

  it('reverts a merge commit (a merged pull request) against the branch it was merged into', async () => {
    const change = await commitValues(repo, { files: [image('2.0')], message: 'Deploy 2.0', author, key: 'run-4/deploy', pushTo: 'rollouts-cv/feed' });
    server.commit(name(), { 'README.md': 'meanwhile\n' }, 'Meanwhile');
    const merged = server.git(name(), ['log', '-1', '--format=%H', 'main']).trim();
    // The forge's merge: a merge commit of main and the pull request's branch.
    const tree = server.git(name(), ['merge-tree', '--write-tree', 'main', 'rollouts-cv/feed']).trim();
    const merge = server.git(name(), ['-c', 'user.name=Forge', '-c', 'user.email=f@example.invalid', 'commit-tree', tree, '-p', merged, '-p', change.commit!, '-m', 'Merge pull request #1']).trim();
    server.git(name(), ['update-ref', 'refs/heads/main', merge]);
    const reverted = await revertCommit(repo, { commit: merge, key: 'run-4/rollback', author, pushTo: 'rollouts-cv/beef' });
    expect(reverted.pushed).toBe(true);
    expect(server.git(name(), ['show', `rollouts-cv/beef:${PATH}`])).toBe(ROLLOUT);
    expect(server.git(name(), ['show', 'rollouts-cv/beef:README.md'])).toBe('meanwhile\n');
    expect(log()[0]).toBe('Merge pull request #1');
  });

  it('refuses what is not a commit of the branch, and a revert that conflicts', async () => {
    await expect(revertCommit(repo, { commit: 'HEAD~1', key: 'k', author })).rejects.toThrow('expected a full commit id');
    await expect(revertCommit(repo, { commit: 'a'.repeat(40), key: 'k', author })).rejects.toThrow(ReleaseRepoError);
    const deployed = await commitValues(repo, { files: [image('2.0')], message: 'Deploy 2.0', author, key: 'd1' });
    await commitValues(repo, { files: [image('3.0')], message: 'Deploy 3.0', author, key: 'd2' });
    await expect(revertCommit(repo, { commit: deployed.commit!, key: 'r', author })).rejects.toThrow(/conflicts with later commits/);
    expect(log()[0]).toBe('Deploy 3.0');
  });
});

describe('checkRepoUrl', () => {
  it('accepts https, ssh and loopback http; refuses clear text to another host and passwords in the URL', () => {
    for (const ok of ['https://git.example/r.git', 'ssh://git@git.example/r.git', 'git@github.com:org/r.git', 'http://127.0.0.1:8080/r.git']) expect(() => checkRepoUrl(ok)).not.toThrow();
    expect(() => checkRepoUrl('http://git.example/r.git')).toThrow('http:// only to a loopback address');
    expect(() => checkRepoUrl('https://u:p@git.example/r.git')).toThrow('must not hold a password');
    expect(() => checkRepoUrl('file:///etc')).toThrow(ReleaseRepoError);
    expect(() => checkRepoUrl('not a url')).toThrow('is not a URL');
    // What git would read differently from the WHATWG parser: refused, not rewritten.
    for (const odd of ['http://127.0.0.1\\x\\@evil.example/r.git', 'https://user@git.example/r.git', 'https://git.example/a/../b.git', 'https://git.example/a%2fb.git', 'git@host:../x']) {
      expect(() => checkRepoUrl(odd), odd).toThrow(ReleaseRepoError);
    }
  });
});
