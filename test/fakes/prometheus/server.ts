// A fake Prometheus-compatible query API behind the authentication of the backends users run it as, for the tests
// of how the engine reaches them (the queries' results themselves are tested against real Prometheus and
// VictoriaMetrics in test/sources/prometheus-compatible.test.ts). It serves `POST <prefix>/api/v1/query_range`
// as Prometheus documents it (https://prometheus.io/docs/prometheus/latest/querying/api/#range-queries: a form with
// query, start, end, step; `{"status":"success","data":{"resultType":"matrix",…}}`, errors as
// `{"status":"error","errorType":"bad_data",…}` with 400, the 11,000 points per series limit), and checks what each
// backend checks before answering:
// - Grafana Mimir / Cortex (https://grafana.com/docs/mimir/latest/manage/secure/authentication-and-authorization/):
//   the tenant in X-Scope-OrgID, each tenant its own data; without it `401 no org id` in plain text;
// - Amazon Managed Service for Prometheus (https://docs.aws.amazon.com/prometheus/latest/userguide/AMP-onboard-query-APIs.html):
//   `/workspaces/<id>/api/v1/query_range`, every request SigV4-signed for service `aps` (verified independently,
//   sigv4-verifier.ts); refusals as 403 `{"message": …}` with the X-Amzn-ErrorType header;
// - an OAuth2 gateway: a bearer token the fake token server (oauth2.ts) issued and has neither expired nor revoked,
//   else 401 with `WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750 §3);
// - Prometheus' own web config: a bearer token or basic authentication, else 401 `Unauthorized`;
// - TLS with a given key and certificate (a private CA's, ca.ts).
// Besides, for health checks: `GET <prefix>/api/v1/status/buildinfo`
// (https://prometheus.io/docs/prometheus/latest/querying/api/#build-information: `{"status":"success","data":
// {"version":…,"revision":…,"branch":…,"buildUser":…,"buildDate":…,"goVersion":…}}`; a 404 when `version` is null,
// as on AMP), and `POST <prefix>/api/v1/query` of `vector(<n>)` (an instant query answering a `vector`).
// Every request is journaled with its headers and form.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Server } from 'node:http';
import type { FakeTokenServer } from './oauth2.js';
import { serveFake } from './serve.js';
import { type AwsKey, verifySigV4 } from './sigv4-verifier.js';

export interface Series {
  metric: Record<string, string>;
  values: [number, string][];
}

export type FakeAuth =
  | { kind: 'bearer'; token: string }
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'oauth2'; issuer: FakeTokenServer }
  | { kind: 'sigv4'; region: string; keys: AwsKey[] };

export interface FakePrometheusOptions {
  /** Where the API is mounted, e.g. `/prometheus` (Mimir) or `/workspaces/ws-1` (AMP). */
  prefix?: string;
  auth?: FakeAuth;
  /** Mimir-style tenants and their series: X-Scope-OrgID is then required. */
  tenants?: Record<string, Series[]>;
  /** The series of a backend without tenants. */
  series?: Series[];
  tls?: { key: string; cert: string };
  /** The version buildinfo answers (default 2.53.3); null: no buildinfo is served. */
  version?: string | null;
}

export interface JournalEntry {
  path: string;
  headers: IncomingHttpHeaders;
  form: URLSearchParams;
  status: number;
}

const MAX_POINTS = 11_000;

export class FakePrometheus {
  readonly journal: JournalEntry[] = [];

  private constructor(
    private readonly server: Server,
    /** The address a config names: scheme, host, port and prefix. */
    readonly address: string,
    private readonly options: FakePrometheusOptions,
  ) {}

  static async start(options: FakePrometheusOptions = {}): Promise<FakePrometheus> {
    let fake: FakePrometheus | undefined;
    const { server, origin } = await serveFake(options.tls, (request, body, response) => fake!.handle(request, body, response));
    fake = new FakePrometheus(server, `${origin}${options.prefix ?? ''}`, options);
    return fake;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private handle(request: IncomingMessage, body: string, response: ServerResponse): void {
    const path = request.url ?? '/';
    const form = new URLSearchParams(body);
    const reply = (status: number, contentType: string, text: string, headers: Record<string, string> = {}) => {
      this.journal.push({ path, headers: request.headers, form, status });
      response.writeHead(status, { 'content-type': contentType, ...headers }).end(text);
    };
    const json = (status: number, value: unknown, headers?: Record<string, string>) => reply(status, 'application/json', JSON.stringify(value), headers);
    const badData = (error: string) => json(400, { status: 'error', errorType: 'bad_data', error });

    const prefix = this.options.prefix ?? '';
    const version = this.options.version === undefined ? '2.53.3' : this.options.version;
    const route = [
      ['POST', '/api/v1/query_range'],
      ['POST', '/api/v1/query'],
      ...(version === null ? [] : [['GET', '/api/v1/status/buildinfo']]),
    ].find(([method, endpoint]) => request.method === method && path === `${prefix}${endpoint}`)?.[1];
    if (!route) return reply(404, 'text/plain; charset=utf-8', '404 page not found\n');
    const refused = this.refusal(request, body);
    if (refused) return reply(refused.status, refused.contentType, refused.text, refused.headers);
    if (route === '/api/v1/status/buildinfo') {
      return json(200, { status: 'success', data: { version, revision: 'fake', branch: 'HEAD', buildUser: 'fake', buildDate: '20240709-12:00:00', goVersion: 'go1.22.5' } });
    }

    let series = this.options.series ?? [];
    if (this.options.tenants) {
      const tenant = request.headers['x-scope-orgid'];
      if (typeof tenant !== 'string' || !tenant) return reply(401, 'text/plain; charset=utf-8', 'no org id\n');
      series = this.options.tenants[tenant] ?? [];
    }

    if (!request.headers['content-type']?.startsWith('application/x-www-form-urlencoded')) return badData('expected a form body');
    const query = form.get('query');
    if (!query) return badData('invalid parameter "query": 1:1: parse error: no expression found in input');
    if (route === '/api/v1/query') {
      const constant = /^vector\((\d+)\)$/.exec(query);
      if (!constant) return badData('the fake answers only vector(<n>) as an instant query');
      return json(200, { status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [Date.now() / 1000, constant[1]] }] } });
    }
    const [start, end, step] = ['start', 'end', 'step'].map((name) => Number(form.get(name) ?? NaN));
    if (!Number.isFinite(start)) return badData(`invalid parameter "start": cannot parse "${form.get('start') ?? ''}" to a valid timestamp`);
    if (!Number.isFinite(end)) return badData(`invalid parameter "end": cannot parse "${form.get('end') ?? ''}" to a valid timestamp`);
    if (end! < start!) return badData('invalid parameter "end": end timestamp must not be before start time');
    if (!(step! > 0)) return badData('invalid parameter "step": zero or negative query resolution step widths are not accepted. Try a positive integer');
    if ((end! - start!) / step! > MAX_POINTS) return badData('exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)');
    json(200, { status: 'success', data: { resultType: 'matrix', result: series } });
  }

  /** Why the backend refuses the request's authentication, as it answers it; null when it is accepted. */
  private refusal(request: IncomingMessage, body: string): { status: number; contentType: string; text: string; headers?: Record<string, string> } | null {
    const auth = this.options.auth;
    const authorization = request.headers.authorization ?? '';
    const unauthorized = { status: 401, contentType: 'text/plain; charset=utf-8', text: 'Unauthorized\n', headers: { 'www-authenticate': 'Basic' } };
    switch (auth?.kind) {
      case undefined:
        return null;
      case 'bearer':
        return authorization === `Bearer ${auth.token}` ? null : unauthorized;
      case 'basic':
        return authorization === `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` ? null : unauthorized;
      case 'oauth2': {
        const token = /^Bearer (\S+)$/.exec(authorization)?.[1];
        if (token && auth.issuer.valid(token)) return null;
        const challenge = token ? 'Bearer error="invalid_token", error_description="The access token expired or was revoked"' : 'Bearer';
        return { status: 401, contentType: 'application/json', text: JSON.stringify({ error: 'invalid_token' }), headers: { 'www-authenticate': challenge } };
      }
      case 'sigv4': {
        const refusal = verifySigV4({ method: request.method ?? '', url: request.url ?? '/', headers: request.headers, body }, auth.keys, auth.region, 'aps');
        if (!refusal) return null;
        return { status: 403, contentType: 'application/json', text: JSON.stringify({ message: refusal.message }), headers: { 'x-amzn-errortype': refusal.type } };
      }
    }
  }
}
