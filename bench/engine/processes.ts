// The processes of the engine benchmark: the engine (built JavaScript, run as in production), the front before
// Prometheus (bench/engine/front.ts), and what /proc says about a process.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm, symlink } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { reserveLoopbackPort } from '../../plugin/demo/free-port.js';

const run = promisify(execFile);

export interface EngineBuild {
  /** The folder whose dist/cli/main.js (dist/shared/cli.js in builds of older commits) is the engine. */
  root: string;
  /** The commit it was built from. */
  commit: string;
  cleanup(): Promise<void>;
}

/**
 * The engine to measure, compiled with tsc: this checkout's, or (with `ref`) the one at a git ref, checked out in a
 * temporary worktree that shares this checkout's node_modules. This checkout's is compiled apart from its dist/,
 * into .cache/bench-engine/ (node_modules and proto/ are still found above it), so that a run never rewrites the
 * build that tests running at the same time start.
 */
export async function buildEngine(root: string, ref?: string): Promise<EngineBuild> {
  const commit = (await run('git', ['rev-parse', '--short', ref ?? 'HEAD'], { cwd: root })).stdout.trim();
  if (!ref) {
    const own = join(root, '.cache', 'bench-engine');
    await run('npx', ['tsc', '-p', 'tsconfig.build.json', '--outDir', join(own, 'dist')], { cwd: root });
    const dirty = (await run('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root })).stdout.trim() !== '';
    return { root: own, commit: dirty ? `${commit}+changes` : commit, cleanup: async () => {} };
  }
  const dir = join(tmpdir(), `rollouts-cv-engine-${commit}-${process.pid}`);
  await run('git', ['worktree', 'add', '--detach', dir, commit], { cwd: root });
  const cleanup = async () => {
    await run('git', ['worktree', 'remove', '--force', dir], { cwd: root }).catch(() => rm(dir, { recursive: true, force: true }));
  };
  try {
    await symlink(join(root, 'node_modules'), join(dir, 'node_modules'));
    await run('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: dir });
  } catch (error) {
    await cleanup();
    throw error;
  }
  return { root: dir, commit, cleanup };
}

export interface ProcessHandle {
  pid: number;
  stop(): Promise<void>;
}

/** SIGTERM, then SIGKILL after 10 s; resolves once the process has exited. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

export interface EngineProcess extends ProcessHandle {
  address: string;
}

/** V8's old space capped as in a container with a 256 MiB memory limit (V8 otherwise sizes it from the machine). */
export const ENGINE_NODE_OPTIONS = ['--max-old-space-size=192'];

/** Starts `rollouts-cv engine` from a build, logging at info (to nowhere) as in production. */
export async function startEngineProcess(build: EngineBuild, extraArgs: string[] = []): Promise<EngineProcess> {
  const port = await reserveLoopbackPort();
  const address = `127.0.0.1:${port}`;
  const cli = ['dist/cli/main.js', 'dist/shared/cli.js'].map((path) => join(build.root, path)).find((path) => existsSync(path)) ?? join(build.root, 'dist/cli/main.js');
  if (!existsSync(cli)) throw new Error(`${cli} is missing: the engine was not built`);
  const child = spawn(process.execPath, [...ENGINE_NODE_OPTIONS, cli, 'engine', '--listen', address, '--log-level', 'info', '--shutdown-grace', '1s', ...extraArgs], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stderr: string[] = [];
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code, signal) => reject(new Error(`the engine exited (${signal ?? code}): ${stderr.join('').slice(-2000)}`))),
  );
  exited.catch(() => {});
  await Promise.race([exited, waitForPort(port, 30_000)]);
  return { pid: child.pid!, address, stop: () => stopChild(child) };
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true))).once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface FrontStats {
  requests: number;
  /** Requests being answered at once. */
  peak: number;
  inFlight: number;
  /** Connections open at once. */
  peakConnections: number;
}

export interface Front extends ProcessHandle {
  url: string;
  stats(): Promise<FrontStats>;
  reset(): Promise<void>;
}

/** Starts bench/engine/front.ts in its own process before `target`. */
export async function startFront(root: string, mode: 'proxy' | 'replay', target: string): Promise<Front> {
  const child = spawn(join(root, 'node_modules/.bin/vite-node'), [join(root, 'bench/engine/front.ts'), '--', '--mode', mode, '--target', target], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const first = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the bench front exited (${code}) before listening`)));
    createInterface({ input: child.stdout! }).once('line', resolve);
  });
  const { url } = JSON.parse(first) as { url: string };
  return {
    pid: child.pid!,
    url,
    stats: async () => (await (await fetch(`${url}/__bench/stats`)).json()) as FrontStats,
    reset: async () => void (await fetch(`${url}/__bench/reset`, { method: 'POST' })),
    stop: () => stopChild(child),
  };
}

/** Peak resident memory of a process since it started or since resetPeakRss, in MiB (VmHWM). */
export async function peakRssMib(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN);
  return Math.round((kb / 1024) * 10) / 10;
}

/** CPU time (user + system) a process has used so far, in milliseconds. */
export async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at the state, field 3; utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
