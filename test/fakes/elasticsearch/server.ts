// A fake Elasticsearch or OpenSearch cluster: a real HTTP(S) server on 127.0.0.1 answering the root endpoint and
// _search as each product documents them, over documents stored per index, so that a client's bug fails a test:
// - the root endpoint: Elasticsearch's info (with X-Elastic-Product: Elasticsearch on every answer, which its client
//   checks on each 2xx answer) or OpenSearch's (version.distribution "opensearch", no such header);
//   https://www.elastic.co/guide/en/elasticsearch/reference/current/rest-api-root.html,
//   https://www.elastic.co/guide/en/elasticsearch/client/javascript-api/current/product-check.html (the 7.14+ check),
//   https://docs.opensearch.org/latest/api-reference/ (GET /); with security on, it needs a cluster privilege
//   (Elasticsearch's monitor, OpenSearch's cluster:monitor/main) a user may lack: 403 security_exception;
// - Elasticsearch's REST API compatibility: an Accept or Content-Type asking `compatible-with=N` must ask it in both
//   and N must be the server's major or the one before, else 400 media_type_header_exception;
//   https://www.elastic.co/guide/en/elasticsearch/reference/current/rest-api-compatibility.html;
// - authentication when users or API keys are configured: Basic or ApiKey, 401 security_exception with
//   WWW-Authenticate (Elasticsearch), 401 plain-text "Unauthorized" (OpenSearch's security plugin), 403 for an index
//   the user may not read (a wildcard expands only to readable indices, as both do);
//   https://www.elastic.co/guide/en/elasticsearch/reference/current/http-clients.html,
//   https://docs.opensearch.org/latest/security/access-control/api-keys/;
// - _search: the target's indices (names, `*`, `-` exclusions; 404 index_not_found_exception for a missing concrete
//   one), the body's query (query-dsl.ts), sort (a date field at its precision, numeric_type, unmapped_type, else a
//   shard failure for an index without the field), from/size refused above index.max_result_window (10,000),
//   track_total_hits (true: exact; absent: up to 10,000 then "gte"; false: none), _source includes, timeout (a time
//   value); an unknown body key is refused as the products refuse it;
//   https://www.elastic.co/guide/en/elasticsearch/reference/current/search-search.html,
//   https://www.elastic.co/guide/en/elasticsearch/reference/current/paginate-search-results.html,
//   https://docs.opensearch.org/latest/api-reference/search-apis/search/;
// - error bodies {"error": {"root_cause": [...], "type", "reason"}, "status"}; and, on demand, answers given in
//   place of a search (a 429 es_rejected_execution_exception, a 503, a proxy's page) and partial results
//   (timed_out, failed shards). search_after, from-paging beyond size, aggregations, scoring and scroll are not
//   served: the sources here read pages by time range.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { flatten, type Json, type Mapping, matches, QueryError, type StoredDoc, storedDateNs } from './query-dsl.js';

export type Product = 'elasticsearch' | 'opensearch';

export interface FakeUser {
  username: string;
  password: string;
  /** Index patterns the user may read (`*` wildcards). */
  indices: string[];
  /** Whether the user may read the root endpoint's info (the cluster privilege monitor); by default it may. */
  monitor?: boolean;
}

export interface FakeApiKey {
  /** The encoded key, as sent after "ApiKey ". */
  key: string;
  indices: string[];
}

export interface FakeSearchOptions {
  product: Product;
  /** The version the root endpoint reports; Elasticsearch's major decides the compatible-with versions it accepts. */
  version?: string;
  /** With users or API keys, every request must authenticate; without, security is off. */
  users?: FakeUser[];
  apiKeys?: FakeApiKey[];
  tls?: { key: string; cert: string };
  /** index.max_result_window. */
  maxResultWindow?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

export interface InjectedAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

interface Index {
  docs: StoredDoc[];
  mapping: Mapping;
  /** Every field a document of the index has (dynamic mapping). */
  fields: Set<string>;
}

type Caller = { name: string; indices: string[]; monitor: boolean } | undefined;

const DEFAULT_WINDOW = 10_000;
const TRACK_DEFAULT = 10_000;
const BODY_KEYS = new Set(['query', 'size', 'from', 'sort', '_source', 'track_total_hits', 'timeout']);
const MISSING_DESC = -9_223_372_036_854_775_808n;
const MISSING_ASC = 9_223_372_036_854_775_807n;
const TIME_VALUE = /^\d+(nanos|micros|ms|s|m|h|d)$/;

class Answer extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(`HTTP ${status}`);
  }
}

/** An Elasticsearch error body: the cause as root cause and as the error. */
function errorBody(status: number, type: string, reason: string, extra: Record<string, unknown> = {}): unknown {
  return { error: { root_cause: [{ type, reason, ...extra }], type, reason, ...extra }, status };
}

function globRegex(pattern: string): RegExp {
  return new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
}

/** JSON where bigint values (nanoseconds, Long.MIN_VALUE) are written as the numbers they are. */
function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? `\u0000${v}\u0000` : v)).replace(/"\\u0000(-?\d+)\\u0000"/g, '$1');
}

export class FakeSearch {
  readonly requests: RecordedRequest[] = [];
  /** Answers given in place of the next requests, in order. */
  readonly injected: InjectedAnswer[] = [];
  /** Makes the next searches' results partial. */
  partial: { timedOut?: boolean; failedShards?: number } = {};
  private readonly indices = new Map<string, Index>();
  private server!: Server;

  private constructor(private readonly options: FakeSearchOptions) {}

  static async start(options: FakeSearchOptions): Promise<FakeSearch> {
    const fake = new FakeSearch(options);
    const handler = (request: IncomingMessage, response: ServerResponse) => void fake.handle(request, response);
    fake.server = options.tls ? createHttpsServer(options.tls, handler) : createHttpServer(handler);
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get address(): string {
    return `${this.options.tls ? 'https' : 'http'}://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Stores `docs` in index `name`; `dates` maps the date fields to their type (default: @timestamp, a date). */
  index(name: string, docs: (Record<string, Json> & { _id?: string })[], dates: Record<string, 'date' | 'date_nanos'> = { '@timestamp': 'date' }): void {
    const index: Index = this.indices.get(name) ?? { docs: [], mapping: { dates: new Map() }, fields: new Set<string>() };
    for (const [field, type] of Object.entries(dates)) index.mapping.dates.set(field, type);
    for (const { _id, ...source } of docs) {
      const stored = { index: name, id: _id ?? `${name}-${index.docs.length}`, source: source as Record<string, Json> };
      index.docs.push(stored);
      for (const field of flatten(stored.source).keys()) index.fields.add(field);
    }
    this.indices.set(name, index);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private get elastic(): boolean {
    return this.options.product === 'elasticsearch';
  }

  private get version(): string {
    return this.options.version ?? (this.elastic ? '8.17.0' : '2.19.1');
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const path = request.url ?? '/';
    const method = request.method ?? 'GET';
    let body: unknown = text === '' ? undefined : text;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      // Kept as text: refused below, once the request is recorded.
    }
    this.requests.push({ method, path, headers: request.headers, body });
    let contentType = 'application/json';
    try {
      // What stands in front of the cluster answers first, whatever the request.
      const injected = this.injected.shift();
      if (injected) throw new Answer(injected.status, injected.body, injected.headers);
      contentType = this.negotiate(request.headers, text !== '');
      if (typeof body === 'string') throw new Answer(400, errorBody(400, 'x_content_parse_exception', 'the request body is not JSON'));
      const caller = this.authenticate(request.headers, path);
      this.answer(response, 200, this.route(method, path, body, caller), contentType);
    } catch (error) {
      // A fault of the fake itself is a 500, not an unhandled rejection.
      const answer = error instanceof Answer ? error : new Answer(500, errorBody(500, 'fake_exception', String(error)));
      this.answer(response, answer.status, answer.body, typeof answer.body === 'string' ? 'text/plain; charset=UTF-8' : contentType, answer.headers);
    }
  }

  private answer(response: ServerResponse, status: number, body: unknown, contentType: string, headers: Record<string, string> = {}): void {
    const text = typeof body === 'string' ? body : toJson(body);
    response.writeHead(status, {
      'content-type': contentType,
      'content-length': String(Buffer.byteLength(text)),
      ...(this.elastic && { 'x-elastic-product': 'Elasticsearch' }),
      ...headers,
    });
    response.end(text);
  }

  /** The answer's content type for the request's headers; throws the 400 or 406 the product answers a wrong one with. */
  private negotiate(headers: IncomingMessage['headers'], hasBody: boolean): string {
    const type = headers['content-type'];
    if (!this.elastic) {
      if (hasBody && !/^application\/json\s*(;|$)/i.test(type ?? '')) throw new Answer(406, { error: `Content-Type header [${type ?? ''}] is not supported`, status: 406 });
      return 'application/json; charset=UTF-8';
    }
    const versionOf = (header: string | undefined) => {
      const media = (header ?? '').split(',').find((part) => /application\/vnd\.elasticsearch\+/i.test(part));
      const version = media === undefined ? undefined : /compatible-with=(\d+)/i.exec(media)?.[1];
      return version === undefined ? undefined : Number(version);
    };
    const accept = versionOf(headers.accept);
    const content = hasBody ? versionOf(type) : accept;
    if (hasBody && !/^application\/(json|vnd\.elasticsearch\+json)\s*(;|$)/i.test(type ?? '')) {
      throw new Answer(406, { error: `Content-Type header [${type ?? ''}] is not supported`, status: 406 });
    }
    const invalid = (reason: string) =>
      new Answer(400, errorBody(400, 'media_type_header_exception', 'Invalid media-type value on headers [Accept, Content-Type]', { caused_by: { type: 'status_exception', reason } }));
    if (accept !== content) {
      throw invalid(
        `A compatible version is required on both Content-Type and Accept headers if either one has requested a compatible version and the compatible versions must match. Accept=${headers.accept}, Content-Type=${type}`,
      );
    }
    if (accept === undefined) return 'application/json';
    const major = Number(this.version.split('.')[0]);
    if (accept !== major && accept !== major - 1) throw invalid(`Accept version must be either version ${major} or ${major - 1}, but found ${accept}. Accept=${headers.accept}`);
    return `application/vnd.elasticsearch+json;compatible-with=${accept}`;
  }

  /** Who is calling, when security is on; throws the product's 401. */
  private authenticate(headers: IncomingMessage['headers'], path: string): Caller {
    const { users = [], apiKeys = [] } = this.options;
    if (!users.length && !apiKeys.length) return undefined;
    const [scheme, value = ''] = (headers.authorization ?? '').split(' ', 2);
    let caller: Caller;
    if (scheme === 'Basic') {
      const [username, ...rest] = Buffer.from(value, 'base64').toString('utf8').split(':');
      const user = users.find((u) => u.username === username && u.password === rest.join(':'));
      if (user) caller = { name: user.username, indices: user.indices, monitor: user.monitor ?? true };
      else if (this.elastic) this.refuse(`unable to authenticate user [${username}] for REST request [${path}]`);
    } else if (scheme === 'ApiKey') {
      const key = apiKeys.find((k) => k.key === value);
      if (key) caller = { name: 'api-key', indices: key.indices, monitor: true };
      else if (this.elastic) this.refuse('unable to authenticate with provided credentials and anonymous access is not allowed for this request');
    } else if (this.elastic) {
      this.refuse(`missing authentication credentials for REST request [${path}]`);
    }
    if (!caller) throw new Answer(401, 'Unauthorized', { 'www-authenticate': 'Basic realm="OpenSearch Security"' });
    return caller;
  }

  private refuse(reason: string): never {
    const challenge = ['Basic realm="security", charset="UTF-8"', 'ApiKey'];
    throw new Answer(401, errorBody(401, 'security_exception', reason, { header: { 'WWW-Authenticate': challenge } }), { 'www-authenticate': challenge.join(', ') });
  }

  private route(method: string, path: string, body: unknown, caller: Caller): unknown {
    const [pathname] = path.split('?');
    if ((method === 'GET' || method === 'HEAD') && pathname === '/') {
      if (caller && !caller.monitor) this.forbid(caller, null);
      return this.info();
    }
    const search = /^\/([^/]+)\/_search$/.exec(pathname!);
    if (search && (method === 'GET' || method === 'POST')) return this.search(decodeURIComponent(search[1]!), body, caller);
    throw new Answer(400, { error: `no handler found for uri [${path}] and method [${method}]` });
  }

  private info(): unknown {
    return this.elastic
      ? {
          name: 'fake-node',
          cluster_name: 'fake-cluster',
          cluster_uuid: 'fake-cluster-uuid',
          version: { number: this.version, build_flavor: 'default', build_type: 'docker', build_hash: 'fake-build-hash', build_date: '2026-01-01T00:00:00.000Z', build_snapshot: false, lucene_version: '9.12.0', minimum_wire_compatibility_version: '7.17.0', minimum_index_compatibility_version: '7.0.0' },
          tagline: 'You Know, for Search',
        }
      : {
          name: 'fake-node',
          cluster_name: 'fake-cluster',
          cluster_uuid: 'fake-cluster-uuid',
          version: { distribution: 'opensearch', number: this.version, build_type: 'tar', build_hash: 'fake-build-hash', build_date: '2026-01-01T00:00:00.000Z', build_snapshot: false, lucene_version: '9.12.1', minimum_wire_compatibility_version: '7.10.0', minimum_index_compatibility_version: '7.0.0' },
          tagline: 'The OpenSearch Project: https://opensearch.org/',
        };
  }

  /** The indices a target names, readable by the caller; throws 404 for a missing concrete index, 403 for a forbidden one. */
  private resolve(target: string, caller: Caller): string[] {
    const readable = (name: string) => !caller || caller.indices.some((pattern) => globRegex(pattern).test(name));
    const chosen = new Set<string>();
    for (const [i, item] of target.split(',').entries()) {
      const excluded = i > 0 && item.startsWith('-');
      const pattern = excluded ? item.slice(1) : item;
      if (!pattern.includes('*')) {
        if (excluded) chosen.delete(pattern);
        else if (!this.indices.has(pattern)) throw new Answer(404, errorBody(404, 'index_not_found_exception', `no such index [${pattern}]`, { 'resource.type': 'index_or_alias', 'resource.id': pattern, index_uuid: '_na_', index: pattern }));
        else if (!readable(pattern)) this.forbid(caller!, pattern);
        else chosen.add(pattern);
        continue;
      }
      for (const name of this.indices.keys()) {
        if (!globRegex(pattern).test(name)) continue;
        if (excluded) chosen.delete(name);
        else if (readable(name)) chosen.add(name);
      }
    }
    return [...chosen].sort();
  }

  /** The 403 of an action the caller may not do: a search of `index`, or the cluster's info. */
  private forbid(caller: { name: string }, index: string | null): never {
    const action = index === null ? 'cluster:monitor/main' : 'indices:data/read/search';
    const granted = index === null ? ', this action is granted by the cluster privileges [monitor,manage,all]' : ` on indices [${index}], this action is granted by the index privileges [read,all]`;
    const reason = this.elastic
      ? `action [${action}] is unauthorized for user [${caller.name}] with effective roles [fake_reader]${granted}`
      : `no permissions for [${action}] and User [name=${caller.name}, backend_roles=[], requestedTenant=null]`;
    throw new Answer(403, errorBody(403, 'security_exception', reason));
  }

  private search(target: string, body: unknown, caller: Caller): unknown {
    const request = (body ?? {}) as Record<string, unknown>;
    if (typeof request !== 'object' || Array.isArray(request)) throw new Answer(400, errorBody(400, 'parsing_exception', 'Expected [START_OBJECT] but found [VALUE]'));
    for (const key of Object.keys(request)) {
      if (!BODY_KEYS.has(key)) throw new Answer(400, errorBody(400, 'parsing_exception', `Unknown key for a ${Array.isArray(request[key]) ? 'START_ARRAY' : 'VALUE'} in [${key}].`));
    }
    const size = request.size ?? 10;
    const from = request.from ?? 0;
    if (!Number.isInteger(size) || (size as number) < 0 || !Number.isInteger(from) || (from as number) < 0) throw new Answer(400, errorBody(400, 'illegal_argument_exception', '[size] and [from] must be non-negative whole numbers'));
    if (request.timeout !== undefined && !(typeof request.timeout === 'string' && TIME_VALUE.test(request.timeout))) {
      throw new Answer(400, errorBody(400, 'parse_exception', `failed to parse setting [timeout] with value [${String(request.timeout)}] as a time value: unit is missing or unrecognized`));
    }
    const window = this.options.maxResultWindow ?? DEFAULT_WINDOW;
    const indices = this.resolve(target, caller);
    if ((from as number) + (size as number) > window && indices.length) {
      this.shardFailure(indices[0]!, {
        type: 'illegal_argument_exception',
        reason: `Result window is too large, from + size must be less than or equal to: [${window}] but was [${(from as number) + (size as number)}]. See the scroll api for a more efficient way to request large data sets. This limit can be set by changing the [index.max_result_window] index level setting.`,
      });
    }
    const sort = this.sortSpec(request.sort);
    const query = request.query ?? { match_all: {} };
    const failures: { index: string; reason: { type: string; reason: string } }[] = [];
    const hits: { doc: StoredDoc; sort: (bigint | number | string | null)[]; fields: Map<string, Json[]> }[] = [];
    for (const name of indices) {
      const index = this.indices.get(name)!;
      const unmapped = sort.find((key) => key.field !== '_doc' && !index.fields.has(key.field) && !index.mapping.dates.has(key.field) && key.unmappedType === undefined);
      if (unmapped) {
        failures.push({ index: name, reason: { type: 'query_shard_exception', reason: `No mapping found for [${unmapped.field}] in order to sort on` } });
        continue;
      }
      try {
        for (const [position, doc] of index.docs.entries()) {
          const fields = flatten(doc.source);
          if (matches(query, doc, index.mapping, fields)) hits.push({ doc, fields, sort: sort.map((key) => this.sortValue(key, fields, index, position)) });
        }
      } catch (error) {
        if (!(error instanceof QueryError)) throw error;
        if (error.type !== 'query_shard_exception') throw new Answer(400, errorBody(400, error.type, error.message));
        failures.push({ index: name, reason: { type: error.type, reason: error.message, ...(error.causedBy && { caused_by: error.causedBy }) } });
      }
    }
    if (indices.length && failures.length === indices.length) this.shardFailure(failures[0]!.index, failures[0]!.reason);
    hits.sort((a, b) => compareSort(a.sort, b.sort, sort));
    const track = request.track_total_hits ?? TRACK_DEFAULT;
    const limit = track === true ? Infinity : typeof track === 'number' ? track : 0;
    const failedShards = failures.length + (this.partial.failedShards ?? 0);
    return {
      took: 1,
      timed_out: this.partial.timedOut === true,
      _shards: {
        total: indices.length + (this.partial.failedShards ?? 0),
        successful: indices.length - failures.length,
        skipped: 0,
        failed: failedShards,
        ...(failedShards && {
          failures: [
            ...failures.map((failure) => ({ shard: 0, index: failure.index, node: 'fake-node', reason: failure.reason })),
            ...Array.from({ length: this.partial.failedShards ?? 0 }, (_, shard) => ({ shard: shard + 1, index: indices[0] ?? 'none', node: 'fake-node', reason: { type: 'node_not_connected_exception', reason: '[fake-node-2] Node not connected' } })),
          ],
        }),
      },
      hits: {
        ...(track !== false && { total: hits.length > limit ? { value: limit, relation: 'gte' } : { value: hits.length, relation: 'eq' } }),
        max_score: null,
        hits: hits.slice(from as number, (from as number) + (size as number)).map(({ doc, sort: values }) => ({
          _index: doc.index,
          _id: doc.id,
          _score: null,
          _source: filterSource(doc.source, request._source),
          ...(sort.length && { sort: values }),
        })),
      },
    };
  }

  /** All shards failed: the search fails as a whole, with the first shard's cause. */
  private shardFailure(index: string, reason: { type: string; reason: string; caused_by?: unknown }): never {
    const rootCause = { type: reason.type, reason: reason.reason, index_uuid: 'fake-uuid', index };
    throw new Answer(400, {
      error: {
        root_cause: [rootCause],
        type: 'search_phase_execution_exception',
        reason: 'all shards failed',
        phase: 'query',
        grouped: true,
        failed_shards: [{ shard: 0, index, node: 'fake-node', reason: { ...rootCause, ...(reason.caused_by !== undefined && { caused_by: reason.caused_by }) } }],
      },
      status: 400,
    });
  }

  private sortSpec(sort: unknown): SortKey[] {
    if (sort === undefined) return [];
    const keys = Array.isArray(sort) ? sort : [sort];
    return keys.map((key): SortKey => {
      if (typeof key === 'string') return { field: key, order: key === '_score' ? 'desc' : 'asc' };
      const entries = Object.entries((key ?? {}) as Record<string, unknown>);
      if (entries.length !== 1) throw new Answer(400, errorBody(400, 'parsing_exception', 'malformed sort'));
      const [field, options] = entries[0]!;
      if (typeof options === 'string') return { field, order: options as 'asc' | 'desc' };
      const { order = 'asc', numeric_type: numericType, unmapped_type: unmappedType, ...rest } = options as Record<string, unknown>;
      if (Object.keys(rest).length) throw new Answer(400, errorBody(400, 'parsing_exception', `[field_sort] unknown field [${Object.keys(rest)[0]}]`));
      if (order !== 'asc' && order !== 'desc') throw new Answer(400, errorBody(400, 'illegal_argument_exception', `Unknown SortOrder [${String(order)}]`));
      if (numericType !== undefined && numericType !== 'date' && numericType !== 'date_nanos' && numericType !== 'long' && numericType !== 'double') {
        throw new Answer(400, errorBody(400, 'illegal_argument_exception', `Unknown numeric type: [${String(numericType)}]`));
      }
      return { field, order, ...(numericType !== undefined && { numericType: numericType as string }), ...(unmappedType !== undefined && { unmappedType: String(unmappedType) }) };
    });
  }

  private sortValue(key: SortKey, fields: Map<string, Json[]>, index: Index, position: number): bigint | number | string | null {
    if (key.field === '_doc') return position;
    const dateType = index.mapping.dates.get(key.field);
    if (dateType !== undefined) {
      const ns = storedDateNs(fields, key.field, index.mapping);
      if (ns === undefined) return key.order === 'desc' ? MISSING_DESC : MISSING_ASC;
      const inNanos = key.numericType === 'date_nanos' || (key.numericType === undefined && dateType === 'date_nanos');
      if (inNanos) return ns;
      // Milliseconds, rounded down, as a long.
      return Number(ns >= 0n ? ns / 1_000_000n : (ns - 999_999n) / 1_000_000n);
    }
    const value = fields.get(key.field)?.[0];
    return value === undefined || value === null || typeof value === 'object' ? null : (value as number | string);
  }
}

interface SortKey {
  field: string;
  order: 'asc' | 'desc';
  numericType?: string;
  unmappedType?: string;
}

function compareSort(a: (bigint | number | string | null)[], b: (bigint | number | string | null)[], keys: SortKey[]): number {
  for (const [i, key] of keys.entries()) {
    const [x, y] = [a[i], b[i]];
    if (x === y) continue;
    // A missing value sorts last either way.
    if (x === null || x === undefined) return 1;
    if (y === null || y === undefined) return -1;
    const order = (typeof x === 'string' || typeof y === 'string' ? String(x) < String(y) : BigInt(x) < BigInt(y)) ? -1 : 1;
    return key.order === 'asc' ? order : -order;
  }
  return 0;
}

/** The _source with only the included paths (`_source: {includes: […]}`, a list, or false), nested or dotted as stored. */
function filterSource(source: Record<string, Json>, filter: unknown): Record<string, Json> | undefined {
  if (filter === undefined || filter === true) return source;
  if (filter === false) return undefined;
  const includes = Array.isArray(filter) ? filter : typeof filter === 'string' ? [filter] : ((filter as { includes?: unknown }).includes as unknown);
  if (!Array.isArray(includes) || includes.some((path) => typeof path !== 'string')) throw new Answer(400, errorBody(400, 'parsing_exception', '[_source] expects a list of field paths'));
  const keep = (path: string): 'all' | 'some' | 'none' => {
    if (includes.some((include: string) => path === include || path.startsWith(`${include}.`))) return 'all';
    return includes.some((include: string) => include.startsWith(`${path}.`)) ? 'some' : 'none';
  };
  const walk = (object: Record<string, Json>, prefix: string): Record<string, Json> => {
    const kept: Record<string, Json> = {};
    for (const [key, value] of Object.entries(object)) {
      const path = prefix ? `${prefix}.${key}` : key;
      const verdict = keep(path);
      if (verdict === 'all') kept[key] = value;
      else if (verdict === 'some' && value !== null && typeof value === 'object' && !Array.isArray(value)) {
        const inner = walk(value, path);
        if (Object.keys(inner).length) kept[key] = inner;
      }
    }
    return kept;
  };
  return walk(source, '');
}
