// A server program run on loopback for the demo and the tests (Prometheus, VictoriaMetrics): found on PATH or
// where its Debian package installs it, started in a throwaway directory of its own, waited for until it answers,
// and stopped without leaving that directory behind.
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { reserveLoopbackPort } from './free-port.js';

const TAIL_LINES = 20;

/** Path of an executable: PATH first, then /usr/bin, where its Debian package puts it. */
export function findBinary(name: string, debianPackage: string): string {
  const fallback = join('/usr/bin', name);
  const candidates = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, name)), fallback];
  const found = candidates.find((path) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
  if (!found) throw new Error(`${name} is not installed (not on PATH nor at ${fallback}): run \`apt-get install -y ${debianPackage}\``);
  return found;
}

export interface LocalServerSpec {
  /** Names the server in messages, e.g. "prometheus". */
  name: string;
  binary: string;
  /** Prefix of the throwaway directory under the system's temporary directory. */
  dirPrefix: string;
  /** 0 picks a free port. */
  port: number;
  /** Path answering 2xx once the server serves queries. */
  readyPath: string;
  readyTimeoutMs: number;
  /** Writes what the server reads at start (config, storage) into its directory. */
  prepare?(dir: string): Promise<void>;
  /** Command-line arguments, given the directory and the loopback `host:port` to listen on. */
  args(dir: string, listen: string): string[];
}

export interface LocalServer {
  url: string;
  /** The last lines the server wrote (stdout and stderr), for error messages. */
  logTail(): string[];
  stop(): Promise<void>;
}

export async function startLocalServer(spec: LocalServerSpec): Promise<LocalServer> {
  const port = await reserveLoopbackPort(spec.port);
  const dir = await mkdtemp(join(tmpdir(), spec.dirPrefix));
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let output = (): string[] => [];
  try {
    await spec.prepare?.(dir);
    child = spawn(spec.binary, spec.args(dir, `127.0.0.1:${port}`), { stdio: ['ignore', 'pipe', 'pipe'] });
    output = tailOf(child);
    const exited = new Promise<never>((_, reject) => {
      child!.once('error', (error) => reject(new Error(`cannot start ${spec.binary}: ${error.message}`)));
      // 'close' rather than 'exit': by then its last words have been read.
      child!.once('close', (code, signal) =>
        reject(new Error(`${spec.name} exited before it was ready (${signal ?? `code ${code}`}):\n${output().join('\n')}`)),
      );
    });
    await Promise.race([exited, waitUntilReady(spec.name, `${url}${spec.readyPath}`, spec.readyTimeoutMs, output)]);
    exited.catch(() => {}); // exit after readiness is expected on stop
  } catch (error) {
    await stopProcess(child);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }

  let stopping: Promise<void> | undefined;
  return {
    url,
    logTail: () => [...output()],
    stop: () =>
      (stopping ??= (async () => {
        await stopProcess(child);
        await rm(dir, { recursive: true, force: true });
      })()),
  };
}

async function waitUntilReady(name: string, readyUrl: string, timeoutMs: number, output: () => string[]): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(readyUrl, { signal: AbortSignal.timeout(1_000) })).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${name} at ${new URL(readyUrl).origin} was not ready after ${timeoutMs} ms:\n${output().join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Keeps the last lines the process wrote, for error messages: logs go to stderr, some flag errors to stdout. */
function tailOf(child: ChildProcess): () => string[] {
  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding('utf8').on('data', (chunk: string) => {
      lines.push(...chunk.split('\n').filter(Boolean));
      lines.splice(0, Math.max(0, lines.length - TAIL_LINES));
    });
  }
  return () => lines;
}

/** SIGTERM, then SIGKILL if the process has not exited within 5 s; resolves once it has exited. */
async function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
