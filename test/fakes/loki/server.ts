// A fake Grafana Loki for the Loki source's tests: the two query endpoints of its HTTP API, answered as Loki
// documents and does (https://grafana.com/docs/loki/latest/reference/loki-http-api/), over streams the test pushes.
// - `GET /loki/api/v1/query_range`: `query` (a log query, logql.ts), `start` and `end` (nanosecond epochs, float
//   seconds or RFC3339; default the last hour) selecting [start, end), `limit` (default 100; above the tenant's
//   max_entries_limit_per_query, 5000 by default, a 400 `max entries limit per query exceeded, limit >
//   max_entries_limit_per_query (N > M)`), `direction` (`backward`, the default: the `limit` newest lines of all the
//   streams, each stream's newest first; `forward`: the oldest). Answers `{"status":"success","data":
//   {"resultType":"streams","result":[{"stream":{labels},"values":[["<ns>","<line>"],…]}],"stats":{…}}}`.
// - `GET /loki/api/v1/query`: an instant query at `time`; the metric query sum(count_over_time(<log query>[range]))
//   counts the lines in (time - range, time] (Loki's range vectors leave their start out) and answers a `vector`,
//   empty when nothing matched; a log query there is a 400, as in Loki.
// - Errors are plain text (`text/plain; charset=utf-8`) as Loki writes them: 400 for a query it cannot parse or a
//   limit exceeded, 401 `no org id` without X-Scope-OrgID when multi-tenant (auth_enabled, Loki's default), and
//   whatever a test queues with failNext (429 `too many outstanding requests` from a full query-frontend queue,
//   5xx), optionally with a Retry-After.
// - `GET /loki/api/v1/status/buildinfo`: `{"version":…,"revision":…,"branch":…,"buildUser":…,"buildDate":…,
//   "goVersion":…}` (flat, as Loki answers it; a 404 when `version` is null, as behind a gateway routing only queries),
//   and `GET /ready`: `ready` in plain text. Neither needs a tenant, as in Loki.
// Authentication is not Loki's (a gateway in front of it does it): `authorization` makes the fake answer 401 to any
// other Authorization header, as such a gateway would.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LogQLParseError, matchesLine, matchesStream, parseQuery, type LogQuery } from './logql.js';

export const LOKI_MAX_ENTRIES_LIMIT = 5000;

export interface FakeLokiOptions {
  /** Multi-tenant (auth_enabled: true): every query names its tenant in X-Scope-OrgID. Default true, as Loki's. */
  multiTenant?: boolean;
  /** The Authorization header a gateway in front of Loki requires, if any. */
  authorization?: string;
  /** max_entries_limit_per_query. */
  maxEntries?: number;
  /** The version buildinfo answers (default 3.1.1); null: no buildinfo is served. */
  version?: string | null;
}

export interface FakeLokiRequest {
  path: string;
  params: URLSearchParams;
  headers: IncomingMessage['headers'];
}

interface Stream {
  tenant: string;
  labels: Record<string, string>;
  entries: { ns: bigint; line: string }[];
}

interface Canned {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

/** Loki's tenant when it runs single-tenant. */
const SINGLE_TENANT = 'fake';

export class FakeLoki {
  readonly requests: FakeLokiRequest[] = [];
  private readonly streams: Stream[] = [];
  private readonly canned: Canned[] = [];
  private readonly server: Server;
  private readonly multiTenant: boolean;
  private readonly maxEntries: number;
  url = '';

  private constructor(private readonly options: FakeLokiOptions) {
    this.multiTenant = options.multiTenant ?? true;
    this.maxEntries = options.maxEntries ?? LOKI_MAX_ENTRIES_LIMIT;
    this.server = createServer((request, response) => this.route(request, response));
  }

  static async start(options: FakeLokiOptions = {}): Promise<FakeLoki> {
    const fake = new FakeLoki(options);
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    return fake;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  /** Adds lines to the stream with these labels (of `tenant`, or the single tenant). */
  push(labels: Record<string, string>, entries: [ns: bigint, line: string][], tenant = SINGLE_TENANT): void {
    const key = JSON.stringify(Object.entries(labels).sort());
    let stream = this.streams.find((s) => s.tenant === tenant && JSON.stringify(Object.entries(s.labels).sort()) === key);
    if (!stream) this.streams.push((stream = { tenant, labels, entries: [] }));
    stream.entries.push(...entries.map(([ns, line]) => ({ ns, line })));
  }

  /** The next query is answered with this status and plain-text body instead. */
  failNext(status: number, body: string, headers: Record<string, string> = {}): void {
    this.canned.push({ status, body, headers });
  }

  private route(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', 'http://loki');
    this.requests.push({ path: url.pathname, params: url.searchParams, headers: request.headers });
    const text = (status: number, body: string, headers: Record<string, string> = {}): void => {
      response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff', ...headers }).end(body);
    };
    if (this.options.authorization !== undefined && request.headers.authorization !== this.options.authorization) return text(401, 'unauthorized\n');
    const canned = this.canned.shift();
    if (canned) return text(canned.status, canned.body, canned.headers);
    if (request.method !== 'GET' && request.method !== 'POST') return text(405, 'method not allowed\n');
    const version = this.options.version === undefined ? '3.1.1' : this.options.version;
    if (request.method === 'GET' && url.pathname === '/ready') return text(200, 'ready\n');
    if (request.method === 'GET' && url.pathname === '/loki/api/v1/status/buildinfo') {
      if (version === null) return text(404, '404 page not found\n');
      return json(response, { version, revision: 'fake', branch: 'HEAD', buildUser: 'fake', buildDate: '2024-07-01T00:00:00Z', goVersion: 'go1.22.5' });
    }
    const orgId = request.headers['x-scope-orgid'];
    if (this.multiTenant && (typeof orgId !== 'string' || orgId === '')) return text(401, 'no org id');
    const tenants = this.multiTenant ? (orgId as string).split('|') : [SINGLE_TENANT];
    try {
      if (url.pathname === '/loki/api/v1/query_range') return json(response, this.queryRange(url.searchParams, tenants));
      if (url.pathname === '/loki/api/v1/query') return json(response, this.queryInstant(url.searchParams, tenants));
      return text(404, '404 page not found\n');
    } catch (error) {
      if (error instanceof LogQLParseError || error instanceof BadRequest) return text(400, error.message);
      throw error;
    }
  }

  private matching(log: LogQuery, tenants: string[]): Stream[] {
    return this.streams.filter((stream) => tenants.includes(stream.tenant) && matchesStream(stream.labels, log.matchers));
  }

  private queryRange(params: URLSearchParams, tenants: string[]): unknown {
    const query = parseQuery(params.get('query') ?? '');
    if (query.kind !== 'log') throw new BadRequest('the fake Loki answers only log queries on query_range');
    const now = BigInt(Date.now()) * 1_000_000n;
    const end = params.has('end') ? timestamp(params.get('end')!, 'end') : now;
    const start = params.has('start') ? timestamp(params.get('start')!, 'start') : end - 3_600_000_000_000n;
    if (end < start) throw new BadRequest('end timestamp must not be before or equal to start time');
    const limit = params.has('limit') ? Number(params.get('limit')) : 100;
    if (!Number.isInteger(limit) || limit <= 0) throw new BadRequest('limit must be a positive value');
    if (limit > this.maxEntries) throw new BadRequest(`max entries limit per query exceeded, limit > max_entries_limit_per_query (${limit} > ${this.maxEntries})`);
    const direction = params.get('direction') ?? 'backward';
    if (direction !== 'backward' && direction !== 'forward') throw new BadRequest(`invalid direction '${direction}'`);
    const backward = direction === 'backward';

    const found = this.matching(query.log, tenants).flatMap((stream) =>
      stream.entries.filter((e) => e.ns >= start && e.ns < end && matchesLine(e.line, query.log.filters)).map((e) => ({ stream, ...e })),
    );
    found.sort((a, b) => (a.ns === b.ns ? 0 : (a.ns < b.ns) === backward ? 1 : -1));
    const kept = found.slice(0, limit);
    const byStream = new Map<Stream, [string, string][]>();
    for (const e of kept) byStream.set(e.stream, [...(byStream.get(e.stream) ?? []), [String(e.ns), e.line]]);
    const result = [...byStream].map(([stream, values]) => ({ stream: stream.labels, values }));
    return { status: 'success', data: { resultType: 'streams', result, stats: stats(kept.length) } };
  }

  private queryInstant(params: URLSearchParams, tenants: string[]): unknown {
    const query = parseQuery(params.get('query') ?? '');
    if (query.kind === 'log') throw new BadRequest('log queries are not supported as an instant query type, please change your query to a range query type');
    const time = params.has('time') ? timestamp(params.get('time')!, 'time') : BigInt(Date.now()) * 1_000_000n;
    let count = 0;
    let matched = false;
    for (const stream of this.matching(query.log, tenants)) {
      const inRange = stream.entries.filter((e) => e.ns > time - query.rangeNs && e.ns <= time && matchesLine(e.line, query.log.filters)).length;
      count += inRange;
      matched ||= inRange > 0;
    }
    const result = matched ? [{ metric: {}, value: [Number(time / 1_000_000n) / 1000, String(count)] }] : [];
    return { status: 'success', data: { resultType: 'vector', result, stats: stats(count) } };
  }
}

class BadRequest extends Error {}

/** A time parameter as Loki reads it: an integer is nanoseconds, a float seconds, otherwise RFC3339. */
function timestamp(text: string, name: string): bigint {
  if (/^\d+$/.test(text)) return BigInt(text);
  if (/^\d+\.\d+$/.test(text)) return BigInt(Math.round(Number(text) * 1e9));
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new BadRequest(`invalid parameter "${name}": cannot parse "${text}" to a valid timestamp`);
  return BigInt(ms) * 1_000_000n;
}

function stats(lines: number): unknown {
  return { summary: { totalLinesProcessed: lines, execTime: 0.001, queueTime: 0 } };
}

function json(response: ServerResponse, body: unknown): void {
  response.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' }).end(JSON.stringify(body));
}
