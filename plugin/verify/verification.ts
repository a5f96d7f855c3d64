// Collect → judge for every metric of a verification. A pure function of the config, the range and the
// backend's data, so any replica (or a restarted engine) reaches the same result.
import { setMaxListeners } from 'node:events';
import { increasesPerStep } from '../collect/counters.js';
import type { CollectError, FetchedSeries, GroupSelection, GroupsRequest, HealthSource, InstanceSeries, LogSource } from '../collect/source.js';
import type { GroupRef, VerifyConfig } from '../config/schema.js';
import { judgeVerification } from '../judge/judge.js';
import { seenBefore } from '../judge/warmup.js';
import type { GroupData, JudgeResult, JudgeSettings, Look, MetricInput } from '../judge/types.js';
import type { FeedbackMark } from '../judge/logs/compare.js';
import { collectHistory } from './history.js';
import { judgeWindowLogs } from './logs.js';
import { groupWithin, samplesWithin, type VerificationWindow } from './window.js';

/** How a source finds the series of `group`'s pods. */
export function selection(config: VerifyConfig, group: GroupRef): GroupSelection {
  return { podTemplateHash: group.podTemplateHash, selectBy: config.selectBy, hashLabel: config.hashLabel, instanceLabel: config.instanceLabel };
}

/** What the judge takes from a verification's config. */
export function judgeSettings(config: VerifyConfig): JudgeSettings {
  return { sensitivity: config.sensitivity, failOnNoData: config.failOnNoData, unhealthyPhase: config.unhealthyPhase, warmupMs: config.warmupMs };
}

/** The series of one query for each group, in one request when the source can; throws CollectError. */
function readGroups(source: HealthSource, request: GroupsRequest): Promise<FetchedSeries[]> {
  if (source.fetchGroups) return source.fetchGroups(request);
  const { groups, ...rest } = request;
  return Promise.all(groups.map((group) => source.fetchSeries({ ...rest, group })));
}

/**
 * The judge's input for every metric over `range`, with the service's history before it (history.ts): each
 * distinct query is read once, for both groups (metrics that share a query share its result). A ratio's counters become counts per step (counters.ts); the source's
 * warnings go with each metric. Reads begin a warm-up before the window: a canary pod seen then was already
 * running, and its warm-up counts from when it was seen (MetricInput.canarySince), not from the window's start. Throws CollectError when a metric cannot be collected; the other reads of the
 * look are then given up, as they are when `signal` aborts.
 */
export async function collectInputs(
  config: VerifyConfig,
  range: VerificationWindow,
  source: HealthSource,
  { signal, deadline, onHistoryError }: { signal?: AbortSignal; deadline?: number; onHistoryError?: (error: CollectError) => void } = {},
): Promise<MetricInput[]> {
  const look = new AbortController();
  const lookSignal = signal ? AbortSignal.any([signal, look.signal]) : look.signal;
  // Each request of the look listens to it, up to two per metric and group.
  setMaxListeners(0, lookSignal);
  const groups = [config.canary, config.baseline].map((group) => selection(config, group));
  const reads = new Map<string, Promise<FetchedSeries[]>>();
  const read = (name: string, query: string, cumulative = false): Promise<FetchedSeries[]> => {
    const key = `${cumulative}\n${query}`;
    let answer = reads.get(key);
    if (!answer) {
      const request = { metric: { name, query }, groups, start: readStart, end: range.end, signal: lookSignal, deadline };
      answer = readGroups(source, cumulative ? { ...request, cumulative } : request);
      reads.set(key, answer);
    }
    return answer;
  };
  const start = range.start.getTime() / 1000;
  const readStart = new Date(range.start.getTime() - config.warmupMs);
  // The window's part of a read, made once however many metrics share its query.
  const windows = new WeakMap<FetchedSeries[], [InstanceSeries, InstanceSeries]>();
  const windowOf = (fetched: FetchedSeries[]): [InstanceSeries, InstanceSeries] => {
    let data = windows.get(fetched);
    if (!data) windows.set(fetched, (data = [samplesWithin(fetched[0]!.series, start), samplesWithin(fetched[1]!.series, start)]));
    return data;
  };
  const history = collectHistory(config, groups[1]!, range, source, { signal: lookSignal, deadline, ...(onHistoryError && { onError: onHistoryError }) });
  try {
    return await Promise.all(
      config.metrics.map(async (metric): Promise<MetricInput> => {
        let data: [GroupData, GroupData];
        let fetched: FetchedSeries[];
        let since: Map<string, number>;
        if (metric.kind === 'ratio') {
          // Counters: the engine takes their increases per step itself.
          const [numerator, denominator] = await Promise.all([
            read(`${metric.name} (numerator)`, metric.numerator, true),
            read(`${metric.name} (denominator)`, metric.denominator, true),
          ]);
          data = [0, 1].map((i) => {
            return groupWithin(increasesPerStep(numerator[i]!.series, denominator[i]!.series, readStart.getTime() / 1000), start);
          }) as [GroupData, GroupData];
          fetched = [...numerator, ...denominator];
          since = seenBefore(denominator[0]!.series, start);
        } else {
          fetched = await read(metric.name, metric.query);
          data = windowOf(fetched);
          since = seenBefore(fetched[0]!.series, start);
        }
        const warnings = [...new Set(fetched.flatMap((f) => f.warnings))];
        const past = (await history).get(metric.name);
        return {
          metric,
          canary: data[0],
          baseline: data[1],
          ...(past?.length ? { history: past } : {}),
          ...(warnings.length ? { warnings } : {}),
          ...(since.size ? { canarySince: since } : {}),
        };
      }),
    );
  } catch (error) {
    look.abort(error);
    throw error;
  }
}

export interface VerifyOptions {
  /**
   * Judge the data so far as if the window had closed (Terminate): the verdict is final whatever the data says,
   * at the end-of-window confidence.
   */
  asClosed?: boolean;
  /** Aborted when the call is cancelled or out of time. */
  signal?: AbortSignal;
  /** When the call's time is up (epoch ms). */
  deadline?: number;
  /** A metric's history, or the stable pods' earlier lines, could not be read: judged without it. */
  onHistoryError?: (error: CollectError) => void;
  /** Where the logs are read from, when the config has `logs`. */
  logSource?: LogSource;
  /** People's marks on log templates (by template text) for this service and environment. */
  feedback?: ReadonlyMap<string, FeedbackMark>;
}

/** A look's result, with the data it judged (for reports and charts). */
export interface Verified {
  result: JudgeResult;
  inputs: MetricInput[];
}

/**
 * Collects every metric over `range` (which starts at the window's start and ends at the latest time judged)
 * and judges it as one look of the window. Before the window closes the result is final only when a
 * regression is conclusive; once closed (or `asClosed`) it always is. Throws CollectError.
 */
export async function verify(config: VerifyConfig, range: VerificationWindow, source: HealthSource, options: VerifyOptions = {}): Promise<Verified> {
  const elapsedMs = range.end.getTime() - range.start.getTime();
  const look: Look = { elapsedMs: options.asClosed ? config.durationMs : elapsedMs, durationMs: config.durationMs, intervalMs: config.intervalMs };
  const [inputs, logs] = await Promise.all([collectInputs(config, range, source, options), lookAtLogs(config, range, look, options)]);
  return { result: judgeVerification(judgeSettings(config), inputs, look, logs), inputs };
}

/** The logs' judgement when the config reads logs and the look is the window's last; throws CollectError. */
async function lookAtLogs(config: VerifyConfig, range: VerificationWindow, look: Look, options: VerifyOptions) {
  if (!config.logs || look.elapsedMs < look.durationMs) return undefined;
  if (!options.logSource) throw new Error('the config reads logs, but no log source was given');
  const groups = { canary: config.canary.podTemplateHash, baseline: config.baseline.podTemplateHash };
  const { signal, deadline, feedback, onHistoryError } = options;
  return judgeWindowLogs(config.logs, groups, range, options.logSource, { sensitivity: config.sensitivity, warmupMs: config.warmupMs }, {
    ...(signal && { signal }),
    ...(deadline !== undefined && { deadline }),
    ...(feedback && { feedback }),
    ...(onHistoryError && { onHistoryError }),
  });
}
