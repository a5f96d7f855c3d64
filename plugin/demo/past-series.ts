// Series with samples at given past times, as a test writes them into a metrics server's storage (history no
// scrape could produce now), and their encodings: OpenMetrics text for promtool's backfill into Prometheus, JSON
// lines for VictoriaMetrics' /api/v1/import. Both servers then hold the same samples.

export interface PastSeries {
  /** The series' labels, its metric name under `__name__`. */
  labels: Readonly<Record<string, string>>;
  /** [unix time in milliseconds, value], in increasing time. */
  samples: ReadonlyArray<readonly [timestampMs: number, value: number]>;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
// Half of a UTF-16 surrogate pair: no UTF-8 text, which is what both servers store.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Throws an error naming the first field that is not a series both servers store as given. */
export function checkPastSeries(series: readonly PastSeries[]): void {
  const seen = new Set<string>();
  series.forEach(({ labels, samples }, i) => {
    const at = `series[${i}]`;
    const name = labels.__name__;
    if (name === undefined || !METRIC_NAME.test(name)) {
      throw new Error(`${at}.labels.__name__: expected a metric name matching ${METRIC_NAME.source}; got ${JSON.stringify(name)}`);
    }
    for (const [label, value] of Object.entries(labels)) {
      if (label === '__name__') continue;
      // Names starting with __ are reserved for the servers' own use.
      if (!LABEL_NAME.test(label) || label.startsWith('__')) {
        throw new Error(`${at}.labels: expected label names matching ${LABEL_NAME.source}, not starting with "__"; got ${JSON.stringify(label)}`);
      }
      // An empty value is the same as no label to both servers.
      if (typeof value !== 'string' || value === '' || LONE_SURROGATE.test(value)) {
        throw new Error(`${at}.labels.${label}: expected a non-empty Unicode string; got ${JSON.stringify(value)}`);
      }
    }
    const key = seriesKey(labels);
    if (seen.has(key)) throw new Error(`${at}.labels: the same labels as an earlier series (${key}); give each series its samples once`);
    seen.add(key);
    let previous = -Infinity;
    samples.forEach(([time, value], j) => {
      if (!Number.isSafeInteger(time) || time <= previous) {
        throw new Error(`${at}.samples[${j}][0]: expected a whole number of milliseconds after the previous sample's; got ${time}`);
      }
      if (!Number.isFinite(value)) throw new Error(`${at}.samples[${j}][1]: expected a finite number; got ${value}`);
      previous = time;
    });
  });
}

/** The labels in a canonical text, sorted by name: equal for the same series however its labels are ordered. */
export function seriesKey(labels: Readonly<Record<string, string>>): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** An OpenMetrics label value: backslash, double quote and newline escaped, everything else as it is. */
function openMetricsValue(value: string): string {
  return value.replace(/[\\"\n]/g, (ch) => (ch === '\n' ? '\\n' : `\\${ch}`));
}

/**
 * OpenMetrics text with each sample's timestamp, as `promtool tsdb create-blocks-from openmetrics` reads it: the
 * series of one metric name next to each other (a metric family is never interleaved), types left unknown so that
 * any name is accepted, and the closing `# EOF`.
 */
export function toOpenMetrics(series: readonly PastSeries[]): string {
  checkPastSeries(series);
  const byName = new Map<string, PastSeries[]>();
  for (const one of series) byName.set(one.labels.__name__!, [...(byName.get(one.labels.__name__!) ?? []), one]);
  const lines: string[] = [];
  for (const [name, family] of byName) {
    for (const { labels, samples } of family) {
      const matchers = Object.entries(labels)
        .filter(([label]) => label !== '__name__')
        .map(([label, value]) => `${label}="${openMetricsValue(value)}"`)
        .join(',');
      // Timestamps in seconds, as OpenMetrics has them.
      for (const [time, value] of samples) lines.push(`${name}{${matchers}} ${value} ${time / 1000}`);
    }
  }
  return `${lines.join('\n')}${lines.length ? '\n' : ''}# EOF\n`;
}

/** JSON lines for VictoriaMetrics' /api/v1/import: one line per series, its timestamps in milliseconds. */
export function toVictoriaMetricsImport(series: readonly PastSeries[]): string {
  checkPastSeries(series);
  return series
    .map(({ labels, samples }) => `${JSON.stringify({ metric: labels, values: samples.map(([, value]) => value), timestamps: samples.map(([time]) => time) })}\n`)
    .join('');
}
