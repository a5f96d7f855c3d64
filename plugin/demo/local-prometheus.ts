// A real Prometheus server on loopback, with its own throwaway storage, scraping the given targets (every second
// unless told otherwise).
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { stringify } from 'yaml';
import { reserveLoopbackPort } from './free-port.js';

export interface LocalPrometheusOptions {
  /** host:port targets scraped at /metrics, keeping the labels of their exposition (honor_labels). */
  targets?: string[];
  /**
   * Scrape jobs written into the config as they are (e.g. one target per pod, relabelled the way
   * prometheus-operator relabels a PodMonitor's), instead of `targets`.
   */
  scrapeConfigs?: object[];
  /** Seconds between scrapes (and rule evaluations); 1 unless given. */
  scrapeIntervalSeconds?: number;
  /** 0 picks a free port. */
  port?: number;
  readyTimeoutMs?: number;
}

export interface LocalPrometheus {
  url: string;
  stop(): Promise<void>;
}

const FALLBACK_BINARY = '/usr/bin/prometheus';
const STDERR_TAIL_LINES = 20;

/** Path of the prometheus binary: PATH first, then the Debian package's location. */
export function findPrometheus(): string {
  const candidates = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, 'prometheus')), FALLBACK_BINARY];
  const found = candidates.find((path) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
  if (!found) throw new Error('prometheus is not installed (not on PATH nor at /usr/bin/prometheus): run `apt-get install -y prometheus`');
  return found;
}

// By default every second, so that rate() over a few seconds has samples within seconds of start. honor_labels
// keeps the pod labels of the synthetic app's exposition as they are, as a pod scrape would.
function prometheusConfig(options: LocalPrometheusOptions): string {
  const interval = `${options.scrapeIntervalSeconds ?? 1}s`;
  const jobs = options.scrapeConfigs ?? [{ job_name: 'synthetic-app', honor_labels: true, static_configs: [{ targets: options.targets ?? [] }] }];
  return stringify({ global: { scrape_interval: interval, scrape_timeout: '1s', evaluation_interval: interval }, scrape_configs: jobs });
}

export async function startLocalPrometheus(options: LocalPrometheusOptions): Promise<LocalPrometheus> {
  const binary = findPrometheus();
  const port = await reserveLoopbackPort(options.port ?? 0);
  const dir = await mkdtemp(join(tmpdir(), 'rollouts-cv-prometheus-'));
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  try {
    await writeFile(join(dir, 'prometheus.yml'), prometheusConfig(options));
    child = spawn(
      binary,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const stderr = tailOf(child);
    const exited = new Promise<never>((_, reject) => {
      child!.once('error', (error) => reject(new Error(`cannot start ${binary}: ${error.message}`)));
      child!.once('exit', (code, signal) =>
        reject(new Error(`prometheus exited before it was ready (${signal ?? `code ${code}`}):\n${stderr().join('\n')}`)),
      );
    });
    await Promise.race([exited, waitUntilReady(url, options.readyTimeoutMs ?? 30_000, stderr)]);
    exited.catch(() => {}); // exit after readiness is expected on stop
  } catch (error) {
    await stopProcess(child);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }

  let stopping: Promise<void> | undefined;
  return {
    url,
    stop: () =>
      (stopping ??= (async () => {
        await stopProcess(child);
        await rm(dir, { recursive: true, force: true });
      })()),
  };
}

async function waitUntilReady(url: string, timeoutMs: number, stderr: () => string[]): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1_000) })).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`prometheus at ${url} was not ready after ${timeoutMs} ms:\n${stderr().join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Keeps the last lines the process wrote to stderr, for error messages. */
function tailOf(child: ChildProcess): () => string[] {
  const lines: string[] = [];
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    lines.push(...chunk.split('\n').filter(Boolean));
    lines.splice(0, Math.max(0, lines.length - STDERR_TAIL_LINES));
  });
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
