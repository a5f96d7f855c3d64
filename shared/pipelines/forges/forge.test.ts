import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitHubFake, type GitHubFake } from '../../../test/helpers/github-fake.js';
import { startGitLabFake, type GitLabFake } from '../../../test/helpers/gitlab-fake.js';
import { startGitServer, type GitServer } from '../../../test/helpers/git-server.js';
import { ForgeError, forgeSays, repositoryPath } from './forge.js';
import { openForge } from './index.js';

const options = (provider: 'github' | 'gitlab', api: string, repoUrl: string) => ({ provider, api: new URL(api), token: 'tok-123456', repoUrl, timeoutMs: 1000 });

describe('the repository on its forge', () => {
  it('is the clone URL’s path, whichever form the URL has', () => {
    expect(repositoryPath('https://github.com/platform/release.git')).toBe('platform/release');
    expect(repositoryPath('ssh://git@gitlab.example/group/sub/release.git')).toBe('group/sub/release');
    expect(repositoryPath('git@github.com:platform/release.git')).toBe('platform/release');
    expect(repositoryPath('https://gitlab.example/group/release')).toBe('group/release');
  });

  it('is owner/repo on GitHub, and a GitLab project without the instance’s relative root', () => {
    expect(openForge(options('github', 'https://api.github.com', 'git@github.com:platform/release.git')).name).toBe('GitHub platform/release');
    expect(() => openForge(options('github', 'https://api.github.com', 'https://github.com/platform/team/release.git'))).toThrow("a GitHub repository's is https://host/<owner>/<repo>.git");
    expect(openForge(options('gitlab', 'https://git.example/gitlab/api/v4', 'https://git.example/gitlab/group/sub/release.git')).name).toBe('GitLab group/sub/release');
    expect(openForge(options('gitlab', 'https://git.example/gitlab/api/v4', 'git@git.example:group/release.git')).name).toBe('GitLab group/release');
  });
});

describe('forgeSays', () => {
  it('gives what the forge said on one line, its details too, without the token', () => {
    expect(forgeSays({ message: 'Validation Failed', errors: [{ resource: 'PullRequest', code: 'custom', message: 'A pull request already exists for platform:x.' }] }, 'tok-123456')).toBe(
      'Validation Failed; A pull request already exists for platform:x.',
    );
    expect(forgeSays({ message: ['Another open merge request already exists for this source branch: !1'] }, 'tok-123456')).toBe('["Another open merge request already exists for this source branch: !1"]');
    expect(forgeSays('<html>\n  token tok-123456 refused\n</html>', 'tok-123456')).toBe('<html> token *** refused </html>');
    expect(forgeSays({ message: 'x'.repeat(1000) }, 'tok-123456')).toHaveLength(300);
    expect(forgeSays(null, 'tok-123456')).toBe('');
    expect(forgeSays({ message: 'Validation Failed', errors: [null, 7, { code: 'invalid' }] }, 'tok-123456')).toBe('Validation Failed; null; 7; {"code":"invalid"}');
  });
});

describe.each(['github', 'gitlab'] as const)('the %s adapter against its fake', (provider) => {
  let server: GitServer;
  let fake: GitHubFake | GitLabFake;
  beforeAll(async () => {
    server = await startGitServer();
    fake = provider === 'github' ? await startGitHubFake(server) : await startGitLabFake(server);
  });
  afterAll(async () => {
    await fake.close();
    await server.close();
  });

  it('opens, refuses a stale head, merges in the repository, and finds the same pull request again', async () => {
    const url = server.createRepo('platform/adapter', { 'a.txt': 'one\n' });
    server.git('platform/adapter', ['branch', 'topic', 'main']);
    const first = server.commit('platform/adapter', { 'a.txt': 'two\n' }, 'Two', 'topic');
    const forge = openForge({ provider, api: new URL(fake.url), token: fake.token, repoUrl: url, timeoutMs: 5000 });
    const opened = await forge.open({ head: 'topic', base: 'main', title: 'Two', body: '' });
    expect(opened).toMatchObject({ number: 1, state: 'open', headSha: first });
    expect(await forge.open({ head: 'topic', base: 'main', title: 'Two', body: '' })).toMatchObject({ number: 1 });
    // Someone pushed to the branch after it was read: that head is not merged unseen.
    const second = server.commit('platform/adapter', { 'b.txt': 'more\n' }, 'More', 'topic');
    expect(await forge.merge(opened, 'merge')).toMatchObject({ merged: false, why: 'headMoved' });
    const merged = await forge.merge({ ...opened, headSha: second }, 'merge');
    expect(merged).toEqual({ merged: true, commit: server.git('platform/adapter', ['rev-parse', 'main']).trim() });
    expect(server.git('platform/adapter', ['rev-parse', 'main^2']).trim()).toBe(second);
    expect(await forge.find('topic')).toMatchObject({ number: 1, state: 'merged', mergeCommit: (merged as { commit: string }).commit });
    expect(await forge.find('nope')).toBeNull();
  });

  it('fails with the status and without the token when the token is refused', async () => {
    const forge = openForge({ provider, api: new URL(fake.url), token: 'wrong-token-1234', repoUrl: server.url('platform/adapter'), timeoutMs: 5000 });
    const error = await forge.find('topic').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ForgeError);
    expect(error).toMatchObject({ status: 401 });
    expect((error as Error).message).not.toContain('wrong-token-1234');
  });
});
