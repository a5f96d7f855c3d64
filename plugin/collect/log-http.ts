// One request of a log store that answers its errors as plain text (Loki, VictoriaLogs): what the credentials folder
// adds (request-auth.ts: its pinned headers, which replace the config's tenant, its authentication and its CA), the
// engine's queue, bounded retries of what may pass (no answer in time, 429, 5xx, with the store's Retry-After), and
// a CollectError for any answer but a 200, quoting the store's own reason (its plain text without the folder's
// secrets, on one line, clipped) and never a body of another kind (a proxy's login page, another service's data),
// of which only the shape is told. Also what the sources of such stores share around it: the store their settings
// describe, and failures that quote the logs query.
import { clip } from '../../shared/text.js';
import { getQuery, type HttpResponse, postForm } from './http/client.js';
import { CredentialError } from './http/credentials.js';
import type { RequestAuth } from './http/request-auth.js';
import { transient } from './http/retry.js';
import { authorize, type Fail, type Renewable, sendRenewing, withQueuedRetries } from './queued-request.js';
import { RequestQueue } from './request-queue.js';
import { CollectError, type SourceOptions } from './source.js';

/** The store's reasons (a parse error with its position) fit; longer text is cut. */
const MAX_REASON_CHARS = 300;
const MAX_QUERY_CHARS_SHOWN = 200;

// Shared by every log store source the engine makes unless it is given its own (tests, the command line).
const defaultQueue = new RequestQueue();

export interface LogStore {
  /** "Loki", "VictoriaLogs": what its answers are recognised as. */
  title: string;
  /** The configured address: the queue's key, and where the credentials must be allowed to go. */
  address: string;
  timeoutMs: number;
  /** Name of a credentials folder under `credentialsDir`. */
  credentials?: string | undefined;
  credentialsDir?: string | undefined;
  /** Headers every request carries (the tenant); a credentials folder's pinned headers replace them. */
  headers: Record<string, string>;
  queue: RequestQueue;
  /** What to do about a refusal the store words in its own way (Loki's 401 "no org id": set the tenant), if anything. */
  advice?: (status: number, reason: string) => string | undefined;
}

export interface StoreRequest {
  method: 'GET' | 'POST';
  url: string;
  params: URLSearchParams;
  signal?: AbortSignal | undefined;
  deadline?: number | undefined;
}

/** What every log store's settings hold. */
export interface StoreSettings {
  address: string;
  timeout: number;
  credentials?: string | undefined;
}

/** The store a source's settings and options describe, with what is its own (its title, tenant headers, advice). */
export function logStore(settings: StoreSettings, options: SourceOptions, own: Pick<LogStore, 'title' | 'headers' | 'advice'>): LogStore {
  return { address: settings.address, timeoutMs: settings.timeout, credentials: settings.credentials, credentialsDir: options.credentialsDir, queue: options.queue ?? defaultQueue, ...own };
}

/** How a read of `query` fails: a CollectError of the source quoting the query, clipped. */
export function queryFail(description: string, query: string): Fail {
  const shown = clip(query, MAX_QUERY_CHARS_SHOWN);
  return (cause, transient = false) => new CollectError('logs', description, `${cause} (query ${shown})`, transient);
}

/** The query `build` makes of the config's (a group's selection added), or the CollectError saying why there is none. */
export function storeQuery(build: () => string, fail: Fail): string {
  try {
    return build();
  } catch (error) {
    throw fail((error as Error).message);
  }
}

/** The 200 answer to `request`, after retries of what may pass; throws the CollectError `fail` makes otherwise. */
export async function requestLogStore(store: LogStore, request: StoreRequest, fail: Fail): Promise<HttpResponse> {
  const auth = await authorize({ credentialsDir: store.credentialsDir, credentials: store.credentials, address: store.address, headers: store.headers, timeoutMs: store.timeoutMs }, fail);
  return withQueuedRetries(() => exchange(store, auth, request, fail), request, fail);
}

type Answer = HttpResponse & Renewable;

async function exchange(store: LogStore, auth: RequestAuth, request: StoreRequest, fail: Fail): Promise<Answer> {
  const { signal, deadline } = request;
  const target = new URL(request.url);
  if (request.method === 'GET') target.search = request.params.toString();
  const body = request.method === 'POST' ? request.params.toString() : '';
  // Authenticated when its turn comes: an OAuth2 token may expire while the request waits.
  const send = () =>
    store.queue.run(
      store.address,
      async (taskSignal): Promise<Answer> => {
        const { headers, renew } = await auth.prepare(target, body);
        if (request.method === 'GET' && Object.keys(headers).some((name) => name.toLowerCase() === 'x-amz-date')) {
          throw new CredentialError(`credentials "${auth.credentials}" sign requests with AWS SigV4, which this source cannot use: ${store.title} is read with GET requests`);
        }
        const options = { headers, timeoutMs: store.timeoutMs, ...(taskSignal && { signal: taskSignal }), ...(auth.agent && { agent: auth.agent }) };
        // Node's http follows no redirect: a credential goes only to the address it was issued for.
        const response = await (request.method === 'GET' ? getQuery(request.url, request.params, options) : postForm(request.url, request.params, options));
        return { ...response, renew };
      },
      { signal, deadline },
    );
  const response = await sendRenewing(send, fail, { signal, timeoutMs: store.timeoutMs });
  const { status } = response;
  if (status === 200) return response;
  const said = storeReason(store.title, { ...response, text: auth.scrub(response.text) });
  const advice = store.advice?.(status, said) ?? credentialsAdvice(auth, status);
  const reason = `HTTP ${status}: ${said}${advice ? ` (${advice})` : ''}`;
  // Overloaded, rate-limited, restarting or behind a proxy that gave up: worth another try; a refused query is not.
  if (status === 429 || status >= 500) throw transient(fail(reason, true), retryAfterMs(response.retryAfter));
  throw fail(reason);
}

function credentialsAdvice(auth: RequestAuth, status: number): string | undefined {
  if (status !== 401 && status !== 403) return undefined;
  return auth.credentials ? `sent with the credentials "${auth.credentials}"` : 'sent without credentials: name a credentials folder in credentials';
}

/** The store's own reason when it is plain text, on one line and clipped; otherwise only the body's type and size. */
export function storeReason(title: string, { text, contentType }: Pick<HttpResponse, 'text' | 'contentType'>): string {
  const type = contentType ? contentType.split(';')[0]!.trim().toLowerCase() : 'no content type';
  if (type === 'text/plain' && text.trim() !== '') return clip(oneLine(text), MAX_REASON_CHARS);
  return `not a ${title} response (${type}, ${Buffer.byteLength(text)} bytes)`;
}

/** Text on one line, its control characters shown as escapes, so that a reason cannot forge lines of a log. */
export function oneLine(text: string): string {
  return text.trim().replace(/[\u0000-\u001f\u007f]/g, (ch) => (ch === '\n' || ch === '\t' || ch === '\r' ? ' ' : `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`));
}

/** Milliseconds a Retry-After header asks to wait (seconds, or an HTTP date); undefined when absent or unreadable. */
export function retryAfterMs(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  if (/^\s*\d+\s*$/.test(header)) return Number(header) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
