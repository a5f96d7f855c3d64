// A request to the cluster — a _search, or the root endpoint's info — through the product's own client:
// @elastic/elasticsearch for Elasticsearch (which checks the server is one, by its X-Elastic-Product header, and
// speaks its REST API compatibility mode for 8.x and 9.x servers), @opensearch-project/opensearch for OpenSearch.
// Both are used the same plain way: no retries, sniffing or compression of their own (the caller retries, and
// responses are small), every answer's status and body handed back whatever the status, and the failures of the
// connection told apart for the caller's messages. A response is read up to 16 MiB, and the whole request, body
// included, ends at its timeout.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { rootCertificates } from 'node:tls';
import { Client as ElasticClient, errors as elasticErrors, type TransportRequestOptionsWithMeta, type TransportResult, UndiciConnection } from '@elastic/elasticsearch';
import { type ApiResponse, Connection as OpenSearchConnection, Client as OpenSearchClient, errors as openSearchErrors } from '@opensearch-project/opensearch';
import { formatDuration } from '../../../shared/config/duration.js';
import { MAX_RESPONSE_BYTES, untrustedCertificate } from '../http/client.js';

export type Product = 'elasticsearch' | 'opensearch';

/** What every request carries. */
export interface ClusterCall {
  headers: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

export interface SearchCall extends ClusterCall {
  index: string;
  body: Record<string, unknown>;
}

export interface ClusterReply {
  status: number;
  /** The JSON body, or its text when it was not JSON. */
  body: unknown;
  contentType?: string | undefined;
  retryAfter?: string | undefined;
}

/**
 * Why a request got no answer: `timeout`, `aborted`, `too-large`, `not-product` (another server answered),
 * `not-json` (a body said to be JSON that is not), `tls` (a certificate not trusted), `connection`.
 */
export class ClusterError extends Error {
  override name = 'ClusterError';
  constructor(
    readonly code: 'timeout' | 'aborted' | 'too-large' | 'not-product' | 'not-json' | 'tls' | 'connection',
    message: string,
  ) {
    super(message);
  }
}

interface ProductClient {
  search(call: SearchCall, signal: AbortSignal): Promise<ClusterReply>;
  /** `GET /`: the cluster's name and the product's version. */
  info(call: ClusterCall, signal: AbortSignal): Promise<ClusterReply>;
  close(): Promise<void>;
}

const NOT_JSON = 'the answer says it is JSON but does not parse as JSON';
const TOO_LARGE = `response larger than ${MAX_RESPONSE_BYTES / 1024 / 1024} MiB`;
// Clients kept, one per product, address and CA; beyond it the oldest is closed.
const CLIENTS_KEPT = 64;
const clients = new Map<string, ProductClient>();

function reply(status: number | null | undefined, body: unknown, headers: IncomingMessage['headers'] | null | undefined): ClusterReply {
  const header = (name: string) => {
    const value = headers?.[name];
    return Array.isArray(value) ? value[0] : value;
  };
  return { status: status ?? 0, body, contentType: header('content-type'), retryAfter: header('retry-after') };
}

/** A connection that failed: a certificate not trusted (with what to do about it), or another cause. */
function connectionError(message: string): ClusterError {
  if (/certificate/i.test(message)) return new ClusterError('tls', untrustedCertificate(message));
  return new ClusterError('connection', message);
}

/**
 * Elasticsearch's connection with every response body heard: the client destroys a body it will not read (longer
 * than its limit, or a content-length a string cannot hold) with an error nobody listens to, which would end the
 * process. Reading the body is unchanged: its consumer still sees its errors.
 */
class HeardConnection extends UndiciConnection {
  constructor(options: ConstructorParameters<typeof UndiciConnection>[0]) {
    super(options);
    const request = this.pool.request.bind(this.pool) as (params: unknown) => Promise<{ body: { on(event: 'error', listener: () => void): unknown } }>;
    this.pool.request = (async (params: unknown) => {
      const response = await request(params);
      response.body.on('error', () => undefined);
      return response;
    }) as unknown as typeof this.pool.request;
  }
}

function elasticsearchClient(address: string, ca: string | undefined): ProductClient {
  const client = new ElasticClient({
    node: address,
    Connection: HeardConnection,
    maxRetries: 0,
    compression: false,
    maxResponseSize: MAX_RESPONSE_BYTES,
    ...(ca && { tls: { ca: [...rootCertificates, ca] } }),
  });
  /** The answer `request` gets with the call's headers and timeout, whatever its status. */
  const answer = async (request: (options: TransportRequestOptionsWithMeta) => Promise<TransportResult<unknown>>, { headers, timeoutMs }: ClusterCall, signal: AbortSignal) => {
    try {
      const result = await request({ signal, headers, requestTimeout: timeoutMs, maxRetries: 0, meta: true });
      return reply(result.statusCode, result.body, result.headers);
    } catch (error) {
      if (error instanceof elasticErrors.ResponseError) return reply(error.meta.statusCode, error.meta.body, error.meta.headers);
      if (error instanceof elasticErrors.ProductNotSupportedError) {
        throw new ClusterError('not-product', 'the server did not identify itself as Elasticsearch (no X-Elastic-Product header): for OpenSearch, use source.opensearch');
      }
      // The client gives up reading a response over its limit as an aborted request.
      if (error instanceof elasticErrors.RequestAbortedError && !signal.aborted) throw new ClusterError('too-large', TOO_LARGE);
      if (error instanceof elasticErrors.DeserializationError) throw new ClusterError('not-json', NOT_JSON);
      throw error;
    }
  };
  return {
    search: (call, signal) => answer((options) => client.search({ index: call.index, ...call.body }, options), call, signal),
    info: (call, signal) => answer((options) => client.info({}, options), call, signal),
    close: () => client.close(),
  };
}

/** OpenSearch's connection, reading a response only up to the engine's limit (the client itself has none). */
class CappedConnection extends OpenSearchConnection {
  override request(params: Parameters<OpenSearchConnection['request']>[0], callback: Parameters<OpenSearchConnection['request']>[1]) {
    return super.request(params, (error, response) => {
      let size = 0;
      const count = (chunk: Buffer | string) => {
        size += Buffer.byteLength(chunk);
        if (size <= MAX_RESPONSE_BYTES) return;
        response!.off('data', count);
        // The client takes the first error it hears as the cause: a destroyed response alone reads as a lost connection.
        if (response!.listenerCount('error') > 0) response!.emit('error', new Error(TOO_LARGE));
        response!.destroy();
      };
      response?.on('data', count);
      callback(error, response);
    });
  }
}

function openSearchClient(address: string, ca: string | undefined): ProductClient {
  const client = new OpenSearchClient({
    node: address,
    Connection: CappedConnection,
    maxRetries: 0,
    // A dead node is tried again as it is, not pinged first: there is one node, and the source retries.
    resurrectStrategy: 'none',
    ...(ca && { ssl: { ca: [...rootCertificates, ca] } }),
  });
  /** The answer `pending` gets, whatever its status; aborted with the call. */
  const answer = async (pending: Promise<ApiResponse> & { abort(): void }, signal: AbortSignal) => {
    // No value returned: an event listener's returned promise is watched for rejection, and this one rejects.
    const abort = () => {
      pending.abort();
    };
    signal.addEventListener('abort', abort, { once: true });
    try {
      const result = await pending;
      return reply(result.statusCode, result.body, result.headers);
    } catch (error) {
      if (error instanceof openSearchErrors.ResponseError) return reply(error.meta.statusCode, error.meta.body, error.meta.headers);
      if (error instanceof openSearchErrors.ConnectionError && error.message === TOO_LARGE) throw new ClusterError('too-large', TOO_LARGE);
      // The client's own refusal of a content-length a string cannot hold.
      if (error instanceof openSearchErrors.RequestAbortedError && !signal.aborted) throw new ClusterError('too-large', TOO_LARGE);
      if (error instanceof openSearchErrors.DeserializationError) throw new ClusterError('not-json', NOT_JSON);
      throw error;
    } finally {
      signal.removeEventListener('abort', abort);
    }
  };
  return {
    search: ({ index, body, headers, timeoutMs }, signal) => answer(client.search({ index, body }, { headers, requestTimeout: timeoutMs, maxRetries: 0 }), signal),
    info: ({ headers, timeoutMs }, signal) => answer(client.info({}, { headers, requestTimeout: timeoutMs, maxRetries: 0 }), signal),
    close: async () => {
      await client.close();
    },
  };
}

/** The client for `product` at `address` trusting `ca`, made once; a rotated CA gets a new one and the old one is closed. */
function clientFor(product: Product, address: string, ca: string | undefined): ProductClient {
  const key = `${product} ${address}`;
  const fingerprint = ca === undefined ? '' : createHash('sha256').update(ca).digest('hex');
  const keyed = `${key} ${fingerprint}`;
  const cached = clients.get(keyed);
  if (cached) return cached;
  const retire = (name: string, client: ProductClient) => {
    clients.delete(name);
    // In-flight requests finish first: both clients close gracefully.
    void client.close().catch(() => undefined);
  };
  for (const [other, client] of [...clients]) if (other.startsWith(`${key} `)) retire(other, client);
  for (const [oldest, client] of [...clients].slice(0, Math.max(0, clients.size - CLIENTS_KEPT + 1))) retire(oldest, client);
  const client = product === 'elasticsearch' ? elasticsearchClient(address, ca) : openSearchClient(address, ca);
  clients.set(keyed, client);
  return client;
}

/**
 * Sends one request through the client for `product` at `address` trusting `ca`, and resolves with the answer,
 * whatever its status; rejects with ClusterError when there is none: no answer within the timeout, the call
 * aborted, a response too large, a server of another product, or the connection failing.
 */
async function send(product: Product, address: string, ca: string | undefined, call: ClusterCall, request: (client: ProductClient, signal: AbortSignal) => Promise<ClusterReply>): Promise<ClusterReply> {
  // The clients' signal, aborted only while the request is on (by the call or the timeout): nothing a client left
  // listening to it is disturbed once the request has ended.
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, call.timeoutMs);
  const cancel = () => controller.abort();
  call.signal?.addEventListener('abort', cancel, { once: true });
  try {
    if (call.signal?.aborted) throw new ClusterError('aborted', 'the request was cancelled');
    return await request(clientFor(product, address, ca), controller.signal);
  } catch (error) {
    if (call.signal?.aborted) throw new ClusterError('aborted', 'the request was cancelled');
    if (timedOut || error instanceof elasticErrors.TimeoutError || error instanceof openSearchErrors.TimeoutError) {
      throw new ClusterError('timeout', `no response within ${formatDuration(call.timeoutMs)}`);
    }
    if (error instanceof ClusterError) throw error;
    throw connectionError(error instanceof Error ? error.message : String(error));
  } finally {
    clearTimeout(timer);
    call.signal?.removeEventListener('abort', cancel);
  }
}

/** POSTs one search to `call.index` (see send). */
export function search(product: Product, address: string, ca: string | undefined, call: SearchCall): Promise<ClusterReply> {
  return send(product, address, ca, call, (client, signal) => client.search(call, signal));
}

/** `GET /`, the cluster's info (see send). */
export function info(product: Product, address: string, ca: string | undefined, call: ClusterCall): Promise<ClusterReply> {
  return send(product, address, ca, call, (client, signal) => client.info(call, signal));
}
