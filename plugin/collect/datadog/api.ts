// One call of Datadog's API for a source, through its client library: the keys read from the credentials folder
// (keys.ts), the engine's queue, the transport (transport.ts), bounded retries of what may pass (no answer in time,
// 5xx, and 429 after the wait Datadog's X-RateLimit-Reset asks for, when it fits the call's time), and every failure
// worded as a CollectError: Datadog's own `errors` text (clipped, on one line, cleared of the keys), which keys a
// 401/403 refused, when a rate limit resets — and of an answer that is not Datadog's only its shape.
import type { client } from '@datadog/datadog-api-client';
import { clip, withoutSecrets } from '../../../shared/text.js';
import { HttpError, transportCause } from '../http/client.js';
import { CredentialError } from '../http/credentials.js';
import { transient, withRetries } from '../http/retry.js';
import { oneLine } from '../log-http.js';
import { QueueFullError, type RequestQueue } from '../request-queue.js';
import type { CollectError } from '../source.js';
import { readDatadogKeys, type DatadogKeys } from './keys.js';
import { datadogLibrary, type DatadogLibrary } from './library.js';
import type { DatadogSettings } from './settings.js';
import { DatadogHttpError, datadogTransport } from './transport.js';

/** Datadog's reasons (a query parse error) fit; longer text is cut. */
const MAX_REASON_CHARS = 300;

export type Fail = (cause: string, transient?: boolean) => CollectError;

export interface DatadogEndpoint {
  settings: DatadogSettings;
  /** The API's address: the queue's key, and where the credentials must be allowed to go. */
  address: string;
  credentialsDir?: string | undefined;
  queue: RequestQueue;
}

/** What a call reads, for a 403's advice: the permission its application key needs. */
export type Product = 'metrics' | 'logs';

const PERMISSIONS: Record<Product, string> = { metrics: 'timeseries_query', logs: 'logs_read_data' };

export interface CallOptions {
  signal?: AbortSignal | undefined;
  deadline?: number | undefined;
}

/** The answer of `call` (one request of the library, made with `configuration`), after retries of what may pass. */
export async function callDatadog<T>(
  endpoint: DatadogEndpoint,
  product: Product,
  call: (library: DatadogLibrary, configuration: client.Configuration) => Promise<T>,
  options: CallOptions,
  fail: Fail,
): Promise<T> {
  const { settings } = endpoint;
  let keys: DatadogKeys;
  try {
    keys = await readDatadogKeys(endpoint.credentialsDir, settings.credentials, endpoint.address);
  } catch (error) {
    throw fail(error instanceof CredentialError ? error.message : String(error));
  }
  const library = await datadogLibrary();
  const exchange = async (): Promise<T> => {
    try {
      return await endpoint.queue.run(
        endpoint.address,
        (taskSignal) => {
          const configuration = library.client.createConfiguration({
            baseServer: new library.client.BaseServerConfiguration(endpoint.address, {}),
            authMethods: { apiKeyAuth: keys.apiKey, appKeyAuth: keys.appKey },
            httpApi: datadogTransport(library, { timeoutMs: settings.timeout, signal: taskSignal }),
          });
          return call(library, configuration);
        },
        options,
      );
    } catch (error) {
      if (error instanceof QueueFullError) throw error;
      if (options.signal?.aborted || (error instanceof HttpError && error.code === 'aborted')) throw fail('the call was cancelled or ran out of time before the query was answered', true);
      // A response too large to read will be as large again.
      if (error instanceof HttpError) throw fail(transportCause(error, settings.timeout), error.code !== 'too-large');
      if (error instanceof DatadogHttpError) throw httpFailure(error, endpoint, product, keys, fail);
      // The library could not read a 2xx answer (not JSON, another media type): its message may quote the body.
      throw fail('answered with a body that is not a Datadog API response');
    }
  };
  try {
    return await withRetries(exchange, options);
  } catch (error) {
    // The engine's queue refused it: trying again now would only queue again, so the look is tried again later.
    if (error instanceof QueueFullError) throw fail(`${error.message}; the look is tried again later`, true);
    throw error;
  }
}

/** Datadog's `errors` (APIErrorResponse: {"errors": ["…"]}), or undefined when the body is not one. */
function datadogErrors(text: string): string[] | undefined {
  try {
    const body = JSON.parse(text) as { errors?: unknown };
    const errors = body?.errors;
    return Array.isArray(errors) && errors.length && errors.every((e) => typeof e === 'string') ? errors : undefined;
  } catch {
    return undefined;
  }
}

/** The reason an answer gives: Datadog's errors, clipped and cleared of the keys, or only the body's type and size. */
export function answerReason(error: DatadogHttpError, keys: DatadogKeys): string {
  const errors = datadogErrors(error.text);
  if (errors) return clip(oneLine(withoutSecrets(errors.join('; '), keys.secrets)), MAX_REASON_CHARS);
  const type = error.headers['content-type']?.split(';')[0]!.trim() || 'no content type';
  return `not a Datadog API response (${type}, ${Buffer.byteLength(error.text)} bytes)`;
}

/** Seconds in a rate-limit header, or undefined when absent or not a number. */
function headerSeconds(headers: Record<string, string>, name: string): number | undefined {
  const value = headers[name];
  return value !== undefined && /^\s*\d+\s*$/.test(value) ? Number(value) : undefined;
}

function httpFailure(error: DatadogHttpError, endpoint: DatadogEndpoint, product: Product, keys: DatadogKeys, fail: Fail): CollectError {
  const { status, headers } = error;
  const reason = `HTTP ${status}: ${answerReason(error, keys)}`;
  if (status === 401 || status === 403) {
    return fail(
      `${reason} (the keys in credentials "${endpoint.settings.credentials}" were refused: api_key must be an API key of the organization, and app_key an application key whose user or service account may read ${product} — permission ${PERMISSIONS[product]})`,
    );
  }
  if (status === 429) {
    const reset = headerSeconds(headers, 'x-ratelimit-reset');
    const limit = headerSeconds(headers, 'x-ratelimit-limit');
    const period = headerSeconds(headers, 'x-ratelimit-period');
    const allowance = limit !== undefined && period !== undefined ? `Datadog allows ${limit} of these requests per ${period}s` : 'rate limited by Datadog';
    const when = reset !== undefined ? `; the limit resets in ${reset}s` : '';
    return transient(fail(`${reason}; ${allowance}${when}`, true), reset === undefined ? undefined : reset * 1000);
  }
  // Overloaded, restarting or behind a proxy that gave up: worth another try; a refused query is not.
  return fail(reason, status >= 500);
}
