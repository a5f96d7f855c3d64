// The metric plugin `rollouts-cv/verify`: one Measurement per verification window. Stateless — everything a
// call needs is in the AnalysisRun, the Metric and the Measurement the controller hands back.
import { formatDuration } from '../../shared/config/duration.js';
import { encodeSummary } from '../../shared/verdicts/summary.js';
import { CollectError } from '../collect/source.js';
import { ConfigError, parseVerifyConfig, type VerifyConfig } from '../config/schema.js';
import type { EngineContext } from './context.js';
import { rolloutOfRun } from './feedback.js';
import { failureText, lookAt, type LookOutcome, type Verification } from './look.js';
import { METADATA_KEYS, errorMeasurement, rfc3339, summarize, verificationId, wholeSeconds, windowMetadata, withReportLink } from './measurement.js';
import { isRecord, stringAt } from '../../shared/kube/json.js';
import type { Measurement } from './types.js';
import { nextCheck, parseTimestamp, windowFrom, type VerificationWindow } from './window.js';

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

/** Error for a call that cannot start: an invalid config, or a measurement that lost its window. */
function cannotVerify(error: unknown, now: Date, base: Partial<Measurement> = {}): Measurement {
  return errorMeasurement(`${error instanceof ConfigError ? 'invalid config: ' : ''}${failureText(error)}`, now, base);
}

function metricVerificationId(analysisRun: unknown, metric: unknown, window: VerificationWindow): string {
  const run = ['uid', 'namespace', 'name'].map((key) => stringAt(analysisRun, 'metadata', key)).join('/');
  return verificationId(run, stringAt(metric, 'name'), rfc3339(window.start));
}

/** The Measurement's link to its report page, when the engine serves them: kept with the measurement in the AnalysisRun. */
function reportMetadata(analysisRun: unknown, metric: unknown, ctx: EngineContext): Record<string, string> {
  const [namespace, run, name] = [stringAt(analysisRun, 'metadata', 'namespace'), stringAt(analysisRun, 'metadata', 'name'), stringAt(metric, 'name')];
  return ctx.reportUrl && namespace && run && name ? { [METADATA_KEYS.report]: ctx.reportUrl({ kind: 'analysis-run', namespace, analysisRun: run, metric: name }) } : {};
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
    metadata: { ...windowMetadata(id, window), ...reportMetadata(analysisRun, metric, ctx) },
    value: encodeSummary(summarize(null)),
  };
}

interface InFlight {
  verification: Verification;
  /** The fields every returned measurement keeps. */
  base: Pick<Measurement, 'startedAt' | 'metadata'>;
}

/** Rebuilds the verification from the metric and the in-flight measurement; throws ConfigError or Error. */
function inFlight(analysisRun: unknown, metric: unknown, measurement: Measurement, ctx: EngineContext): InFlight {
  const config = readMetricConfig(metric);
  const start = parseTimestamp(measurement.metadata?.[METADATA_KEYS.windowStart]) ?? parseTimestamp(measurement.startedAt);
  if (!start) {
    throw new Error(`cannot find the window: the measurement has neither metadata.${METADATA_KEYS.windowStart} nor startedAt as an RFC 3339 time`);
  }
  const window = windowFrom(start, config.durationMs);
  const id = measurement.metadata?.[METADATA_KEYS.id] || metricVerificationId(analysisRun, metric, window);
  return {
    verification: { id, config, window },
    base: { startedAt: measurement.startedAt || rfc3339(start), metadata: { ...measurement.metadata, ...windowMetadata(id, window), ...reportMetadata(analysisRun, metric, ctx) } },
  };
}

/** The in-flight verification, or the Error measurement saying why it cannot go on. */
function resumable(analysisRun: unknown, metric: unknown, measurement: Measurement, ctx: EngineContext, now: Date): InFlight | Measurement {
  try {
    return inFlight(analysisRun, metric, measurement, ctx);
  } catch (error) {
    return cannotVerify(error, now, { startedAt: measurement.startedAt, metadata: measurement.metadata });
  }
}

/** The measurement of a decided look. */
function finished(state: InFlight, outcome: Extract<LookOutcome, { state: 'decided' }>, now: Date): Measurement {
  const message = withReportLink(outcome.message, state.base.metadata?.[METADATA_KEYS.report]);
  return { ...state.base, phase: outcome.result.phase, message, finishedAt: rfc3339(now), value: encodeSummary(outcome.summary) };
}

/**
 * Judges the window on the data so far. Finishes as soon as the judge decides — a conclusive regression before
 * the window closes, any verdict once it has — and otherwise stays Running until the next look.
 */
export async function metricResume(analysisRun: unknown, metric: unknown, measurement: Measurement, ctx: EngineContext): Promise<Measurement> {
  const now = ctx.now();
  const state = resumable(analysisRun, metric, measurement, ctx, now);
  if ('phase' in state) return state;
  const { config, window } = state.verification;
  const outcome = await lookAt(state.verification, now, ctx, 'verify', { rollout: rolloutOfRun(analysisRun) });
  if (outcome.state === 'decided') return finished(state, outcome, now);
  if (outcome.state === 'undecided') {
    return { ...state.base, phase: 'Running', message: outcome.message, resumeAt: rfc3339(outcome.nextLookAt), value: encodeSummary(outcome.summary) };
  }
  const { error, closed } = outcome;
  const retryLate = error instanceof CollectError && error.transient && now.getTime() < window.end.getTime() + LATE_RETRY_MS;
  if (closed && !retryLate) return errorMeasurement(`collection failed at the end of the window: ${failureText(error)}`, now, state.base);
  const retryAt = closed ? new Date(now.getTime() + RETRY_MS) : nextCheck(window, now, Math.min(config.intervalMs, RETRY_MS));
  return {
    ...state.base,
    phase: 'Running',
    message: `collection failed, will retry at ${rfc3339(retryAt)}: ${failureText(error)}`,
    resumeAt: rfc3339(retryAt),
    value: measurement.value || encodeSummary(summarize(null)),
  };
}

/**
 * Ends the verification with the verdict of the data so far: judged as if the window had closed (the verdict is
 * final and may pass), which the message says.
 */
export async function metricTerminate(analysisRun: unknown, metric: unknown, measurement: Measurement, ctx: EngineContext): Promise<Measurement> {
  const now = ctx.now();
  const state = resumable(analysisRun, metric, measurement, ctx, now);
  if ('phase' in state) return state;
  const outcome = await lookAt(state.verification, now, ctx, 'verify', { ending: true, rollout: rolloutOfRun(analysisRun) });
  if (outcome.state === 'decided') return finished(state, outcome, now);
  const why = outcome.state === 'failed' ? `collection failed: ${failureText(outcome.error)}` : `no verdict: ${outcome.message}`;
  return errorMeasurement(`terminated; ${why}`, now, state.base);
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
