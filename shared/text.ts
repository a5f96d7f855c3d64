// Text shown to people or stored in fields with a length limit (Slack blocks, CRD fields, Measurement messages).

/** `text` cut to at most `limit` characters, ending in "…" when cut. */
export function clip(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}
