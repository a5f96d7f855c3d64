// `webhook`: one HTTP request (POST or PUT) of the step's templated body to a URL, with headers from a Secret
// (credentials.ts: labelled for webhooks and allowed for the URL). A 2xx answer succeeds; a failure that passes (no
// answer, 408, 429, 5xx) is tried again at later looks (http-retry.ts); any other answer fails the step. A webhook
// cannot be made once-only from this side alone: a request whose answer was lost, or a controller that died before
// writing the status, is sent again. So every attempt carries the same Idempotency-Key, the step key's marker, by
// which the receiver can tell a repeat. Redirects are not followed (the headers go only where the Secret allows),
// and at most a few KiB of an answer is read.
import type { Readable } from 'node:stream';
import axios, { type AxiosResponse } from 'axios';
import { clip } from '../../text.js';
import type { StepExecutor } from '../advance.js';
import { type SecretReader, webhookTarget, withoutSecrets } from '../credentials.js';
import { noAnswer, passes, retryLater } from '../http-retry.js';
import { shownUrl } from '../outbound-url.js';
import { stepMarker } from '../step-marker.js';
import { render } from '../template.js';

/** Of an answer that is not a success, this much is read, to be shown. */
const SHOWN_ANSWER_BYTES = 2048;

export interface WebhookDeps {
  readSecret: SecretReader;
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** The request's headers: the Secret's, over the step's defaults; the Idempotency-Key is always the step's. */
function requestHeaders(body: string, fromSecret: Readonly<Record<string, string>>, idempotencyKey: string): Record<string, string> {
  const defaults: Record<string, string> = { 'User-Agent': 'rollouts-cv', ...(body && { 'Content-Type': isJson(body) ? 'application/json' : 'text/plain; charset=utf-8' }) };
  const given = new Set(Object.keys(fromSecret).map((name) => name.toLowerCase()));
  const kept = Object.entries(defaults).filter(([name]) => !given.has(name.toLowerCase()));
  return { ...Object.fromEntries(kept), ...fromSecret, 'Idempotency-Key': idempotencyKey };
}

/** The first `limit` bytes of a body as text, and whether there was more; the rest is not read. */
async function readSome(stream: Readable, limit: number): Promise<{ text: string; cut: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      chunks.push(chunk as Buffer);
      size += (chunk as Buffer).length;
      if (size > limit) break;
    }
  } catch {
    // The answer is read only to be shown: what came before the stream broke (or timed out) is enough.
  } finally {
    stream.destroy();
  }
  return { text: Buffer.concat(chunks).subarray(0, limit).toString('utf8'), cut: size > limit };
}

/** What of an answer a message may show: no header value from the Secret, not even in part where the read stopped. */
function shownAnswer({ text, cut }: { text: string; cut: boolean }, secrets: string[]): string {
  const scrubbed = withoutSecrets(text, secrets);
  const longest = Math.max(0, ...secrets.map((secret) => secret.length));
  return clip((cut ? scrubbed.slice(0, Math.max(0, scrubbed.length - longest)) : scrubbed).replace(/\s+/g, ' ').trim(), 300);
}

function redirectTarget(response: AxiosResponse, base: URL): string {
  const location = response.headers.location;
  if (typeof location !== 'string') return '';
  try {
    return ` to ${shownUrl(new URL(location, base))}`;
  } catch {
    return '';
  }
}

export function webhookStep(deps: WebhookDeps): StepExecutor {
  return async (step, record, { run, key, scope, now }) => {
    const spec = step.webhook!;
    const { url, headers: fromSecret } = await webhookTarget(deps.readSecret, run.namespace, spec);
    const body = spec.body === undefined ? '' : render(spec.body, scope);
    const where = `${spec.method} ${shownUrl(url)}`;
    let response: AxiosResponse<Readable>;
    try {
      response = await axios.request<Readable>({
        url: url.href,
        method: spec.method,
        data: body,
        headers: requestHeaders(body, fromSecret, stepMarker(key)),
        // The body is sent as written (axios would otherwise re-encode a string it takes for JSON).
        transformRequest: [(data: unknown) => data],
        timeout: spec.timeout,
        signal: AbortSignal.timeout(spec.timeout),
        maxRedirects: 0,
        responseType: 'stream',
        validateStatus: () => true,
      });
    } catch (error) {
      if (!axios.isAxiosError(error)) throw error;
      return retryLater(record, `${where}: ${noAnswer(error, spec.timeout)}`, now);
    }
    const { status } = response;
    if (status >= 200 && status < 300) {
      response.data.destroy();
      return { phase: 'Succeeded', message: `${where} answered ${status}`, outputs: { status: String(status) } };
    }
    const said = shownAnswer(await readSome(response.data, SHOWN_ANSWER_BYTES), Object.values(fromSecret));
    const what = `${where} answered ${status}${said ? `: ${said}` : ''}`;
    if (passes(status)) {
      const retryAfter = response.headers['retry-after'];
      return retryLater(record, what, now, typeof retryAfter === 'string' ? retryAfter : undefined);
    }
    if (status >= 300 && status < 400) {
      return { phase: 'Failed', failure: 'error', message: `${where} answered ${status}, a redirect${redirectTarget(response, url)}: redirects are not followed, so give the final URL` };
    }
    return { phase: 'Failed', failure: 'error', message: what };
  };
}
