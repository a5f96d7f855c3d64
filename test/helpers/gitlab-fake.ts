// GitLab's REST API (v4) for merge requests on loopback, for tests, as GitLab documents the calls a pull request step
// makes: list a project's merge requests by source branch (GET /projects/:id/merge_requests?source_branch=…), create
// one (POST → 201; 409 when one from that branch into that target is open already), show one (its
// detailed_merge_status: checking right after it is created, then mergeable, conflict, or what holds it back),
// accept one (PUT …/merge → 200 with merge_commit_sha; 405 when it is not open or cannot be merged yet, 406 "Branch
// cannot be merged" when it conflicts, 409 when `sha` is not the source branch's head), and close one (PUT with
// state_event=close). A project's id is its path, URL-encoded ("platform%2Frelease"). Requests need the token
// (PRIVATE-TOKEN, or Authorization: Bearer; 401 otherwise). The projects are the git server's repositories: an accept
// merges in the real bare repository (a merge commit; with squash, a squashed commit merged by one), and removes the
// source branch when asked. `hold` keeps a merge request unmergeable (a pipeline running) until it is released;
// `failNext` answers the next request with an error, and `loseNextAnswer` does what the next request of a method asks
// but answers it with an error, as when an answer is lost.
import { type FakeRequest, ForgeAnswer, forgeRepo, type ForgeRepo, startJsonServer } from './forge-fake.js';
import type { GitServer } from './git-server.js';

export interface FakeMergeRequest {
  iid: number;
  /** The project's path (the git server's repository of that name). */
  project: string;
  title: string;
  description: string | null;
  source: string;
  target: string;
  state: 'opened' | 'closed' | 'merged';
  /** The source branch's head when it was merged or closed (the branch may be gone since). */
  sha: string;
  mergeCommit: string | null;
  squashCommit: string | null;
  removeSource: boolean;
  /** Whether GitLab has looked at it since it was created (the first answer says "checking"). */
  checked: boolean;
}

export interface GitLabFake {
  /** The API's base URL, as apiUrl: http://127.0.0.1:port/api/v4 */
  url: string;
  token: string;
  mergeRequests: FakeMergeRequest[];
  requests: FakeRequest[];
  /** Keeps merge request `iid` (of any project, opened already or not) from being merged, with this detailed_merge_status. */
  hold(iid: number, status?: string): void;
  release(iid: number): void;
  /** The next request answers `status` (e.g. 503, or 429 with Retry-After), with `message` when given. */
  failNext(status: number, headers?: Record<string, string>, message?: string): void;
  /** The next request with `method` (POST: create, PUT: accept) is done, but answered `status` (e.g. 500): its answer is lost. */
  loseNextAnswer(method: string, status: number): void;
  close(): Promise<void>;
}

const answer = (status: number, message: unknown) => new ForgeAnswer(status, { message });

/** `token`: the token requests must carry (default a random one), e.g. the git server's, as one Secret holds both. */
export async function startGitLabFake(git: GitServer, options: { token?: string } = {}): Promise<GitLabFake> {
  const token = options.token ?? `glpat-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
  /** Merge request iids held back, with the detailed_merge_status they answer. */
  const held = new Map<number, string>();
  let clock = Date.parse('2026-12-05T10:00:00Z');
  const stamp = () => new Date((clock += 1000)).toISOString();

  const projectOf = (encoded: string): { path: string; ops: ForgeRepo } => {
    const path = decodeURIComponent(encoded);
    try {
      git.git(path, ['rev-parse', '--git-dir']);
    } catch {
      throw answer(404, '404 Project Not Found');
    }
    return { path, ops: forgeRepo(git, path) };
  };

  function json(mr: FakeMergeRequest, ops: ForgeRepo) {
    const sha = mr.state === 'opened' ? (ops.sha(mr.source) ?? mr.sha) : mr.sha;
    let detailed = 'checking';
    let conflicts = false;
    if (mr.state !== 'opened') detailed = 'not_open';
    else if (mr.checked) {
      conflicts = !ops.mergesCleanly(mr.target, mr.source);
      detailed = conflicts ? 'conflict' : (held.get(mr.iid) ?? 'mergeable');
    }
    mr.checked = true;
    return {
      id: 5000 + mr.iid,
      iid: mr.iid,
      project_id: 42,
      title: mr.title,
      description: mr.description,
      state: mr.state,
      created_at: stamp(),
      source_branch: mr.source,
      target_branch: mr.target,
      sha,
      merge_commit_sha: mr.mergeCommit,
      squash_commit_sha: mr.squashCommit,
      merge_status: detailed === 'mergeable' ? 'can_be_merged' : detailed === 'checking' ? 'checking' : 'cannot_be_merged',
      detailed_merge_status: detailed,
      has_conflicts: conflicts,
      draft: false,
      should_remove_source_branch: null,
      force_remove_source_branch: mr.removeSource,
      web_url: `https://gitlab.example/${mr.project}/-/merge_requests/${mr.iid}`,
    };
  }

  function handle(request: FakeRequest): { status?: number; body: unknown } {
    const auth = request.headers['private-token'] ?? request.headers.authorization;
    if (auth !== token && auth !== `Bearer ${token}`) throw answer(401, '401 Unauthorized');
    // The raw path: the project id's "%2F" must not be taken for a "/".
    const match = /^\/api\/v4\/projects\/([^/]+)\/merge_requests(?:\/(\d+)(\/merge)?)?$/.exec(request.path);
    if (!match) throw answer(404, '404 Not Found');
    const [, encoded, iid, merge] = match as unknown as [string, string, string | undefined, string | undefined];
    const { path, ops } = projectOf(encoded);
    const body = (request.body ?? {}) as Record<string, unknown>;

    if (!iid && request.method === 'GET') {
      const q = request.query;
      const state = q.get('state') ?? 'all';
      const perPage = Math.min(Number(q.get('per_page') ?? 20) || 20, 100);
      const found = fake.mergeRequests
        .filter((mr) => mr.project === path && (!q.get('source_branch') || mr.source === q.get('source_branch')) && (!q.get('target_branch') || mr.target === q.get('target_branch')) && (state === 'all' || mr.state === state))
        .sort((a, b) => (q.get('sort') === 'asc' ? a.iid - b.iid : b.iid - a.iid));
      return { body: found.slice(0, perPage).map((mr) => json(mr, ops)) };
    }
    if (!iid && request.method === 'POST') {
      const { source_branch: source, target_branch: target, title } = body;
      if (typeof source !== 'string' || typeof target !== 'string' || typeof title !== 'string' || !title) throw answer(400, `${typeof title !== 'string' ? 'title' : 'source_branch'} is missing`);
      if (!ops.sha(source)) throw answer(422, [`Source branch "${source}" does not exist`]);
      if (!ops.sha(target)) throw answer(422, [`Target branch "${target}" does not exist`]);
      const open = fake.mergeRequests.find((mr) => mr.project === path && mr.source === source && mr.target === target && mr.state === 'opened');
      if (open) throw answer(409, [`Another open merge request already exists for this source branch: !${open.iid}`]);
      const mr: FakeMergeRequest = {
        iid: fake.mergeRequests.filter((m) => m.project === path).length + 1,
        project: path,
        title,
        description: typeof body.description === 'string' ? body.description : null,
        source,
        target,
        state: 'opened',
        sha: ops.sha(source)!,
        mergeCommit: null,
        squashCommit: null,
        removeSource: body.remove_source_branch === true,
        checked: false,
      };
      fake.mergeRequests.push(mr);
      return { status: 201, body: json(mr, ops) };
    }
    const mr = fake.mergeRequests.find((m) => m.project === path && m.iid === Number(iid));
    if (!mr) throw answer(404, '404 Not found');
    if (!merge && request.method === 'GET') return { body: json(mr, ops) };
    if (!merge && request.method === 'PUT') {
      if (body.state_event === 'close' && mr.state === 'opened') {
        mr.sha = ops.sha(mr.source) ?? mr.sha;
        mr.state = 'closed';
      }
      if (typeof body.title === 'string') mr.title = body.title;
      return { body: json(mr, ops) };
    }
    if (merge && request.method === 'PUT') return { body: accept(mr, ops, body) };
    throw answer(405, '405 Method Not Allowed');
  }

  function accept(mr: FakeMergeRequest, ops: ForgeRepo, body: Record<string, unknown>) {
    if (mr.state !== 'opened' || held.has(mr.iid) || !mr.checked) throw answer(405, '405 Method Not Allowed');
    const head = ops.sha(mr.source)!;
    if (body.sha !== undefined && body.sha !== head) throw answer(409, `SHA does not match HEAD of source branch: ${head}`);
    if (!ops.mergesCleanly(mr.target, mr.source)) throw answer(406, 'Branch cannot be merged');
    const mergeMessage = `Merge branch '${mr.source}' into '${mr.target}'\n\n${mr.title}\n\nSee merge request ${mr.project}!${mr.iid}`;
    const merged = body.squash === true ? ops.merge(mr.target, mr.source, { method: 'squash', message: mr.title, mergeMessage }) : ops.merge(mr.target, mr.source, { method: 'merge', message: mergeMessage });
    mr.state = 'merged';
    mr.sha = head;
    mr.mergeCommit = merged.commit;
    mr.squashCommit = merged.squashed ?? null;
    if (mr.removeSource || body.should_remove_source_branch === true) ops.deleteBranch(mr.source);
    return json(mr, ops);
  }

  const error = (status: number, message?: string) => ({ message: message ?? (status === 429 ? 'Retry later' : `${status} Server Error`) });
  const server = await startJsonServer(handle);
  const fake: GitLabFake = {
    url: `${server.url}/api/v4`,
    token,
    mergeRequests: [],
    requests: server.requests,
    hold: (iid, status = 'ci_still_running') => void held.set(iid, status),
    release: (iid) => void held.delete(iid),
    failNext: (status, headers = {}, message) => server.failNext(status, error(status, message), headers),
    loseNextAnswer: (method, status) => server.loseNextAnswer(method, status, error(status)),
    close: () => server.close(),
  };
  return fake;
}
