// Where a verification's report is: `/reports/<namespace>/<analysisrun>/<metric>` on the engine's report server
// (plugin/report/server.ts). One reading of it for the server and for the bot, which asks the engine for a report's
// image and must never be led elsewhere by a link it was handed.
import { DNS_LABEL, DNS_SUBDOMAIN } from '../kube/names.js';

export interface ReportPath {
  namespace: string;
  analysisRun: string;
  metric: string;
}

// A metric's name as Argo Rollouts allows it in practice: letters, digits, "-", "_" and ".".
const METRIC_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,251}[A-Za-z0-9])?$/;

/**
 * The report `path` names, or why it names none. No valid name needs percent-encoding, so an encoded character
 * (or a dot segment) names nothing.
 */
export function parseReportPath(path: string): ReportPath | string {
  const parts = path.split('/');
  if (parts.length !== 5 || parts[0] !== '' || parts[1] !== 'reports') return 'reports are at /reports/<namespace>/<analysisrun>/<metric>';
  const [namespace, analysisRun, metric] = parts.slice(2) as [string, string, string];
  if (!DNS_LABEL.test(namespace)) return 'the namespace is not a Kubernetes namespace name';
  if (!DNS_SUBDOMAIN.test(analysisRun)) return 'the AnalysisRun is not a Kubernetes object name';
  if (!METRIC_NAME.test(metric)) return 'the metric is not a metric name';
  return { namespace, analysisRun, metric };
}

export function reportPath({ namespace, analysisRun, metric }: ReportPath): string {
  return `/reports/${namespace}/${analysisRun}/${metric}`;
}
