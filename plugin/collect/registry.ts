import { z } from 'zod';
import type { Backend, HealthOptions, LogsSide, MetricsSide } from './backend.js';
import { datadog } from './datadog/backend.js';
import { elasticsearch, opensearch } from './elasticsearch/backend.js';
import { loki } from './loki/backend.js';
import { newrelic } from './newrelic/backend.js';
import { prometheus } from './prometheus/backend.js';
import { CollectError, type HealthSource, type LogSource, type SourceOptions } from './source.js';
import { victorialogs } from './victorialogs/backend.js';

// One entry per backend folder. A new backend is a folder (settings, dialect, client, auth) plus one line here.
const BACKENDS = { prometheus, loki, newrelic, victorialogs, datadog, elasticsearch, opensearch };

type Backends = typeof BACKENDS;
export type SourceKind = keyof Backends;
type SettingsOf<K extends SourceKind> = Backends[K] extends Backend<infer S> ? S : never;

export type SourceConfig = {
  [K in SourceKind]: { kind: K; settings: SettingsOf<K> };
}[SourceKind];

type Side = 'metrics' | 'logs';
type AnySettings = SourceConfig['settings'];

/** The backends that serve `side`, by kind. */
function kindsServing(side: Side): SourceKind[] {
  return (Object.keys(BACKENDS) as SourceKind[]).filter((kind) => (BACKENDS[kind] as Backend<AnySettings>)[side] !== undefined);
}

export const SOURCE_KINDS = kindsServing('metrics');
export const LOG_SOURCE_KINDS = kindsServing('logs');

/** The registry entry of a source config's backend, typed for its settings. */
export function backendOf(config: SourceConfig): Backend<AnySettings> {
  return BACKENDS[config.kind] as Backend<AnySettings>;
}

/** The metrics side of a parsed `source:` (the schema admits only backends that have one). */
export function metricsOf(config: SourceConfig): MetricsSide<AnySettings> {
  const side = backendOf(config).metrics;
  if (!side) throw new Error(`source kind ${config.kind} serves no metrics`);
  return side;
}

/** The logs side of a parsed `logs.source:` (the schema admits only backends that have one). */
export function logsOf(config: SourceConfig): LogsSide<AnySettings> {
  const side = backendOf(config).logs;
  if (!side) throw new Error(`source kind ${config.kind} serves no logs`);
  return side;
}

/** `{<kind>: {...settings}}` with exactly one of `kinds` set. */
function oneKindSchema(kinds: SourceKind[], example: string) {
  const shape = Object.fromEntries(kinds.map((kind) => [kind, BACKENDS[kind].settings.optional()])) as Record<string, z.ZodOptional<z.ZodType<AnySettings>>>;
  const form = `{"<kind>": {...}} with kind one of ${kinds.join(', ')}, e.g. ${example}`;
  return z
    .strictObject(shape, {
      error: (issue) => {
        if (issue.code !== 'invalid_type') return undefined;
        return issue.input === undefined ? `is required (expected ${form})` : `expected ${form}`;
      },
    })
    .transform((value, ctx): SourceConfig => {
      // An unknown kind was already reported; "none given" would only repeat it.
      if (ctx.issues.length) return z.NEVER;
      const given = kinds.filter((kind) => value[kind] !== undefined);
      const [kind] = given;
      if (given.length !== 1 || kind === undefined) {
        ctx.issues.push({ code: 'custom', input: value, message: `expected exactly one source kind (one of ${kinds.join(', ')}); got ${given.length ? given.join(', ') : 'none'}` });
        return z.NEVER;
      }
      return { kind, settings: value[kind] } as SourceConfig;
    });
}

/** `source:` of a verification: a backend that serves metrics. */
export const sourceConfigSchema = oneKindSchema(SOURCE_KINDS, '{"prometheus": {"address": "http://prometheus:9090"}}');

/** `logs.source:` of a verification: a backend that serves logs. */
export const logSourceConfigSchema = oneKindSchema(LOG_SOURCE_KINDS, '{"loki": {"address": "http://loki:3100"}}');

export function createHealthSource(config: SourceConfig, options: SourceOptions = {}): HealthSource {
  return metricsOf(config).create(config.settings, options);
}

export function createLogSource(config: SourceConfig, options: SourceOptions = {}): LogSource {
  return logsOf(config).create(config.settings, options);
}

/** The backend's health check of a source: one line on what answered; rejects with a CollectError. */
export function checkSourceHealth(config: SourceConfig, options: HealthOptions = {}): Promise<string> {
  const backend = backendOf(config);
  if (!backend.health) return Promise.reject(new CollectError('health', backend.title, 'this backend has no health check'));
  return backend.health(config.settings, options);
}
