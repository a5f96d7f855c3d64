// The verdict summary of a verification: what the engine writes (a Measurement's value, a verify gate's step
// status) and what every reader (the bot, pipelines, approval evidence) decodes. One contract, so a writer and a
// reader cannot drift apart.
import { z } from 'zod';

export const VERDICTS = ['Healthy', 'MediumHealthy', 'Inconclusive', 'Unhealthy', 'NoData'] as const;
export type Verdict = (typeof VERDICTS)[number];

/** A log template the verification found, which people may mark "not a risk" (a risk) or "raise risk" (not one). */
export interface TemplateNote {
  template: string;
  risk: boolean;
}

export interface VerdictSummary {
  /** Null while the verification is undecided. */
  verdict: Verdict | null;
  /** 0–100; null while undecided or when nothing could be judged. */
  score: number | null;
  /** The top reasons, worst first. */
  reasons: string[];
  /** The logs' top findings, when the logs were judged. */
  templates?: TemplateNote[];
}

// Measurements are kept in the AnalysisRun object, so the value stays small; the detail is recomputed on demand.
export const MAX_SUMMARY_BYTES = 2048;
export const MAX_TEMPLATES = 3;
/** Longest template a summary carries: a longer one is left out rather than cut (a cut template matches nothing). */
export const MAX_TEMPLATE_CHARS = 500;

/**
 * `{"verdict":…,"score":…,"reasons":[…],"templates":[…]}`, under MAX_SUMMARY_BYTES: templates, then reasons, are
 * dropped from the end if needed.
 */
export function encodeSummary(summary: VerdictSummary): string {
  const reasons = [...summary.reasons];
  const templates = (summary.templates ?? []).filter((t) => t.template.length <= MAX_TEMPLATE_CHARS).slice(0, MAX_TEMPLATES);
  const text = () => JSON.stringify({ verdict: summary.verdict, score: summary.score, reasons, ...(templates.length && { templates }) });
  while (Buffer.byteLength(text()) > MAX_SUMMARY_BYTES && (templates.length || reasons.length)) {
    if (templates.length) templates.pop();
    else reasons.pop();
  }
  return text();
}

const templateSchema = z.object({ template: z.string().min(1).max(MAX_TEMPLATE_CHARS), risk: z.boolean() });

const summarySchema = z.object({
  verdict: z.enum(VERDICTS).nullable(),
  score: z.number().min(0).max(100).nullable().catch(null),
  reasons: z.array(z.unknown()).catch([]),
  templates: z.array(z.unknown()).optional().catch(undefined),
});

/**
 * The summary in a measurement value, or undefined when the text is not one (another provider's value, or a
 * value edited by hand).
 */
export function decodeSummary(text: string | undefined): VerdictSummary | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text ?? '');
  } catch {
    return undefined;
  }
  return readSummary(value);
}

/**
 * The summary fields of `value` (a decoded measurement value, a verify gate's step status), or undefined when it
 * has none. Reasons that are not strings are shown as JSON rather than dropped.
 */
export function readSummary(value: unknown): VerdictSummary | undefined {
  const parsed = summarySchema.safeParse(value);
  if (!parsed.success) return undefined;
  const { verdict, score, reasons } = parsed.data;
  // Malformed template entries are dropped one by one: the rest can still be marked.
  const templates = (parsed.data.templates ?? []).flatMap((entry) => templateSchema.safeParse(entry).data ?? []).slice(0, MAX_TEMPLATES);
  return { verdict, score, reasons: reasons.map((reason) => (typeof reason === 'string' ? reason : JSON.stringify(reason))), ...(templates.length && { templates }) };
}
