// A metric plugin verification as an AnalysisRun keeps it, read back for a report: its config (the Metric), its
// window (the Measurement's metadata) and the part of the window the verdict judged. Pure: the object in, the
// verification out; the engine stays stateless, so this is all a report has.
import { decodeSummary } from '../../shared/verdicts/summary.js';
import { isRecord, stringAt } from '../../shared/kube/json.js';
import { DNS_LABEL, DNS_SUBDOMAIN } from '../../shared/kube/names.js';
import { PIPELINE_RUN_ANNOTATION } from '../../shared/pipelines/steps/verify.js';
import type { VerifyConfig } from '../config/schema.js';
import { argValues, fillArgs } from '../config/template-args.js';
import { rolloutOfRun, type RolloutName } from '../verify/feedback.js';
import { METADATA_KEYS } from '../verify/measurement.js';
import { readMetricConfig } from '../verify/metric.js';
import type { Measurement } from '../verify/types.js';
import { elapsedRange, lookRange, parseTimestamp, windowFrom, type VerificationWindow } from '../verify/window.js';
import { ReportError, type ReportRef, type StoredVerification } from './stored.js';

/** A metric plugin's verification: which AnalysisRun, metric and measurement. */
export type AnalysisRunRef = Extract<ReportRef, { kind: 'analysis-run' }>;

function measurementsOf(run: unknown, metric: string): Measurement[] {
  const results = isRecord(run) && isRecord(run.status) && Array.isArray(run.status.metricResults) ? run.status.metricResults : [];
  const result = results.find((r: unknown) => isRecord(r) && r.name === metric);
  return isRecord(result) && Array.isArray(result.measurements) ? (result.measurements.filter(isRecord) as unknown as Measurement[]) : [];
}

/**
 * The range a measurement's verdict judged: the whole window once it closed; up to the look that decided early;
 * what had elapsed when it was terminated (judged as closed); while running, the latest whole interval.
 */
export function judgedRange(measurement: Measurement, window: VerificationWindow, intervalMs: number, now: Date): { range: VerificationWindow; asClosed: boolean } {
  const finished = parseTimestamp(measurement.finishedAt);
  if (!finished) return { range: lookRange(window, now, intervalMs), asClosed: false };
  if (finished.getTime() >= window.end.getTime()) return { range: window, asClosed: false };
  if (typeof measurement.message === 'string' && measurement.message.startsWith('terminated')) return { range: elapsedRange(window, finished), asClosed: true };
  return { range: lookRange(window, finished, intervalMs), asClosed: false };
}

/** The verification `ref` names in `run` (an AnalysisRun object); throws ReportError. */
export function storedVerification(run: unknown, ref: AnalysisRunRef, now: Date): StoredVerification {
  const metrics = isRecord(run) && isRecord(run.spec) && Array.isArray(run.spec.metrics) ? run.spec.metrics : [];
  const template: unknown = metrics.find((m: unknown) => isRecord(m) && m.name === ref.metric);
  const where = `AnalysisRun ${ref.namespace}/${ref.analysisRun}`;
  if (!template) throw new ReportError(`${where} has no metric named ${JSON.stringify(ref.metric)}`, 404);
  // The run keeps its metrics as templated; the controller fills the args in before each call, and so does this.
  const { filled: metric, missing } = fillArgs(template, argValues(isRecord(run) && isRecord(run.spec) ? run.spec.args : undefined));
  if (missing.length) {
    throw new ReportError(`${where}, metric ${ref.metric}: the args ${missing.join(', ')} have no plain value in the run (a Secret's value is never read for a report)`, 422);
  }
  let config: VerifyConfig;
  try {
    config = readMetricConfig(metric);
  } catch (error) {
    throw new ReportError(`${where}, metric ${ref.metric}: not a rollouts-cv verification: ${(error as Error).message}`, 422);
  }
  const measurements = measurementsOf(run, ref.metric);
  const index = ref.measurement ?? measurements.length - 1;
  const measurement = measurements[index];
  if (!measurement) throw new ReportError(`${where}, metric ${ref.metric} has ${measurements.length ? `measurements 0 to ${measurements.length - 1}, not ${index}` : 'no measurement yet'}`, 404);
  const start = parseTimestamp(measurement.metadata?.[METADATA_KEYS.windowStart]) ?? parseTimestamp(measurement.startedAt);
  if (!start) throw new ReportError(`${where}, metric ${ref.metric}, measurement ${index} has no window (neither metadata.${METADATA_KEYS.windowStart} nor startedAt)`, 422);
  const window = windowFrom(start, config.durationMs);
  const { range, asClosed } = judgedRange(measurement, window, config.intervalMs, now);
  const plugin = isRecord(metric) && isRecord(metric.provider) && isRecord(metric.provider.plugin) ? Object.values(metric.provider.plugin)[0] : undefined;
  const summary = decodeSummary(measurement.value);
  const id: unknown = measurement.metadata?.[METADATA_KEYS.id];
  const rollout = rolloutOfRun(run);
  return {
    subject: `${where}, metric ${ref.metric}${rollout ? ` (Rollout ${rollout.name})` : ''}`,
    ...(typeof id === 'string' && id && { id }),
    config,
    written: plugin,
    window,
    judged: range,
    asClosed,
    recorded: {
      ...(typeof measurement.phase === 'string' && { phase: measurement.phase }),
      ...(typeof measurement.message === 'string' && { message: measurement.message }),
      ...(summary && { summary }),
    },
    ...(rollout && { rollout }),
    commands: objectCommands(ref, rollout, pipelineRunOf(run)),
  };
}

/** The pipeline run a pipeline's verify step made the AnalysisRun for, from the annotation it writes. */
function pipelineRunOf(run: unknown): RolloutName | undefined {
  const [namespace, name, ...rest] = stringAt(run, 'metadata', 'annotations', PIPELINE_RUN_ANNOTATION).split('/');
  return namespace && name && !rest.length && DNS_LABEL.test(namespace) && DNS_SUBDOMAIN.test(name) ? { namespace, name } : undefined;
}

/** The objects behind a report, as commands anyone with access to the cluster can run. */
export function objectCommands(ref: AnalysisRunRef, rollout: RolloutName | undefined, pipelineRun?: RolloutName): string[] {
  return [
    ...(rollout ? [`kubectl argo rollouts get rollout ${rollout.name} -n ${rollout.namespace}`] : []),
    `kubectl get analysisrun ${ref.analysisRun} -n ${ref.namespace} -o yaml`,
    ...(pipelineRun ? [`kubectl get pipelinerun ${pipelineRun.name} -n ${pipelineRun.namespace} -o yaml`] : []),
  ];
}
