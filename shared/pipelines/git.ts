// Running the git program for a release repository: credentials passed through the environment (never on a
// command line other users can read, never in a URL), no prompt, no user or system configuration, a time limit,
// and errors that say what git said without the secret.
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** How to reach a release repository: an HTTPS token (basic auth), an SSH key with the host's key, or nothing. */
export type GitCredentials =
  | { kind: 'token'; username: string; token: string }
  | { kind: 'ssh'; privateKey: string; knownHosts: string }
  | { kind: 'none' };

export class GitError extends Error {
  override name = 'GitError';
  constructor(
    message: string,
    /** What git wrote to stderr, secrets removed. */
    readonly stderr: string,
  ) {
    super(message);
  }
}

const TIMEOUT_MS = 120_000;
const OUTPUT_MAX = 16 * 1024 * 1024;

/** A folder to work in, with the credentials set up for every git command run in it; `close` removes both. */
export interface GitSession {
  dir: string;
  run(args: readonly string[]): Promise<string>;
  close(): Promise<void>;
}

export async function openSession(credentials: GitCredentials): Promise<GitSession> {
  const base = await mkdtemp(join(tmpdir(), 'rollouts-cv-git-'));
  const dir = join(base, 'repo');
  const secrets: string[] = [];
  // Only what git needs: no user's ~/.gitconfig or /etc/gitconfig can add hooks, helpers or rewrite URLs.
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: base,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    GIT_SSH_COMMAND: 'ssh -o BatchMode=yes',
    LANG: 'C',
  };
  const config: [string, string][] = [['protocol.file.allow', 'never']];
  if (credentials.kind === 'token') {
    const basic = Buffer.from(`${credentials.username}:${credentials.token}`).toString('base64');
    config.push(['http.extraHeader', `Authorization: Basic ${basic}`]);
    secrets.push(credentials.token, basic);
  } else if (credentials.kind === 'ssh') {
    const key = join(base, 'id');
    const hosts = join(base, 'known_hosts');
    await writeFile(key, credentials.privateKey.endsWith('\n') ? credentials.privateKey : `${credentials.privateKey}\n`, { mode: 0o600 });
    await writeFile(hosts, credentials.knownHosts, { mode: 0o600 });
    await chmod(key, 0o600);
    env.GIT_SSH_COMMAND = `ssh -o BatchMode=yes -o IdentitiesOnly=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=${hosts} -i ${key}`;
  }
  // GIT_CONFIG_COUNT/KEY/VALUE: configuration through the environment, which other users cannot read.
  env.GIT_CONFIG_COUNT = String(config.length);
  config.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  const redact = (text: string) => secrets.reduce((out, secret) => out.split(secret).join('***'), text);

  const exec = (args: readonly string[]) =>
    new Promise<string>((resolve, reject) => {
      execFile('git', args, { env, timeout: TIMEOUT_MS, maxBuffer: OUTPUT_MAX, encoding: 'utf8' }, (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const said = redact(stderr.trim());
        const why = error.killed ? `timed out after ${TIMEOUT_MS / 1000} s` : said.split('\n').slice(-3).join(' / ') || error.message;
        const command = args.find((arg, i) => !arg.startsWith('-') && !['-C', '-c'].includes(args[i - 1] ?? ''));
        reject(new GitError(`git ${command} failed: ${why}`, said));
      });
    });
  const run = (args: readonly string[]) => exec(['-C', dir, ...args]);
  await exec(['init', '-q', dir]).catch(async (error: unknown) => {
    await rm(base, { recursive: true, force: true });
    throw error;
  });
  return { dir, run, close: () => rm(base, { recursive: true, force: true }) };
}
