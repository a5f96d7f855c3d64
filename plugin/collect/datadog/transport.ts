// The HTTP layer under Datadog's client library (its HttpLibrary seam), instead of the library's own: one request
// per call (no retries of its own: the source's withRetries decides), a timeout and the call's abort signal, no
// redirect followed (a key goes only to the address it was issued for; the library's fetch would follow one,
// carrying the DD-API-KEY header along), no compression asked for and a cap on the response read (as
// http/client.ts), and any answer but a 2xx handed back whole — status, rate-limit headers, body — as a
// DatadogHttpError, so that the source words it instead of the library.
import type { client } from '@datadog/datadog-api-client';
import { HttpError, MAX_RESPONSE_BYTES } from '../http/client.js';
import type { DatadogLibrary } from './library.js';

type RequestContext = client.RequestContext;
type ResponseContext = client.ResponseContext;

/** An answer other than 2xx: what the source needs to word it. */
export class DatadogHttpError extends Error {
  override name = 'DatadogHttpError';
  constructor(
    readonly status: number,
    /** Lower-case names. */
    readonly headers: Record<string, string>,
    readonly text: string,
  ) {
    super(`HTTP ${status}`);
  }
}

export interface TransportOptions {
  /** From when the request is sent to the end of the response. */
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

/** Reads a body up to the cap; rejects with HttpError too-large above it. */
async function readCapped(body: ReadableStream<Uint8Array> | null): Promise<string> {
  if (!body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > MAX_RESPONSE_BYTES) {
      await body.cancel().catch(() => undefined);
      throw new HttpError('too-large', `response larger than ${MAX_RESPONSE_BYTES / 1024 / 1024} MiB`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Why fetch failed, as http/client.ts reports it: `timeout`, `aborted`, or the network's code. */
function transportError(error: unknown, timedOut: boolean): HttpError {
  if (error instanceof HttpError) return error;
  if (timedOut) return new HttpError('timeout', 'no response in time');
  if ((error as Error | undefined)?.name === 'AbortError') return new HttpError('aborted', 'the request was cancelled');
  const cause = (error as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  return new HttpError(cause?.code ?? 'error', cause?.message ?? (error instanceof Error ? error.message : String(error)));
}

/** The library's HTTP layer for one call. */
export function datadogTransport(library: DatadogLibrary, options: TransportOptions): client.HttpLibrary {
  return {
    async send(request: RequestContext): Promise<ResponseContext> {
      if (options.signal?.aborted) throw new HttpError('aborted', 'the request was cancelled');
      const controller = new AbortController();
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, options.timeoutMs);
      const onAbort = () => controller.abort();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        const body = request.getBody();
        const response = await fetch(request.getUrl(), {
          method: request.getHttpMethod(),
          headers: { ...request.getHeaders(), 'accept-encoding': 'identity' },
          body: typeof body === 'string' ? body : undefined,
          redirect: 'manual',
          signal: controller.signal,
        });
        const text = await readCapped(response.body);
        const headers: Record<string, string> = {};
        response.headers.forEach((value, name) => (headers[name] = value));
        if (response.status < 200 || response.status > 299) throw new DatadogHttpError(response.status, headers, text);
        return new library.client.ResponseContext(response.status, headers, { text: async () => text, binary: async () => Buffer.from(text) });
      } catch (error) {
        if (error instanceof DatadogHttpError) throw error;
        throw transportError(error, timedOut);
      } finally {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
      }
    },
  };
}
