import { z } from 'zod';
import { sourceConfigSchema, type SourceConfig } from '../collect/registry.js';
import type { PrometheusSettings } from '../collect/prometheus.js';
import { MATCHERS, PLACEHOLDERS, RATE_INTERVAL_PLACEHOLDER, SELECTOR_PLACEHOLDER, rangesOf, rateIntervalMs, withoutStrings } from '../collect/promql.js';
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

export { ConfigError, describeIssue, formatPath };

// The judge owns the vocabulary; modules that configure it import it from here or from the judge alike.
export { DIRECTIONS, METRIC_KINDS, SENSITIVITIES, UNHEALTHY_PHASES, type Direction, type MetricKind, type Sensitivity, type UnhealthyPhase };

export const SELECT_BY = ['label', 'podName'] as const;

/** A ratio metric: two queries giving, per instance, the cumulative counters of the events and of the exposure they happen in. */
export interface RatioMetricConfig extends JudgedMetric {
  kind: 'ratio';
  /** PromQL with `${selector}`: the counter of events (e.g. errors) per instance. */
  numerator: string;
  /** PromQL with `${selector}`: the counter of exposure (e.g. requests) per instance. */
  denominator: string;
}

/** Any other kind: one query giving one series per instance. */
export interface SeriesMetricConfig extends JudgedMetric {
  kind: Exclude<MetricKind, 'ratio'>;
  /** PromQL with `${selector}` where each group's label matchers go. */
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

const labelName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, {
  error: (issue) => `expected a Prometheus label name matching [a-zA-Z_][a-zA-Z0-9_]*; got ${JSON.stringify(issue.input)}`,
});

const groupSchema = z.strictObject({ podTemplateHash: z.string().min(1) });

const queryField = z.string().refine((query) => query.includes(SELECTOR_PLACEHOLDER), {
  error: `expected a query containing ${SELECTOR_PLACEHOLDER}, which is replaced by each group's label matchers (without it canary and baseline would be the same series)`,
});

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

const COUNTER_FORM = `sum by (pod) (http_requests_total{code=~"5..",${SELECTOR_PLACEHOLDER}})`;
const COUNTER_RULE = 'expected the cumulative counter per instance, without increase(), rate() or irate() (the engine takes the increases itself, exactly, at any scrape interval)';
// increase(), rate() and irate() calls; their names inside words (first_rate_total) are not calls.
const RATE_CALL = /(?<![\w:])(?:increase|rate|irate)\s*\(/;
// A rate of a plain vector selector, `increase(x_total{…,${selector}}[5m])`.
const RATE_OF_SELECTOR = String.raw`(?:increase|rate|irate)\s*\(\s*((?:[a-zA-Z_:][\w:]*\s*(?:${MATCHERS})?|${MATCHERS}))\s*\[[^\]]*\]\s*\)`;
// The shapes whose counter form is the same query without the rate: `rate(x[5m])`, `sum by (pod) (rate(x[5m]))`.
const SIMPLE_RATE = new RegExp(String.raw`^(\s*(?:sum\s*(?:by\s*\([^()]*\)\s*)?\(\s*)?)${RATE_OF_SELECTOR}(\s*\)?(?:\s*by\s*\([^()]*\))?\s*)$`);

/** Why a ratio query is not a counter query, or null; with the counter form of the query when it is a simple rate. */
function counterProblem(query: string): string | null {
  if (!RATE_CALL.test(withoutStrings(query))) return null;
  const simple = SIMPLE_RATE.exec(query);
  return simple ? `${COUNTER_RULE}: write ${simple[1]}${simple[2]!.trim()}${simple[3]}` : `${COUNTER_RULE}, e.g. ${COUNTER_FORM}`;
}

/** Problems of a query whatever its metric's kind: unknown placeholders, ranges too short for the scrape interval. */
function queryProblems(query: string, scrapeIntervalMs: number | undefined, stepMs: number): string[] {
  const problems = [...new Set(query.match(/\$\{[^}]*\}/g) ?? [])]
    .filter((placeholder) => !(PLACEHOLDERS as readonly string[]).includes(placeholder))
    .map((placeholder) => `unknown placeholder ${placeholder} (expected ${PLACEHOLDERS.join(' or ')})`);
  if (scrapeIntervalMs === undefined) return problems;
  // Two samples are the least a rate needs; a shorter range finds one or none and the metric has no data.
  const least = 2 * scrapeIntervalMs;
  for (const range of rangesOf(withoutStrings(query)).filter((r) => r.ms < least)) {
    problems.push(
      `the range [${range.text}] cannot hold two samples at source.prometheus.scrapeInterval ${formatDuration(scrapeIntervalMs)}, so rate() and increase() would find no data: write [${RATE_INTERVAL_PLACEHOLDER}] (${formatDuration(rateIntervalMs(stepMs, scrapeIntervalMs))} here) or a range of at least ${formatDuration(least)}`,
    );
  }
  return problems;
}

/** Kind-specific rules of one metric, reported on `path` (the metric's path in the config). */
function checkMetric(metric: ParsedMetric, path: (string | number)[], prometheus: PrometheusSettings | undefined, ctx: z.RefinementCtx): void {
  const issue = (key: string, message: string) => ctx.addIssue({ code: 'custom', path: [...path, key], message });
  for (const key of ['query', 'numerator', 'denominator'] as const) {
    const query = metric[key];
    // A ratio query with a rate is told the counter form instead (below).
    if (query === undefined || (metric.kind === 'ratio' && key !== 'query' && counterProblem(query))) continue;
    for (const problem of queryProblems(query, prometheus?.scrapeInterval, prometheus?.step ?? 0)) issue(key, problem);
  }
  if (metric.kind === 'ratio') {
    if (metric.query !== undefined) {
      issue('query', `not allowed for kind ratio (expected numerator and denominator queries of cumulative counters per instance, e.g. ${COUNTER_FORM})`);
    }
    for (const key of ['numerator', 'denominator'] as const) {
      const query = metric[key];
      if (query === undefined) {
        issue(key, `is required for kind ratio (expected a query containing ${SELECTOR_PLACEHOLDER} giving a cumulative counter per instance, e.g. ${COUNTER_FORM})`);
        continue;
      }
      const problem = counterProblem(query);
      if (problem) issue(key, problem);
    }
  } else {
    if (metric.query === undefined) issue('query', `is required for kind ${metric.kind} (expected a query containing ${SELECTOR_PLACEHOLDER}, one series per instance)`);
    for (const key of ['numerator', 'denominator'] as const) {
      if (metric[key] !== undefined) issue(key, `allowed only for kind ratio (kind is ${metric.kind}; expected query)`);
    }
  }
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
    const prometheus = config.source?.kind === 'prometheus' ? config.source.settings : undefined;
    config.metrics.forEach((metric, index) => checkMetric(metric, ['metrics', index], prometheus, ctx));
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
