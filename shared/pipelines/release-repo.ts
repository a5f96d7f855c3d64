// A release repository's change, made once: values set by YAML path in its files and committed to a branch, or a
// commit reverted. Each commit carries its step's key as a trailer (`Rollouts-CV-Step: <key>`), so that a
// controller that died after pushing finds its commit on the branch and does not make a second one. A push that
// lost a race with another (non-fast-forward) is redone on the new tip, a few times. A change meant for a pull
// request is made on the branch's tip and pushed to the pull request's own branch, where its key is looked for.
import { readFile, realpath, writeFile } from 'node:fs/promises';
import { isAbsolute, join, normalize } from 'node:path';
import { type GitCredentials, GitError, type GitSession, openSession } from './git.js';
import { outboundUrlProblem } from './outbound-url.js';
import { setYamlPaths, type YamlEdit, YamlPathError } from './yaml-paths.js';

export const STEP_TRAILER = 'Rollouts-CV-Step';
/** How far back on the branch an earlier attempt's commit is looked for. */
const HISTORY_DEPTH = 200;

export interface ReleaseRepo {
  /** https://…, ssh://… or git@host:path; http:// only to a loopback address. */
  url: string;
  branch: string;
  credentials: GitCredentials;
}

export interface FileEdits {
  /** Path in the repository, e.g. `apps/loans-api/prod-na/rollout.yaml`. */
  path: string;
  /** Which YAML document of the file (0: the first). */
  document?: number;
  set: YamlEdit[];
}

export interface CommitRequest {
  files: FileEdits[];
  message: string;
  author: { name: string; email: string };
  /** The step's once-only key (its run and step): a commit with this key on the branch is the step's. */
  key: string;
  /** Commit even when the values are already set (the commit then changes nothing). */
  allowEmpty?: boolean;
  /** Push to this branch (a pull request's head) instead of the repository's branch, on whose tip the change is made. */
  pushTo?: string;
  attempts?: number;
}

export interface CommitResult {
  /** The step's commit; null when the values were already set and no empty commit was asked for. */
  commit: string | null;
  /** Whether this call pushed it (false: an earlier attempt had). */
  pushed: boolean;
}

export class ReleaseRepoError extends Error {
  override name = 'ReleaseRepoError';
}

const SCP_LIKE = /^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:(?!\/)[A-Za-z0-9._~/-]+$/;
const REPO_URL = { what: 'repository URL', expected: 'expected https://host/path.git, ssh://host/path.git or git@host:path.git', schemes: ['ssh:'] };

/** Refuses a URL a step must not send to (outbound-url.ts); git@host:path is read as git reads it. */
export function checkRepoUrl(url: string): void {
  if (SCP_LIKE.test(url)) {
    if (url.split(':')[1]!.split('/').includes('..')) throw new ReleaseRepoError(`repository URL "${url}" must not contain ".."`);
    return;
  }
  const problem = outboundUrlProblem(url, REPO_URL);
  if (problem) throw new ReleaseRepoError(problem);
}

/**
 * A file of the checkout: a relative path without `..`, not into .git, and not through a symbolic link (a link the
 * repository holds could point anywhere on the controller's disk).
 */
async function repoFile(dir: string, path: string, branch: string): Promise<string> {
  const clean = normalize(path);
  if (clean.startsWith('..') || isAbsolute(clean) || clean === '.git' || clean.startsWith('.git/')) {
    throw new ReleaseRepoError(`file "${path}": expected a path inside the repository, such as apps/loans-api/rollout.yaml`);
  }
  const real = await realpath(join(dir, clean)).catch(() => {
    throw new ReleaseRepoError(`file "${path}" does not exist on branch ${branch}`);
  });
  if (real !== join(await realpath(dir), clean)) throw new ReleaseRepoError(`file "${path}" is, or is reached through, a symbolic link: edit the file it points to instead`);
  return real;
}

/** Fetches `branch` and checks it out; false when the repository has no such branch. */
async function fetchRef(git: GitSession, url: string, branch: string): Promise<boolean> {
  const found = await git.run(['fetch', '-q', '--no-tags', `--depth=${HISTORY_DEPTH}`, url, `refs/heads/${branch}`]).then(
    () => true,
    (error: unknown) => {
      if (error instanceof GitError && /couldn't find remote ref|not our ref/i.test(error.stderr)) return false;
      throw error;
    },
  );
  if (found) await git.run(['checkout', '-q', '--force', '--detach', 'FETCH_HEAD']);
  return found;
}

async function fetchBranch(git: GitSession, repo: ReleaseRepo): Promise<true> {
  if (!(await fetchRef(git, repo.url, repo.branch))) throw new ReleaseRepoError(`branch "${repo.branch}" does not exist in ${repo.url}`);
  return true;
}

/** The commit on the fetched branch that carries `key`, if an earlier attempt pushed one. */
async function commitWithKey(git: GitSession, key: string): Promise<string | null> {
  const log = await git.run(['log', `--format=%H%x00%(trailers:key=${STEP_TRAILER},valueonly,separator=%x01)%x00`, 'HEAD']);
  for (const entry of log.split('\0\n')) {
    const [commit, values] = entry.replace(/^\n/, '').split('\0');
    if (commit && values?.split('\x01').some((value) => value.trim() === key)) return commit;
  }
  return null;
}

const isRace = (error: unknown) => error instanceof GitError && /\[rejected\]|non-fast-forward|fetch first|\[remote rejected\].*(cannot lock ref|failed to update ref)/i.test(error.stderr);

/**
 * Fetches the branch, does `change` on it and pushes (to `pushTo`, default the branch), until the push is not beaten
 * by another one: the key is looked for first each time where the push goes, so a push that landed although its
 * answer was lost is not made twice.
 */
async function pushOnce(repo: ReleaseRepo, key: string, attempts: number, change: (git: GitSession) => Promise<string | null>, pushTo = repo.branch): Promise<CommitResult> {
  checkRepoUrl(repo.url);
  const git = await openSession(repo.credentials);
  try {
    for (let attempt = 1; ; attempt++) {
      const exists = pushTo === repo.branch ? await fetchBranch(git, repo) : await fetchRef(git, repo.url, pushTo);
      const earlier = exists ? await commitWithKey(git, key) : null;
      if (earlier) return { commit: earlier, pushed: false };
      if (pushTo !== repo.branch) {
        if (exists) throw new ReleaseRepoError(`branch "${pushTo}" of ${repo.url} exists without this step's commit; delete it and retry the step`);
        await fetchBranch(git, repo);
      }
      const commit = await change(git);
      if (!commit) return { commit: null, pushed: false };
      try {
        await git.run(['push', '-q', repo.url, `HEAD:refs/heads/${pushTo}`]);
        return { commit, pushed: true };
      } catch (error) {
        if (!isRace(error) || attempt >= attempts) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt * (0.5 + Math.random())));
      }
    }
  } finally {
    await git.close();
  }
}

function identity(author: { name: string; email: string }): string[] {
  return ['-c', `user.name=${author.name}`, '-c', `user.email=${author.email}`];
}

/** Sets the values and commits them to the branch, once per key. Throws ReleaseRepoError, YamlPathError or GitError. */
export async function commitValues(repo: ReleaseRepo, request: CommitRequest): Promise<CommitResult> {
  // A message could otherwise claim another step's key, and that step would take this commit for its own.
  if (request.message.toLowerCase().includes(STEP_TRAILER.toLowerCase())) throw new ReleaseRepoError(`the commit message must not contain "${STEP_TRAILER}": the step adds it`);
  return pushOnce(repo, request.key, request.attempts ?? 5, async (git) => {
    for (const file of request.files) {
      const path = await repoFile(git.dir, file.path, repo.branch);
      const text = await readFile(path, 'utf8');
      let edited: string;
      try {
        edited = setYamlPaths(text, file.set, file.document ?? 0);
      } catch (error) {
        // A step may edit several files: the message says which one the path is missing from.
        if (error instanceof YamlPathError) throw new YamlPathError(`file "${file.path}": ${error.message}`);
        throw error;
      }
      await writeFile(path, edited);
    }
    const changed = (await git.run(['status', '--porcelain'])).trim() !== '';
    if (!changed && !request.allowEmpty) return null;
    await git.run(['add', '-A']);
    await git.run([...identity(request.author), 'commit', '-q', '--allow-empty', '-m', request.message, '--trailer', `${STEP_TRAILER}: ${request.key}`]);
    return (await git.run(['rev-parse', 'HEAD'])).trim();
  }, request.pushTo);
}

/**
 * Reverts `commit` on the branch, once per key (a rollback step); a merge commit (a merged pull request) is reverted
 * against its first parent, the branch it was merged into. Throws ReleaseRepoError when it does not apply cleanly.
 */
export async function revertCommit(
  repo: ReleaseRepo,
  request: { commit: string; key: string; author: { name: string; email: string }; pushTo?: string; attempts?: number },
): Promise<CommitResult> {
  if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(request.commit)) throw new ReleaseRepoError(`commit "${request.commit}": expected a full commit id (40 hex digits)`);
  return pushOnce(repo, request.key, request.attempts ?? 5, async (git) => {
    const onBranch = await git.run(['merge-base', '--is-ancestor', request.commit, 'HEAD']).then(
      () => true,
      () => false,
    );
    if (!onBranch) throw new ReleaseRepoError(`commit ${request.commit} is not among the last ${HISTORY_DEPTH} commits of branch ${repo.branch}`);
    // The commit object's own parents: a shallow history's boundary would hide them from `git log`.
    const parents = (await git.run(['cat-file', '-p', request.commit])).split('\n\n')[0]!.split('\n').filter((line) => line.startsWith('parent ')).length;
    try {
      await git.run([...identity(request.author), 'revert', '--no-edit', ...(parents > 1 ? ['-m', '1'] : []), request.commit]);
    } catch (error) {
      if (error instanceof GitError && /conflict/i.test(error.stderr)) {
        throw new ReleaseRepoError(`reverting ${request.commit} conflicts with later commits on ${repo.branch}; revert it by hand`);
      }
      throw error;
    }
    await git.run([...identity(request.author), 'commit', '-q', '--amend', '--no-edit', '--trailer', `${STEP_TRAILER}: ${request.key}`]);
    return (await git.run(['rev-parse', 'HEAD'])).trim();
  }, request.pushTo);
}
