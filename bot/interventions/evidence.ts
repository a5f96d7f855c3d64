// The evidence an intervention request carries: the verification's verdict, score and reasons, read from the
// AnalysisRun the controller paused on. Whatever a metric provider wrote there (any JSON in a measurement value) is
// cut to what the ApprovalRequest CRD accepts, so that one odd measurement cannot make the request unwritable.
import type { ApprovalRequestSpec } from '../../shared/approvals/request.js';
import { clip } from '../../shared/text.js';

export interface AnalysisRun {
  metadata: { name: string };
  status?: { phase?: string; message?: string; metricResults?: { name: string; message?: string; measurements?: { value?: string; message?: string }[] }[] };
}

type Evidence = NonNullable<ApprovalRequestSpec['evidence']>;

// The CRD's bounds (spec.evidence), and bounds of our own for the strings it leaves open.
const MAX_REASONS = 10;
const MAX_REASON = 1_000;
const MAX_VERDICT = 64;
const MAX_NAME = 253;

/** A score as the CRD takes it: an integer from 0 to 100, or null when there is none that makes sense. */
function scoreOf(value: unknown): number | null {
  return typeof value === 'number' && value >= 0 && value <= 100 ? Math.round(value) : null;
}

function reasonsOf(values: readonly unknown[]): string[] {
  return values.slice(0, MAX_REASONS).map((value) => clip(typeof value === 'string' ? value : JSON.stringify(value), MAX_REASON));
}

/** The verification's verdict and reasons from the AnalysisRun: a rollouts-cv measurement's value, or the run's messages. */
export function evidenceOf(run: AnalysisRun | undefined): Evidence | undefined {
  if (!run) return undefined;
  const analysisRun = clip(run.metadata.name, MAX_NAME);
  for (const metric of run.status?.metricResults ?? []) {
    let value: { verdict?: unknown; score?: unknown; reasons?: unknown } | null;
    try {
      value = JSON.parse(metric.measurements?.at(-1)?.value ?? '') as typeof value;
    } catch {
      continue; // not a rollouts-cv measurement
    }
    if (typeof value?.verdict === 'string') {
      return { verdict: clip(value.verdict, MAX_VERDICT), score: scoreOf(value.score), reasons: reasonsOf(Array.isArray(value.reasons) ? value.reasons : []), analysisRun };
    }
  }
  const messages = (run.status?.metricResults ?? []).map((m) => m.message ?? m.measurements?.at(-1)?.message);
  return { verdict: 'Inconclusive', reasons: reasonsOf([run.status?.message, ...messages].filter((m): m is string => Boolean(m))), analysisRun };
}
