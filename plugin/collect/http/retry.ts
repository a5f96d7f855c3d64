// Bounded retries for a source's requests. A request that failed for a reason that may pass (no answer in time,
// the backend overloaded, restarting or rate-limiting) is tried again a few times within the call's time; any other
// failure, or one after the call was cancelled, is final at once. The look itself is retried later by its front.
import { CollectError } from '../source.js';

export interface RetryOptions {
  /** Tries after the first. */
  retries?: number;
  /** The pause before the first retry; each later one doubles it. */
  pauseMs?: number;
  signal?: AbortSignal | undefined;
  /** When the call's time is up (epoch ms): no retry is started whose pause would end after it. */
  deadline?: number | undefined;
}

const RETRIES = 2;
const PAUSE_MS = 250;
/** Longest pause a server's Retry-After is followed for within one call; asking for longer fails the request. */
export const MAX_RETRY_PAUSE_MS = 5_000;

/**
 * A failure that may pass, with how long the backend asked to wait (its Retry-After or rate-limit reset), if it
 * said. Thrown by a request so that withRetries waits that long (bounded) instead of its own pause.
 */
export function transient(error: CollectError, waitMs?: number): CollectError & { waitMs?: number } {
  return waitMs === undefined ? error : Object.assign(error, { waitMs });
}

/** Runs `request`, trying again after a transient CollectError (`transient: true`) while retries and time remain. */
export async function withRetries<T>(request: () => Promise<T>, { retries = RETRIES, pauseMs = PAUSE_MS, signal, deadline }: RetryOptions = {}): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await request();
    } catch (error) {
      if (!(error instanceof CollectError) || !error.transient || attempt >= retries || signal?.aborted) throw error;
      const asked = (error as { waitMs?: number }).waitMs;
      const wait = asked === undefined ? pauseMs * 2 ** attempt : asked;
      if (wait > MAX_RETRY_PAUSE_MS || (deadline !== undefined && Date.now() + wait >= deadline)) throw error;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}
