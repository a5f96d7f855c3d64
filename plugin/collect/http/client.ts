// The HTTP client of the health sources: Node's own http/https with keep-alive agents, so that the many small
// queries of a look reuse connections instead of opening one each, and without Accept-Encoding, so that no
// response is compressed by the backend and decompressed here (query results are small; the CPU is not).
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface HttpResponse {
  status: number;
  text: string;
  /** The Content-Type header, if any. */
  contentType?: string;
}

export interface PostOptions {
  headers?: Record<string, string>;
  /** From when the request is sent to the end of the response. */
  timeoutMs: number;
  /** Aborts the request, wherever it is. */
  signal?: AbortSignal;
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

const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

/** POSTs a form and resolves with the status and body, whatever the status; rejects with HttpError. */
export function postForm(url: string, form: URLSearchParams, options: PostOptions): Promise<HttpResponse> {
  const target = new URL(url);
  const body = form.toString();
  const secure = target.protocol === 'https:';
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) return reject(new HttpError('aborted', 'the request was cancelled'));
    const request = (secure ? httpsRequest : httpRequest)(
      target,
      {
        method: 'POST',
        agent: secure ? agents.https : agents.http,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': String(Buffer.byteLength(body)),
          accept: 'application/json',
          ...options.headers,
        },
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
          resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), contentType: response.headers['content-type'] });
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
