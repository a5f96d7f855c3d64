// The verdict summary of a verification: what the engine writes (a Measurement's value, a verify gate's step
// status) and what every reader (the bot, pipelines, approval evidence) decodes. One contract, so a writer and a
// reader cannot drift apart.
import { z } from 'zod';

export const VERDICTS = ['Healthy', 'MediumHealthy', 'Inconclusive', 'Unhealthy', 'NoData'] as const;
export type Verdict = (typeof VERDICTS)[number];

export interface VerdictSummary {
  /** Null while the verification is undecided. */
  verdict: Verdict | null;
  /** 0–100; null while undecided or when nothing could be judged. */
  score: number | null;
  /** The top reasons, worst first. */
  reasons: string[];
}

// Measurements are kept in the AnalysisRun object, so the value stays small; the detail is recomputed on demand.
export const MAX_SUMMARY_BYTES = 1024;

/** `{"verdict":…,"score":…,"reasons":[…]}`, under MAX_SUMMARY_BYTES (reasons dropped from the end if needed). */
export function encodeSummary(summary: VerdictSummary): string {
  const reasons = [...summary.reasons];
  let text = JSON.stringify({ ...summary, reasons });
  while (Buffer.byteLength(text) > MAX_SUMMARY_BYTES && reasons.length) {
    reasons.pop();
    text = JSON.stringify({ ...summary, reasons });
  }
  return text;
}

const summarySchema = z.object({
  verdict: z.enum(VERDICTS).nullable(),
  score: z.number().min(0).max(100).nullable().catch(null),
  reasons: z.array(z.unknown()).catch([]),
});

/**
 * The summary in a measurement value, or undefined when the text is not one (another provider's value, or a
 * value edited by hand). Reasons that are not strings are shown as JSON rather than dropped.
 */
export function decodeSummary(text: string | undefined): VerdictSummary | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text ?? '');
  } catch {
    return undefined;
  }
  const parsed = summarySchema.safeParse(value);
  if (!parsed.success) return undefined;
  const { verdict, score, reasons } = parsed.data;
  return { verdict, score, reasons: reasons.map((reason) => (typeof reason === 'string' ? reason : JSON.stringify(reason))) };
}
