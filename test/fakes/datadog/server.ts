// A fake Datadog API on 127.0.0.1 for the Datadog source's tests, answering the endpoints the source uses as their
// documentation describes them, and checking what Datadog checks, so that a client mistake fails a test:
// - every request: the DD-API-KEY and DD-APPLICATION-KEY headers (403 {"errors": ["Forbidden"]} otherwise) and a JSON
//   body (https://docs.datadoghq.com/api/latest/authentication/);
// - POST /api/v2/query/timeseries (https://docs.datadoghq.com/api/latest/metrics/#query-timeseries-data-across-multiple-products):
//   {data: {type: "timeseries_request", attributes: {from, to (ms), interval, queries: [{data_source: "metrics",
//   name, query}], formulas: [{formula}]}}}; answers {data: {type: "timeseries_response", attributes: {times,
//   series: [{group_tags, query_index, unit}], values}}}, at most 1500 points a series (a longer interval otherwise,
//   https://docs.datadoghq.com/dashboards/functions/rollup/); queries are evaluated by metrics-query.ts;
// - POST /api/v2/logs/events/search (https://docs.datadoghq.com/api/latest/logs/#search-logs): {filter: {query, from,
//   to}, page: {limit ≤ 1000, cursor}, sort}; answers {data: [{id, type: "log", attributes: {timestamp, message,
//   status, service, host, tags, attributes}}], meta: {page: {after}, status: "done"}, links: {next}}, the cursor
//   leading to the next page (https://docs.datadoghq.com/logs/guide/collect-multiple-logs-with-pagination/); the
//   search is evaluated by log-search.ts;
// - POST /api/v2/logs/analytics/aggregate (https://docs.datadoghq.com/api/latest/logs/#aggregate-events): a count
//   total, answered as {data: {buckets: [{by: {}, computes: {c0: n}}]}, meta: {status: "done"}}
//   (https://docs.datadoghq.com/logs/guide/build-custom-reports-using-log-analytics-api/);
// - rate limits: X-RateLimit-Limit, -Period (seconds, calendar aligned), -Remaining, -Reset (seconds to the next
//   period) and -Name on each answer of a limited endpoint, and 429 above the limit
//   (https://docs.datadoghq.com/api/latest/rate-limits/);
// - GET /api/v1/validate (https://docs.datadoghq.com/api/latest/authentication/#validate-api-key): the API key alone,
//   answered {"valid": true}, or 403 {"errors": ["Forbidden"]};
// - errors as Datadog's APIErrorResponse: {"errors": ["…"]}, 400 for a request or query it cannot read.
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type FakeLog, matchesSearch, parseSearch, SearchError } from './log-search.js';
import { evaluate, type FakeSeries, QueryError } from './metrics-query.js';

export type { FakeLog, FakeSeries };

export const TIMESERIES_PATH = '/api/v2/query/timeseries';
export const LOGS_SEARCH_PATH = '/api/v2/logs/events/search';
export const LOGS_AGGREGATE_PATH = '/api/v2/logs/analytics/aggregate';
export const VALIDATE_PATH = '/api/v1/validate';

const MAX_POINTS = 1500;
const MAX_PAGE = 1000;
const DEFAULT_PAGE = 10;

export interface SeenRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

/** An answer given instead of the endpoint's, once: an error, a redirect, or no answer at all. */
export interface Injected {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  /** Never answer. */
  hang?: boolean;
}

interface Limit {
  limit: number;
  periodSeconds: number;
  used: Map<number, number>;
}

class BadRequest extends Error {}

function fail(message: string): never {
  throw new BadRequest(message);
}

function object(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${what} must be an object`);
  return value as Record<string, unknown>;
}

/** A log range end: epoch ms digits or an ISO 8601 date. */
function logTime(value: unknown, what: string): number {
  if (typeof value !== 'string') fail(`${what} must be a string`);
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms)) fail(`${what}: invalid date ${JSON.stringify(value)}`);
  return ms;
}

export class FakeDatadog {
  series: FakeSeries[] = [];
  logs: FakeLog[] = [];
  readonly requests: SeenRequest[] = [];
  private readonly limits = new Map<string, Limit>();
  private readonly injected = new Map<string, Injected[]>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly apiKey: string,
    readonly appKey: string,
  ) {}

  static async start(keys: { apiKey?: string; appKey?: string } = {}): Promise<FakeDatadog> {
    let fake: FakeDatadog | undefined;
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => fake!.handle(request, Buffer.concat(chunks).toString('utf8'), response));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    fake = new FakeDatadog(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, keys.apiKey ?? 'f1e2d3c4b5a60718293a4b5c6d7e8f90', keys.appKey ?? '0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3');
    return fake;
  }

  /** Limits `path` to `limit` requests per calendar-aligned period. */
  rateLimit(path: string, limit: number, periodSeconds: number): void {
    this.limits.set(path, { limit, periodSeconds, used: new Map() });
  }

  /** Answers the next request to `path` with `answer` instead. */
  injectNext(path: string, answer: Injected): void {
    this.injected.set(path, [...(this.injected.get(path) ?? []), answer]);
  }

  /** Requests made to `path`. */
  requestsTo(path: string): SeenRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    response.writeHead(status, { 'content-type': 'application/json', ...headers });
    response.end(JSON.stringify(body));
  }

  private handle(request: IncomingMessage, text: string, response: ServerResponse): void {
    const path = new URL(request.url ?? '/', this.url).pathname;
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    this.requests.push({ path, headers: request.headers, body });
    const injected = this.injected.get(path)?.shift();
    if (injected?.hang) return;
    if (injected) {
      response.writeHead(injected.status ?? 500, injected.headers ?? {});
      response.end(injected.body ?? '');
      return;
    }
    if (path === VALIDATE_PATH && request.method === 'GET') {
      return request.headers['dd-api-key'] === this.apiKey ? this.send(response, 200, { valid: true }) : this.send(response, 403, { errors: ['Forbidden'] });
    }
    if (request.headers['dd-api-key'] !== this.apiKey || request.headers['dd-application-key'] !== this.appKey) {
      return this.send(response, 403, { errors: ['Forbidden'] });
    }
    const limited = this.limitHeaders(path);
    if (limited?.exceeded) return this.send(response, 429, { errors: ['Rate limit exceeded'] }, limited.headers);
    const headers = limited?.headers ?? {};
    const handlers: Record<string, (body: Record<string, unknown>) => unknown> = {
      [TIMESERIES_PATH]: (b) => this.timeseries(b),
      [LOGS_SEARCH_PATH]: (b) => this.searchLogs(b),
      [LOGS_AGGREGATE_PATH]: (b) => this.aggregateLogs(b),
    };
    const handler = handlers[path];
    if (!handler || request.method !== 'POST') return this.send(response, 404, { errors: ['Not found'] }, headers);
    try {
      if (!request.headers['content-type']?.startsWith('application/json')) fail('Content-Type must be application/json');
      this.send(response, 200, handler(object(body, 'body')), headers);
    } catch (error) {
      if (error instanceof BadRequest || error instanceof QueryError || error instanceof SearchError) return this.send(response, 400, { errors: [error.message] }, headers);
      throw error;
    }
  }

  private limitHeaders(path: string): { exceeded: boolean; headers: Record<string, string> } | undefined {
    const limit = this.limits.get(path);
    if (!limit) return undefined;
    const now = Date.now() / 1000;
    const period = Math.floor(now / limit.periodSeconds);
    const used = (limit.used.get(period) ?? 0) + 1;
    limit.used.set(period, used);
    const reset = Math.max(1, Math.ceil((period + 1) * limit.periodSeconds - now));
    return {
      exceeded: used > limit.limit,
      headers: {
        'x-ratelimit-limit': String(limit.limit),
        'x-ratelimit-period': String(limit.periodSeconds),
        'x-ratelimit-remaining': String(Math.max(0, limit.limit - used)),
        'x-ratelimit-reset': String(reset),
        'x-ratelimit-name': path.replace(/\W+/g, '_'),
      },
    };
  }

  private timeseries(body: Record<string, unknown>): unknown {
    const data = object(body.data, 'data');
    if (data.type !== 'timeseries_request') fail('data.type must be timeseries_request');
    const attributes = object(data.attributes, 'data.attributes');
    const { from, to, interval, queries, formulas } = attributes;
    if (!Number.isInteger(from) || !Number.isInteger(to)) fail('from and to must be integers (milliseconds)');
    if ((from as number) >= (to as number)) fail('from must be before to');
    if (!Array.isArray(queries) || !queries.length) fail('queries must be a non-empty list');
    const byName = new Map<string, string>();
    for (const raw of queries) {
      const query = object(raw, 'query');
      if (query.data_source !== 'metrics') fail(`unsupported data_source ${JSON.stringify(query.data_source)}`);
      if (typeof query.query !== 'string' || typeof query.name !== 'string' || !/^[a-z]\w*$/.test(query.name) || byName.has(query.name)) fail('each query needs a unique name and a query string');
      byName.set(query.name, query.query);
    }
    const outputs =
      formulas === undefined
        ? [...byName.values()]
        : (Array.isArray(formulas) ? formulas : fail('formulas must be a list')).map((raw) => {
            const formula = object(raw, 'formula').formula;
            const query = typeof formula === 'string' ? byName.get(formula.trim()) : undefined;
            return query ?? fail(`formula ${JSON.stringify(formula)} names no query (the fake evaluates formulas that name one query)`);
          });
    const span = (to as number) - (from as number);
    if (interval !== undefined && (!Number.isInteger(interval) || (interval as number) <= 0)) fail('interval must be a positive integer (milliseconds)');
    const asked = (interval as number | undefined) ?? Math.max(1000, Math.ceil(span / 150 / 1000) * 1000);
    // Datadog keeps a series under 1500 points with a longer interval than asked.
    const step = Math.max(asked, Math.ceil(span / MAX_POINTS / 1000) * 1000);
    const evaluated = outputs.map((query) => evaluate(query, this.series, from as number, to as number, step));
    if (evaluated.some((e) => e.intervalMs !== evaluated[0]!.intervalMs)) fail('the fake answers queries of one rollup interval per request');
    const { times } = evaluated[0]!;
    const series = evaluated.flatMap((e, index) => e.series.map((s) => ({ group_tags: s.groupTags, query_index: index, unit: null })));
    const values = evaluated.flatMap((e) => e.series.map((s) => s.values));
    return { data: { type: 'timeseries_response', attributes: { times, series, values } } };
  }

  /** The logs matching a request's filter, in its order. */
  private matching(filterValue: unknown, sort: unknown): FakeLog[] {
    const filter = object(filterValue ?? {}, 'filter');
    const query = filter.query ?? '*';
    if (typeof query !== 'string') fail('filter.query must be a string');
    const from = logTime(filter.from ?? 'now-15m', 'filter.from');
    const to = logTime(filter.to ?? String(Date.now()), 'filter.to');
    const node = query.trim() === '*' || query.trim() === '' ? null : parseSearch(query);
    if (sort !== undefined && sort !== 'timestamp' && sort !== '-timestamp') fail('sort must be timestamp or -timestamp');
    const found = this.logs.filter((log) => log.timestamp >= from && log.timestamp < to && (!node || matchesSearch(node, log)));
    return found.sort((a, b) => (sort === 'timestamp' ? a.timestamp - b.timestamp : b.timestamp - a.timestamp));
  }

  private searchLogs(body: Record<string, unknown>): unknown {
    const page = object(body.page ?? {}, 'page');
    const limit = page.limit ?? DEFAULT_PAGE;
    if (!Number.isInteger(limit) || (limit as number) < 1 || (limit as number) > MAX_PAGE) fail(`page.limit must be an integer from 1 to ${MAX_PAGE}`);
    const found = this.matching(body.filter, body.sort);
    // The cursor is bound to the search it continues.
    const fingerprint = createHash('sha256').update(JSON.stringify([body.filter, body.sort])).digest('hex').slice(0, 16);
    let offset = 0;
    if (page.cursor !== undefined) {
      const [print, at] = Buffer.from(String(page.cursor), 'base64url').toString().split(':');
      if (print !== fingerprint || !/^\d+$/.test(at ?? '')) fail('invalid page.cursor');
      offset = Number(at);
    }
    const slice = found.slice(offset, offset + (limit as number));
    const next = offset + slice.length;
    const after = next < found.length ? Buffer.from(`${fingerprint}:${next}`).toString('base64url') : undefined;
    return {
      data: slice.map((log, i) => ({
        id: `AQAAAZ${offset + i}`,
        type: 'log',
        attributes: {
          timestamp: new Date(log.timestamp).toISOString(),
          message: log.message,
          status: log.status ?? 'info',
          ...(log.service !== undefined && { service: log.service }),
          ...(log.host !== undefined && { host: log.host }),
          tags: log.tags,
          attributes: log.attributes ?? {},
        },
      })),
      meta: { elapsed: 1, request_id: 'fake', status: 'done', ...(after && { page: { after } }) },
      ...(after && { links: { next: `${this.url}${LOGS_SEARCH_PATH}?page%5Bcursor%5D=${after}` } }),
    };
  }

  private aggregateLogs(body: Record<string, unknown>): unknown {
    const compute = body.compute;
    const counts = Array.isArray(compute) && compute.length === 1 && object(compute[0], 'compute').aggregation === 'count' && (object(compute[0], 'compute').type ?? 'total') === 'total';
    if (!counts) fail('the fake computes one count total');
    if (body.group_by !== undefined) fail('the fake does not group');
    return { data: { buckets: [{ by: {}, computes: { c0: this.matching(body.filter, undefined).length } }] }, meta: { elapsed: 1, request_id: 'fake', status: 'done' } };
  }
}
