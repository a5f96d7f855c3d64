import { z } from 'zod';
import { createPrometheusSource, prometheusSettingsSchema } from './prometheus.js';
import type { HealthSource, SourceOptions } from './source.js';

// One entry per backend: its config schema (under `source.<kind>`) and its factory. A new backend is one module
// plus one line here.
const BACKENDS = {
  prometheus: { settings: prometheusSettingsSchema, create: createPrometheusSource },
};

export type SourceKind = keyof typeof BACKENDS;

export type SourceConfig = {
  [K in SourceKind]: { kind: K; settings: z.output<(typeof BACKENDS)[K]['settings']> };
}[SourceKind];

export const SOURCE_KINDS = Object.keys(BACKENDS) as SourceKind[];

const sourceShape = Object.fromEntries(
  Object.entries(BACKENDS).map(([kind, backend]) => [kind, backend.settings.optional()]),
) as { [K in SourceKind]: z.ZodOptional<(typeof BACKENDS)[K]['settings']> };

const SOURCE_FORM = `{"<kind>": {...}} with kind one of ${SOURCE_KINDS.join(', ')}, e.g. {"prometheus": {"address": "http://prometheus:9090"}}`;

/** `source: {<kind>: {...settings}}` with exactly one kind set. */
export const sourceConfigSchema = z
  .strictObject(sourceShape, {
    error: (issue) => {
      if (issue.code !== 'invalid_type') return undefined;
      return issue.input === undefined ? `is required (expected ${SOURCE_FORM})` : `expected ${SOURCE_FORM}`;
    },
  })
  .transform((value, ctx): SourceConfig => {
    // An unknown kind was already reported; "none given" would only repeat it.
    if (ctx.issues.length) return z.NEVER;
    const kinds = SOURCE_KINDS.filter((kind) => value[kind] !== undefined);
    const [kind] = kinds;
    if (kinds.length !== 1 || kind === undefined) {
      ctx.issues.push({
        code: 'custom',
        input: value,
        message: `expected exactly one source kind (one of ${SOURCE_KINDS.join(', ')}); got ${kinds.length ? kinds.join(', ') : 'none'}`,
      });
      return z.NEVER;
    }
    return { kind, settings: value[kind] } as SourceConfig;
  });

export function createHealthSource(config: SourceConfig, options: SourceOptions = {}): HealthSource {
  return BACKENDS[config.kind].create(config.settings, options);
}
