// GitHub's REST API for pull requests on loopback, for tests, as GitHub documents the calls a pull request step
// makes: list pull requests by head (GET /repos/{owner}/{repo}/pulls?head=owner:branch&state=…), create one (POST →
// 201; 422 "Validation Failed" when one from that head is open already, or when the head has no commits the base
// lacks), get one (mergeable null until GitHub has looked, then true/false with mergeable_state clean, dirty or
// blocked), merge one (PUT …/merge → 200 {sha, merged, message}; 405 "Pull Request is not mergeable"; 409 "Head
// branch was modified" when `sha` is not the head), and close one (PATCH {state: closed}). Requests need the token
// (Authorization: token … or Bearer …; 401 "Bad credentials" otherwise). The repositories are the git server's: a
// merge is made in the real bare repository, so tests check it with git. `hold` keeps a pull request unmergeable
// (checks running) until it is released; `failNext` answers the next request with an error, and `loseNextAnswer`
// does what the next request of a method asks but answers it with an error, as when an answer is lost.
import { type FakeRequest, ForgeAnswer, forgeRepo, type ForgeRepo, startJsonServer } from './forge-fake.js';
import type { GitServer } from './git-server.js';

export interface FakePull {
  number: number;
  /** The repository, "owner/repo" (the git server's repository of that name). */
  repo: string;
  title: string;
  body: string | null;
  head: string;
  base: string;
  state: 'open' | 'closed';
  mergedAt: string | null;
  mergeCommit: string | null;
  /** Whether GitHub has looked at its mergeability since it changed (the first read after that answers null). */
  checked: boolean;
}

export interface GitHubFake {
  /** The API's base URL, as apiUrl. */
  url: string;
  token: string;
  pulls: FakePull[];
  requests: FakeRequest[];
  /** Keeps pull request `number` (of any repository, opened already or not) from being merged, as a required check or review would, with this mergeable_state. */
  hold(number: number, mergeableState?: string): void;
  release(number: number): void;
  /** The next request answers `status` (e.g. 502, or 429 with Retry-After), with `message` when given. */
  failNext(status: number, headers?: Record<string, string>, message?: string): void;
  /** The next request with `method` (POST: create, PUT: merge) is done, but answered `status` (e.g. 500): its answer is lost. */
  loseNextAnswer(method: string, status: number): void;
  close(): Promise<void>;
}

const DOCS = 'https://docs.github.com/rest';
const notFound = () => new ForgeAnswer(404, { message: 'Not Found', documentation_url: DOCS, status: '404' });
const invalid = (errors: unknown[]) => new ForgeAnswer(422, { message: 'Validation Failed', errors, documentation_url: `${DOCS}/pulls/pulls#create-a-pull-request`, status: '422' });

/** `token`: the token requests must carry (default a random one), e.g. the git server's, as one Secret holds both. */
export async function startGitHubFake(git: GitServer, options: { token?: string } = {}): Promise<GitHubFake> {
  const token = options.token ?? `ghp_${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
  /** Pull request numbers held back, with the mergeable_state they answer. */
  const held = new Map<number, string>();
  let clock = Date.parse('2026-12-05T10:00:00Z');
  const stamp = () => new Date((clock += 1000)).toISOString().replace(/\.\d+Z$/, 'Z');

  const repoOf = (owner: string, repo: string): ForgeRepo => {
    const ops = forgeRepo(git, `${owner}/${repo}`);
    try {
      git.git(`${owner}/${repo}`, ['rev-parse', '--git-dir']);
    } catch {
      throw notFound();
    }
    return ops;
  };
  const pullOf = (repo: string, number: number): FakePull => {
    const pull = fake.pulls.find((p) => p.repo === repo && p.number === number);
    if (!pull) throw notFound();
    return pull;
  };

  function json(pull: FakePull, ops: ForgeRepo, detailed: boolean) {
    const [owner] = pull.repo.split('/') as [string];
    const headSha = ops.sha(pull.head) ?? pull.mergeCommit ?? '';
    const merged = pull.mergedAt !== null;
    let mergeable: boolean | null = null;
    let mergeableState = 'unknown';
    if (pull.state === 'open' && pull.checked) {
      mergeable = ops.mergesCleanly(pull.base, pull.head);
      mergeableState = !mergeable ? 'dirty' : (held.get(pull.number) ?? 'clean');
    }
    if (detailed) pull.checked = true;
    return {
      url: `${fake.url}/repos/${pull.repo}/pulls/${pull.number}`,
      id: 1000 + pull.number,
      number: pull.number,
      state: pull.state,
      locked: false,
      title: pull.title,
      body: pull.body,
      html_url: `https://github.example/${pull.repo}/pull/${pull.number}`,
      head: { label: `${owner}:${pull.head}`, ref: pull.head, sha: headSha },
      base: { label: `${owner}:${pull.base}`, ref: pull.base, sha: ops.sha(pull.base) },
      draft: false,
      merged_at: pull.mergedAt,
      merge_commit_sha: pull.mergeCommit,
      ...(detailed && { merged, mergeable, mergeable_state: mergeableState }),
    };
  }

  function handle(request: FakeRequest): { status?: number; body: unknown } {
    const auth = request.headers.authorization ?? '';
    if (auth !== `token ${token}` && auth !== `Bearer ${token}`) throw new ForgeAnswer(401, { message: 'Bad credentials', documentation_url: DOCS, status: '401' });
    const match = /^\/repos\/([^/]+)\/([^/]+)\/pulls(?:\/(\d+)(\/merge)?)?$/.exec(request.path);
    if (!match) throw notFound();
    const [, owner, name, number, merge] = match as unknown as [string, string, string, string | undefined, string | undefined];
    const repo = `${owner}/${name}`;
    const ops = repoOf(owner, name);
    const body = (request.body ?? {}) as Record<string, unknown>;

    if (!number && request.method === 'GET') {
      const head = request.query.get('head');
      const state = request.query.get('state') ?? 'open';
      const perPage = Math.min(Number(request.query.get('per_page') ?? 30) || 30, 100);
      const found = fake.pulls
        .filter((p) => p.repo === repo && (!head || `${owner}:${p.head}` === head) && (state === 'all' || p.state === state))
        .sort((a, b) => (request.query.get('direction') === 'asc' ? a.number - b.number : b.number - a.number));
      return { body: found.slice(0, perPage).map((p) => json(p, ops, false)) };
    }
    if (!number && request.method === 'POST') {
      const { head, base, title } = body;
      if (typeof head !== 'string' || typeof base !== 'string' || typeof title !== 'string' || !title) throw invalid([{ resource: 'PullRequest', code: 'missing_field', field: typeof title !== 'string' ? 'title' : 'head' }]);
      const headRef = head.includes(':') ? head.split(':')[1]! : head;
      if (!ops.sha(headRef)) throw invalid([{ resource: 'PullRequest', field: 'head', code: 'invalid' }]);
      if (!ops.sha(base)) throw invalid([{ resource: 'PullRequest', field: 'base', code: 'invalid' }]);
      if (fake.pulls.some((p) => p.repo === repo && p.head === headRef && p.base === base && p.state === 'open')) {
        throw invalid([{ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${owner}:${headRef}.` }]);
      }
      if (ops.contains(base, ops.sha(headRef)!)) throw invalid([{ resource: 'PullRequest', code: 'custom', message: `No commits between ${base} and ${headRef}` }]);
      const pull: FakePull = { number: fake.pulls.filter((p) => p.repo === repo).length + 1, repo, title, body: typeof body.body === 'string' ? body.body : null, head: headRef, base, state: 'open', mergedAt: null, mergeCommit: null, checked: false };
      fake.pulls.push(pull);
      return { status: 201, body: json(pull, ops, true) };
    }
    const pull = pullOf(repo, Number(number));
    if (!merge && request.method === 'GET') return { body: json(pull, ops, true) };
    if (!merge && request.method === 'PATCH') {
      if (body.state === 'closed' || body.state === 'open') pull.state = body.state;
      if (typeof body.title === 'string') pull.title = body.title;
      return { body: json(pull, ops, true) };
    }
    if (merge && request.method === 'PUT') return { body: mergePull(pull, ops, body) };
    throw notFound();
  }

  function mergePull(pull: FakePull, ops: ForgeRepo, body: Record<string, unknown>) {
    const method = body.merge_method ?? 'merge';
    if (method !== 'merge' && method !== 'squash' && method !== 'rebase') throw invalid([{ resource: 'PullRequest', field: 'merge_method', code: 'invalid' }]);
    const notMergeable = () => new ForgeAnswer(405, { message: 'Pull Request is not mergeable', documentation_url: `${DOCS}/pulls/pulls#merge-a-pull-request`, status: '405' });
    if (pull.state !== 'open' || held.has(pull.number) || !ops.mergesCleanly(pull.base, pull.head)) throw notMergeable();
    const headSha = ops.sha(pull.head);
    if (body.sha !== undefined && body.sha !== headSha) throw new ForgeAnswer(409, { message: 'Head branch was modified. Review and try the merge again.', documentation_url: DOCS, status: '409' });
    const [owner] = pull.repo.split('/') as [string];
    const message = method === 'merge' ? `Merge pull request #${pull.number} from ${owner}/${pull.head}\n\n${pull.title}` : `${pull.title} (#${pull.number})`;
    const { commit } = ops.merge(pull.base, pull.head, { method, message });
    pull.state = 'closed';
    pull.mergedAt = stamp();
    pull.mergeCommit = commit;
    return { sha: commit, merged: true, message: 'Pull Request successfully merged' };
  }

  const error = (status: number, message?: string) => ({ message: message ?? (status === 429 ? 'API rate limit exceeded' : 'Server Error'), documentation_url: DOCS, status: String(status) });
  const server = await startJsonServer(handle);
  const fake: GitHubFake = {
    url: server.url,
    token,
    pulls: [],
    requests: server.requests,
    hold: (number, mergeableState = 'blocked') => void held.set(number, mergeableState),
    release: (number) => void held.delete(number),
    failNext: (status, headers = {}, message) => server.failNext(status, error(status, message), headers),
    loseNextAnswer: (method, status) => server.loseNextAnswer(method, status, error(status)),
    close: () => server.close(),
  };
  return fake;
}
