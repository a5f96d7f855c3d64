// The offline judge's answer: the judge's result as plain JSON. Numbers stay numbers; a change that is not
// finite (a canary with events against a baseline of exactly 0) becomes null, since JSON has no Infinity.
import type { Classification, JudgePhase, JudgeResult, MetricJudgement, MetricKind, Severity, Verdict } from '../judge/types.js';

export interface MetricOutput {
  name: string;
  kind: MetricKind;
  classification: Classification;
  severity: Severity;
  canary: number | null;
  baseline: number | null;
  change: number | null;
  confidence: number | null;
  /** The rule applied at this look, as the judge reports it. */
  threshold: MetricJudgement['threshold'];
  /** How likely a change of at least `threshold.passBelow` is, given the data and the prior; null when not tested. */
  chance: number | null;
  reason: string;
}

export interface JudgeOutput {
  final: boolean;
  verdict: Verdict | null;
  phase: JudgePhase;
  score: number | null;
  /** Worst first, as the judge orders them. */
  metrics: MetricOutput[];
}

function finite(value: number | null): number | null {
  return value !== null && Number.isFinite(value) ? value : null;
}

export function toOutput(result: JudgeResult): JudgeOutput {
  return {
    final: result.final,
    verdict: result.verdict,
    phase: result.phase,
    score: finite(result.score),
    metrics: result.metrics.map((metric) => ({
      name: metric.name,
      kind: metric.kind,
      classification: metric.classification,
      severity: metric.severity,
      canary: finite(metric.canary),
      baseline: finite(metric.baseline),
      change: finite(metric.change),
      confidence: finite(metric.confidence),
      threshold: metric.threshold && { ...metric.threshold },
      chance: finite(metric.chance ?? null),
      reason: metric.reason,
    })),
  };
}
