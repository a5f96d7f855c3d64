// What the GitHub and GitLab fakes (github-fake.ts, gitlab-fake.ts) share: a JSON HTTP server on loopback that logs
// every request, can be told to fail the next ones (a 5xx, a 429 with Retry-After), and turns a thrown ForgeAnswer
// into the forge's error answer; and the git work a forge does on the real bare repositories of git-server.ts —
// resolve a branch, tell whether two branches merge cleanly (git merge-tree, as a forge's mergeability check), and
// merge, squash or rebase one into another in a temporary worktree, moving the target branch only if nobody moved
// it meanwhile. Tests then check the result with git itself.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GitServer } from './git-server.js';
import { readJsonBody } from './json-body.js';

/** An error answer: the forge's status, body and headers. */
export class ForgeAnswer extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(`forge ${status}`);
  }
}

export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export interface JsonServer {
  url: string;
  /** Every request, authorised or not, in order. */
  requests: FakeRequest[];
  /** Makes the next request (whatever it is) answer `status` with this body and headers. */
  failNext(status: number, body: unknown, headers?: Record<string, string>): void;
  /** Does what the next request with `method` asks, then answers `status` instead: an effect whose answer was lost. */
  loseNextAnswer(method: string, status: number, body: unknown): void;
  close(): Promise<void>;
}

const readJson = (request: IncomingMessage): Promise<unknown> => readJsonBody(request, () => new ForgeAnswer(400, { message: 'Problems parsing JSON' }));

/** A server answering `handle`'s JSON (status 200 unless it returns another); a thrown ForgeAnswer is answered as is. */
export async function startJsonServer(handle: (request: FakeRequest) => { status?: number; body: unknown } | Promise<{ status?: number; body: unknown }>): Promise<JsonServer> {
  const failures: { status: number; body: unknown; headers: Record<string, string> }[] = [];
  const losses: { method: string; status: number; body: unknown }[] = [];
  const send = (response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) =>
    void response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(body));
  const server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      const fakeRequest: FakeRequest = { method: request.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: request.headers, body: undefined };
      json.requests.push(fakeRequest);
      fakeRequest.body = await readJson(request);
      const failure = failures.shift();
      if (failure) throw new ForgeAnswer(failure.status, failure.body, failure.headers);
      const answer = await handle(fakeRequest);
      const lost = losses.findIndex((loss) => loss.method === fakeRequest.method);
      if (lost >= 0) send(response, losses[lost]!.status, losses.splice(lost, 1)[0]!.body);
      else send(response, answer.status ?? 200, answer.body);
    })().catch((error: unknown) => {
      if (error instanceof ForgeAnswer) send(response, error.status, error.body, error.headers);
      else send(response, 500, { message: `Internal server error: ${String(error)}` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const json: JsonServer = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: [],
    failNext: (status, body, headers = {}) => void failures.push({ status, body, headers }),
    loseNextAnswer: (method, status, body) => void losses.push({ method, status, body }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return json;
}

const IDENTITY = ['-c', 'user.name=Forge', '-c', 'user.email=forge@example.invalid'];

/** The git work of a forge on one bare repository of the git server. */
export interface ForgeRepo {
  /** The branch's commit, or null when there is no such branch. */
  sha(branch: string): string | null;
  /** Whether `commit` is reachable from `from`. */
  contains(from: string, commit: string): boolean;
  /** Whether `head` merges into `base` without conflicts. */
  mergesCleanly(base: string, head: string): boolean;
  /**
   * Brings `head` into `base`: a merge commit, one squashed commit (then, with `mergeMessage`, merged by a merge
   * commit too, as GitLab does), or `head`'s commits replayed on `base`. Returns the new tip of `base` and the
   * squashed commit; throws when it conflicts.
   */
  merge(base: string, head: string, how: { method: 'merge' | 'squash' | 'rebase'; message: string; mergeMessage?: string }): { commit: string; squashed?: string };
  deleteBranch(branch: string): void;
}

export function forgeRepo(git: GitServer, name: string): ForgeRepo {
  const run = (args: string[]) => git.git(name, args).trim();
  const ok = (args: string[]) => {
    try {
      git.git(name, args);
      return true;
    } catch {
      return false;
    }
  };
  const sha = (branch: string) => (ok(['rev-parse', '--verify', '-q', `refs/heads/${branch}`]) ? run(['rev-parse', `refs/heads/${branch}`]) : null);
  return {
    sha,
    contains: (from, commit) => ok(['merge-base', '--is-ancestor', commit, from]),
    // git merge-tree --write-tree (git 2.38+): exit status 1 when the merge conflicts, and no worktree needed.
    mergesCleanly: (base, head) => ok(['merge-tree', '--write-tree', `refs/heads/${base}`, `refs/heads/${head}`]),
    merge(base, head, how) {
      const before = sha(base)!;
      const work = join(mkdtempSync(join(tmpdir(), 'rcv-forge-')), 'worktree');
      run(['worktree', 'add', '-q', '--detach', work, before]);
      const inWork = (args: string[]) => execFileSync('git', [...IDENTITY, '-C', work, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
      try {
        let squashed: string | undefined;
        if (how.method === 'merge') inWork(['merge', '--no-ff', '-q', '-m', how.message, `refs/heads/${head}`]);
        else if (how.method === 'squash') {
          inWork(['merge', '--squash', '-q', `refs/heads/${head}`]);
          inWork(['commit', '-q', '--allow-empty', '-m', how.message]);
          if (how.mergeMessage) {
            squashed = inWork(['rev-parse', 'HEAD']);
            inWork(['checkout', '-q', '--detach', before]);
            inWork(['merge', '--no-ff', '-q', '-m', how.mergeMessage, squashed]);
          }
        } else {
          inWork(['checkout', '-q', '--detach', `refs/heads/${head}`]);
          inWork(['rebase', '-q', before]);
        }
        const commit = inWork(['rev-parse', 'HEAD']);
        // Moves the branch only from where the merge started, as a forge does.
        run(['update-ref', `refs/heads/${base}`, commit, before]);
        return { commit, ...(squashed && { squashed }) };
      } finally {
        run(['worktree', 'remove', '--force', work]);
        rmSync(join(work, '..'), { recursive: true, force: true });
      }
    },
    deleteBranch: (branch) => void run(['update-ref', '-d', `refs/heads/${branch}`]),
  };
}
