// GitLab's merge requests through @gitbeaker/rest: list by source branch, create (asking GitLab to remove the
// source branch once merged), show, accept (with the head's sha, so that a head moved meanwhile is not merged
// unseen), close. GitLab answers an accept with 405 when the merge request cannot be merged now (a pipeline,
// approvals, a draft: its detailed_merge_status tells which), 406 or 422 when it conflicts, and 409 when its head
// moved. The project is the clone URL's path, without the instance's relative root when it has one.
import { GitbeakerRequestError, GitbeakerRetryError, GitbeakerTimeoutError, MergeRequests } from '@gitbeaker/rest';
import { formatDuration } from '../../config/duration.js';
import { type Forge, ForgeError, type ForgeOptions, forgeSays, type MergeMethod, type PullRequest, repositoryPath } from './forge.js';

interface GitlabMergeRequest {
  iid: number;
  web_url: string;
  state: string;
  sha: string;
  merge_commit_sha?: string | null;
  squash_commit_sha?: string | null;
  has_conflicts?: boolean;
  detailed_merge_status?: string;
}

/** detailed_merge_status values of a merge request GitLab is still looking at. */
const CHECKING = ['checking', 'unchecked', 'preparing', 'approvals_syncing'];

function pullRequestOf(mr: GitlabMergeRequest): PullRequest {
  const detail = mr.detailed_merge_status ?? 'unknown';
  const merged = mr.state === 'merged';
  let mergeable: PullRequest['mergeable'] = 'blocked';
  if (mr.has_conflicts || detail === 'conflict') mergeable = 'conflict';
  else if (detail === 'mergeable') mergeable = 'yes';
  else if (detail === 'unknown' || CHECKING.includes(detail)) mergeable = 'unknown';
  // Fast-forward merges make no merge commit: the head itself is then on the target branch.
  const mergeCommit = mr.merge_commit_sha ?? mr.squash_commit_sha ?? mr.sha;
  return {
    number: mr.iid,
    url: mr.web_url,
    state: merged ? 'merged' : mr.state === 'opened' || mr.state === 'locked' ? 'open' : 'closed',
    headSha: mr.sha,
    ...(merged && mergeCommit && { mergeCommit }),
    mergeable,
    detail,
  };
}

/** The project's path: the clone URL's, less the instance's relative root (https://host/gitlab/api/v4 → "gitlab/"). */
function projectPath(options: ForgeOptions): string {
  const path = repositoryPath(options.repoUrl);
  const root = options.api.pathname.replace(/\/api\/v4\/?$/, '').replace(/^\/+/, '');
  return root && /^https?:\/\//.test(options.repoUrl) && path.startsWith(`${root}/`) ? path.slice(root.length + 1) : path;
}

export function gitlabForge(options: ForgeOptions): Forge {
  const project = projectPath(options);
  const name = `GitLab ${project}`;
  // The personal, project or group access token as OAuth-style bearer: fetch drops it on a redirect to another host.
  const api = new MergeRequests({ host: options.api.href.replace(/\/api\/v4\/?$/, ''), oauthToken: options.token, queryTimeout: options.timeoutMs });

  const call = async <T>(doing: string, send: () => Promise<T>): Promise<T> => {
    try {
      return await send();
    } catch (error) {
      throw gitlabError(error, `${doing} in ${name}`, options);
    }
  };
  const find = async (head: string) => {
    const found = (await call(`looking for the merge request from ${head}`, () => api.all({ projectId: project, sourceBranch: head, orderBy: 'created_at', sort: 'desc', page: 1, perPage: 20 }))) as unknown as GitlabMergeRequest[];
    const requests = found.map(pullRequestOf);
    return requests.find((mr) => mr.state !== 'closed') ?? requests[0] ?? null;
  };

  return {
    name,
    label: (number) => `merge request !${number}`,
    find,
    async get(number) {
      return pullRequestOf((await call(`reading merge request !${number}`, () => api.show(project, number))) as unknown as GitlabMergeRequest);
    },
    async open({ head, base, title, body }) {
      try {
        return pullRequestOf((await api.create(project, head, base, title, { description: body, removeSourceBranch: true })) as unknown as GitlabMergeRequest);
      } catch (error) {
        // 409 "Another open merge request already exists for this source branch": an earlier attempt's answer was lost.
        const existing = statusOf(error) === 409 ? await find(head) : null;
        if (existing) return existing;
        throw gitlabError(error, `opening a merge request from ${head} into ${base} in ${name}`, options);
      }
    },
    async merge(pr, method: MergeMethod) {
      try {
        const merged = pullRequestOf((await api.accept(project, pr.number, { sha: pr.headSha, squash: method === 'squash' })) as unknown as GitlabMergeRequest);
        if (merged.state === 'merged' && merged.mergeCommit) return { merged: true, commit: merged.mergeCommit };
        return { merged: false, why: 'refused', said: `the merge request is ${merged.state} (${merged.detail})` };
      } catch (error) {
        const status = statusOf(error);
        const why = status === 405 ? 'refused' : status === 406 || status === 422 ? 'conflict' : status === 409 ? 'headMoved' : undefined;
        if (why) return { merged: false, why, said: forgeSays((error as GitbeakerRequestError).cause?.description, options.token) };
        throw gitlabError(error, `merging merge request !${pr.number} in ${name}`, options);
      }
    },
    async close(number) {
      return pullRequestOf((await call(`closing merge request !${number}`, () => api.edit(project, number, { stateEvent: 'close' }))) as unknown as GitlabMergeRequest);
    },
  };
}

const statusOf = (error: unknown): number | undefined => (error instanceof GitbeakerRequestError ? error.cause?.response.status : undefined);

function gitlabError(error: unknown, doing: string, options: ForgeOptions): Error {
  if (error instanceof GitbeakerRequestError && error.cause) {
    const { status, headers } = error.cause.response;
    const said = forgeSays(error.cause.description, options.token);
    return new ForgeError(`${doing}: ${status}${said ? ` (${said})` : ''}`, status, headers.get('retry-after') ?? undefined);
  }
  if (error instanceof GitbeakerTimeoutError) return new ForgeError(`${doing}: no answer within ${formatDuration(options.timeoutMs)}`, undefined);
  // The client tried a 429 or 502 again at once, several times; the step tries again later.
  if (error instanceof GitbeakerRetryError) return new ForgeError(`${doing}: ${forgeSays(error.message, options.token)}`, Number(/status code: (\d+)/.exec(error.message)?.[1] ?? 503));
  // fetch's own failure: no connection, no answer.
  if (error instanceof TypeError && error.cause instanceof Error) return new ForgeError(`${doing}: no answer (${(error.cause as { code?: string }).code ?? forgeSays(error.cause.message, options.token)})`, undefined);
  // An answer the client could not read (not JSON where it said JSON, say).
  return new Error(`${doing}: ${forgeSays(error instanceof Error ? error.message : String(error), options.token)}`);
}
