// A real Prometheus server on loopback, with its own throwaway storage, scraping the given targets (every second
// unless told otherwise), and holding any past samples it is given from the start.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { findBinary, startLocalServer } from './local-server.js';
import { type PastSeries, toOpenMetrics } from './past-series.js';

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
  /**
   * Samples at past times written into the storage before Prometheus starts, as `promtool tsdb
   * create-blocks-from openmetrics` backfills them: queryable as soon as it is ready.
   */
  history?: readonly PastSeries[];
  /** 0 picks a free port. */
  port?: number;
  readyTimeoutMs?: number;
}

export interface LocalPrometheus {
  url: string;
  stop(): Promise<void>;
}

/** Path of the prometheus binary: PATH first, then the Debian package's location. */
export function findPrometheus(): string {
  return findBinary('prometheus', 'prometheus');
}

// By default every second, so that rate() over a few seconds has samples within seconds of start. honor_labels
// keeps the pod labels of the synthetic app's exposition as they are, as a pod scrape would.
function prometheusConfig(options: LocalPrometheusOptions): string {
  const interval = `${options.scrapeIntervalSeconds ?? 1}s`;
  const jobs = options.scrapeConfigs ?? [{ job_name: 'synthetic-app', honor_labels: true, static_configs: [{ targets: options.targets ?? [] }] }];
  return stringify({ global: { scrape_interval: interval, scrape_timeout: '1s', evaluation_interval: interval }, scrape_configs: jobs });
}

export async function startLocalPrometheus(options: LocalPrometheusOptions): Promise<LocalPrometheus> {
  const history = options.history?.length ? toOpenMetrics(options.history) : undefined;
  return startLocalServer({
    name: 'prometheus',
    binary: findPrometheus(),
    dirPrefix: 'rollouts-cv-prometheus-',
    port: options.port ?? 0,
    readyPath: '/-/ready',
    readyTimeoutMs: options.readyTimeoutMs ?? 30_000,
    prepare: async (dir) => {
      await writeFile(join(dir, 'prometheus.yml'), prometheusConfig(options));
      if (history) await backfill(dir, history);
    },
    args: (dir, listen) => [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=${listen}`,
      '--log.level=warn',
    ],
  });
}

/** Writes the samples as blocks into the storage Prometheus is about to open. */
async function backfill(dir: string, openMetrics: string): Promise<void> {
  const input = join(dir, 'history.om');
  await writeFile(input, openMetrics);
  try {
    await promisify(execFile)(findBinary('promtool', 'prometheus'), ['tsdb', 'create-blocks-from', 'openmetrics', input, join(dir, 'data')]);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`promtool could not backfill the history: ${stderr || (error as Error).message}`);
  }
}
