// The metric plugin `rollouts-cv/verify`: one Measurement per verification window. Stateless — everything a
// call needs is in the AnalysisRun, the Metric and the Measurement the controller hands back.
import type { ApprovalRequestStore } from '../../shared/approvals/store.js';
import type { Logger } from '../../shared/log.js';
import { createHealthSource, type SourceConfig } from '../collect/registry.js';
import { CollectError, type HealthSource } from '../collect/source.js';
import { formatDuration } from '../../shared/config/duration.js';
import { ConfigError, parseVerifyConfig, type VerifyConfig } from '../config/schema.js';
import type { JudgeResult, Verdict } from '../judge/types.js';
import {
  METADATA_KEYS,
  errorMeasurement,
  measurementValue,
  rfc3339,
  summarize,
  verdictSentence,
  verificationId,
  wholeSeconds,
  windowMetadata,
} from './measurement.js';
import { isRecord, stringAt } from '../../shared/kube/json.js';
import type { Measurement } from './types.js';
import { verify } from './verification.js';
import { describeCoverage, elapsedRange, isClosed, lookRange, nextCheck, parseTimestamp, windowFrom, type VerificationWindow } from './window.js';

export interface EngineContext {
  now: () => Date;
  log: Logger;
  /** Builds the health source for a config; defaults to the backend registry (tests inject a fake). */
  createSource?: (config: SourceConfig) => HealthSource;
  /** Told of verdicts and failed collections, for the engine's own metrics. */
  events?: VerificationEvents;
  /** ApprovalRequests in the Kubernetes API, for approval gates; absent when the engine has no Kubernetes access. */
  approvals?: ApprovalRequestStore;
  /** Aborted when the call is cancelled or its time is up: collection stops. */
  signal?: AbortSignal;
  /** When the call's time is up (epoch ms), if it has a deadline. */
  deadline?: number;
}

/** Which plugin ran a verification: the metric plugin (rollouts-cv/verify) or the step plugin's verify gate. */
export type VerificationPlugin = 'verify' | 'gate';

export interface VerificationEvents {
  finished(event: { plugin: VerificationPlugin; verdict: Verdict | null; phase: string; early: boolean }): void;
  collectionFailed(plugin: VerificationPlugin): void;
}

/**
 * The validated plugin config of the metric; throws ConfigError. Argo Rollouts allows exactly one key under
 * `provider.plugin`, named as the plugin was registered (`rollouts-cv/verify` in the examples), so any name works.
 */
export function readMetricConfig(metric: unknown): VerifyConfig {
  const plugins = isRecord(metric) && isRecord(metric.provider) ? metric.provider.plugin : undefined;
  const names = isRecord(plugins) ? Object.keys(plugins) : [];
  if (!isRecord(plugins) || names.length !== 1) {
    throw new ConfigError([
      `metric.provider.plugin: expected exactly one plugin entry (e.g. "rollouts-cv/verify") holding the verification config; got ${names.length === 0 ? 'none' : names.join(', ')}`,
    ]);
  }
  return parseVerifyConfig(plugins[names[0]!]);
}

// After a failed collection in an open window, try again this soon (or at the interval, if shorter).
const RETRY_MS = 10_000;
// After the window's end, a collection that failed for a passing reason (no answer in time, the source or the
// engine busy) is tried again for this long before the measurement ends in Error: the range is the window, so a
// later look gives the same verdict.
export const LATE_RETRY_MS = 5 * 60_000;

/** The health source for a config: the context's factory when the server or a test gives one, else the registry. */
export function sourceFor(config: VerifyConfig, ctx: EngineContext): HealthSource {
  return (ctx.createSource ?? createHealthSource)(config.source);
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Error for a call that cannot start: an invalid config, or a measurement that lost its window. */
function cannotVerify(error: unknown, now: Date, base: Partial<Measurement> = {}): Measurement {
  return errorMeasurement(`${error instanceof ConfigError ? 'invalid config: ' : ''}${describeError(error)}`, now, base);
}

function metricVerificationId(analysisRun: unknown, metric: unknown, window: VerificationWindow): string {
  const run = ['uid', 'namespace', 'name'].map((key) => stringAt(analysisRun, 'metadata', key)).join('/');
  return verificationId(run, stringAt(metric, 'name'), rfc3339(window.start));
}

/** Starts a verification window at now; queries nothing yet. */
export async function metricRun(analysisRun: unknown, metric: unknown, ctx: EngineContext): Promise<Measurement> {
  const now = ctx.now();
  let config: VerifyConfig;
  try {
    config = readMetricConfig(metric);
  } catch (error) {
    return cannotVerify(error, now);
  }
  const window = windowFrom(wholeSeconds(now), config.durationMs);
  const id = metricVerificationId(analysisRun, metric, window);
  ctx.log.info({ verificationId: id, canary: config.canary.podTemplateHash, baseline: config.baseline.podTemplateHash }, 'verification started');
  return {
    phase: 'Running',
    message: `verifying canary ${config.canary.podTemplateHash} against baseline ${config.baseline.podTemplateHash} on ${config.metrics.length} metric(s) over ${formatDuration(config.durationMs)}`,
    startedAt: rfc3339(now),
    resumeAt: rfc3339(nextCheck(window, now, config.intervalMs)),
    metadata: windowMetadata(id, window),
    value: measurementValue(summarize(null)),
  };
}

interface InFlight {
  config: VerifyConfig;
  window: VerificationWindow;
  /** The fields every returned measurement keeps. */
  base: Pick<Measurement, 'startedAt' | 'metadata'>;
}

/** Rebuilds the verification from the metric and the in-flight measurement; throws ConfigError or Error. */
function inFlight(analysisRun: unknown, metric: unknown, measurement: Measurement): InFlight {
  const config = readMetricConfig(metric);
  const start = parseTimestamp(measurement.metadata?.[METADATA_KEYS.windowStart]) ?? parseTimestamp(measurement.startedAt);
  if (!start) {
    throw new Error(`cannot find the window: the measurement has neither metadata.${METADATA_KEYS.windowStart} nor startedAt as an RFC 3339 time`);
  }
  const window = windowFrom(start, config.durationMs);
  const id = measurement.metadata?.[METADATA_KEYS.id] || metricVerificationId(analysisRun, metric, window);
  return {
    config,
    window,
    base: { startedAt: measurement.startedAt || rfc3339(start), metadata: { ...measurement.metadata, ...windowMetadata(id, window) } },
  };
}

/** The in-flight verification, or the Error measurement saying why it cannot go on. */
function resumable(analysisRun: unknown, metric: unknown, measurement: Measurement, now: Date): InFlight | Measurement {
  try {
    return inFlight(analysisRun, metric, measurement);
  } catch (error) {
    return cannotVerify(error, now, { startedAt: measurement.startedAt, metadata: measurement.metadata });
  }
}

function finished(state: InFlight, result: JudgeResult, now: Date, message: string): Measurement {
  return {
    ...state.base,
    // Final results never carry Running; an undecided one would only reach here through a bug, and is no pass.
    phase: result.final && result.phase !== 'Running' ? result.phase : 'Error',
    message,
    finishedAt: rfc3339(now),
    value: measurementValue(summarize(result)),
  };
}

/**
 * Judges the window on the data so far. Finishes as soon as the judge decides — a conclusive regression before
 * the window closes, any verdict once it has — and otherwise stays Running until the next look.
 */
export async function metricResume(analysisRun: unknown, metric: unknown, measurement: Measurement, ctx: EngineContext): Promise<Measurement> {
  const now = ctx.now();
  const state = resumable(analysisRun, metric, measurement, now);
  if ('phase' in state) return state;
  const { config, window } = state;
  const closed = isClosed(window, now);
  const log = ctx.log.child({ verificationId: state.base.metadata?.[METADATA_KEYS.id] });

  // Whole intervals only; once closed, the range is exactly the window, so a later Resume gives the same verdict.
  const range = lookRange(window, now, config.intervalMs);
  let result: JudgeResult;
  try {
    result = await verify(config, range, sourceFor(config, ctx), {
      signal: ctx.signal,
      deadline: ctx.deadline,
      onHistoryError: (error) => log.warn({ err: error }, 'history could not be read: the metric is judged without it'),
    });
  } catch (error) {
    log.warn({ err: error, closed }, 'collection failed');
    ctx.events?.collectionFailed('verify');
    const retryLate = error instanceof CollectError && error.transient && now.getTime() < window.end.getTime() + LATE_RETRY_MS;
    if (closed && !retryLate) return errorMeasurement(`collection failed at the end of the window: ${describeError(error)}`, now, state.base);
    const retryAt = closed ? new Date(now.getTime() + RETRY_MS) : nextCheck(window, now, Math.min(config.intervalMs, RETRY_MS));
    return {
      ...state.base,
      phase: 'Running',
      message: `collection failed, will retry at ${rfc3339(retryAt)}: ${describeError(error)}`,
      resumeAt: rfc3339(retryAt),
      value: measurement.value || measurementValue(summarize(null)),
    };
  }

  if (!result.final) {
    return {
      ...state.base,
      phase: 'Running',
      message: `in progress, ${describeCoverage(window, range.end)} covered; ${verdictSentence(result)}`,
      resumeAt: rfc3339(nextCheck(window, now, config.intervalMs)),
      value: measurementValue(summarize(result)),
    };
  }
  log.info({ verdict: result.verdict, score: result.score, phase: result.phase, early: !closed }, 'verification finished');
  ctx.events?.finished({ plugin: 'verify', verdict: result.verdict, phase: result.phase, early: !closed });
  const when = closed ? '' : `decided early, after ${describeCoverage(window, range.end)}: `;
  return finished(state, result, now, `${when}${verdictSentence(result)}`);
}

/**
 * Ends the verification with the verdict of the data so far: judged as if the window had closed (the verdict is
 * final and may pass), which the message says.
 */
export async function metricTerminate(analysisRun: unknown, metric: unknown, measurement: Measurement, ctx: EngineContext): Promise<Measurement> {
  const now = ctx.now();
  const state = resumable(analysisRun, metric, measurement, now);
  if ('phase' in state) return state;
  const { config, window } = state;
  let result: JudgeResult;
  try {
    result = await verify(config, elapsedRange(window, now), sourceFor(config, ctx), { asClosed: true, signal: ctx.signal, deadline: ctx.deadline });
  } catch (error) {
    ctx.events?.collectionFailed('verify');
    return errorMeasurement(`terminated; collection failed: ${describeError(error)}`, now, state.base);
  }
  ctx.events?.finished({ plugin: 'verify', verdict: result.verdict, phase: result.phase, early: !isClosed(window, now) });
  const when = isClosed(window, now)
    ? 'after the full window'
    : `early, after ${describeCoverage(window, now)}; the data so far judged as a closed window`;
  return finished(state, result, now, `terminated ${when}: ${verdictSentence(result)}`);
}

/** Nothing to delete: verifications keep no state outside the Measurement. */
export function metricGarbageCollect(_analysisRun: unknown, _metric: unknown, _limit: number): void {}

/** Shown by Argo with the metric; {} when the config is invalid (Run reports why). */
export function metricMetadata(metric: unknown): Record<string, string> {
  try {
    const config = readMetricConfig(metric);
    return {
      'rollouts-cv/sensitivity': config.sensitivity,
      'rollouts-cv/duration': formatDuration(config.durationMs),
      'rollouts-cv/source': config.source.kind,
      'rollouts-cv/metrics': config.metrics.map((m) => m.name).join(','),
    };
  } catch {
    return {};
  }
}
