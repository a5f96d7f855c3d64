import { z } from 'zod';
import type { MetricsSide } from '../collect/backend.js';
import { metricsOf, SOURCE_KINDS, sourceConfigSchema, type SourceConfig } from '../collect/registry.js';
import {
  DIRECTIONS,
  METRIC_KINDS,
  SENSITIVITIES,
  UNHEALTHY_PHASES,
  type Direction,
  type JudgedMetric,
  type MetricKind,
  type Sensitivity,
  type UnhealthyPhase,
} from '../judge/types.js';
import { durationField, formatDuration } from '../../shared/config/duration.js';
import { ConfigError, describeIssue, formatPath, parseConfig } from '../../shared/config/errors.js';
import { SELECT_BY } from '../collect/source.js';
import { logsSchema, type LogsConfig } from './logs.js';

export { ConfigError, describeIssue, formatPath };

// The judge owns the vocabulary; modules that configure it import it from here or from the judge alike.
export { DIRECTIONS, METRIC_KINDS, SENSITIVITIES, UNHEALTHY_PHASES, type Direction, type MetricKind, type Sensitivity, type UnhealthyPhase };

/** A ratio metric: two queries giving, per instance, the cumulative counters of the events and of the exposure they happen in. */
export interface RatioMetricConfig extends JudgedMetric {
  kind: 'ratio';
  /** In the source's dialect: the cumulative counter of events (e.g. errors) per instance. */
  numerator: string;
  /** In the source's dialect: the cumulative counter of exposure (e.g. requests) per instance. */
  denominator: string;
}

/** Any other kind: one query giving one series per instance. */
export interface SeriesMetricConfig extends JudgedMetric {
  kind: Exclude<MetricKind, 'ratio'>;
  /** In the source's dialect, selecting each group's pods (e.g. PromQL with `${selector}`). */
  query: string;
}

export type MetricConfig = RatioMetricConfig | SeriesMetricConfig;

export interface GroupRef {
  podTemplateHash: string;
}

/** The validated config; groups may be missing (the step gate fills them from the Rollout). */
export interface VerifySettings {
  durationMs: number;
  intervalMs: number;
  /** Canary samples this soon after an instance's first are not compared (judge/types.ts JudgeSettings). */
  warmupMs: number;
  history: HistorySettings;
  sensitivity: Sensitivity;
  failOnNoData: boolean;
  unhealthyPhase: UnhealthyPhase;
  canary?: GroupRef;
  baseline?: GroupRef;
  selectBy: (typeof SELECT_BY)[number];
  hashLabel: string;
  instanceLabel: string;
  source: SourceConfig;
  metrics: MetricConfig[];
  /** The service's logs, judged beside the metrics once the window closes. */
  logs?: LogsConfig;
}

/** A config ready to verify: both groups known. */
export interface VerifyConfig extends VerifySettings {
  canary: GroupRef;
  baseline: GroupRef;
}

export const DEFAULT_INTERVAL_MS = 30_000;
/** A fresh pod's first minute (JIT, caches, connection pools) is not held against it; capped at half the window. */
export const DEFAULT_WARMUP_MS = 60_000;
/** Where the judge learns how much the service's pods differ (plugin/verify/history.ts). */
export interface HistorySettings {
  /** How far back before the window; 0 turns history off. */
  lookbackMs: number;
  /** Each period of the lookback is one set of pods side by side. */
  periodMs: number;
}

const DAY_MS = 24 * 3_600_000;
const historySchema = z
  .strictObject({
    lookback: durationField({ min: 0, max: 30 * DAY_MS }).default(DAY_MS),
    period: durationField({ min: 600_000, max: DAY_MS }).default(3_600_000),
  })
  .superRefine((history, ctx) => {
    if (history.lookback > 0 && history.lookback < history.period) {
      ctx.addIssue({ code: 'custom', path: ['lookback'], message: `expected 0 (no history) or at least the period (${formatDuration(history.period)}); got ${formatDuration(history.lookback)}` });
    }
  })
  .transform(({ lookback, period }): HistorySettings => ({ lookbackMs: lookback, periodMs: period }))
  .default({ lookbackMs: DAY_MS, periodMs: 3_600_000 });

/** How long a warm-up may be set to: a quarter of an hour covers the slowest starts. */
export const warmupField = durationField({ min: 0, max: 15 * 60_000 }).default(DEFAULT_WARMUP_MS);

/** Most metrics one verification may have: each costs up to two queries per group at every look. */
const MAX_METRICS = 50;

// Label, tag or attribute names; each backend checks its own dialect's rules on top (checkSourceDialect).
const labelName = z.string().min(1).max(200);

const groupSchema = z.strictObject({ podTemplateHash: z.string().min(1) });

const queryField = z.string().min(1);

const positiveNumber = z.number().refine((n) => Number.isFinite(n) && n > 0, {
  error: (issue) => `expected a number greater than 0; got ${JSON.stringify(issue.input)}`,
});

const failFastSchema = z
  .strictObject({ above: z.number().optional(), below: z.number().optional() })
  .superRefine((bounds, ctx) => {
    if (bounds.above === undefined && bounds.below === undefined) {
      ctx.addIssue({ code: 'custom', message: 'expected at least one of above, below (e.g. {"above": 0.05}); got neither' });
    } else if (bounds.above !== undefined && bounds.below !== undefined && !(bounds.above > bounds.below)) {
      ctx.addIssue({ code: 'custom', path: ['above'], message: `expected above greater than below (${bounds.below}); got ${bounds.above}` });
    }
  });

export const metricSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9._-]+$/, {
    error: (issue) => `expected a name of lowercase letters, digits, "-", "_" or "."; got ${JSON.stringify(issue.input)}`,
  }),
  kind: z.enum(METRIC_KINDS).default('gauge'),
  query: queryField.optional(),
  numerator: queryField.optional(),
  denominator: queryField.optional(),
  direction: z.enum(DIRECTIONS).default('higher-is-bad'),
  critical: z.boolean().default(false),
  weight: positiveNumber.default(1),
  mustHaveData: z.boolean().default(true),
  ignoreBelow: z.number().optional(),
  failFast: failFastSchema.optional(),
  sensitivity: z.enum(SENSITIVITIES).optional(),
  minEvidence: positiveNumber.optional(),
});

type ParsedMetric = z.output<typeof metricSchema>;

/** Kind-specific rules of one metric, and its queries in the source's dialect, reported on `path` (the metric's path in the config). */
function checkMetric<S>(metric: ParsedMetric, path: (string | number)[], dialect: { side: MetricsSide<S>; settings: S } | undefined, ctx: z.RefinementCtx): void {
  const issue = (key: string, message: string) => ctx.addIssue({ code: 'custom', path: [...path, key], message });
  const examples = dialect?.side.examples;
  const counterExample = examples ? `, e.g. ${examples.counter}` : '';
  for (const key of ['query', 'numerator', 'denominator'] as const) {
    const query = metric[key];
    if (query === undefined || !dialect) continue;
    const use = metric.kind === 'ratio' && key !== 'query' ? 'counter' : 'series';
    for (const problem of dialect.side.queryProblems(query, use, dialect.settings)) issue(key, problem);
  }
  if (metric.kind === 'ratio') {
    if (metric.query !== undefined) issue('query', `not allowed for kind ratio (expected numerator and denominator queries of cumulative counters per instance${counterExample})`);
    for (const key of ['numerator', 'denominator'] as const) {
      if (metric[key] === undefined) issue(key, `is required for kind ratio (expected a query giving a cumulative counter per instance${counterExample})`);
    }
  } else {
    if (metric.query === undefined) issue('query', `is required for kind ${metric.kind} (expected a query giving one series per instance${examples ? `, e.g. ${examples.series}` : ''})`);
    for (const key of ['numerator', 'denominator'] as const) {
      if (metric[key] !== undefined) issue(key, `allowed only for kind ratio (kind is ${metric.kind}; expected query)`);
    }
  }
}

/** The source config once it parsed; when it did not (reported on its own), refinements still see its raw input. */
function parsedSource(value: unknown): SourceConfig | undefined {
  const kind = (value as { kind?: unknown } | undefined)?.kind;
  return typeof kind === 'string' && (SOURCE_KINDS as string[]).includes(kind) ? (value as SourceConfig) : undefined;
}

/** Rules the engine's config and the offline judge's input share: the window, unique names, the ignore floor. */
export function checkWindowAndMetrics(
  config: { duration: number; interval?: number | undefined; metrics: readonly { name: string; direction: Direction; ignoreBelow?: number | undefined }[] },
  ctx: z.RefinementCtx,
): void {
  if (config.interval !== undefined && config.interval > config.duration) {
    ctx.addIssue({
      code: 'custom',
      path: ['interval'],
      message: `expected at most the duration (${formatDuration(config.duration)}); got ${formatDuration(config.interval)}`,
    });
  }
  const seen = new Set<string>();
  config.metrics.forEach((metric, index) => {
    if (seen.has(metric.name)) {
      ctx.addIssue({ code: 'custom', path: ['metrics', index, 'name'], message: `expected a unique name; "${metric.name}" is used twice` });
    }
    seen.add(metric.name);
    // For lower-is-bad a low canary value is the regression itself, so a floor below which it is ignored would hide it.
    if (metric.ignoreBelow !== undefined && metric.direction === 'lower-is-bad') {
      ctx.addIssue({
        code: 'custom',
        path: ['metrics', index, 'ignoreBelow'],
        message: 'applies only to direction higher-is-bad or either (for lower-is-bad it would hide the regression)',
      });
    }
  });
}

function toMetricConfig({ query, numerator, denominator, ...metric }: ParsedMetric): MetricConfig {
  const judged = Object.fromEntries(Object.entries(metric).filter(([, value]) => value !== undefined)) as typeof metric;
  if (judged.kind === 'ratio') return { ...judged, kind: 'ratio', numerator: numerator!, denominator: denominator! };
  return { ...judged, kind: judged.kind, query: query! };
}

const verifySchema = z
  .strictObject({
    duration: durationField({ min: 1000 }),
    interval: durationField({ min: 1000 }).optional(),
    warmup: warmupField,
    history: historySchema,
    sensitivity: z.enum(SENSITIVITIES).default('medium'),
    failOnNoData: z.boolean().default(true),
    unhealthyPhase: z.enum(UNHEALTHY_PHASES).default('Failed'),
    canary: groupSchema.optional(),
    baseline: groupSchema.optional(),
    selectBy: z.enum(SELECT_BY).default('podName'),
    hashLabel: labelName.default('rollouts_pod_template_hash'),
    instanceLabel: labelName.default('pod'),
    source: sourceConfigSchema,
    logs: logsSchema.optional(),
    metrics: z
      .array(metricSchema)
      .min(1)
      .max(MAX_METRICS, {
        error: (issue) =>
          `expected at most ${MAX_METRICS} metrics (each is queried for both groups at every look; split them over several verifications); got ${Array.isArray(issue.input) ? issue.input.length : 'more'}`,
      }),
  })
  .superRefine((config, ctx) => {
    checkWindowAndMetrics(config, ctx);
    // Without a valid source (reported on its own) the queries' dialect is unknown.
    const source = parsedSource(config.source);
    const dialect = source ? { side: metricsOf(source), settings: source.settings } : undefined;
    config.metrics.forEach((metric, index) => checkMetric(metric, ['metrics', index], dialect, ctx));
    if (dialect) {
      for (const key of ['hashLabel', 'instanceLabel'] as const) {
        const problem = dialect.side.labelProblem(config[key]);
        if (problem) ctx.addIssue({ code: 'custom', path: [key], message: problem });
      }
    }
    if (config.canary && config.baseline && config.canary.podTemplateHash === config.baseline.podTemplateHash) {
      ctx.addIssue({
        code: 'custom',
        path: ['baseline', 'podTemplateHash'],
        message: `expected a hash different from canary.podTemplateHash (both are "${config.canary.podTemplateHash}"; nothing to compare)`,
      });
    }
  })
  .transform(
    ({ duration, interval, warmup, metrics, ...rest }): VerifySettings => ({
      ...rest,
      metrics: metrics.map(toMetricConfig),
      durationMs: duration,
      warmupMs: warmup,
      // The default never exceeds a short window.
      intervalMs: interval ?? Math.min(DEFAULT_INTERVAL_MS, duration),
    }),
  );

/** Validates a verify config where the groups may come from elsewhere (the step gate). */
export function parseVerifySettings(raw: unknown, root = 'config'): VerifySettings {
  return parseConfig(verifySchema, raw, root);
}

/** Validates the metric plugin's config, where both groups are required. */
export function parseVerifyConfig(raw: unknown, root = 'config'): VerifyConfig {
  const settings = parseVerifySettings(raw, root);
  const { canary, baseline } = settings;
  if (canary && baseline) return { ...settings, canary, baseline };
  const missing = (['canary', 'baseline'] as const).filter((group) => !settings[group]);
  throw new ConfigError(missing.map((group) => `${root}.${group}: is required (expected {"podTemplateHash": "<hash>"})`));
}
