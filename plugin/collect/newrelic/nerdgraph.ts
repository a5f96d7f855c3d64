// Requests to NerdGraph, New Relic's GraphQL API: a fixed GraphQL document with its values as variables (never
// written into the document) — an NRQL query with the account, the NRQL and its timeout, or any other read — the
// User key as the API-Key header, the engine's queue and bounded retries of what may pass. NerdGraph answers GraphQL
// errors (an NRQL syntax error, a timeout) with HTTP 200 and an `errors` array, whose messages are quoted; a key it
// refuses names the credentials folder.
// https://docs.newrelic.com/docs/apis/nerdgraph/examples/nerdgraph-nrql-tutorial/ (the query),
// https://docs.newrelic.com/docs/apis/nerdgraph/nerdgraph-usage-limits/ (25 concurrent requests per user, else 429),
// https://docs.newrelic.com/docs/nrql/using-nrql/rate-limits-nrql-queries/ (query limits, 429).
import { z } from 'zod';
import { clip } from '../../../shared/text.js';
import { HttpError, postJson, transportCause, type HttpResponse } from '../http/client.js';
import { CredentialError } from '../http/credentials.js';
import { transient, withRetries } from '../http/retry.js';
import { oneLine, retryAfterMs } from '../log-http.js';
import { QueueFullError, RequestQueue } from '../request-queue.js';
import type { CollectError, SourceOptions } from '../source.js';
import { apiKeyFor } from './api-key.js';
import { endpointOf, type NewRelicSettings } from './settings.js';

/** The GraphQL document of every query: only its variables change. */
export const NRQL_DOCUMENT =
  'query RolloutsCvNrql($accountId: Int!, $nrql: Nrql!, $timeout: Seconds) { actor { account(id: $accountId) { nrql(query: $nrql, timeout: $timeout) { results metadata { messages } } } } }';

/** How much longer than the NRQL timeout the response is waited for, so that NerdGraph's own timeout error comes first. */
const RESPONSE_MARGIN_MS = 2_000;
/** New Relic's messages (a syntax error with its position) fit; longer text is cut. */
const MAX_MESSAGE_CHARS = 300;

/** NerdGraph's errorClass values of a failure that may pass (as New Relic's own Go client retries them). */
const PASSING_ERRORS = new Set(['TIMEOUT', 'INTERNAL_SERVER_ERROR', 'SERVER_ERROR']);
/** A key NerdGraph refuses, or one without access to the account. */
const AUTH_ERRORS = new Set(['UNAUTHORIZED', 'FORBIDDEN', 'UNAUTHENTICATED']);

const graphQLError = z.object({
  message: z.string(),
  extensions: z.object({ errorClass: z.string().optional(), error_code: z.string().optional(), code: z.string().optional() }).nullish(),
});

const nrqlResult = z.object({
  results: z.array(z.record(z.string(), z.unknown())),
  metadata: z.object({ messages: z.array(z.string().nullable()).nullish() }).nullish(),
});

const nrqlData = z.object({ actor: z.object({ account: z.object({ nrql: nrqlResult }) }) }).transform((data) => data.actor.account.nrql);

const answerBody = z.object({ data: z.unknown().optional(), errors: z.array(graphQLError).nullish() });

/** An NRQL query's answer: its result rows, and what New Relic said about them. */
export interface NrqlAnswer {
  results: Record<string, unknown>[];
  /** New Relic's messages about the answer (metadata.messages, errors beside a result), clipped. */
  messages: string[];
}

export type Fail = (cause: string, transient?: boolean) => CollectError;

/** One read: a fixed document, its variables, and what its answer's `data` must hold. */
export interface NerdGraphRequest<T> {
  document: string;
  variables: Record<string, unknown>;
  /** The answer within `data`; `data` without it is an answer without what was asked. */
  data: z.ZodType<T>;
  /** What was asked, for that message: "an NRQL result". */
  asked: string;
  /** New Relic's own messages within the answer (an NRQL result's metadata). */
  messages?: (value: T) => (string | null)[];
}

export interface NerdGraphCall {
  signal?: AbortSignal | undefined;
  deadline?: number | undefined;
}

export interface NerdGraph {
  /** "New Relic account 1234567 (https://api.newrelic.com/graphql)". */
  readonly description: string;
  /** The answer to `request`, with the messages of errors NerdGraph gave beside it; throws the CollectError `fail` makes. */
  ask<T>(request: NerdGraphRequest<T>, fail: Fail, call: NerdGraphCall): Promise<{ value: T; messages: string[] }>;
  /** The answer to `nrql`; throws the CollectError `fail` makes. */
  query(nrql: string, fail: Fail, call: NerdGraphCall): Promise<NrqlAnswer>;
}

// Shared by every source the engine makes unless it is given its own (tests, the command line).
const defaultQueue = new RequestQueue();

export function createNerdGraph(settings: NewRelicSettings, options: SourceOptions = {}): NerdGraph {
  const endpoint = endpointOf(settings);
  const description = `New Relic account ${settings.accountId} (${endpoint})`;
  const queue = options.queue ?? defaultQueue;
  const httpTimeoutMs = settings.timeout + RESPONSE_MARGIN_MS;
  const refused = (status: string) =>
    `${status}: New Relic refused the User key of credentials "${settings.credentials}" for account ${settings.accountId}; check that its api_key file holds a valid User key (NRAK-…) of a user with access to the account`;
  const missing = (asked: string) =>
    `NerdGraph answered without ${asked} for account ${settings.accountId}: check the account id, and that the User key of credentials "${settings.credentials}" has access to it`;

  async function ask<T>(request: NerdGraphRequest<T>, fail: Fail, { signal, deadline }: NerdGraphCall): Promise<{ value: T; messages: string[] }> {
    let key: string;
    try {
      key = await apiKeyFor(options.credentialsDir, settings.credentials, endpoint);
    } catch (error) {
      throw error instanceof CredentialError ? fail(error.message, error.transient) : fail(String(error));
    }
    // A message that quoted the key would repeat it; none is known to, but none is trusted to either.
    const safe = (text: string) => clip(oneLine(text.split(key).join('…')), MAX_MESSAGE_CHARS);
    const document = { query: request.document, variables: request.variables };

    const exchange = async (): Promise<{ value: T; messages: string[] }> => {
      let response: HttpResponse;
      try {
        // Node's http follows no redirect: the key goes only to the address it was allowed for.
        response = await queue.run(endpoint, (taskSignal) => postJson(endpoint, document, { headers: { 'API-Key': key }, timeoutMs: httpTimeoutMs, signal: taskSignal }), { signal, deadline });
      } catch (error) {
        if (error instanceof QueueFullError) throw error;
        if (signal?.aborted || (error instanceof HttpError && error.code === 'aborted')) throw fail('the call was cancelled or ran out of time before the query was answered', true);
        // A response too large to read will be as large again.
        throw fail(transportCause(error, httpTimeoutMs), !(error instanceof HttpError && error.code === 'too-large'));
      }
      return answerOf(response, request, fail, { safe, refused, missing });
    };

    try {
      return await withRetries(exchange, { signal, deadline });
    } catch (error) {
      // The engine's queue refused it: trying again now would only queue again, so the look is tried again later.
      if (error instanceof QueueFullError) throw fail(`${error.message}; the look is tried again later`, true);
      throw error;
    }
  }

  async function query(nrql: string, fail: Fail, call: NerdGraphCall): Promise<NrqlAnswer> {
    const variables = { accountId: settings.accountId, nrql, timeout: Math.ceil(settings.timeout / 1000) };
    const { value, messages } = await ask({ document: NRQL_DOCUMENT, variables, data: nrqlData, asked: 'an NRQL result', messages: (result) => result.metadata?.messages ?? [] }, fail, call);
    return { results: value.results, messages };
  }

  return { description, ask, query };
}

/** What messages say: text from New Relic made safe, a refused key, an answer without what was asked. */
interface Texts {
  safe: (text: string) => string;
  refused: (status: string) => string;
  missing: (asked: string) => string;
}

/** The answer of a NerdGraph response, with the messages of errors beside it, or the CollectError it stands for. */
function answerOf<T>(response: HttpResponse, request: NerdGraphRequest<T>, fail: Fail, texts: Texts): { value: T; messages: string[] } {
  const { safe, refused } = texts;
  const { status, text, contentType } = response;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const parsed = answerBody.safeParse(body);
  if (status === 401 || status === 403) throw fail(refused(`HTTP ${status}`));
  if (status === 429) {
    const cause = `HTTP 429: New Relic is limiting requests (NerdGraph takes 25 concurrent requests per user; NRQL limits queries per minute)`;
    throw transient(fail(cause, true), retryAfterMs(response.retryAfter));
  }
  const errors = parsed.success ? (parsed.data.errors ?? []) : [];
  const value = status === 200 && parsed.success ? request.data.safeParse(parsed.data.data) : undefined;
  if (value?.success) {
    const messages = [...(request.messages?.(value.data) ?? []).filter((m): m is string => !!m), ...errors.map((e) => e.message)].map(safe);
    return { value: value.data, messages: [...new Set(messages)] };
  }
  if (errors.length) {
    const classes = errors.map((error) => error.extensions?.errorClass ?? '');
    if (classes.some((c) => AUTH_ERRORS.has(c)) || errors.some((error) => error.extensions?.error_code === 'BAD_API_KEY')) throw fail(refused(`HTTP ${status} ${classes.find((c) => AUTH_ERRORS.has(c)) ?? 'BAD_API_KEY'}`));
    const passing = status >= 500 || classes.some((c) => PASSING_ERRORS.has(c));
    const said = [...new Set(errors.map((error) => safe(error.message)))].join('; ');
    throw fail(`HTTP ${status}${classes[0] ? ` ${classes[0]}` : ''}: ${clip(said, MAX_MESSAGE_CHARS)}`, passing);
  }
  if (status === 200 && parsed.success && parsed.data.data) throw fail(texts.missing(request.asked));
  // Whatever answered is not NerdGraph; its body may be anything (a proxy's page), so only its shape is told.
  const type = contentType ? contentType.split(';')[0]!.trim() : 'no content type';
  throw fail(`HTTP ${status}, not a NerdGraph response (${type}, ${Buffer.byteLength(text)} bytes)`, status >= 500);
}
