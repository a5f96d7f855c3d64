// What a backend folder gives the registry (registry.ts): its settings under `source.<kind>`, and per side it
// serves — metrics today, logs as well for some — how to build the source and how to check a query in its own
// dialect. The generic config schema knows nothing of any dialect: it asks the backend.
import type { z } from 'zod';
import type { GroupSelection, HealthSource, LogSource, SourceOptions } from './source.js';

/** How a metric uses a query: one series per instance, or a cumulative counter per instance (a ratio's). */
export type QueryUse = 'series' | 'counter';

/** A problem found in a config, with the path under the verification config it is reported at. */
export interface ConfigProblem {
  path: (string | number)[];
  message: string;
}

export interface MetricsSide<S> {
  create(settings: S, options: SourceOptions): HealthSource;
  /** Problems of one query in the backend's dialect (a missing placeholder, a range too short, a rate of a counter). */
  queryProblems(query: string, use: QueryUse, settings: S): string[];
  /** A query of each use, for messages that say what is expected. */
  examples: Record<QueryUse, string>;
  /** Why `name` cannot be a label (tag, attribute) name in this backend, or null. */
  labelProblem(name: string): string | null;
  /** How often the backend holds a sample, for `rollouts-cv check`; absent when the backend cannot tell. */
  sampling?: SamplingProbe<S>;
}

export interface SamplingProbe<S> {
  /** The setting that says how often samples are taken, e.g. "source.prometheus.scrapeInterval". */
  setting: string;
  configuredMs(settings: S): number;
  /** How often the series of metric `name`'s `query` hold a sample over `range` for these groups, from the data; null when it cannot be told. */
  seenMs(name: string, query: string, groups: GroupSelection[], instanceLabel: string, range: { start: Date; end: Date }, source: HealthSource): Promise<number | null>;
  /** What a sampling interval of `seenMs` makes wrong in these queries. */
  problems(queries: string[], seenMs: number, settings: S): string[];
}

export interface LogsSide<S> {
  create(settings: S, options: SourceOptions): LogSource;
  /** Problems of the logs query in the backend's dialect. */
  queryProblems(query: string, settings: S): string[];
  /** A query, for messages that say what is expected. */
  example: string;
  /** Why `name` cannot be a field (label, attribute) name in this backend, or null. */
  fieldProblem(name: string): string | null;
}

/** What a health check is given besides the settings: the call's cancellation and end, as a query has them. */
export interface HealthOptions extends SourceOptions {
  signal?: AbortSignal;
  /** Epoch ms. */
  deadline?: number;
}

/** A backend serves metrics, logs or both. */
export interface Backend<S> {
  /** For messages: "Prometheus", "Datadog", … */
  title: string;
  settings: z.ZodType<S>;
  metrics?: MetricsSide<S>;
  logs?: LogsSide<S>;
  /**
   * Whether the engine reaches the backend with its credentials, and what it is: resolves with one line
   * ("Prometheus 2.53.3 at http://prometheus:9090"), rejects with a CollectError naming the source and the cause.
   */
  health?(settings: S, options: HealthOptions): Promise<string>;
}
