// Prometheus' health check: `GET api/v1/status/buildinfo` with the source's own headers, credentials folder, CA and
// timeout, answering the server's version. A server that serves no buildinfo (404) and requests signed with AWS
// SigV4 (Amazon Managed Service for Prometheus takes signed POSTs and has no buildinfo) are checked with the instant
// query `vector(1)` instead: it proves that the query API answers and takes the credentials, but tells no version.
import { z } from 'zod';
import { clip } from '../../../shared/text.js';
import type { HealthOptions } from '../backend.js';
import { getQuery, type HttpResponse, postForm } from '../http/client.js';
import type { RequestAuth } from '../http/request-auth.js';
import { authorize, type Fail, type Renewable, sendRenewing, withQueuedRetries } from '../queued-request.js';
import { RequestQueue } from '../request-queue.js';
import { CollectError } from '../source.js';
import { refusal } from './client.js';
import type { PrometheusSettings } from './settings.js';

const buildInfo = z.object({ status: z.literal('success'), data: z.object({ version: z.string().min(1) }) });
const instantAnswer = z.object({ status: z.literal('success'), data: z.object({ resultType: z.string() }) });
const errorBody = z.object({ status: z.literal('error'), errorType: z.string(), error: z.string() });
const MAX_SHOWN_CHARS = 100;

type Answer = HttpResponse & Renewable;

export async function prometheusHealth(settings: PrometheusSettings, options: HealthOptions): Promise<string> {
  const description = `Prometheus at ${settings.address}`;
  const fail: Fail = (cause, transient = false) => new CollectError('health', description, cause, transient);
  const base = settings.address.endsWith('/') ? settings.address : `${settings.address}/`;
  const queue = options.queue ?? new RequestQueue();
  const auth = await authorize({ credentialsDir: options.credentialsDir, credentials: settings.credentials, address: settings.address, headers: settings.headers, timeoutMs: settings.timeout }, fail);

  /** One GET of buildinfo (null: not served, or not to be asked with these credentials) or POST of `vector(1)`. */
  const ask = (kind: 'buildinfo' | 'query'): Promise<Answer | null> =>
    withQueuedRetries(
      async () => {
        const target = new URL(kind === 'buildinfo' ? 'api/v1/status/buildinfo' : 'api/v1/query', base);
        const form = new URLSearchParams(kind === 'query' ? { query: 'vector(1)' } : {});
        let signed = false;
        const send = () =>
          queue.run(
            settings.address,
            async (taskSignal): Promise<Answer> => {
              const { headers, renew } = await auth.prepare(target, form.toString());
              signed = Object.keys(headers).some((name) => name.toLowerCase() === 'x-amz-date');
              // A SigV4 signature covers the method: a signed POST's headers cannot go with a GET.
              if (kind === 'buildinfo' && signed) return { status: 0, text: '' };
              const http = { headers, timeoutMs: settings.timeout, ...(taskSignal && { signal: taskSignal }), ...(auth.agent && { agent: auth.agent }) };
              const response = kind === 'buildinfo' ? await getQuery(target.toString(), form, http) : await postForm(target.toString(), form, http);
              return { ...response, renew };
            },
            { signal: options.signal, deadline: options.deadline },
          );
        const response = await sendRenewing(send, fail, { signal: options.signal, timeoutMs: settings.timeout });
        if (kind === 'buildinfo' && (signed || response.status === 404)) return null;
        if (response.status === 200) return response;
        throw failure(response, auth, fail);
      },
      options,
      fail,
    );

  const info = await ask('buildinfo');
  if (info) {
    const parsed = buildInfo.safeParse(parseJson(info.text));
    if (!parsed.success) throw fail(notPrometheus(info));
    return `Prometheus ${clip(parsed.data.data.version, MAX_SHOWN_CHARS)} at ${settings.address}`;
  }
  const answer = (await ask('query'))!;
  if (!instantAnswer.safeParse(parseJson(answer.text)).success) throw fail(notPrometheus(answer));
  return `Prometheus-compatible query API at ${settings.address} (it tells no version: no buildinfo)`;
}

/** The CollectError of an answer other than 200: a refusal naming the credentials, Prometheus' error, or only the body's shape. */
function failure(response: HttpResponse, auth: RequestAuth, fail: Fail): CollectError {
  const { status, text, contentType } = response;
  const parsed = parseJson(text);
  if (status === 401 || status === 403) return fail(refusal(status, auth, parsed, text, contentType));
  // Overloaded, restarting or behind a proxy that gave up: worth another try.
  const transient = status === 429 || status >= 500;
  const error = errorBody.safeParse(parsed);
  if (error.success) return fail(`HTTP ${status} ${error.data.errorType}: ${clip(auth.scrub(error.data.error), 300)}`, transient);
  return fail(notPrometheus(response), transient);
}

/** Whatever answered is not a Prometheus API; its body may be anything, so only its shape is told. */
function notPrometheus({ status, text, contentType }: HttpResponse): string {
  const type = contentType ? contentType.split(';')[0]!.trim() : 'no content type';
  return `HTTP ${status}, not a Prometheus API response (${type}, ${Buffer.byteLength(text)} bytes)`;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
