// What an HTTP source does around each of its requests, whatever it asks: it reads the credentials folder afresh
// (a rotated Secret applies without a restart), sends through the engine's queue, sends once more with a new
// OAuth2 token when the server no longer takes the one it had, retries what may pass, and turns every failure to
// get an answer into a CollectError saying why and whether another try may pass. What an answer means is the
// caller's.
import { failsAgain, HttpError, transportCause } from './http/client.js';
import { CredentialError } from './http/credentials.js';
import { requestAuth, type RequestAuth, type RequestAuthOptions } from './http/request-auth.js';
import { withRetries } from './http/retry.js';
import { QueueFullError } from './request-queue.js';
import type { CollectError } from './source.js';

export type Fail = (cause: string, transient?: boolean) => CollectError;

/** What the credentials folder adds to requests now; a CollectError from `fail` when it cannot be read. */
export async function authorize(options: RequestAuthOptions, fail: Fail): Promise<RequestAuth> {
  try {
    return await requestAuth(options);
  } catch (error) {
    throw fail(error instanceof CredentialError ? error.message : String(error), error instanceof CredentialError && error.transient);
  }
}

/** `exchange`, tried again while it fails transiently within the request's deadline. */
export async function withQueuedRetries<T>(exchange: () => Promise<T>, request: { signal?: AbortSignal | undefined; deadline?: number | undefined }, fail: Fail): Promise<T> {
  try {
    return await withRetries(exchange, { signal: request.signal, deadline: request.deadline });
  } catch (error) {
    // The engine's queue refused it: trying again now would only queue again, so the look is tried again later.
    if (error instanceof QueueFullError) throw fail(`${error.message}; the look is tried again later`, true);
    throw error;
  }
}

export interface Renewable {
  status: number;
  /** Forgets the OAuth2 token the request carried (request-auth.ts). */
  renew?: (() => void) | undefined;
}

/**
 * The answer `send` gets (authenticated when its turn in the queue comes), sent once more after a 401 to a request
 * that carried an OAuth2 token (revoked, or expired early). A failure to get any answer becomes `fail`'s
 * CollectError; a full queue is left to withQueuedRetries.
 */
export async function sendRenewing<T extends Renewable>(send: () => Promise<T>, fail: Fail, { signal, timeoutMs }: { signal?: AbortSignal | undefined; timeoutMs: number }): Promise<T> {
  try {
    const answer = await send();
    if (answer.status !== 401 || !answer.renew) return answer;
    answer.renew();
    return await send();
  } catch (error) {
    if (error instanceof QueueFullError) throw error;
    if (error instanceof CredentialError) throw fail(error.message, error.transient);
    if (signal?.aborted || (error instanceof HttpError && error.code === 'aborted')) throw fail('the call was cancelled or ran out of time before the query was answered', true);
    // A response too large to read will be as large again; an untrusted certificate as untrusted.
    throw fail(transportCause(error, timeoutMs), !failsAgain(error));
  }
}
