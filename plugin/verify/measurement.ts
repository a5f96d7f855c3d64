import { createHash } from 'node:crypto';
import { clip } from '../../shared/text.js';
import { MAX_TEMPLATES, type VerdictSummary } from '../../shared/verdicts/summary.js';
import { judgementsOf } from '../judge/judge.js';
import type { JudgeResult } from '../judge/types.js';
import type { Measurement } from './types.js';
import type { VerificationWindow } from './window.js';

const MAX_REASONS = 3;
const MAX_REASON_CHARS = 250;

/** The form of a verification id: "v-" and 16 hex digits. */
export const VERIFICATION_ID = /^v-[0-9a-f]{16}$/;

/** Stable id of one verification: the same inputs give the same id on any replica. */
export function verificationId(...parts: string[]): string {
  return `v-${createHash('sha256').update(parts.join('|')).digest('hex').slice(0, 16)}`;
}

/** Times in stored state and messages: RFC 3339 UTC, whole seconds (what Kubernetes keeps of a time). */
export function wholeSeconds(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The verdict, score and the top reasons (worst first); verdict and score are null while undecided. */
export function summarize(result: JudgeResult | null): VerdictSummary {
  if (!result) return { verdict: null, score: null, reasons: [] };
  const reasons = judgementsOf(result)
    .slice(0, MAX_REASONS)
    .map((j) => clip(j.reason, MAX_REASON_CHARS));
  const templates = (result.logs?.findings ?? []).slice(0, MAX_TEMPLATES).map(({ template, risk }) => ({ template, risk }));
  return { verdict: result.verdict, score: result.score, reasons, ...(templates.length && { templates }) };
}

/**
 * "Unhealthy, score 0/100: error-rate: canary 5.1% vs baseline 1% (+410%); …" for a decided result;
 * "undecided, no conclusive regression; error-rate: …" while the window is open.
 */
export function verdictSentence(result: JudgeResult): string {
  const judgements = judgementsOf(result);
  const top = judgements[0];
  if (!result.final || result.verdict === null) return `undecided, no conclusive regression${top ? `; ${top.reason}` : ''}`;
  const score = result.score === null ? 'no metric could be judged' : `score ${result.score}/100`;
  // A passing verdict made Inconclusive (verdictPhase) by partial data or beside an inconclusive metric says why.
  const passing = result.phase === 'Inconclusive' && (result.verdict === 'Healthy' || result.verdict === 'MediumHealthy');
  const why = judgements.some((m) => m.warnings?.length) ? 'on partial data' : 'beside an inconclusive metric';
  const verdict = passing ? `${result.verdict} ${why}, so Inconclusive` : result.verdict;
  return `${verdict}, ${score}${top ? `: ${top.reason}` : ''}`;
}

export const METADATA_KEYS = { id: 'verificationId', windowStart: 'windowStart', windowEnd: 'windowEnd', report: 'report' } as const;

/**
 * A decided verdict's message with where its report is. Argo Rollouts carries a metric's last message into the
 * AnalysisRun's message and the abort message, and a step's into the Rollout's: what its dashboard and
 * `kubectl argo rollouts get` show.
 */
export function withReportLink(message: string, link: string | undefined): string {
  return link ? `${message}; report: ${link}` : message;
}

export function windowMetadata(id: string, window: VerificationWindow): Record<string, string> {
  return { [METADATA_KEYS.id]: id, [METADATA_KEYS.windowStart]: rfc3339(window.start), [METADATA_KEYS.windowEnd]: rfc3339(window.end) };
}

/** A finished measurement that reports a failure to measure (never a pass). */
export function errorMeasurement(message: string, now: Date, base: Partial<Measurement> = {}): Measurement {
  return { ...base, phase: 'Error', message, startedAt: base.startedAt || rfc3339(now), finishedAt: rfc3339(now) };
}
