// GitHub's pull requests through @octokit/rest: list by head branch, create, get, merge (PUT …/merge with the head's
// sha, so that a head moved meanwhile is not merged unseen), close. GitHub answers a merge with 405 when the pull
// request cannot be merged now (checks, reviews, conflicts: its mergeable_state tells which) and 409 when its head
// moved. A 403 with no requests left is GitHub's rate limit.
import { Octokit } from '@octokit/rest';
import { type Forge, ForgeError, type ForgeOptions, forgeSays, type MergeMethod, type PullRequest, repositoryPath } from './forge.js';

interface GithubPull {
  number: number;
  html_url: string;
  state: string;
  merged_at: string | null;
  merge_commit_sha: string | null;
  head: { sha: string };
  mergeable?: boolean | null;
  mergeable_state?: string;
}

/** mergeable_state values with which GitHub merges (unstable: checks that are not required failed). */
const MERGEABLE_STATES = ['clean', 'unstable', 'has_hooks'];

function pullRequestOf(pull: GithubPull): PullRequest {
  const merged = pull.merged_at !== null;
  const detail = pull.mergeable_state ?? 'unknown';
  let mergeable: PullRequest['mergeable'] = 'unknown';
  if (pull.mergeable === false && detail === 'dirty') mergeable = 'conflict';
  else if (pull.mergeable === true && MERGEABLE_STATES.includes(detail)) mergeable = 'yes';
  else if (pull.mergeable === false || (pull.mergeable === true && detail !== 'unknown')) mergeable = 'blocked';
  return {
    number: pull.number,
    url: pull.html_url,
    state: merged ? 'merged' : pull.state === 'closed' ? 'closed' : 'open',
    headSha: pull.head.sha,
    ...(merged && pull.merge_commit_sha && { mergeCommit: pull.merge_commit_sha }),
    mergeable,
    detail,
  };
}

interface HttpError {
  status: number;
  message: string;
  response?: { data: unknown; headers: Record<string, string | undefined> };
}
/** Octokit's RequestError ("HttpError"); status 500 without a response is a request that got no answer. */
const isHttpError = (error: unknown): error is HttpError => error instanceof Error && error.name === 'HttpError' && typeof (error as { status?: unknown }).status === 'number';

export function githubForge(options: ForgeOptions): Forge {
  const parts = repositoryPath(options.repoUrl).split('/');
  if (parts.length !== 2 || parts.some((part) => !part)) throw new ForgeError(`repository URL "${options.repoUrl}": a GitHub repository's is https://host/<owner>/<repo>.git`, 400);
  const [owner, repo] = parts as [string, string];
  const name = `GitHub ${owner}/${repo}`;
  const octokit = new Octokit({
    auth: options.token,
    baseUrl: options.api.href.replace(/\/+$/, ''),
    userAgent: 'rollouts-cv',
    // What went wrong is told in the step's message; the client logs nothing of its own.
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
  });
  const request = () => ({ request: { signal: AbortSignal.timeout(options.timeoutMs) } });

  const call = async <T>(doing: string, send: () => Promise<T>): Promise<T> => {
    try {
      return await send();
    } catch (error) {
      throw githubError(error, `${doing} in ${name}`, options);
    }
  };

  const find = async (head: string) => {
    const { data } = await call(`looking for the pull request from ${head}`, () => octokit.pulls.list({ owner, repo, head: `${owner}:${head}`, state: 'all', sort: 'created', direction: 'desc', per_page: 20, ...request() }));
    const pulls = (data as GithubPull[]).map(pullRequestOf);
    return pulls.find((pr) => pr.state !== 'closed') ?? pulls[0] ?? null;
  };
  const get = async (number: number) => pullRequestOf((await call(`reading pull request #${number}`, () => octokit.pulls.get({ owner, repo, pull_number: number, ...request() }))).data as GithubPull);

  return {
    name,
    label: (number) => `pull request #${number}`,
    find,
    get,
    async open({ head, base, title, body }) {
      try {
        return pullRequestOf((await octokit.pulls.create({ owner, repo, head, base, title, body, ...request() })).data as GithubPull);
      } catch (error) {
        // 422 "A pull request already exists for owner:head": an earlier attempt's answer was lost.
        const existing = isHttpError(error) && error.status === 422 && /already exists/i.test(forgeSays(error.response?.data, options.token)) ? await find(head) : null;
        if (existing) return existing;
        throw githubError(error, `opening a pull request from ${head} into ${base} in ${name}`, options);
      }
    },
    async merge(pr, method: MergeMethod) {
      try {
        const { data } = await octokit.pulls.merge({ owner, repo, pull_number: pr.number, sha: pr.headSha, merge_method: method, ...request() });
        return data.merged ? { merged: true, commit: data.sha } : { merged: false, why: 'refused', said: forgeSays(data, options.token) };
      } catch (error) {
        if (isHttpError(error) && (error.status === 405 || error.status === 409)) {
          return { merged: false, why: error.status === 405 ? 'refused' : 'headMoved', said: forgeSays(error.response?.data, options.token) };
        }
        throw githubError(error, `merging pull request #${pr.number} in ${name}`, options);
      }
    },
    async close(number) {
      return pullRequestOf((await call(`closing pull request #${number}`, () => octokit.pulls.update({ owner, repo, pull_number: number, state: 'closed', ...request() }))).data as GithubPull);
    },
  };
}

function githubError(error: unknown, doing: string, options: ForgeOptions): Error {
  // An answer the client could not read, say.
  if (!isHttpError(error)) return new Error(`${doing}: ${forgeSays(error instanceof Error ? error.message : String(error), options.token)}`);
  if (!error.response) return new ForgeError(`${doing}: no answer (${forgeSays(error.message, options.token)})`, undefined);
  const { status, response } = error;
  const said = forgeSays(response.data, options.token);
  const rateLimited = status === 403 && (response.headers['x-ratelimit-remaining'] === '0' || response.headers['retry-after'] !== undefined);
  return new ForgeError(`${doing}: ${status}${said ? ` (${said})` : ''}`, status, response.headers['retry-after'], rateLimited);
}
