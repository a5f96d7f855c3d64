// Text shown to people or stored in fields with a length limit (Slack blocks, CRD fields, Measurement messages):
// cut to length, and cleared of the credentials a server's answer may quote.

/** `text` cut to at most `limit` characters, ending in "…" when cut. */
export function clip(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

/** `text` with each credential in it replaced by "***": what a server answers may quote what it was sent. */
export function withoutSecrets(text: string, secrets: readonly string[]): string {
  return secrets.filter((secret) => secret.length >= 4).reduce((result, secret) => result.split(secret).join('***'), text);
}
