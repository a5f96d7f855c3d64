// The fake Datadog's metrics queries: the classic query form `<space aggregation>:<metric>{<scope>} by {<tags>}`
// with `.as_count()`, `.as_rate()`, `.rollup(<aggregator>[, <seconds>])` and `.fill(…)`, evaluated over the series it
// was given, as Datadog documents them:
// - scope: filters `tag:value` joined by `,` or ` AND `, `!tag:value` or `NOT tag:value` to exclude, `*` for all;
//   values take prefix, suffix and substring wildcards (`pod_name:*-abc-*`)
//   (https://docs.datadoghq.com/metrics/advanced-filtering/);
// - time aggregation into intervals aligned to UNIX time, each point stamped at its interval's start; the rollup's
//   aggregator, else sum with .as_count(), else avg; a rollup interval longer than the one asked for wins
//   (https://docs.datadoghq.com/dashboards/functions/rollup/);
// - space aggregation per group of the `by` tags (a series without a `by` tag is in group `<tag>:N/A`).
// Anything else is refused as Datadog refuses a query it cannot parse: HTTP 400 with an `errors` list.

export interface FakeSeries {
  metric: string;
  /** `key:value` tags. */
  tags: string[];
  /** [epoch ms, value] */
  points: [number, number][];
}

export interface EvaluatedSeries {
  groupTags: string[];
  values: (number | null)[];
}

export class QueryError extends Error {}

const AGGREGATORS = ['avg', 'sum', 'min', 'max', 'count'] as const;
type Aggregator = (typeof AGGREGATORS)[number];

interface Filter {
  key: string;
  pattern: RegExp;
  negated: boolean;
}

interface ParsedQuery {
  space: Aggregator;
  metric: string;
  filters: Filter[];
  by: string[];
  time: Aggregator;
  rollupMs?: number;
}

const QUERY = /^(?:([a-z]+):)?([A-Za-z][\w.]*)\{([^{}]*)\}(?:\s*by\s*\{([^{}]*)\})?((?:\.[a-z_]+\([^()]*\))*)$/;

function glob(value: string): RegExp {
  return new RegExp(`^${value.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

function parseFilter(term: string): Filter | null {
  let text = term.trim();
  let negated = false;
  if (text.startsWith('!')) [negated, text] = [true, text.slice(1)];
  else if (/^NOT\s+/i.test(text)) [negated, text] = [true, text.replace(/^NOT\s+/i, '')];
  if (text === '*') return null;
  const colon = text.indexOf(':');
  if (colon < 1 || /[\s(),]/.test(text)) throw new QueryError(`Error parsing query: unexpected filter "${term.trim()}"`);
  return { key: text.slice(0, colon), pattern: glob(text.slice(colon + 1)), negated };
}

export function parseQuery(query: string): ParsedQuery {
  const match = QUERY.exec(query.trim());
  if (!match) throw new QueryError(`Error parsing query: ${JSON.stringify(query)} is not <aggregation>:<metric>{<scope>} [by {<tags>}]`);
  const [, space = 'avg', metric, scope, by, modifiers] = match;
  if (!(AGGREGATORS as readonly string[]).includes(space) || space === 'count') throw new QueryError(`Error parsing query: unknown space aggregator "${space}"`);
  if (/\bOR\b|[()]/i.test(scope!)) throw new QueryError('Error parsing query: this fake takes scopes of filters joined by "," or AND only');
  const filters = scope!.split(/,|\s+AND\s+/i).map(parseFilter).filter((f): f is Filter => f !== null);
  let time: Aggregator = 'avg';
  let rollupMs: number | undefined;
  for (const [, name, args] of modifiers!.matchAll(/\.([a-z_]+)\(([^()]*)\)/g)) {
    if (name === 'as_count') time = 'sum';
    else if (name === 'as_rate' || name === 'fill') continue;
    else if (name === 'rollup') {
      const [aggregator, seconds] = args!.split(',').map((a) => a.trim());
      if (!(AGGREGATORS as readonly string[]).includes(aggregator!)) throw new QueryError(`Error parsing query: unknown rollup aggregator "${aggregator}"`);
      time = aggregator as Aggregator;
      if (seconds !== undefined) rollupMs = Number(seconds) * 1000;
    } else throw new QueryError(`Error parsing query: unknown function ".${name}()"`);
  }
  const byTags = (by ?? '').split(',').map((t) => t.trim()).filter(Boolean);
  return { space: space as Aggregator, metric: metric!, filters, by: byTags, time, ...(rollupMs !== undefined && { rollupMs }) };
}

function aggregate(values: number[], aggregator: Aggregator): number {
  switch (aggregator) {
    case 'sum':
      return values.reduce((a, b) => a + b, 0);
    case 'min':
      return Math.min(...values);
    case 'max':
      return Math.max(...values);
    case 'count':
      return values.length;
    case 'avg':
      return values.reduce((a, b) => a + b, 0) / values.length;
  }
}

function matches(series: FakeSeries, filters: Filter[]): boolean {
  return filters.every(({ key, pattern, negated }) => {
    const hit = series.tags.some((tag) => tag.startsWith(`${key}:`) && pattern.test(tag.slice(key.length + 1)));
    return negated ? !hit : hit;
  });
}

/** The bucket starts of [fromMs, toMs) at `intervalMs`, aligned to UNIX time. */
export function bucketStarts(fromMs: number, toMs: number, intervalMs: number): number[] {
  const times: number[] = [];
  for (let t = Math.floor(fromMs / intervalMs) * intervalMs; t < toMs; t += intervalMs) times.push(t);
  return times;
}

/** One query over [fromMs, toMs) at `intervalMs` (or its rollup's, when longer): the interval used and each group's values. */
export function evaluate(query: string, data: readonly FakeSeries[], fromMs: number, toMs: number, intervalMs: number): { intervalMs: number; times: number[]; series: EvaluatedSeries[] } {
  const parsed = parseQuery(query);
  const interval = Math.max(intervalMs, parsed.rollupMs ?? 0);
  const times = bucketStarts(fromMs, toMs, interval);
  const groups = new Map<string, FakeSeries[]>();
  for (const series of data) {
    if (series.metric !== parsed.metric || !matches(series, parsed.filters)) continue;
    const tags = parsed.by.map((key) => series.tags.find((tag) => tag.startsWith(`${key}:`)) ?? `${key}:N/A`);
    const key = JSON.stringify(tags);
    groups.set(key, [...(groups.get(key) ?? []), series]);
  }
  const result: EvaluatedSeries[] = [];
  for (const [key, members] of groups) {
    const values = times.map((start) => {
      const perSeries = members
        .map((series) => series.points.filter(([t]) => t >= start && t < start + interval && t >= fromMs && t < toMs).map(([, v]) => v))
        .filter((points) => points.length)
        .map((points) => aggregate(points, parsed.time));
      return perSeries.length ? aggregate(perSeries, parsed.space) : null;
    });
    // A group without a point in the range is not answered.
    if (values.some((value) => value !== null)) result.push({ groupTags: JSON.parse(key) as string[], values });
  }
  return { intervalMs: interval, times, series: result };
}
