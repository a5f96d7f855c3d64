// The HTTP client of the health sources: Node's own http/https with keep-alive agents, so that the many small
// queries of a look reuse connections instead of opening one each, and without Accept-Encoding, so that no
// response is compressed by the backend and decompressed here (query results are small; the CPU is not).
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { formatDuration } from '../../../shared/config/duration.js';

export interface HttpResponse {
  status: number;
  text: string;
  /** The Content-Type header, if any. */
  contentType?: string;
  /** The Retry-After header, if any: how long a rate-limited or overloaded backend asks to be left alone. */
  retryAfter?: string;
}

export interface PostOptions {
  headers?: Record<string, string>;
  /** From when the request is sent to the end of the response. */
  timeoutMs: number;
  /** Aborts the request, wherever it is. */
  signal?: AbortSignal;
  /** For an https URL: the agent to use instead of the shared one (a credentials folder's CA, tls.ts). */
  agent?: HttpsAgent;
}

/** Why a request got no response: `timeout`, `aborted`, `too-large`, or the network's code (ECONNREFUSED, …). */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Largest response read; a query result this big is a query that does not aggregate by instance. */
export const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

// Node's codes for a server certificate that does not verify.
const UNTRUSTED_CERTIFICATE = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
]);

/** Whether the same request would fail the same way again: a response too large, a certificate that does not verify. */
export function failsAgain(error: unknown): boolean {
  return error instanceof HttpError && (error.code === 'too-large' || error.code === 'ERR_TLS_CERT_ALTNAME_INVALID' || UNTRUSTED_CERTIFICATE.has(error.code));
}

/**
 * The cause of a refused certificate, with what to do about it. Newer Node.js adds its own advice after a ';'
 * (about the system's CA store), which does not apply to an engine whose trust is the credentials folder's.
 */
export function untrustedCertificate(message: string): string {
  return `TLS: the server's certificate is not trusted (${message.split(';')[0]!.trim()}); for a private CA, put its certificate in the credentials folder's ca.crt`;
}

/** Why a request got no response, for messages: "no response within 10s", "connection refused", … */
export function transportCause(error: unknown, timeoutMs: number): string {
  if (error instanceof HttpError) {
    if (error.code === 'timeout') return `no response within ${formatDuration(timeoutMs)}`;
    if (error.code === 'ECONNREFUSED') return 'connection refused';
    if (error.code === 'ENOTFOUND') return 'host not found';
    if (UNTRUSTED_CERTIFICATE.has(error.code)) return untrustedCertificate(`${error.code}: ${error.message}`);
    if (error.code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `TLS: the server's certificate is not for this host name (${error.message})`;
    return error.code === 'too-large' ? error.message : `${error.code}: ${error.message}`;
  }
  return error instanceof Error ? error.message : String(error);
}

const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

/** The Content-Type of postForm's requests: a request signer signs it as sent. */
export const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';

/** POSTs a form and resolves with the status and body, whatever the status; rejects with HttpError. */
export function postForm(url: string, form: URLSearchParams, options: PostOptions): Promise<HttpResponse> {
  const body = form.toString();
  const headers = { 'content-type': FORM_CONTENT_TYPE, 'content-length': String(Buffer.byteLength(body)) };
  return send('POST', new URL(url), body, headers, options);
}

/** GETs `url` with `query` as its query string and resolves with the status and body, whatever the status; rejects with HttpError. */
export function getQuery(url: string, query: URLSearchParams, options: PostOptions): Promise<HttpResponse> {
  const target = new URL(url);
  target.search = query.toString();
  return send('GET', target, '', {}, options);
}

/** POSTs a JSON document (a GraphQL request) and resolves with the status and body, whatever the status; rejects with HttpError. */
export function postJson(url: string, document: unknown, options: PostOptions): Promise<HttpResponse> {
  const body = JSON.stringify(document);
  return send('POST', new URL(url), body, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }, options);
}

function send(method: 'GET' | 'POST', target: URL, body: string, bodyHeaders: Record<string, string>, options: PostOptions): Promise<HttpResponse> {
  const secure = target.protocol === 'https:';
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) return reject(new HttpError('aborted', 'the request was cancelled'));
    const request = (secure ? httpsRequest : httpRequest)(
      target,
      {
        method,
        agent: secure ? (options.agent ?? agents.https) : agents.http,
        headers: { ...bodyHeaders, accept: 'application/json', ...options.headers },
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            fail(new HttpError('too-large', `response larger than ${MAX_RESPONSE_BYTES / 1024 / 1024} MiB`));
            return;
          }
          chunks.push(chunk);
        });
        response.once('end', () => {
          done();
          const { 'content-type': contentType, 'retry-after': retryAfter } = response.headers;
          resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), contentType, retryAfter });
        });
        response.on('error', (error) => fail(error));
      },
    );
    const timer = setTimeout(() => fail(new HttpError('timeout', 'no response in time')), options.timeoutMs);
    const onAbort = () => fail(new HttpError('aborted', 'the request was cancelled'));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    };
    function fail(error: Error): void {
      done();
      // The connection is closed, not returned to the pool: a response may still be on its way.
      request.destroy();
      reject(error instanceof HttpError ? error : new HttpError((error as NodeJS.ErrnoException).code ?? 'error', error.message));
    }
    // `on`, not `once`: destroying a request may report an error again, and an unheard 'error' would end the process.
    request.on('error', fail);
    request.end(body);
  });
}
