import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createPrometheusSource, rangeStepSeconds } from './client.js';
import { prometheusSettingsSchema } from './settings.js';
import type { SeriesRequest, SourceOptions } from '../source.js';
import { collectError } from '../../../test/helpers/collect-error.js';
import { closeLocalServers, serveLocally } from '../../../test/helpers/local-server.js';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

afterEach(closeLocalServers);

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

function matrix(result: unknown[]): unknown {
  return { status: 'success', data: { resultType: 'matrix', result } };
}

const start = new Date('2026-01-01T00:00:00Z');
const request: SeriesRequest = {
  metric: { name: 'error-rate', query: 'sum by (pod) (rate(errors{${selector}}[1m]))' },
  group: { podTemplateHash: 'abc123', selectBy: 'label', hashLabel: 'rollouts_pod_template_hash', instanceLabel: 'pod' },
  start,
  end: new Date(start.getTime() + 300_000),
};

function source(address: string, overrides: Record<string, unknown> = {}, options: SourceOptions = {}) {
  return createPrometheusSource(prometheusSettingsSchema.parse({ address, ...overrides }), options);
}

describe('rangeStepSeconds', () => {
  it('uses the configured step over a long window', () => {
    expect(rangeStepSeconds(start, new Date(start.getTime() + 300_000), 15_000)).toBe(15);
  });

  it('never exceeds the span so far, nor drops under 1s', () => {
    expect(rangeStepSeconds(start, new Date(start.getTime() + 5_000), 15_000)).toBe(5);
    expect(rangeStepSeconds(start, start, 15_000)).toBe(1);
  });

  it("stays under Prometheus' 11,000 points per series", () => {
    const week = 7 * 24 * 3600_000;
    const step = rangeStepSeconds(start, new Date(start.getTime() + week), 15_000);
    expect(week / 1000 / step).toBeLessThanOrEqual(11_000);
  });
});

describe('createPrometheusSource', () => {
  it('posts a range query with the group selector and returns per-instance series', async () => {
    let seen: { method?: string; url?: string; form?: URLSearchParams } = {};
    const address = await serveLocally((req, body, res) => {
      seen = { method: req.method, url: req.url, form: new URLSearchParams(body) };
      json(
        res,
        200,
        matrix([
          { metric: { pod: 'web-abc123-x1' }, values: [[1767225615, '0.5'], [1767225630, '1.5']] },
          { metric: { pod: 'web-abc123-x2' }, values: [[1767225615, '2']] },
        ]),
      );
    });
    const { series, warnings } = await source(address).fetchSeries(request);
    expect(warnings).toEqual([]);
    expect(seen.method).toBe('POST');
    expect(seen.url).toBe('/api/v1/query_range');
    expect(seen.form?.get('query')).toBe('sum by (pod) (rate(errors{rollouts_pod_template_hash="abc123"}[1m]))');
    // The range is (start, end]: the first point is one step after the start, so it covers no time before it.
    expect(seen.form?.get('start')).toBe('1767225615');
    expect(seen.form?.get('end')).toBe('1767225900');
    expect(seen.form?.get('step')).toBe('15');
    expect(seen.form?.get('timeout')).toBe('10');
    expect(series).toEqual(
      new Map([
        ['web-abc123-x1', [[1767225615, 0.5], [1767225630, 1.5]]],
        ['web-abc123-x2', [[1767225615, 2]]],
      ]),
    );
  });

  it('starts a short range one shortened step after its start, ending at its end', async () => {
    let form: URLSearchParams | undefined;
    const address = await serveLocally((_req, body, res) => {
      form = new URLSearchParams(body);
      json(res, 200, matrix([]));
    });
    await source(address).fetchSeries({ ...request, end: new Date(start.getTime() + 5_000) });
    expect([form?.get('start'), form?.get('end'), form?.get('step')]).toEqual(['1767225605', '1767225605', '5']);
  });

  it('starts a counter query at the window start, the value its increases are taken from', async () => {
    let form: URLSearchParams | undefined;
    const address = await serveLocally((_req, body, res) => {
      form = new URLSearchParams(body);
      json(res, 200, matrix([]));
    });
    await source(address).fetchSeries({ ...request, cumulative: true });
    expect([form?.get('start'), form?.get('end'), form?.get('step')]).toEqual(['1767225600', '1767225900', '15']);
  });

  it('fills ${rateInterval} from the scrape interval and the step of the query', async () => {
    const queries: (string | null)[] = [];
    const address = await serveLocally((_req, body, res) => {
      queries.push(new URLSearchParams(body).get('query'));
      json(res, 200, matrix([]));
    });
    const withRange = { ...request, metric: { name: 'latency', query: 'rate(x{${selector}}[${rateInterval}])' } };
    await source(address).fetchSeries(withRange);
    await source(address, { scrapeInterval: '1m' }).fetchSeries(withRange);
    await source(address, { step: '5m', scrapeInterval: '10s' }).fetchSeries({ ...withRange, end: new Date(start.getTime() + 3600_000) });
    expect(queries).toEqual([
      'rate(x{rollouts_pod_template_hash="abc123"}[120s])',
      'rate(x{rollouts_pod_template_hash="abc123"}[240s])',
      'rate(x{rollouts_pod_template_hash="abc123"}[310s])',
    ]);
  });

  it('asks nothing before a whole second has passed', async () => {
    let calls = 0;
    const address = await serveLocally((_req, _body, res) => {
      calls += 1;
      json(res, 200, matrix([]));
    });
    expect(await source(address).fetchSeries({ ...request, end: new Date(start.getTime() + 500) })).toEqual({ series: new Map(), warnings: [] });
    expect(calls).toBe(0);
  });

  it('keeps a path prefix in the address', async () => {
    let url: string | undefined;
    const address = await serveLocally((req, _body, res) => {
      url = req.url;
      json(res, 200, matrix([]));
    });
    await source(`${address}/prometheus`).fetchSeries(request);
    expect(url).toBe('/prometheus/api/v1/query_range');
  });

  it("returns Prometheus' warnings (a partial response) with the series", async () => {
    const address = await serveLocally((_req, _body, res) =>
      json(res, 200, { ...(matrix([{ metric: { pod: 'p1' }, values: [[1, '1']] }]) as object), warnings: ['store gateway unavailable', 'store gateway unavailable', 'x'.repeat(500)] }),
    );
    const result = await source(address).fetchSeries(request);
    expect(result.series).toEqual(new Map([['p1', [[1, 1]]]]));
    expect(result.warnings).toEqual(['store gateway unavailable', `${'x'.repeat(299)}…`]);
  });

  it('drops NaN and infinite values', async () => {
    const address = await serveLocally((_req, _body, res) =>
      json(res, 200, matrix([{ metric: { pod: 'p1' }, values: [[1, 'NaN'], [2, '+Inf'], [3, '-Inf'], [4, '0.25']] }])),
    );
    expect((await source(address).fetchSeries(request)).series).toEqual(new Map([['p1', [[4, 0.25]]]]));
  });

  it('returns an empty map when nothing matches', async () => {
    const address = await serveLocally((_req, _body, res) => json(res, 200, matrix([])));
    expect((await source(address).fetchSeries(request)).series.size).toBe(0);
  });

  it('asks to aggregate by the instance label when a series lacks it', async () => {
    const address = await serveLocally((_req, _body, res) => json(res, 200, matrix([{ metric: { job: 'web' }, values: [[1, '1']] }])));
    const error = await collectError(source(address).fetchSeries(request));
    expect(error.message).toContain('metric "error-rate"');
    expect(error.message).toContain(`Prometheus at ${address}`);
    expect(error.message).toContain('has no "pod" label ({"job":"web"}); aggregate the query by (pod)');
  });

  it('refuses several series for one instance', async () => {
    const address = await serveLocally((_req, _body, res) =>
      json(
        res,
        200,
        matrix([
          { metric: { pod: 'p1', code: '500' }, values: [[1, '1']] },
          { metric: { pod: 'p1', code: '503' }, values: [[1, '1']] },
        ]),
      ),
    );
    expect((await collectError(source(address).fetchSeries(request))).message).toContain('several result series share pod="p1"');
  });

  it('reports a Prometheus error body with its type and message', async () => {
    const address = await serveLocally((_req, _body, res) =>
      json(res, 400, { status: 'error', errorType: 'bad_data', error: '1:14: parse error: unexpected "}"' }),
    );
    const error = await collectError(source(address).fetchSeries(request));
    expect(error.message).toBe(`metric "error-rate": Prometheus at ${address}: HTTP 400 bad_data: 1:14: parse error: unexpected "}"`);
  });

  it('reports a response that is not from a Prometheus API by its status, type and size, never its body', async () => {
    const address = await serveLocally((_req, _body, res) => {
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('Service Unavailable: internal-db.corp password=hunter2');
    });
    const error = await collectError(source(address).fetchSeries(request));
    expect(error.message).toBe(`metric "error-rate": Prometheus at ${address}: HTTP 503, not a Prometheus API response (text/plain, 54 bytes)`);
  });

  it("repeats only a Prometheus error's type and message, clipped", async () => {
    const address = await serveLocally((_req, _body, res) => json(res, 422, { status: 'error', errorType: 'execution', error: `x${'y'.repeat(1000)}` }));
    const error = await collectError(source(address).fetchSeries(request));
    expect(error.message).toBe(`metric "error-rate": Prometheus at ${address}: HTTP 422 execution: x${'y'.repeat(298)}…`);
  });

  it('does not echo an error-looking body without the error type every Prometheus error has', async () => {
    const address = await serveLocally((_req, _body, res) => json(res, 500, { status: 'error', error: 'hunter2' }));
    const error = await collectError(source(address).fetchSeries(request));
    expect(error.message).not.toContain('hunter2');
  });

  it('does not echo a JSON body that is not a Prometheus answer either', async () => {
    const address = await serveLocally((_req, _body, res) => json(res, 200, { token: 'hunter2' }));
    const error = await collectError(source(address).fetchSeries(request));
    expect(error.message).toBe(`metric "error-rate": Prometheus at ${address}: HTTP 200, not a Prometheus API response (application/json, 19 bytes)`);
  });

  it('follows no redirect, so a credential never leaves the address it was issued for', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rollouts-cv-credentials-'));
    try {
      const seen: (string | undefined)[] = [];
      const address = await serveLocally((incoming, _body, response) => {
        seen.push(incoming.url);
        if (incoming.url?.startsWith('/elsewhere')) return json(response, 200, matrix([]));
        response.writeHead(307, { location: '/elsewhere/api/v1/query_range?secret=hunter2' }).end();
      });
      mkdirSync(join(dir, 'prod'));
      writeFileSync(join(dir, 'prod', 'address'), `${address}/prometheus`);
      writeFileSync(join(dir, 'prod', 'token'), 't0ken');
      const error = await collectError(source(`${address}/prometheus`, { credentials: 'prod' }, { credentialsDir: dir }).fetchSeries(request));
      expect(error.message).toBe(`metric "error-rate": Prometheus at ${address}/prometheus: HTTP 307, not a Prometheus API response (no content type, 0 bytes)`);
      expect(seen).toEqual(['/prometheus/api/v1/query_range']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('does not accept an error status that still carries data', async () => {
    const address = await serveLocally((_req, _body, res) => json(res, 500, matrix([])));
    expect((await collectError(source(address).fetchSeries(request))).message).toContain('HTTP 500');
  });

  it('refuses a result that is not a matrix', async () => {
    const address = await serveLocally((_req, _body, res) => json(res, 200, { status: 'success', data: { resultType: 'vector', result: [] } }));
    expect((await collectError(source(address).fetchSeries(request))).message).toContain('expected a range vector (matrix) result; got vector');
  });

  it('reports a refused connection', async () => {
    const address = await serveLocally(() => undefined);
    await closeLocalServers();
    const error = await collectError(source(address).fetchSeries(request));
    expect(error.message).toBe(`metric "error-rate": Prometheus at ${address}: connection refused`);
  });

  it('gives up after the timeout', async () => {
    const address = await serveLocally(() => undefined);
    const error = await collectError(source(address, { timeout: '200ms' }).fetchSeries(request));
    expect(error.message).toBe(`metric "error-rate": Prometheus at ${address}: no response within 200ms`);
  });

  it('sends the named credential as the Authorization header', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rollouts-cv-credentials-'));
    try {
      let authorization: string | undefined;
      const address = await serveLocally((incoming, _body, response) => {
        authorization = incoming.headers.authorization;
        json(response, 200, matrix([]));
      });
      mkdirSync(join(dir, 'prod'));
      writeFileSync(join(dir, 'prod', 'address'), address);
      writeFileSync(join(dir, 'prod', 'token'), 't0ken');
      await source(address, { credentials: 'prod' }, { credentialsDir: dir }).fetchSeries(request);
      expect(authorization).toBe('Bearer t0ken');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a credential it cannot use as a collection failure, before sending anything', async () => {
    let requests = 0;
    const address = await serveLocally((_incoming, _body, response) => {
      requests += 1;
      json(response, 200, matrix([]));
    });
    const error = await collectError(source(address, { credentials: 'prod' }).fetchSeries(request));
    expect(error.message).toContain('the engine runs without --credentials-dir');
    expect(requests).toBe(0);
  });

  it("sends the config's extra headers, e.g. a tenant", async () => {
    let tenant: string | string[] | undefined;
    const address = await serveLocally((incoming, _body, response) => {
      tenant = incoming.headers['x-scope-orgid'];
      json(response, 200, matrix([]));
    });
    await source(address, { headers: { 'X-Scope-OrgID': 'team-a' } }).fetchSeries(request);
    expect(tenant).toBe('team-a');
  });

  it('refuses an Authorization header in the config: credentials go in a folder', () => {
    const parsed = prometheusSettingsSchema.safeParse({ address: 'http://prometheus:9090', headers: { Authorization: 'Bearer stolen' } });
    expect(parsed.error?.issues).toEqual([expect.objectContaining({ path: ['headers', 'Authorization'], message: expect.stringContaining('credentials go in a credentials folder') })]);
  });

  it('says a 401 came for want of credentials, or of a tenant, quoting the plain-text reason, and does not retry it', async () => {
    let requests = 0;
    let reason = 'no org id\n';
    const address = await serveLocally((_incoming, _body, response) => {
      requests += 1;
      response.writeHead(401, { 'content-type': 'text/plain; charset=utf-8' }).end(reason);
    });
    const error = await collectError(source(address).fetchSeries(request));
    expect(error.message).toBe(
      `metric "error-rate": Prometheus at ${address}: HTTP 401: the backend refused requests without credentials (it says: no org id); Mimir and Cortex read the tenant from X-Scope-OrgID: set it in headers, or pin it in the credentials folder`,
    );
    expect(error.transient).toBe(false);
    expect(requests).toBe(1);
    reason = 'Unauthorized\n';
    expect((await collectError(source(address).fetchSeries(request))).message).toBe(
      `metric "error-rate": Prometheus at ${address}: HTTP 401: the backend refused requests without credentials (it says: Unauthorized); name a credentials folder in credentials`,
    );
  });

  it("names the refused credentials folder, quoting the backend's reason without any secret in it", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rollouts-cv-credentials-'));
    try {
      const address = await serveLocally((incoming, _body, response) =>
        json(response, 403, { message: `The security token included in the request is invalid: ${incoming.headers.authorization} / ${incoming.headers['x-api-key']}` }),
      );
      mkdirSync(join(dir, 'prod'));
      writeFileSync(join(dir, 'prod', 'address'), address);
      writeFileSync(join(dir, 'prod', 'token'), 't0ken-s3cret');
      writeFileSync(join(dir, 'prod', 'headers'), '{"X-Api-Key": "k3y-s3cret"}');
      const error = await collectError(source(address, { credentials: 'prod' }, { credentialsDir: dir }).fetchSeries(request));
      expect(error.message).toBe(
        `metric "error-rate": Prometheus at ${address}: HTTP 403: the backend denies this query to credentials "prod" (it says: The security token included in the request is invalid: Bearer *** / ***)`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
