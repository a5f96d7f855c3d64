// The seam between the engine and a backend: HealthSource for metrics, LogSource for logs. Each backend is a
// folder that implements one or both and is listed in registry.ts (backend.ts says what a folder provides).
import type { RequestQueue } from './request-queue.js';

/** One observation: unix time in seconds and a finite value. */
export type Sample = readonly [unixSeconds: number, value: number];

/** The series of one group of pods, one entry per instance (pod). */
export type InstanceSeries = Map<string, Sample[]>;

/** How a group's pods are found: by a label holding the pod-template hash, or by their names. */
export const SELECT_BY = ['label', 'podName'] as const;

/** Which pods form a group and how instances are told apart in query results. */
export interface GroupSelection {
  podTemplateHash: string;
  /** `label`: pods carrying hashLabel=<hash>; `podName`: pods named <anything>-<hash>-<suffix> on instanceLabel. */
  selectBy: (typeof SELECT_BY)[number];
  hashLabel: string;
  instanceLabel: string;
}

export interface SeriesRequest {
  metric: { name: string; query: string };
  group: GroupSelection;
  start: Date;
  end: Date;
  /**
   * The query gives cumulative counters (a ratio's): the series then also has a point at `start`, the counters'
   * values the increases in the range are taken from (counters.ts).
   */
  cumulative?: boolean;
  /** Resolution wanted, instead of the source's configured one (a coarse one for days of history). */
  stepMs?: number;
  /** Aborted when the call is cancelled or out of time: requests waiting or in flight are given up. */
  signal?: AbortSignal;
  /** When the call's time is up (epoch ms): a request whose turn would come later is not queued. */
  deadline?: number;
}

/** The same query for several groups (canary and baseline) over one range. */
export interface GroupsRequest extends Omit<SeriesRequest, 'group'> {
  groups: GroupSelection[];
}

/** One group's series of one query, and what the backend warned about its answer. */
export interface FetchedSeries {
  series: InstanceSeries;
  /**
   * The backend's warnings, e.g. Prometheus' `warnings` on a partial response (a store or shard not answering,
   * a query limit reached): the series may lack data. Empty when there were none.
   */
  warnings: string[];
}

/** What the engine gives every backend besides its config. */
export interface SourceOptions {
  /** Where credentials folders are mounted (the engine's --credentials-dir); see credentials.ts. */
  credentialsDir?: string;
  /** The engine-wide queue of source requests; a default one (request-queue.ts) when absent. */
  queue?: RequestQueue;
}

export interface HealthSource {
  /** Names the backend in messages, e.g. "Prometheus at http://prometheus:9090". */
  readonly description: string;
  /**
   * Per-instance series of one metric for one group over (start, end]: samples at times after `start`, each
   * describing the step that ends at it (so no sample counts what happened before `start`), and for a
   * `cumulative` request a sample at `start` too; throws CollectError.
   */
  fetchSeries(request: SeriesRequest): Promise<FetchedSeries>;
  /** fetchSeries for each group, in order; a backend that can read several groups in one request offers it. */
  fetchGroups?(request: GroupsRequest): Promise<FetchedSeries[]>;
}

/** One log line of one instance (pod). */
export interface LogLine {
  /** Epoch milliseconds. */
  time: number;
  instance: string;
  message: string;
  /** The level the log store recorded for the line (a `level` field), if any; otherwise it is read from the message. */
  level?: string;
}

/** Which pods' logs form a group, in the log store's field names. */
export interface LogGroupSelection {
  podTemplateHash: string;
  /** `label`: lines whose hashField is <hash>; `podName`: lines whose instanceField is <anything>-<hash>-<suffix>. */
  selectBy: (typeof SELECT_BY)[number];
  hashField: string;
  instanceField: string;
}

export interface LogsRequest {
  /** The config's query in the backend's dialect (the service's lines, e.g. `{app="web"}`); the group is added to it. */
  query: string;
  group: LogGroupSelection;
  /** Lines with start < time ≤ end. */
  start: Date;
  end: Date;
  /** Most lines to return; the source says when there were more (`total`). */
  limit: number;
  signal?: AbortSignal;
  deadline?: number;
}

export interface FetchedLogs {
  /** At most `limit` lines, in any order. */
  lines: LogLine[];
  /**
   * How many lines matched in all, when the backend can count them (a count query or aggregation): above the
   * number returned, the lines are a sample of them. Undefined when it cannot tell whether lines were left out.
   */
  total?: number;
  warnings: string[];
}

export interface LogSource {
  /** Names the backend in messages, e.g. "Loki at http://loki:3100". */
  readonly description: string;
  /** One group's lines over the range; throws CollectError naming the query. */
  fetchLogs(request: LogsRequest): Promise<FetchedLogs>;
}

/**
 * Data could not be collected. The message names the metric, the source and the cause. `transient` when trying
 * again later may succeed (no answer in time, the source or the engine busy, the call cancelled), as opposed to a
 * query or a configuration the source refuses.
 */
export class CollectError extends Error {
  override name = 'CollectError';
  constructor(
    readonly metric: string,
    readonly source: string,
    readonly causeText: string,
    readonly transient = false,
  ) {
    super(`metric "${metric}": ${source}: ${causeText}`);
  }
}
