// A step's HTTP call that failed for a reason that passes (no answer in time, 408, 429, a 5xx) is tried again at a
// later look rather than failing the step: the step answers Running, and is asked again after the server's
// Retry-After (bounded) or a doubling back-off. Its attempts are counted in the step's state, so that on any
// replica it fails after a bounded number of them.
import { formatDuration } from '../config/duration.js';
import type { StepOutcome } from './advance.js';
import type { StepRecord } from './status.js';

export const MAX_ATTEMPTS = 5;
const FIRST_BACKOFF_MS = 5_000;
const MAX_BACKOFF_MS = 120_000;
/** A server asking for longer is asked again after this; it answers the same while it still needs time. */
const MAX_RETRY_AFTER_MS = 600_000;

/** Error codes of a request that ran out of time (axios's, Node's, an aborted signal's). */
const TIMEOUT_CODES = ['ECONNABORTED', 'ETIMEDOUT', 'ERR_CANCELED'];

/** Why a request got no answer, for a message: in the time it had, or the network's error code. */
export function noAnswer(error: { code?: string | undefined; message: string }, timeoutMs: number): string {
  return TIMEOUT_CODES.includes(error.code ?? '') ? `no answer within ${formatDuration(timeoutMs)}` : `no answer (${error.code ?? error.message})`;
}

/** Whether an HTTP status says the same request may succeed later. */
export function passes(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** How long a Retry-After header (seconds, or an HTTP date) asks to wait; undefined when it says nothing usable. */
export function retryAfterMs(header: string | undefined, now: Date): number | undefined {
  if (!header) return undefined;
  const text = header.trim();
  if (/^\d{1,9}$/.test(text)) return Number(text) * 1000;
  // An HTTP date ends in GMT (Date.parse alone would take "-5" for a year).
  const at = /^[A-Za-z]{3}, .* GMT$/.test(text) ? Date.parse(text) : NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}

/** The step's answer to a failure that passes: look again later, or fail once MAX_ATTEMPTS have failed. */
export function retryLater(record: Readonly<StepRecord>, failure: string, now: Date, retryAfter?: string): StepOutcome {
  const before = Number(record.state?.attempts);
  const attempts = (Number.isSafeInteger(before) && before > 0 ? before : 0) + 1;
  if (attempts >= MAX_ATTEMPTS) return { phase: 'Failed', failure: 'error', message: `${failure}; gave up after ${attempts} attempts` };
  const asked = retryAfterMs(retryAfter, now);
  const waitMs = asked === undefined ? Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (attempts - 1)) : Math.min(MAX_RETRY_AFTER_MS, Math.max(1000, asked));
  return {
    phase: 'Running',
    message: `${failure}; trying again in ${formatDuration(waitMs)} (attempt ${attempts + 1} of ${MAX_ATTEMPTS})`,
    state: { ...record.state, attempts: String(attempts) },
    recheckAfterMs: waitMs,
  };
}
