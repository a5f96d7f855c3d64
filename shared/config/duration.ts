import parseDuration from 'parse-duration';
import { z } from 'zod';

// Go's time.ParseDuration grammar without a sign: the form Argo Rollouts users already write for `interval`.
// parse-duration alone would also accept "5 minutes" or a bare "5", which Argo and kubectl users would not expect.
const GO_DURATION = /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/;

const EXAMPLES = '"90s", "1m30s" or "5m"';

/** Milliseconds in a Go-style duration ("90s", "1m30s", "1.5h"), or null when the text is not one. */
export function parseGoDuration(text: string): number | null {
  return GO_DURATION.test(text) ? parseDuration(text) : null;
}

/** Go-style text for milliseconds: 90000 → "1m30s", 1500 → "1.5s", 500 → "500ms". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Number(ms.toFixed(3))}ms`;
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const seconds = Number(((ms % 60_000) / 1000).toFixed(3));
  return [hours ? `${hours}h` : '', minutes ? `${minutes}m` : '', seconds ? `${seconds}s` : ''].join('');
}

/** A config field holding a Go-style duration string; parses to milliseconds. */
export function durationField(bounds: { min: number; max?: number }) {
  const expected = `a duration such as ${EXAMPLES}`;
  return z
    .string({ error: (issue) => (issue.input === undefined ? `is required (expected ${expected})` : `expected ${expected}; got ${JSON.stringify(issue.input)}`) })
    .transform((text, ctx) => {
      const ms = parseGoDuration(text);
      if (ms === null) {
        ctx.issues.push({ code: 'custom', input: text, message: `expected ${expected}; got ${JSON.stringify(text)}` });
        return z.NEVER;
      }
      if (ms < bounds.min) {
        ctx.issues.push({ code: 'custom', input: text, message: `expected at least ${formatDuration(bounds.min)}; got ${JSON.stringify(text)}` });
        return z.NEVER;
      }
      if (bounds.max !== undefined && ms > bounds.max) {
        ctx.issues.push({ code: 'custom', input: text, message: `expected at most ${formatDuration(bounds.max)}; got ${JSON.stringify(text)}` });
        return z.NEVER;
      }
      return ms;
    });
}
