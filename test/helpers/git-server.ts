// A real git server on loopback for tests: Git's own smart-HTTP CGI program (git http-backend) behind a Node HTTP
// server, serving bare repositories under a temporary folder. Pushes need HTTP basic auth with the server's token, as
// a forge's HTTPS token does; `beforePush` lets a test move a branch just before a push lands (a concurrent
// release) to see a non-fast-forward rejection handled, and `afterPush` acts once a push has landed but before the
// pusher hears so (e.g. kills it, to see that its successor does not push the same change again).
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const HTTP_BACKEND = '/usr/lib/git-core/git-http-backend';

export interface GitServer {
  /** http://127.0.0.1:port/<name>.git */
  url(name: string): string;
  /** The user and token a push must present. */
  credentials: { username: string; password: string };
  /** Creates a bare repository with `files` committed on `branch`; returns its URL. */
  createRepo(name: string, files: Record<string, string>, branch?: string): string;
  /** Runs git on the bare repository, e.g. `log` or `show` to check what was pushed. */
  git(name: string, args: string[]): string;
  /** Commits `files` (text, or `{ symlink: target }`) on `branch` as someone else would; returns the commit id. */
  commit(name: string, files: Record<string, string | { symlink: string }>, message: string, branch?: string): string;
  /** Called once before the next push is handed to git (awaited). */
  beforePush?: (() => void | Promise<void>) | undefined;
  /** Called once after the next push has been handed to git and git has finished, before the answer ends (awaited). */
  afterPush?: (() => void | Promise<void>) | undefined;
  /** Pushes received (git-receive-pack POSTs), authorised or not. */
  pushes: number;
  close(): Promise<void>;
}

const IDENTITY = ['-c', 'user.name=Release Bot', '-c', 'user.email=release@example.invalid'];

export async function startGitServer(): Promise<GitServer> {
  const root = mkdtempSync(join(tmpdir(), 'rcv-git-'));
  const repos = join(root, 'repos');
  const credentials = { username: 'release-bot', password: `token-${Math.random().toString(36).slice(2)}` };
  const expected = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const pushing = url.pathname.endsWith('/git-receive-pack') || url.searchParams.get('service') === 'git-receive-pack';
    if (url.pathname.endsWith('/git-receive-pack')) server.pushes++;
    if (pushing && request.headers.authorization !== expected) {
      response.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' }).end('authentication required\n');
      return;
    }
    if (url.pathname.endsWith('/git-receive-pack') && server.beforePush) {
      const hook = server.beforePush;
      server.beforePush = undefined;
      await hook();
    }
    const cgi = spawn(HTTP_BACKEND, [], {
      env: {
        GIT_PROJECT_ROOT: repos,
        GIT_HTTP_EXPORT_ALL: '1',
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.slice(1),
        REQUEST_METHOD: request.method ?? 'GET',
        CONTENT_TYPE: request.headers['content-type'] ?? '',
        ...(request.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: request.headers['content-encoding'] } : {}),
        ...(pushing ? { REMOTE_USER: credentials.username } : {}),
        REMOTE_ADDR: '127.0.0.1',
      },
    });
    request.pipe(cgi.stdin);
    // CGI output: headers, a blank line, then the body.
    let head = Buffer.alloc(0);
    let started = false;
    cgi.stdout.on('data', (chunk: Buffer) => {
      if (started) return void response.write(chunk);
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      started = true;
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
        const [name, ...value] = line.split(':');
        if (name!.toLowerCase() === 'status') status = Number.parseInt(value.join(':').trim(), 10);
        else headers[name!] = value.join(':').trim();
      }
      response.writeHead(status, headers);
      response.write(head.subarray(end + 4));
    });
    cgi.on('close', () => {
      const end = () => (started ? response.end() : response.writeHead(500).end('git http-backend failed\n'));
      const hook = url.pathname.endsWith('/git-receive-pack') ? server.afterPush : undefined;
      if (!hook) return void end();
      server.afterPush = undefined;
      // A hook that failed cuts the answer off: the pusher does not hear that its push landed.
      Promise.resolve().then(hook).then(end, (error: unknown) => response.destroy(error instanceof Error ? error : new Error(String(error))));
    });
  };

  const httpServer = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => response.writeHead(500).end(String(error)));
  });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const { port } = httpServer.address() as AddressInfo;
  const url = (name: string) => `http://127.0.0.1:${port}/${name}.git`;

  const commitTo = (name: string, files: Record<string, string | { symlink: string }>, message: string, branch: string, existing: boolean): string => {
    const bare = join(repos, `${name}.git`);
    const work = mkdtempSync(join(root, 'work-'));
    try {
      if (existing) execFileSync('git', ['clone', '-q', '--branch', branch, bare, work]);
      else execFileSync('git', ['init', '-q', `--initial-branch=${branch}`, work]);
      for (const [path, text] of Object.entries(files)) {
        mkdirSync(dirname(join(work, path)), { recursive: true });
        if (typeof text === 'string') writeFileSync(join(work, path), text);
        else symlinkSync(text.symlink, join(work, path));
      }
      execFileSync('git', [...IDENTITY, '-C', work, 'add', '-A']);
      execFileSync('git', [...IDENTITY, '-C', work, 'commit', '-q', '-m', message]);
      execFileSync('git', ['-C', work, 'push', '-q', bare, `HEAD:refs/heads/${branch}`]);
      return execFileSync('git', ['-C', work, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  };

  const server: GitServer = {
    url,
    credentials,
    pushes: 0,
    createRepo(name, files, branch = 'main') {
      execFileSync('git', ['init', '-q', '--bare', `--initial-branch=${branch}`, join(repos, `${name}.git`)]);
      commitTo(name, files, 'Initial release repository', branch, false);
      return url(name);
    },
    git: (name, args) => execFileSync('git', ['--git-dir', join(repos, `${name}.git`), ...args], { encoding: 'utf8' }),
    commit: (name, files, message, branch = 'main') => commitTo(name, files, message, branch, true),
    close: async () => {
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
      rmSync(root, { recursive: true, force: true });
    },
  };
  return server;
}
