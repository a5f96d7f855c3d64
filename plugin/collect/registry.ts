import { z } from 'zod';
import type { Backend } from './backend.js';
import { prometheus } from './prometheus/backend.js';
import type { HealthSource, SourceOptions } from './source.js';

// One entry per backend folder. A new backend is a folder (settings, dialect, client, auth) plus one line here.
const BACKENDS = { prometheus };

type Backends = typeof BACKENDS;
export type SourceKind = keyof Backends;
type SettingsOf<K extends SourceKind> = Backends[K] extends Backend<infer S> ? S : never;

export type SourceConfig = {
  [K in SourceKind]: { kind: K; settings: SettingsOf<K> };
}[SourceKind];

export const SOURCE_KINDS = Object.keys(BACKENDS) as SourceKind[];

/** The registry entry of a source config's backend, typed for its settings. */
export function backendOf(config: SourceConfig): Backend<SourceConfig['settings']> {
  return BACKENDS[config.kind] as Backend<SourceConfig['settings']>;
}

const sourceShape = Object.fromEntries(Object.entries(BACKENDS).map(([kind, backend]) => [kind, backend.settings.optional()])) as {
  [K in SourceKind]: z.ZodOptional<z.ZodType<SettingsOf<K>>>;
};

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
  return backendOf(config).metrics.create(config.settings, options);
}
