// Long-running processes of the e2e environment: each started in its own process group, with its output in a log
// file and its pid in a pid file, and stopped by that pid (SIGTERM to the group, then SIGKILL), never by name.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { appendFileSync, closeSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface ManagedProcess {
  name: string;
  pid: number;
  log: string;
  child: ChildProcess;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Folder for `<name>.log` and `<name>.pid`. */
  dir: string;
  /** Keep stdin open as a pipe (some commands stop on end of stdin). */
  stdinPipe?: boolean;
  /** Read stdout through `child.stdout` instead of logging it. */
  stdoutPipe?: boolean;
}

export function startProcess(name: string, command: string, args: string[], options: StartOptions): ManagedProcess {
  const log = join(options.dir, `${name}.log`);
  const pidFile = join(options.dir, `${name}.pid`);
  appendFileSync(log, `# ${new Date().toISOString()} ${command} ${args.join(' ')}\n`);
  // The log file itself is the child's stdout/stderr (no pipe through this process), so that the child neither
  // dies of SIGPIPE nor loses its log when the test process is killed; stdout is a pipe only when asked for.
  const fd = openSync(log, 'a');
  let child: ChildProcess;
  try {
    child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      detached: true, // its own process group, so that its children (plugins) stop with it
      stdio: [options.stdinPipe ? 'pipe' : 'ignore', options.stdoutPipe ? 'pipe' : fd, fd],
    });
  } finally {
    closeSync(fd);
  }
  if (child.pid === undefined) throw new Error(`cannot start ${name} (${command})`);
  const pid = child.pid;
  writeFileSync(pidFile, `${pid}\n`);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      appendFileSync(log, `# exited ${signal ?? `code ${code}`}\n`);
      rmSync(pidFile, { force: true });
      resolve({ code, signal });
    });
    child.once('error', (error) => {
      appendFileSync(log, `# error ${error.message}\n`);
      resolve({ code: -1, signal: null });
    });
  });
  let stopping: Promise<void> | undefined;
  const stop = (graceMs = 10_000) =>
    (stopping ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin?.end();
      signalGroup(pid, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      signalGroup(pid, 'SIGKILL'); // whatever of its group is left (plugin children)
    })());
  return { name, pid, log, child, exited, stop };
}

/**
 * SIGKILLs every live process of process group `pgid` whose command line contains one of `marks` (a process of
 * ours runs from the work folder, the repository or the harness's binaries; a recycled pid runs something else).
 * Works when the group's leader is already gone. Returns the pids killed.
 */
export async function killGroupMembers(pgid: number, marks: string[]): Promise<number[]> {
  const killed: number[] = [];
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // pid (comm) state ppid pgrp …; comm may hold spaces and parentheses, so read after the last ')'
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) !== pgid) continue;
    const cmdline = (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).replaceAll('\0', ' ');
    if (!marks.some((mark) => cmdline.includes(mark))) continue;
    try {
      process.kill(Number(entry), 'SIGKILL');
      killed.push(Number(entry));
    } catch {
      // already gone
    }
  }
  return killed;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone
  }
}

/** The last lines of a log, for error messages. */
export async function tail(file: string, lines = 30): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return `(no log at ${file})`;
  }
}

/** Peak resident memory (VmHWM) of a live process, in KiB; undefined when it is gone. */
export async function peakRssKiB(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = /^VmHWM:\s+(\d+) kB/m.exec(status);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; the error names the command and carries its output. */
export async function run(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number; cwd?: string } = {}): Promise<RunResult> {
  if (options.input !== undefined) return runWithInput(command, args, options.input, options);
  try {
    const { stdout, stderr } = await execFileAsync(command, args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      timeout: options.timeoutMs ?? 120_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { stdout, stderr };
  } catch (error) {
    const e = error as Error & { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed: ${e.message}\n${e.stderr ?? ''}${e.stdout ?? ''}`.trim());
  }
}

function runWithInput(command: string, args: string[], input: string, options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env ?? process.env, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`${command} ${args.join(' ')} failed: ${error.message}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? `code ${code}`}):\n${stderr}${stdout}`.trim()));
    });
    child.stdin.end(input);
  });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns a value other than undefined, or fails with `describe()` after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, describe?: () => Promise<string>, intervalMs = 1000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const detail = describe ? await describe().catch((error: Error) => `(cannot describe: ${error.message})`) : '';
      const last = lastError instanceof Error ? `\nlast error: ${lastError.message}` : '';
      throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}${last}\n${detail}`);
    }
    await sleep(intervalMs);
  }
}
