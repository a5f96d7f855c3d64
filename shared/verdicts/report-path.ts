// Where a verification's report is on the engine's report server (plugin/report/server.ts):
// - a metric plugin's verification, kept in an AnalysisRun: `/reports/<namespace>/<analysisrun>/<metric>`;
// - a verify gate's, kept in its Rollout's step status: `/reports/<namespace>/rollouts/<rollout>/steps/<index>`.
// One reading of it for the server and for the bot, which asks the engine for a report's image and must never be
// led elsewhere by a link it was handed.
import { DNS_LABEL, DNS_SUBDOMAIN } from '../kube/names.js';

export interface AnalysisRunReportPath {
  kind: 'analysis-run';
  namespace: string;
  analysisRun: string;
  metric: string;
}

export interface GateStepReportPath {
  kind: 'gate-step';
  namespace: string;
  rollout: string;
  /** The step's index in the Rollout's canary steps. */
  step: number;
}

export type ReportPath = AnalysisRunReportPath | GateStepReportPath;

// A metric's name as Argo Rollouts allows it in practice: letters, digits, "-", "_" and ".".
const METRIC_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,251}[A-Za-z0-9])?$/;
// No Rollout has a thousand steps; a leading zero would give one step two addresses.
const STEP_INDEX = /^(0|[1-9]\d{0,2})$/;
const FORMS = 'reports are at /reports/<namespace>/<analysisrun>/<metric> or /reports/<namespace>/rollouts/<rollout>/steps/<index>';

/**
 * The report `path` names, or why it names none. No valid name needs percent-encoding, so an encoded character
 * (or a dot segment) names nothing.
 */
export function parseReportPath(path: string): ReportPath | string {
  const parts = path.split('/');
  if (parts[0] !== '' || parts[1] !== 'reports' || (parts.length !== 5 && parts.length !== 7)) return FORMS;
  const namespace = parts[2]!;
  if (!DNS_LABEL.test(namespace)) return 'the namespace is not a Kubernetes namespace name';
  if (parts.length === 7) {
    const [rollouts, rollout, steps, index] = parts.slice(3) as [string, string, string, string];
    if (rollouts !== 'rollouts' || steps !== 'steps') return FORMS;
    if (!DNS_SUBDOMAIN.test(rollout)) return 'the Rollout is not a Kubernetes object name';
    if (!STEP_INDEX.test(index)) return 'the step is not a step index (0, 1, …)';
    return { kind: 'gate-step', namespace, rollout, step: Number(index) };
  }
  const [analysisRun, metric] = parts.slice(3) as [string, string];
  if (!DNS_SUBDOMAIN.test(analysisRun)) return 'the AnalysisRun is not a Kubernetes object name';
  if (!METRIC_NAME.test(metric)) return 'the metric is not a metric name';
  return { kind: 'analysis-run', namespace, analysisRun, metric };
}

export function reportPath(path: ReportPath): string {
  return path.kind === 'gate-step'
    ? `/reports/${path.namespace}/rollouts/${path.rollout}/steps/${path.step}`
    : `/reports/${path.namespace}/${path.analysisRun}/${path.metric}`;
}
