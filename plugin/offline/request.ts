// The offline judge's input: a verification's config, its window and the series collected so far, validated
// once and turned into the judge's types so that it can be evaluated at many `now`s without parsing again.
import { z } from 'zod';
import type { Sample } from '../collect/source.js';
import { durationField } from '../../shared/config/duration.js';
import { checkWindowAndMetrics, ConfigError, DEFAULT_INTERVAL_MS, describeIssue, formatPath, metricSchema, warmupField } from '../config/schema.js';
import { seenBefore } from '../judge/warmup.js';
import { isRatioGroup, METRIC_KINDS, SENSITIVITIES, UNHEALTHY_PHASES, type GroupData, type JudgedMetric, type JudgeSettings, type MetricKind } from '../judge/types.js';

/** A validated request: the judge's settings and metrics, the window in unix seconds, and each metric's data. */
export interface JudgeRequest {
  settings: JudgeSettings;
  durationMs: number;
  intervalMs: number;
  /** Window start and the request's own `now`, unix seconds. */
  startS: number;
  nowS: number;
  /** Configured metrics in config order, defaults filled in. */
  metrics: JudgedMetric[];
  /** Each configured metric's data (empty groups when `data` has none), every series sorted by time. */
  data: Map<string, { canary: GroupData; baseline: GroupData }>;
  /** Per metric, when its canary instances seen at or before the start were first seen (warmup.ts): worked out once. */
  canarySince: Map<string, Map<string, number>>;
  /** Each metric's history: past periods of the service's pods side by side (absent: none). */
  history: Map<string, GroupData[]>;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

const timeField = z
  .string({ error: (issue) => (issue.input === undefined ? 'is required (expected an RFC 3339 time such as "2026-01-01T12:00:00Z")' : undefined) })
  .transform((text, ctx) => {
    const ms = RFC3339.test(text) ? Date.parse(text) : NaN;
    if (Number.isNaN(ms)) {
      ctx.issues.push({ code: 'custom', input: text, message: `expected an RFC 3339 time such as "2026-01-01T12:00:00Z"; got ${JSON.stringify(text)}` });
      return z.NEVER;
    }
    return ms / 1000;
  });

// The engine's metric config without its queries: same names, defaults and bounds.
const judgedMetricSchema = metricSchema.omit({ query: true, numerator: true, denominator: true });

const configSchema = z
  .strictObject({
    sensitivity: z.enum(SENSITIVITIES).default('medium'),
    duration: durationField({ min: 1000 }),
    interval: durationField({ min: 1000 }).optional(),
    warmup: warmupField,
    failOnNoData: z.boolean().default(true),
    unhealthyPhase: z.enum(UNHEALTHY_PHASES).default('Failed'),
    metrics: z.array(judgedMetricSchema).min(1),
  })
  .superRefine(checkWindowAndMetrics);

const recordError = (form: string) => (issue: { code: string; input?: unknown }) =>
  issue.code !== 'invalid_type' ? undefined : issue.input === undefined ? `is required (expected ${form})` : `expected ${form}; got ${describe(issue.input)}`;

const instancesSchema = z.record(z.string(), z.unknown(), { error: recordError('an object of series by instance, {"<instance>": <series>, ...}') });

const requestSchema = z
  .strictObject({
    config: configSchema,
    start: timeField,
    now: timeField,
    data: z
      .record(z.string(), z.strictObject({ canary: instancesSchema, baseline: instancesSchema }, { error: recordError('{"canary": {...}, "baseline": {...}}') }), {
        error: recordError('an object of data by metric name, {"<metric>": {"canary": {...}, "baseline": {...}}, ...}'),
      })
      .default({}),
    history: z
      .record(z.string(), z.array(instancesSchema, { error: recordError('a list of past periods, [{"<instance>": <series>, ...}, ...]') }), {
        error: recordError('an object of past periods by metric name, {"<metric>": [{"<instance>": <series>, ...}, ...], ...}'),
      })
      .optional(),
  })
  .superRefine((request, ctx) => {
    if (request.now < request.start) {
      ctx.addIssue({ code: 'custom', path: ['now'], message: `expected a time at or after start (${new Date(request.start * 1000).toISOString()})` });
    }
  });

const finiteNumber = z.unknown().transform((value, ctx) => {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  ctx.issues.push({ code: 'custom', input: value, message: `expected a finite number; got ${describe(value)}` });
  return z.NEVER;
});

const POINT_FORM = '[<unix seconds>, <value>]';

const pointSchema = z
  .array(finiteNumber, { error: (issue) => `expected a point ${POINT_FORM}; got ${describe(issue.input)}` })
  .refine((point) => point.length === 2, { error: (issue) => `expected a point ${POINT_FORM}; got ${describe(issue.input)}` });

const seriesSchema = z.array(pointSchema, {
  error: (issue) => `expected a series [${POINT_FORM}, ...]; got ${describe(issue.input)}`,
});

const countsSchema = seriesSchema.superRefine((points, ctx) => {
  points.forEach(([, count], index) => {
    if (count !== undefined && count < 0) ctx.addIssue({ code: 'custom', path: [index, 1], message: `expected a count of 0 or more; got ${count}` });
  });
});

const ratioSeriesSchema = z.strictObject(
  { numerator: countsSchema, denominator: countsSchema },
  {
    error: (issue) =>
      issue.code === 'invalid_type'
        ? `expected {"numerator": [[<unix seconds>, <count>], ...], "denominator": [[<unix seconds>, <count>], ...]} for a ratio metric; got ${describe(issue.input)}`
        : undefined,
  },
);

function describe(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length <= 4 ? JSON.stringify(value) : `a list of ${value.length} items`;
  if (typeof value === 'object') return 'an object';
  return JSON.stringify(value);
}

type Point = [number, number];
type Issue = { path: PropertyKey[]; message: string };

function issuesOf(error: z.ZodError, prefix: PropertyKey[] = []): Issue[] {
  return error.issues.map((issue) => ({ path: [...prefix, ...issue.path], message: issue.message }));
}

/** `config.metrics[0].kind`, `data.errors.canary["web-1"][3][0]`; the document itself is `input`. */
function pathText(path: readonly PropertyKey[]): string {
  return path.length === 0 ? 'input' : formatPath(String(path[0]), path.slice(1));
}

/** The common case checked without zod (which then only runs to word the problems of an invalid series). */
function isSeries(value: unknown, counts: boolean): value is Point[] {
  if (!Array.isArray(value)) return false;
  for (const point of value) {
    if (!Array.isArray(point) || point.length !== 2) return false;
    const [t, v] = point as unknown[];
    if (typeof t !== 'number' || typeof v !== 'number' || !Number.isFinite(t) || !Number.isFinite(v) || (counts && v < 0)) return false;
  }
  return true;
}

function isRatioSeries(value: unknown): value is { numerator: Point[]; denominator: Point[] } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  const { numerator, denominator } = value as { numerator?: unknown; denominator?: unknown };
  return keys.length === 2 && isSeries(numerator, true) && isSeries(denominator, true);
}

/** A copy (later changes to the input do not reach the request), sorted by time. */
function sortedSeries(points: readonly Point[]): Sample[] {
  const copy = points.map(([t, v]): Sample => [t, v]);
  for (let i = 1; i < copy.length; i++) if (copy[i]![0] < copy[i - 1]![0]) return copy.sort((a, b) => a[0] - b[0]);
  return copy;
}

/** Kinds of the configured metrics as far as the raw config tells, for checking data even when the config has problems. */
function rawKinds(raw: unknown): Map<string, MetricKind | undefined> | null {
  const metrics = (raw as { config?: { metrics?: unknown } } | null)?.config?.metrics;
  if (!Array.isArray(metrics)) return null;
  const kinds = new Map<string, MetricKind | undefined>();
  for (const metric of metrics) {
    if (typeof metric !== 'object' || metric === null) continue;
    const { name, kind } = metric as { name?: unknown; kind?: unknown };
    if (typeof name !== 'string') continue;
    const parsed = judgedMetricSchema.shape.kind.safeParse(kind);
    kinds.set(name, parsed.success && (METRIC_KINDS as readonly string[]).includes(parsed.data) ? parsed.data : undefined);
  }
  return kinds;
}

/** One group's instances checked against the metric's kind and parsed; problems go to `issues`. */
function parseInstances(instances: object, kind: MetricKind, path: PropertyKey[], issues: Issue[]): GroupData {
  const numerator = new Map<string, Sample[]>();
  const denominator = new Map<string, Sample[]>();
  const series = new Map<string, Sample[]>();
  for (const [instance, value] of Object.entries(instances)) {
    const at = [...path, instance];
    if (kind === 'ratio' && isRatioSeries(value)) {
      numerator.set(instance, sortedSeries(value.numerator));
      denominator.set(instance, sortedSeries(value.denominator));
    } else if (kind !== 'ratio' && isSeries(value, false)) {
      series.set(instance, sortedSeries(value));
    } else if (kind === 'ratio') {
      const result = ratioSeriesSchema.safeParse(value, { error: describeIssue, reportInput: true });
      if (!result.success) issues.push(...issuesOf(result.error, at));
      else {
        numerator.set(instance, sortedSeries(result.data.numerator as Point[]));
        denominator.set(instance, sortedSeries(result.data.denominator as Point[]));
      }
    } else {
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
        issues.push({ path: at, message: `expected a series [${POINT_FORM}, ...] for a ${kind} metric; got an object (numerator/denominator counts are for kind ratio)` });
        continue;
      }
      const result = seriesSchema.safeParse(value, { error: describeIssue, reportInput: true });
      if (!result.success) issues.push(...issuesOf(result.error, at));
      else series.set(instance, sortedSeries(result.data as Point[]));
    }
  }
  return kind === 'ratio' ? { numerator, denominator } : series;
}

const isObject = (value: unknown): value is object => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The first instance of a history period with a point at or after the window's start, as a problem. */
function historyAfterStart(period: GroupData, startS: number, path: PropertyKey[]): Issue | null {
  const series = isRatioGroup(period) ? [...period.numerator, ...period.denominator] : [...period];
  for (const [instance, samples] of series) {
    const late = samples.find(([t]) => t >= startS);
    if (late) return { path: [...path, instance], message: `expected points before start (history is the past); got t = ${late[0]}` };
  }
  return null;
}

/** Checks every series of `data` and `history` against its metric's kind; returns the parsed groups and the problems found. */
function parseData(raw: unknown, kinds: Map<string, MetricKind | undefined> | null) {
  const issues: Issue[] = [];
  const groups = new Map<string, { canary: GroupData; baseline: GroupData }>();
  const history = new Map<string, GroupData[]>();
  const { data, history: past, start } = (raw ?? {}) as { data?: unknown; history?: unknown; start?: unknown };
  if (kinds === null) return { issues, groups, history };
  /** The entries of `data` or `history` whose metric is configured with a known kind; the others are reported. */
  function* configured(key: 'data' | 'history', object: object): Generator<[string, unknown, MetricKind]> {
    for (const [name, value] of Object.entries(object)) {
      if (!kinds!.has(name)) {
        const known = [...kinds!.keys()].map((k) => JSON.stringify(k)).join(', ');
        issues.push({ path: [key, name], message: `"${name}" is not a configured metric (configured: ${known || 'none'}); ${key} keys must name metrics in config.metrics` });
        continue;
      }
      const kind = kinds!.get(name);
      if (kind !== undefined) yield [name, value, kind];
    }
  }
  if (isObject(data)) {
    for (const [name, metricData, kind] of configured('data', data)) {
      if (!isObject(metricData)) continue;
      const parsed: Partial<Record<'canary' | 'baseline', GroupData>> = {};
      for (const group of ['canary', 'baseline'] as const) {
        const instances = (metricData as Record<string, unknown>)[group];
        if (isObject(instances)) parsed[group] = parseInstances(instances, kind, ['data', name, group], issues);
      }
      if (parsed.canary && parsed.baseline) groups.set(name, { canary: parsed.canary, baseline: parsed.baseline });
    }
  }
  const startS = typeof start === 'string' && RFC3339.test(start) ? Date.parse(start) / 1000 : NaN;
  if (isObject(past)) {
    for (const [name, periods, kind] of configured('history', past)) {
      if (!Array.isArray(periods)) continue;
      const parsed = periods.flatMap((period: unknown, index) => {
        if (!isObject(period)) return [];
        const path = ['history', name, index];
        const group = parseInstances(period, kind, path, issues);
        const late = Number.isNaN(startS) ? null : historyAfterStart(group, startS, path);
        if (late) issues.push(late);
        return [group];
      });
      history.set(name, parsed);
    }
  }
  return { issues, groups, history };
}

function emptyGroup(kind: MetricKind): GroupData {
  return kind === 'ratio' ? { numerator: new Map(), denominator: new Map() } : new Map();
}

/**
 * Validates an offline judge input (the parsed JSON document). Throws a ConfigError listing every problem,
 * each naming its JSON path and the expected form, e.g. `config.metrics[0].kind: expected one of ratio, …`.
 */
export function parseJudgeRequest(raw: unknown): JudgeRequest {
  const result = requestSchema.safeParse(raw, { error: describeIssue, reportInput: true });
  const data = parseData(raw, rawKinds(raw));
  const issues = [...(result.success ? [] : issuesOf(result.error)), ...data.issues];
  if (!result.success || issues.length) throw new ConfigError(issues.map((issue) => `${pathText(issue.path)}: ${issue.message}`));

  const { config, start, now } = result.data;
  // Optional fields left out rather than undefined, as the engine's config has them.
  const metrics = config.metrics.map((metric): JudgedMetric => Object.fromEntries(Object.entries(metric).filter(([, value]) => value !== undefined)) as typeof metric);
  const groups = new Map(metrics.map((metric) => [metric.name, data.groups.get(metric.name) ?? { canary: emptyGroup(metric.kind), baseline: emptyGroup(metric.kind) }]));
  return {
    settings: { sensitivity: config.sensitivity, failOnNoData: config.failOnNoData, unhealthyPhase: config.unhealthyPhase, warmupMs: config.warmup },
    durationMs: config.duration,
    // The default never exceeds a short window.
    intervalMs: config.interval ?? Math.min(DEFAULT_INTERVAL_MS, config.duration),
    startS: start,
    nowS: now,
    metrics,
    data: groups,
    canarySince: new Map([...groups].map(([name, { canary }]) => [name, seenBefore(canary, start)])),
    history: data.history,
  };
}
