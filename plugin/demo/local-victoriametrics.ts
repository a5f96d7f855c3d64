// A real single-node VictoriaMetrics on loopback, with its own throwaway storage and its default query settings,
// into which samples at past times are imported: a second PromQL server (MetricsQL, Prometheus' HTTP API) to read
// the same data from as from a local Prometheus.
import { join } from 'node:path';
import { clip } from '../../shared/text.js';
import { findBinary, startLocalServer } from './local-server.js';
import { type PastSeries, seriesKey, toVictoriaMetricsImport } from './past-series.js';

export interface LocalVictoriaMetricsOptions {
  /** 0 picks a free port. */
  port?: number;
  readyTimeoutMs?: number;
  /** How long imported samples are kept, in VictoriaMetrics' form ("100y", "30d"); samples older are dropped. */
  retentionPeriod?: string;
}

export interface LocalVictoriaMetrics {
  url: string;
  /**
   * Writes the samples through /api/v1/import and returns once every one of them is stored and readable; samples
   * younger than -search.latencyOffset (30 s) still show in query results only once that old.
   */
  importSamples(series: readonly PastSeries[]): Promise<void>;
  stop(): Promise<void>;
}

// Long enough for any past sample a test invents: older ones would be dropped without an error.
const DEFAULT_RETENTION = '100y';
// VictoriaMetrics keeps about 12 significant digits of the largest value of a block of samples.
const RELATIVE_PRECISION = 1e-9;
// Flushed samples are readable at once; this only bounds the wait should they not be.
const IMPORT_TIMEOUT_MS = 5_000;
const MAX_ERROR_CHARS = 300;
// Each request to it: a server that stops answering fails the import rather than hanging it.
const REQUEST_TIMEOUT_MS = 10_000;

/** Path of the victoria-metrics binary: PATH first, then the Debian package's location. */
export function findVictoriaMetrics(): string {
  return findBinary('victoria-metrics', 'victoria-metrics');
}

export async function startLocalVictoriaMetrics(options: LocalVictoriaMetricsOptions = {}): Promise<LocalVictoriaMetrics> {
  const server = await startLocalServer({
    name: 'victoria-metrics',
    binary: findVictoriaMetrics(),
    dirPrefix: 'rollouts-cv-victoriametrics-',
    port: options.port ?? 0,
    readyPath: '/health',
    readyTimeoutMs: options.readyTimeoutMs ?? 30_000,
    args: (dir, listen) => [
      `-storageDataPath=${join(dir, 'data')}`,
      `-httpListenAddr=${listen}`,
      `-retentionPeriod=${options.retentionPeriod ?? DEFAULT_RETENTION}`,
      // Warnings and errors only: a line it could not import is logged, not refused.
      '-loggerLevel=WARN',
    ],
  });

  async function importSamples(series: readonly PastSeries[]): Promise<void> {
    const body = toVictoriaMetricsImport(series);
    if (!body) return;
    const response = await fetch(`${server.url}/api/v1/import`, { method: 'POST', body, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    if (response.status !== 204) throw new Error(`VictoriaMetrics at ${server.url} refused the import: HTTP ${response.status} ${clip(await response.text(), MAX_ERROR_CHARS)}`);
    // It answers 204 even for lines it skips, and buffers what it took for up to a second before queries see it:
    // flushed, then read back until all of it is there.
    const deadline = Date.now() + IMPORT_TIMEOUT_MS;
    for (;;) {
      const flushed = await fetch(`${server.url}/internal/force_flush`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      await flushed.arrayBuffer();
      if (!flushed.ok) throw new Error(`VictoriaMetrics at ${server.url} did not flush: HTTP ${flushed.status}`);
      const missing = firstMissing(series, await exported(server.url, series));
      if (!missing) return;
      if (Date.now() > deadline) {
        throw new Error(`VictoriaMetrics at ${server.url} does not hold ${missing} ${IMPORT_TIMEOUT_MS} ms after the import:\n${server.logTail().join('\n')}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  return { url: server.url, importSamples, stop: server.stop };
}

type Stored = Map<string, Map<number, number>>;

/** What VictoriaMetrics holds of the series' metrics over their time range, per series and timestamp. */
async function exported(url: string, series: readonly PastSeries[]): Promise<Stored> {
  let first = Infinity;
  let last = -Infinity;
  for (const { samples } of series) {
    for (const [time] of samples) [first, last] = [Math.min(first, time), Math.max(last, time)];
  }
  if (first > last) return new Map();
  const form = new URLSearchParams({ start: String(first / 1000), end: String(last / 1000) });
  // Metric names are checked to need no quoting.
  for (const name of new Set(series.map(({ labels }) => labels.__name__!))) form.append('match[]', `{__name__="${name}"}`);
  const response = await fetch(`${url}/api/v1/export`, { method: 'POST', body: form, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const text = await response.text();
  if (!response.ok) throw new Error(`VictoriaMetrics at ${url} could not export: HTTP ${response.status} ${clip(text, MAX_ERROR_CHARS)}`);
  const stored: Stored = new Map();
  for (const line of text.split('\n').filter(Boolean)) {
    const { metric, values, timestamps } = JSON.parse(line) as { metric: Record<string, string>; values: number[]; timestamps: number[] };
    const samples = stored.get(seriesKey(metric)) ?? new Map<number, number>();
    timestamps.forEach((time, i) => samples.set(time, values[i]!));
    stored.set(seriesKey(metric), samples);
  }
  return stored;
}

/** The first sample not stored as imported, described; undefined when all are. */
function firstMissing(series: readonly PastSeries[], stored: Stored): string | undefined {
  for (const [i, { labels, samples }] of series.entries()) {
    const held = stored.get(seriesKey(labels));
    const largest = samples.reduce((most, [, value]) => Math.max(most, Math.abs(value)), 0);
    for (const [j, [time, value]] of samples.entries()) {
      const found = held?.get(time);
      if (found === undefined || Math.abs(found - value) > RELATIVE_PRECISION * largest) {
        return `series[${i}].samples[${j}] (${JSON.stringify(labels)} at ${time} ms: ${value}; found ${found ?? 'nothing'})`;
      }
    }
  }
  return undefined;
}
