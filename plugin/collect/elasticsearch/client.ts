// Elasticsearch or OpenSearch as a log source: one group's lines over (start, end] through _search, newest first, a
// page of at most pageSize lines at a time up to the caller's limit (log-pages.ts: a page that ends inside one
// millisecond leaves that millisecond to the next page, which reads all of it). The first page counts every line
// of the range exactly (track_total_hits), so that a read stopped at the limit says how many lines there were.
// Requests go through the engine's queue, are retried while they may pass (no answer in time, the connection lost,
// 429 and 5xx, after the Retry-After a proxy sends), and carry what the credentials folder gives (request-auth.ts).
import { clip } from '../../../shared/text.js';
import { CredentialError, readCredentials } from '../http/credentials.js';
import { requestAuth, type RequestAuth } from '../http/request-auth.js';
import { transient, withRetries } from '../http/retry.js';
import { retryAfterMs } from '../log-http.js';
import { msToNs, readNewestFirst } from '../log-pages.js';
import { QueueFullError, RequestQueue } from '../request-queue.js';
import { CollectError, type FetchedLogs, type LogSource, type LogsRequest, type SourceOptions } from '../source.js';
import { clusterReason, otherReason, readPage, type Entry, type Page } from './response.js';
import { pageBody } from './search-body.js';
import type { SearchSettings } from './settings.js';
import { search, SearchError, type Product, type SearchReply } from './transport.js';

export const TITLES: Record<Product, string> = { elasticsearch: 'Elasticsearch', opensearch: 'OpenSearch' };
const MAX_QUERY_CHARS_SHOWN = 200;

type Fail = (cause: string, transient?: boolean) => CollectError;

interface Connection {
  auth: RequestAuth;
  /** The credentials folder's ca.crt. */
  ca?: string | undefined;
}

// Shared by every source the engine makes unless it is given its own (tests, the command line).
const defaultQueue = new RequestQueue();

export function createSearchLogSource(product: Product, settings: SearchSettings, options: SourceOptions = {}): LogSource {
  const title = TITLES[product];
  const description = `${title} at ${settings.address}, index ${settings.index}`;
  const queue = options.queue ?? defaultQueue;
  const base = settings.address.endsWith('/') ? settings.address : `${settings.address}/`;
  const searchUrl = new URL(`${encodeURIComponent(settings.index)}/_search`, base);

  /**
   * What requests carry, from the credentials folder as it is now: its headers from request-auth.ts, and from the
   * folder itself its CA (each product's client takes the CA, not an https agent) and its kind of authentication.
   */
  async function connect(fail: Fail): Promise<Connection> {
    const { credentialsDir } = options;
    const { address, credentials: name, timeout: timeoutMs } = settings;
    try {
      if (name === undefined) return { auth: await requestAuth({ address, timeoutMs }) };
      const credentials = await readCredentials(credentialsDir, name, address);
      if (credentials.authentication?.kind === 'sigv4') {
        throw new CredentialError(`credentials "${name}" hold aws_* files, but ${title} searches are not signed with AWS SigV4: give username and password, an api_key or a token`);
      }
      return { auth: await requestAuth({ credentialsDir, credentials: name, address, timeoutMs }), ca: credentials.ca };
    } catch (error) {
      if (error instanceof CredentialError) throw fail(error.message, error.transient);
      throw error;
    }
  }

  /** One search, waiting its turn in the engine's queue; the page it answers, or a CollectError. */
  async function exchange(body: Record<string, unknown>, connection: Connection, { group, signal, deadline }: LogsRequest, fail: Fail): Promise<Page> {
    const { auth, ca } = connection;
    const text = JSON.stringify(body);
    // Authenticated when its turn comes: an OAuth2 token may have expired while it waited.
    const send = () =>
      queue.run(
        settings.address,
        async (taskSignal) => {
          const { headers, renew } = await auth.prepare(searchUrl, text);
          const reply = await search(product, settings.address, ca, { index: settings.index, body, headers, timeoutMs: settings.timeout, signal: taskSignal });
          return { reply, renew };
        },
        { signal, deadline },
      );
    let answer: { reply: SearchReply; renew?: (() => void) | undefined };
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
      if (signal?.aborted || (error instanceof SearchError && error.code === 'aborted')) throw fail('the call was cancelled or ran out of time before the search was answered', true);
      if (!(error instanceof SearchError)) throw error;
      if (error.code === 'too-large') throw fail(`${error.message} for a page of ${String(body.size)} lines: lower source.${product}.pageSize`);
      // No answer in time or the connection lost may pass; a server of another kind, an untrusted certificate or a broken answer will not.
      throw fail(error.message, error.code === 'timeout' || error.code === 'connection');
    }
    const { status, body: answered, contentType, retryAfter } = answer.reply;
    if (status === 200) return readPage(answered, contentType, { ...settings, instanceField: group.instanceField }, fail);
    const reason = clusterReason(answered, auth.scrub) ?? otherReason(answered, contentType, auth.scrub);
    if (status === 401 || status === 403) {
      const who = auth.credentials ? `credentials "${auth.credentials}"` : 'requests without credentials (name a credentials folder in credentials)';
      throw fail(`HTTP ${status}: ${title} ${status === 401 ? 'refused' : 'denies this search to'} ${who} (it says: ${reason})`);
    }
    // Overloaded (a full search queue, a circuit breaker), restarting or behind a proxy that gave up: worth another try.
    if (status === 429 || status >= 500) throw transient(fail(`HTTP ${status} ${reason}`, true), retryAfterMs(retryAfter));
    throw fail(`HTTP ${status} ${reason}${advice(status, reason)}`);
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

  async function fetchLogs(request: LogsRequest): Promise<FetchedLogs> {
    const shown = clip(request.query, MAX_QUERY_CHARS_SHOWN);
    const fail: Fail = (cause, transient = false) => new CollectError('logs', description, `${cause} (query ${shown})`, transient);
    const startMs = request.start.getTime();
    if (request.end.getTime() <= startMs) return { lines: [], total: 0, warnings: [] };
    const connection = await connect(fail);
    const warnings: string[] = [];
    let counted: number | undefined;
    let first = true;

    const fetchPage = async (endNs: bigint, size: number): Promise<Entry[]> => {
      const countTotal = first;
      first = false;
      const body = pageBody({ query: request.query, group: request.group, startMs, endNs, size, countTotal }, settings);
      let page: Page;
      try {
        page = await withRetries(() => exchange(body, connection, request, fail), { signal: request.signal, deadline: request.deadline });
      } catch (error) {
        // The engine's queue refused it: trying again now would only queue again, so the look is tried again later.
        if (error instanceof QueueFullError) throw fail(`${error.message}; the look is tried again later`, true);
        throw error;
      }
      if (page.entries.length > size) throw fail(`${title} answered ${page.entries.length} lines to a search for at most ${size}`);
      if (countTotal) counted = page.total;
      warnings.push(...page.warnings);
      return page.entries;
    };

    const read = await readNewestFirst(fetchPage, { endNs: msToNs(request.end.getTime()) + 1n, limit: request.limit, pageSize: settings.pageSize });
    const lines = read.lines.map(({ line }) => line);
    // Lines written while the pages were read can make the count lag behind them.
    const total = read.complete ? lines.length : counted === undefined ? undefined : Math.max(counted, lines.length);
    return { lines, ...(total !== undefined && { total }), warnings: [...new Set([...warnings, ...read.warnings])] };
  }

  return { description, fetchLogs };
}
