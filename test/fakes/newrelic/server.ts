// The fake New Relic NerdGraph endpoint: `POST /graphql` with a JSON body {query, variables}, as
// https://docs.newrelic.com/docs/apis/nerdgraph/examples/nerdgraph-nrql-tutorial/ describes, checked as NerdGraph
// checks it and answered in its shapes:
// - the User key in the API-Key header, else HTTP 401 with an `errors` array (errorClass UNAUTHORIZED,
//   error_code BAD_API_KEY, as New Relic's Go client reads a refused key);
// - the document `query($accountId: Int!, $nrql: Nrql!, $timeout: Seconds) { actor { account(id: $accountId) {
//   nrql(query: $nrql, timeout: $timeout) { results metadata { … } } } } }`: the account, the NRQL and the timeout
//   must come as declared variables of those types (a query written into the document is refused, so that a
//   client interpolating NRQL fails its tests), the timeout 5 to 120 seconds (New Relic's Go client documents that
//   range); another account than the key's answers `account: null` with a FORBIDDEN error;
// - the document `query($accountId: Int!) { actor { account(id: $accountId) { name } } }` (`id` may be asked too),
//   the account as a declared variable alike, answered `{"data": {"actor": {"account": {"name": …}}}}`
//   (https://docs.newrelic.com/docs/apis/nerdgraph/get-started/nerdgraph-explorer/), another account with the
//   same FORBIDDEN error;
// - GraphQL errors with HTTP 200: `{"data": {"actor": {"account": {"nrql": null}}}, "errors": [{"message",
//   "path", "extensions": {"errorClass"}}]}` — an NRQL syntax error (INVALID_INPUT) quoting its position;
// - at most 25 requests in flight per user, above them HTTP 429
//   (https://docs.newrelic.com/docs/apis/nerdgraph/nerdgraph-usage-limits/);
// - the NRQL itself is run by nrql.ts over the stored events.
// Failures can be injected for the next requests (429, a NerdGraph TIMEOUT, a proxy's 502 or login page, no
// answer), and every
// request is journalled. Started on 127.0.0.1 with port 0.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NrqlError, runNrql, type FakeEvent } from './nrql.js';

export interface FakeNewRelicOptions {
  apiKey?: string;
  accountId?: number;
  /** The account's name, as `account { name }` answers it. */
  accountName?: string;
  events?: FakeEvent[];
  /** Requests in flight above which NerdGraph answers 429 (25 per user). */
  maxConcurrent?: number;
  /** How long each answer takes, to make requests overlap. */
  latencyMs?: number;
  /** metadata.messages of every NRQL answer. */
  messages?: string[];
}

/** A failure the next request is answered with instead of its result. */
export type InjectedFailure = 'too-many-requests' | 'nrql-timeout' | 'bad-gateway' | 'login-page' | 'no-answer';

export interface JournalEntry {
  apiKey: string | undefined;
  contentType: string | undefined;
  document: unknown;
  variables: unknown;
  status: number;
}

const ACTOR_PATH = ['actor', 'account', 'nrql'];

/** The variables a NerdGraph NRQL document declares and where it uses them; null when it is not one. */
function documentShape(document: string): { declared: Map<string, string>; account: string; nrql: string; timeout?: string; selection: string } | null {
  const match =
    /^\s*query\s*\w*\s*\(([^)]*)\)\s*\{\s*actor\s*\{\s*account\s*\(\s*id\s*:\s*\$(\w+)\s*\)\s*\{\s*nrql\s*\(\s*query\s*:\s*\$(\w+)\s*(?:,\s*timeout\s*:\s*\$(\w+)\s*)?\)\s*\{([^{}]*(?:\{[^{}]*\}[^{}]*)?)\}\s*\}\s*\}\s*\}\s*$/.exec(
      document,
    );
  if (!match) return null;
  const declared = new Map([...match[1]!.matchAll(/\$(\w+)\s*:\s*([\w!]+)/g)].map((m) => [m[1]!, m[2]!]));
  return { declared, account: match[2]!, nrql: match[3]!, ...(match[4] ? { timeout: match[4] } : {}), selection: match[5]! };
}

/** The variables an account document declares, its account variable and the fields it selects; null when it is not one. */
function accountShape(document: string): { declared: Map<string, string>; account: string; fields: string[] } | null {
  const match = /^\s*query\s*\w*\s*\(([^)]*)\)\s*\{\s*actor\s*\{\s*account\s*\(\s*id\s*:\s*\$(\w+)\s*\)\s*\{([\w\s]*)\}\s*\}\s*\}\s*$/.exec(document);
  if (!match) return null;
  const declared = new Map([...match[1]!.matchAll(/\$(\w+)\s*:\s*([\w!]+)/g)].map((m) => [m[1]!, m[2]!]));
  return { declared, account: match[2]!, fields: match[3]!.trim().split(/\s+/).filter(Boolean) };
}

const FORBIDDEN = { data: { actor: { account: null } }, errors: [{ message: 'Access denied', path: ['actor', 'account'], extensions: { errorClass: 'FORBIDDEN' } }] };

export class FakeNewRelic {
  readonly apiKey: string;
  readonly accountId: number;
  readonly accountName: string;
  events: FakeEvent[];
  messages: string[];
  readonly journal: JournalEntry[] = [];
  private readonly injected: InjectedFailure[] = [];
  private readonly maxConcurrent: number;
  private readonly latencyMs: number;
  private inFlight = 0;
  private readonly server: Server;
  private port = 0;

  private constructor(options: FakeNewRelicOptions) {
    this.apiKey = options.apiKey ?? 'NRAK-FAKE0KEY0123456789ABCDEF';
    this.accountId = options.accountId ?? 1_234_567;
    this.accountName = options.accountName ?? 'Fake Shop Production';
    this.events = options.events ?? [];
    this.messages = options.messages ?? [];
    this.maxConcurrent = options.maxConcurrent ?? 25;
    this.latencyMs = options.latencyMs ?? 0;
    this.server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => void this.handle(request, body, response));
    });
  }

  static async start(options: FakeNewRelicOptions = {}): Promise<FakeNewRelic> {
    const fake = new FakeNewRelic(options);
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    fake.port = (fake.server.address() as AddressInfo).port;
    return fake;
  }

  /** The NerdGraph endpoint. */
  get url(): string {
    return `http://127.0.0.1:${this.port}/graphql`;
  }

  /** Answers the next requests with these failures, in order. */
  inject(...failures: InjectedFailure[]): void {
    this.injected.push(...failures);
  }

  /** The NRQL of every request that carried one, in order. */
  get queries(): string[] {
    return this.journal.flatMap(({ variables }) => (variables && typeof (variables as { nrql?: unknown }).nrql === 'string' ? [(variables as { nrql: string }).nrql] : []));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async handle(request: IncomingMessage, text: string, response: ServerResponse): Promise<void> {
    const apiKey = request.headers['api-key'] as string | undefined;
    const contentType = request.headers['content-type'];
    let parsed: { query?: unknown; variables?: unknown } = {};
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      // Answered below as a request without a document.
    }
    const entry: JournalEntry = { apiKey, contentType, document: parsed.query, variables: parsed.variables, status: 0 };
    this.journal.push(entry);
    const send = (status: number, body: unknown, type = 'application/json') => {
      entry.status = status;
      response.writeHead(status, { 'content-type': type });
      response.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    if (request.method !== 'POST' || request.url !== '/graphql') return send(404, { errors: [{ message: 'Not Found' }] });
    if (apiKey !== this.apiKey) {
      return send(401, { errors: [{ message: 'Invalid API key', extensions: { errorClass: 'UNAUTHORIZED', error_code: 'BAD_API_KEY' } }] });
    }
    if (this.inFlight >= this.maxConcurrent) return send(429, { errors: [{ message: 'Too many concurrent requests', extensions: { errorClass: 'TOO_MANY_REQUESTS' } }] });
    this.inFlight++;
    try {
      if (this.latencyMs) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
      const failure = this.injected.shift();
      if (failure === 'no-answer') return;
      if (failure === 'too-many-requests') return send(429, { errors: [{ message: 'Too many concurrent requests', extensions: { errorClass: 'TOO_MANY_REQUESTS' } }] });
      if (failure === 'bad-gateway') return send(502, '<html><body>502 Bad Gateway</body></html>', 'text/html');
      if (failure === 'login-page') return send(200, '<html><body>Sign in (session=s3cr3t)</body></html>', 'text/html');
      if (failure === 'nrql-timeout') return send(200, nrqlError('NRDB query duration exceeded the timeout', 'TIMEOUT'));
      if (!contentType?.startsWith('application/json') || typeof parsed.query !== 'string') {
        return send(400, { errors: [{ message: 'expected a JSON body {"query": "...", "variables": {...}}' }] });
      }
      send(200, this.answer(parsed.query, parsed.variables));
    } finally {
      this.inFlight--;
    }
  }

  private answer(document: string, variables: unknown): unknown {
    const values = (variables ?? {}) as Record<string, unknown>;
    const account = accountShape(document);
    if (account) return this.account(account, values);
    const shape = documentShape(document);
    if (!shape) return { errors: [{ message: 'the fake answers only an NRQL query or an account name query taking their values from variables', extensions: { errorClass: 'INVALID_INPUT' } }] };
    const expect: [string | undefined, string, (value: unknown) => boolean][] = [
      [shape.account, 'Int!', (v) => Number.isInteger(v)],
      [shape.nrql, 'Nrql!', (v) => typeof v === 'string'],
      [shape.timeout, 'Seconds', (v) => v === undefined || (Number.isInteger(v) && (v as number) >= 5 && (v as number) <= 120)],
    ];
    for (const [name, type, valid] of expect) {
      if (name === undefined) continue;
      const declared = shape.declared.get(name);
      if (declared?.replace(/!$/, '') !== type.replace(/!$/, '')) return { errors: [{ message: `Variable $${name} must be declared as ${type}`, extensions: { errorClass: 'INVALID_INPUT' } }] };
      if (!valid(values[name])) return { errors: [{ message: `Variable $${name} got an invalid value ${JSON.stringify(values[name])}`, extensions: { errorClass: 'INVALID_INPUT' } }] };
    }
    if (values[shape.account] !== this.accountId) return FORBIDDEN;
    if (!/(?<![\w])results(?![\w])/.test(shape.selection)) return { errors: [{ message: 'the selection of nrql must include results', extensions: { errorClass: 'INVALID_INPUT' } }] };
    let answer: ReturnType<typeof runNrql>;
    try {
      answer = runNrql(values[shape.nrql] as string, this.events, Date.now());
    } catch (error) {
      if (error instanceof NrqlError) return nrqlError(error.message, 'INVALID_INPUT');
      throw error;
    }
    const metadata = /metadata\s*\{([^}]*)\}/.exec(shape.selection)?.[1] ?? '';
    const nrql: Record<string, unknown> = { results: answer.results };
    if (metadata) {
      nrql.metadata = Object.fromEntries(
        [...metadata.matchAll(/\w+/g)].map(([field]) => [field, field === 'facets' ? answer.facets : field === 'messages' ? this.messages : null]),
      );
    }
    return { data: { actor: { account: { nrql } } } };
  }

  /** `account(id) { name id }`: the key's account, or FORBIDDEN. */
  private account(shape: NonNullable<ReturnType<typeof accountShape>>, values: Record<string, unknown>): unknown {
    if (shape.declared.get(shape.account)?.replace(/!$/, '') !== 'Int') return { errors: [{ message: `Variable $${shape.account} must be declared as Int!`, extensions: { errorClass: 'INVALID_INPUT' } }] };
    const id = values[shape.account];
    if (!Number.isInteger(id)) return { errors: [{ message: `Variable $${shape.account} got an invalid value ${JSON.stringify(id)}`, extensions: { errorClass: 'INVALID_INPUT' } }] };
    const unknown = shape.fields.find((field) => field !== 'name' && field !== 'id');
    if (unknown !== undefined || !shape.fields.length) return { errors: [{ message: `the fake answers only name and id of an account, not ${unknown ?? 'nothing'}`, extensions: { errorClass: 'INVALID_INPUT' } }] };
    if (id !== this.accountId) return FORBIDDEN;
    const fields: Record<string, unknown> = { name: this.accountName, id: this.accountId };
    return { data: { actor: { account: Object.fromEntries(shape.fields.map((field) => [field, fields[field]])) } } };
  }
}

function nrqlError(message: string, errorClass: string): unknown {
  return { data: { actor: { account: { nrql: null } } }, errors: [{ message, path: ACTOR_PATH, extensions: { errorClass } }] };
}
