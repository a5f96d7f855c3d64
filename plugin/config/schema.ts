import { z } from 'zod';
import { sourceConfigSchema, type SourceConfig } from '../collect/registry.js';
import { SELECTOR_PLACEHOLDER } from '../collect/promql.js';
import { durationField, formatDuration } from './duration.js';

export const SENSITIVITIES = ['high', 'medium', 'low'] as const;
export const DIRECTIONS = ['higher-is-bad', 'lower-is-bad', 'either'] as const;
export const UNHEALTHY_PHASES = ['Failed', 'Inconclusive'] as const;
export const SELECT_BY = ['label', 'podName'] as const;

export type Sensitivity = (typeof SENSITIVITIES)[number];
export type Direction = (typeof DIRECTIONS)[number];

export interface MetricConfig {
  name: string;
  /** PromQL with `${selector}` where each group's label matchers go. */
  query: string;
  direction: Direction;
  /** Canary values below this absolute floor never count as a regression. */
  ignoreBelow?: number;
}

export interface GroupRef {
  podTemplateHash: string;
}

/** The validated config; groups may be missing (the step gate fills them from the Rollout). */
export interface VerifySettings {
  durationMs: number;
  intervalMs: number;
  sensitivity: Sensitivity;
  failOnNoData: boolean;
  unhealthyPhase: (typeof UNHEALTHY_PHASES)[number];
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

/** An invalid config. Each issue names the field and the expected form. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly issues: string[]) {
    super(issues.join('; '));
  }
}

const DEFAULT_INTERVAL_MS = 30_000;

const labelName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, {
  error: (issue) => `expected a Prometheus label name matching [a-zA-Z_][a-zA-Z0-9_]*; got ${JSON.stringify(issue.input)}`,
});

const groupSchema = z.strictObject({ podTemplateHash: z.string().min(1) });

const metricSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9._-]+$/, {
    error: (issue) => `expected a name of lowercase letters, digits, "-", "_" or "."; got ${JSON.stringify(issue.input)}`,
  }),
  query: z.string().refine((query) => query.includes(SELECTOR_PLACEHOLDER), {
    error: `expected a query containing ${SELECTOR_PLACEHOLDER}, which is replaced by each group's label matchers (without it canary and baseline would be the same series)`,
  }),
  direction: z.enum(DIRECTIONS).default('higher-is-bad'),
  ignoreBelow: z.number().optional(),
});

const verifySchema = z
  .strictObject({
    duration: durationField({ min: 1000 }),
    interval: durationField({ min: 1000 }).optional(),
    sensitivity: z.enum(SENSITIVITIES).default('medium'),
    failOnNoData: z.boolean().default(true),
    unhealthyPhase: z.enum(UNHEALTHY_PHASES).default('Failed'),
    canary: groupSchema.optional(),
    baseline: groupSchema.optional(),
    selectBy: z.enum(SELECT_BY).default('label'),
    hashLabel: labelName.default('rollouts_pod_template_hash'),
    instanceLabel: labelName.default('pod'),
    source: sourceConfigSchema,
    metrics: z.array(metricSchema).min(1),
  })
  .superRefine((config, ctx) => {
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
    if (config.canary && config.baseline && config.canary.podTemplateHash === config.baseline.podTemplateHash) {
      ctx.addIssue({
        code: 'custom',
        path: ['baseline', 'podTemplateHash'],
        message: `expected a hash different from canary.podTemplateHash (both are "${config.canary.podTemplateHash}"; nothing to compare)`,
      });
    }
  })
  .transform(
    ({ duration, interval, ...rest }): VerifySettings => ({
      ...rest,
      durationMs: duration,
      // The default never exceeds a short window.
      intervalMs: interval ?? Math.min(DEFAULT_INTERVAL_MS, duration),
    }),
  );

/** Validates a verify config where the groups may come from elsewhere (the step gate). */
export function parseVerifySettings(raw: unknown, root = 'config'): VerifySettings {
  const result = verifySchema.safeParse(raw, { error: describeIssue, reportInput: true });
  if (!result.success) throw new ConfigError(result.error.issues.map((issue) => `${formatPath(root, issue.path)}: ${issue.message}`));
  return result.data;
}

/** Validates the metric plugin's config, where both groups are required. */
export function parseVerifyConfig(raw: unknown, root = 'config'): VerifyConfig {
  const settings = parseVerifySettings(raw, root);
  const { canary, baseline } = settings;
  if (canary && baseline) return { ...settings, canary, baseline };
  const missing = (['canary', 'baseline'] as const).filter((group) => !settings[group]);
  throw new ConfigError(missing.map((group) => `${root}.${group}: is required (expected {"podTemplateHash": "<hash>"})`));
}

/** `config.metrics[1].direction` from a zod path. */
export function formatPath(root: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, key) => {
    if (typeof key === 'number') return `${text}[${key}]`;
    const name = String(key);
    return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? `${text}.${name}` : `${text}[${JSON.stringify(name)}]`;
  }, root);
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
};

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return JSON.stringify(value);
}

/** Messages in the form "expected <form>; got <value>" for issues the schema does not word itself. */
function describeIssue(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type': {
      const expected = TYPE_NAMES[issue.expected] ?? issue.expected;
      return issue.input === undefined ? `is required (expected ${expected})` : `expected ${expected}; got ${describeValue(issue.input)}`;
    }
    case 'invalid_value':
      return `expected one of ${issue.values.map(String).join(', ')}; got ${describeValue(issue.input)}`;
    case 'unrecognized_keys': {
      const allowed = issue.inst instanceof z.ZodObject ? `; allowed keys: ${Object.keys(issue.inst.shape).join(', ')}` : '';
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => JSON.stringify(key)).join(', ')}${allowed}`;
    }
    case 'too_small':
      if (issue.origin === 'string') return `expected a non-empty string; got ""`;
      if (issue.origin === 'array') return `expected at least ${issue.minimum} item${issue.minimum === 1 ? '' : 's'}; got none`;
      return undefined;
    default:
      return undefined;
  }
}
