// A verification's result as evidence for people: the verdict, score, reasons and report link a rollouts-cv
// measurement holds in an AnalysisRun (an intervention request carries them; a pipeline's verify step reports them).
// Whatever a metric provider wrote there (any JSON in a measurement value, any metadata) is cut to what the
// ApprovalRequest CRD accepts, so that one odd measurement can neither make a request unwritable nor blow up a message.
import type { ApprovalRequestSpec } from '../approvals/request.js';
import { clip } from '../text.js';
import { decodeSummary } from './summary.js';

export interface MetricResult {
  name: string;
  phase?: string;
  message?: string;
  measurements?: { value?: string; message?: string; metadata?: Record<string, string> }[];
}

export interface AnalysisRun {
  metadata: { name: string };
  status?: { phase?: string; message?: string; metricResults?: MetricResult[] };
}

type Evidence = NonNullable<ApprovalRequestSpec['evidence']>;

/** A rollouts-cv measurement's verdict, within the CRD's bounds. */
export type MeasuredVerdict = Required<Pick<Evidence, 'verdict' | 'score' | 'reasons'>> & Pick<Evidence, 'templates'>;

// The CRD's bounds (spec.evidence), and bounds of our own for the strings it leaves open.
const MAX_REASONS = 10;
const MAX_REASON = 1_000;
const MAX_NAME = 253;
const MAX_REPORT_LINK = 2048;
/** The key of a rollouts-cv measurement's metadata that holds its report page's link (the engine's METADATA_KEYS.report). */
const REPORT_KEY = 'report';

/** A score as the CRD takes it: an integer from 0 to 100, or null when there is none that makes sense. */
function scoreOf(value: unknown): number | null {
  return typeof value === 'number' && value >= 0 && value <= 100 ? Math.round(value) : null;
}

function reasonsOf(values: readonly string[]): string[] {
  return values.slice(0, MAX_REASONS).map((value) => clip(value, MAX_REASON));
}

/** The decided verdict in a metric's last measurement value, if it is a rollouts-cv one (any other provider's: undefined). */
export function verdictOf(metric: MetricResult): MeasuredVerdict | undefined {
  const summary = decodeSummary(metric.measurements?.at(-1)?.value);
  if (!summary?.verdict) return undefined;
  return { verdict: summary.verdict, score: scoreOf(summary.score), reasons: reasonsOf(summary.reasons), ...(summary.templates && { templates: summary.templates }) };
}

/**
 * `value` as a link people may be sent to: an absolute http(s) URL without credentials, at most MAX_REPORT_LINK
 * characters once normalised; else undefined. Anyone who may edit the AnalysisRun could have written it, so nothing
 * more is trusted of it (the bot never fetches its host: bot/slack/report-image.ts).
 */
export function reportLinkOf(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > MAX_REPORT_LINK) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password) return undefined;
  return url.href.length <= MAX_REPORT_LINK ? url.href : undefined;
}

/** A rollouts-cv measurement's link to its report page, checked (reportLinkOf). */
export function reportOfMetric(metric: MetricResult): string | undefined {
  return reportLinkOf(metric.measurements?.at(-1)?.metadata?.[REPORT_KEY]);
}

/** The verification's verdict and reasons from the AnalysisRun: a rollouts-cv measurement's value, or the run's messages. */
export function evidenceOf(run: AnalysisRun | undefined): Evidence | undefined {
  if (!run) return undefined;
  const analysisRun = clip(run.metadata.name, MAX_NAME);
  for (const metric of run.status?.metricResults ?? []) {
    const verdict = verdictOf(metric);
    if (!verdict) continue;
    const report = reportOfMetric(metric);
    return { ...verdict, ...(report && { report }), analysisRun };
  }
  const messages = (run.status?.metricResults ?? []).map((m) => m.message ?? m.measurements?.at(-1)?.message);
  return { verdict: 'Inconclusive', reasons: reasonsOf([run.status?.message, ...messages].filter((m): m is string => Boolean(m))), analysisRun };
}
