// Every request to an Elasticsearch or OpenSearch cluster — a search, or the root endpoint's info — is made the same
// way: it carries what the credentials folder gives as it is now (request-auth.ts: its headers and authentication;
// from the folder itself its CA, which each product's client takes rather than an https agent), waits its turn in
// the engine's queue, is sent once more with a new OAuth2 token after a 401 to one, and is retried while it may pass
// (no answer in time, the connection lost, 429 and 5xx, after the Retry-After a proxy sends). An answer other than
// 200 becomes a CollectError in the cluster's own words; a refusal names the credentials folder, never a secret.
import { CredentialError, readCredentials } from '../http/credentials.js';
import { requestAuth, type RequestAuth } from '../http/request-auth.js';
import { transient } from '../http/retry.js';
import { retryAfterMs } from '../log-http.js';
import { type Fail, withQueuedRetries } from '../queued-request.js';
import { QueueFullError, type RequestQueue } from '../request-queue.js';
import type { CollectError } from '../source.js';
import { clusterReason, otherReason } from './response.js';
import type { SearchSettings } from './settings.js';
import { ClusterError, type ClusterReply, info, type Product, search } from './transport.js';

export const TITLES: Record<Product, string> = { elasticsearch: 'Elasticsearch', opensearch: 'OpenSearch' };

/** A search of the settings' index with this body, or `GET /`. */
export type ClusterRequest = { kind: 'search'; body: Record<string, unknown> } | { kind: 'info' };

const named = (request: ClusterRequest) => (request.kind === 'search' ? 'search' : 'info request (GET /)');

export interface ClusterTiming {
  signal?: AbortSignal | undefined;
  /** Epoch ms. */
  deadline?: number | undefined;
}

export interface Cluster {
  /** What requests carry; its `scrub` takes secrets out of text the cluster answered. */
  readonly auth: RequestAuth;
  /**
   * The answer to `request`: a 200, or another status `keep` accepts (read by the caller), else the CollectError
   * `fail` makes.
   */
  send(request: ClusterRequest, timing: ClusterTiming, keep?: (reply: ClusterReply) => boolean): Promise<ClusterReply>;
}

export interface ClusterOptions {
  credentialsDir?: string | undefined;
  queue: RequestQueue;
}

/** The cluster as the credentials folder reaches it now; throws `fail`'s CollectError when the folder cannot be used. */
export async function connectCluster(product: Product, settings: SearchSettings, { credentialsDir, queue }: ClusterOptions, fail: Fail): Promise<Cluster> {
  const title = TITLES[product];
  const { address, credentials: name, timeout: timeoutMs } = settings;
  const base = address.endsWith('/') ? address : `${address}/`;
  let auth: RequestAuth;
  let ca: string | undefined;
  try {
    if (name === undefined) {
      auth = await requestAuth({ address, timeoutMs });
    } else {
      const credentials = await readCredentials(credentialsDir, name, address);
      if (credentials.authentication?.kind === 'sigv4') {
        throw new CredentialError(`credentials "${name}" hold aws_* files, but ${title} requests are not signed with AWS SigV4: give username and password, an api_key or a token`);
      }
      auth = await requestAuth({ credentialsDir, credentials: name, address, timeoutMs });
      ca = credentials.ca;
    }
  } catch (error) {
    if (error instanceof CredentialError) throw fail(error.message, error.transient);
    throw error;
  }

  /** One request, waiting its turn in the queue; the reply, or a CollectError. */
  async function exchange(request: ClusterRequest, { signal, deadline }: ClusterTiming, keep: (reply: ClusterReply) => boolean): Promise<ClusterReply> {
    const url = request.kind === 'search' ? new URL(`${encodeURIComponent(settings.index)}/_search`, base) : new URL(base);
    const text = request.kind === 'search' ? JSON.stringify(request.body) : '';
    // Authenticated when its turn comes: an OAuth2 token may have expired while it waited.
    const send = () =>
      queue.run(
        address,
        async (taskSignal) => {
          const { headers, renew } = await auth.prepare(url, text);
          const call = { headers, timeoutMs, signal: taskSignal };
          const reply = request.kind === 'search' ? await search(product, address, ca, { ...call, index: settings.index, body: request.body }) : await info(product, address, ca, call);
          return { reply, renew };
        },
        { signal, deadline },
      );
    let answer: { reply: ClusterReply; renew?: (() => void) | undefined };
    try {
      answer = await send();
      // An OAuth2 token the cluster no longer takes (revoked, or expired early): once more with a new one.
      if (answer.reply.status === 401 && answer.renew) {
        answer.renew();
        answer = await send();
      }
    } catch (error) {
      if (error instanceof QueueFullError) throw error;
      if (error instanceof CredentialError) throw fail(error.message, error.transient);
      if (signal?.aborted || (error instanceof ClusterError && error.code === 'aborted')) throw fail(`the call was cancelled or ran out of time before the ${named(request)} was answered`, true);
      if (!(error instanceof ClusterError)) throw error;
      if (error.code === 'too-large' && request.kind === 'search') throw fail(`${error.message} for a page of ${String(request.body.size)} lines: lower source.${product}.pageSize`);
      // No answer in time or the connection lost may pass; a server of another kind, an untrusted certificate or a broken answer will not.
      throw fail(error.message, error.code === 'timeout' || error.code === 'connection');
    }
    const { reply } = answer;
    if (reply.status === 200 || keep(reply)) return reply;
    throw refused(reply, request);
  }

  /** The CollectError of an answer other than 200: the cluster's reason, or what answered instead. */
  function refused({ status, body, contentType, retryAfter }: ClusterReply, request: ClusterRequest): CollectError {
    const reason = clusterReason(body, auth.scrub) ?? otherReason(body, contentType, auth.scrub);
    if (status === 401 || status === 403) {
      const who = auth.credentials ? `credentials "${auth.credentials}"` : 'requests without credentials (name a credentials folder in credentials)';
      return fail(`HTTP ${status}: ${title} ${status === 401 ? 'refused' : `denies this ${named(request)} to`} ${who} (it says: ${reason})`);
    }
    // Overloaded (a full search queue, a circuit breaker), restarting or behind a proxy that gave up: worth another try.
    if (status === 429 || status >= 500) return transient(fail(`HTTP ${status} ${reason}`, true), retryAfterMs(retryAfter));
    return fail(`HTTP ${status} ${reason}${advice(status, reason)}`);
  }

  /** What to change for a refusal a setting can fix. */
  function advice(status: number, reason: string): string {
    if (/max_result_window/.test(reason)) return `: lower source.${product}.pageSize`;
    // The media types of Elasticsearch 8's API: refused by OpenSearch (406) and by Elasticsearch 7 (400).
    if (product === 'elasticsearch' && (status === 406 || /media_type_header_exception/.test(reason))) {
      return ': the server takes no Elasticsearch 8 or 9 requests (for OpenSearch, use source.opensearch)';
    }
    return '';
  }

  return {
    auth,
    send: (request, timing, keep = () => false) => withQueuedRetries(() => exchange(request, timing, keep), timing, fail),
  };
}
