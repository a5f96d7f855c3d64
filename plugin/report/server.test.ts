import { request, type IncomingHttpHeaders } from 'node:http';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../shared/log.js';
import type { ListeningServer } from '../../shared/listen.js';
import { CollectError } from '../collect/source.js';
import { parseVerifyConfig } from '../config/schema.js';
import { ReportError, type ReportRef } from './stored.js';
import { echartsBundle } from './assets.js';
import { buildReport, type Report } from './model.js';
import { parseReportRequest, serveReports, type ReportServerOptions } from './server.js';
import { reportPath } from '../../shared/verdicts/report-path.js';
import * as image from './image.js';

// Counts the images made, so that a test can see one made per cached report.
vi.mock('./image.js', async (original) => {
  const actual = await original<typeof import('./image.js')>();
  return { ...actual, reportPng: vi.fn(actual.reportPng) };
});

const config = parseVerifyConfig({
  duration: '5m',
  canary: { podTemplateHash: '7f5c9' },
  baseline: { podTemplateHash: '6d4b8' },
  source: { prometheus: { address: 'http://prometheus:9090' } },
  metrics: [{ name: 'latency', kind: 'latency', query: 'latency{${selector}}' }],
});

/** A decided report of `ref` (the metrics' data is not what these tests are about). */
function reportOf(ref: ReportRef): Report {
  const window = { start: new Date('2026-01-01T12:00:00Z'), end: new Date('2026-01-01T12:05:00Z') };
  const result = { final: true, verdict: 'Healthy' as const, phase: 'Successful' as const, score: 100, metrics: [] };
  const subject = ref.kind === 'analysis-run' ? `AnalysisRun ${ref.namespace}/${ref.analysisRun}, metric ${ref.metric}` : reportPath(ref);
  return buildReport({ subject, config, window, judged: window, result, inputs: [], now: window.end });
}

const PAGE = '/reports/shop/web-7f5c9-2/verify';

interface Started {
  address: string;
  builds: ReportRef[];
  logs: string[];
}

const servers: ListeningServer[] = [];
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** A report server on a free loopback port whose builds are recorded; `build` answers them (a report by default). */
async function start(options: Partial<ReportServerOptions> = {}): Promise<Started> {
  const builds: ReportRef[] = [];
  const logs: string[] = [];
  const sink = new Writable({ write: (chunk, _encoding, done) => (logs.push(String(chunk)), done()) });
  const build = options.build ?? (async (ref: ReportRef) => reportOf(ref));
  const server = await serveReports({
    listen: '127.0.0.1:0',
    log: createLogger({ level: 'info' }, sink),
    ...options,
    build: (ref, budget) => {
      builds.push(ref);
      return build(ref, budget);
    },
  });
  servers.push(server);
  return { address: server.address, builds, logs };
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** The answer to `path` sent as is (no normalisation of `..` or percent-encoding on the way). */
function send(address: string, path: string, method = 'GET'): Promise<Answer> {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    const call = request({ host, port: Number(port), path, method }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk)).on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body }));
    });
    call.on('error', reject).end();
  });
}

/** A promise and the functions that settle it. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe('serveReports: the page', () => {
  it('serves the report as HTML with a strict policy, not to be framed, sniffed or stored', async () => {
    const { address, builds } = await start();
    const page = await send(address, PAGE);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toMatch(/^default-src 'none'; script-src .*; frame-ancestors 'none'$/);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.body).toContain('<h1>Verification report: AnalysisRun shop/web-7f5c9-2, metric verify</h1>');
    expect(builds).toEqual([{ kind: 'analysis-run', namespace: 'shop', analysisRun: 'web-7f5c9-2', metric: 'verify' }]);
  });

  it('gives the report as JSON with ?format=json', async () => {
    const { address } = await start();
    const answer = await send(address, `${PAGE}?format=json`);
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/json');
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(answer.body)).toEqual(JSON.parse(JSON.stringify(reportOf({ kind: 'analysis-run', namespace: 'shop', analysisRun: 'web-7f5c9-2', metric: 'verify' }))));
  });

  it('serves the ECharts bundle the page loads, at a versioned path cached for long', async () => {
    const { address, builds } = await start();
    const src = /<script src="([^"]+)"><\/script>/.exec((await send(address, PAGE)).body)?.[1];
    expect(src).toMatch(/^\/assets\/echarts-[^/]+\.min\.js$/);
    const asset = await send(address, src!);
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(asset.body).toBe(await echartsBundle());
    expect(builds).toHaveLength(1);
  });

  it('answers /healthz', async () => {
    const { address } = await start();
    expect(await send(address, '/healthz')).toMatchObject({ status: 200, body: 'ok\n' });
  });

  it('builds the measurement asked for, with a budget that ends at the build timeout', async () => {
    const budgets: number[] = [];
    const { address, builds } = await start({
      buildTimeoutMs: 5000,
      build: async (ref, budget) => {
        expect(budget.signal).toBeInstanceOf(AbortSignal);
        budgets.push(budget.deadline - Date.now());
        return reportOf(ref);
      },
    });
    expect((await send(address, `${PAGE}?measurement=3`)).status).toBe(200);
    expect(builds).toEqual([{ kind: 'analysis-run', namespace: 'shop', analysisRun: 'web-7f5c9-2', metric: 'verify', measurement: 3 }]);
    expect(budgets[0]).toBeGreaterThan(4000);
    expect(budgets[0]).toBeLessThanOrEqual(5000);
  });
});

describe('serveReports: what it refuses', () => {
  it('404 for paths that name no report, without building anything', async () => {
    const { address, builds } = await start();
    const refused = [
      '/reports/../x/y',
      '/reports/shop/../verify',
      '/reports/shop/web%2F7f5c9/verify',
      '/reports/shop%2Fweb/run/verify',
      '/reports/shop/%E0%A4%A/verify',
      '/reports/shop/web-1/%ZZ',
      '/reports/Shop/web-1/verify',
      '/reports/shop/Web-1/verify',
      `/reports/${'a'.repeat(64)}/web-1/verify`,
      `/reports/shop/${'a'.repeat(254)}/verify`,
      `/reports/shop/web-1/${'m'.repeat(254)}`,
      '/reports/shop/web-1/verify%00',
      '/reports/shop/web-1/-verify',
      '/reports/shop/web-1',
      '/reports/shop/web-1/verify/extra',
      '/reports//web-1/verify',
      '/other/shop/web-1/verify',
      `${PAGE}?measurement=abc`,
      `${PAGE}?measurement=-1`,
      `${PAGE}?measurement=1e3`,
      `${PAGE}?measurement=12345`,
      `${PAGE}?measurement=`,
      '/reports/shop/rollouts/web/steps/01',
      '/reports/shop/rollouts/web/steps/1000',
      '/reports/shop/rollouts/web/steps/-1',
      '/reports/shop/rollouts/web/steps/',
      '/reports/shop/rollouts/Web/steps/1',
      '/reports/shop/rollout/web/steps/1',
      '/reports/shop/rollouts/web/step/1',
      '/reports/shop/rollouts/web%2Fx/steps/1',
      '/reports/shop/rollouts/web/steps/1/extra',
      '/reports/shop/rollouts/web/steps/1?verification=v-0123',
      '/reports/shop/rollouts/web/steps/1?verification=../../x',
      '/reports/shop/rollouts/web/steps/1?verification=',
    ];
    for (const path of refused) {
      const answer = await send(address, path);
      expect(answer.status, path).toBe(404);
      expect(answer.body, path).toMatch(/^not found: /);
    }
    expect(builds).toEqual([]);
  });

  it('405 for anything but GET and HEAD', async () => {
    const { address, builds } = await start();
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const answer = await send(address, PAGE, method);
      expect(answer.status).toBe(405);
      expect(answer.headers.allow).toBe('GET, HEAD');
    }
    expect(builds).toEqual([]);
  });

  it('the status and message of a ReportError, 502 with the message of a CollectError', async () => {
    const errors: Record<string, Error> = {
      gone: new ReportError('AnalysisRun shop/gone has no metric named "verify"', 404),
      secret: new ReportError('AnalysisRun shop/secret, metric verify: the args canary-hash have no plain value in the run', 422),
      down: new CollectError('latency', 'Prometheus at http://prometheus:9090', 'connection refused'),
    };
    const { address } = await start({ build: async (ref) => Promise.reject(errors[ref.kind === 'analysis-run' ? ref.analysisRun : '']!) });
    expect(await send(address, '/reports/shop/gone/verify')).toMatchObject({ status: 404, body: 'AnalysisRun shop/gone has no metric named "verify"\n' });
    expect(await send(address, '/reports/shop/secret/verify')).toMatchObject({ status: 422, body: `${errors.secret!.message}\n` });
    expect(await send(address, '/reports/shop/down/verify')).toMatchObject({ status: 502, body: 'metric "latency": Prometheus at http://prometheus:9090: connection refused\n' });
  });

  it('500 with a generic message for an unexpected error: no stack, no error text (it is logged)', async () => {
    const { address, logs } = await start({ build: async () => Promise.reject(new TypeError('cannot read /var/run/secrets/token')) });
    const answer = await send(address, PAGE);
    expect(answer.status).toBe(500);
    expect(answer.body).toBe('the report could not be built (the engine logged why)\n');
    expect(answer.body).not.toMatch(/secrets|TypeError|at /);
    expect(logs.join('')).toContain('cannot read /var/run/secrets/token');
  });

  it('504 when the build runs out of time', async () => {
    const { address } = await start({
      buildTimeoutMs: 50,
      build: (_ref, { signal }) => new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
    });
    expect((await send(address, PAGE)).status).toBe(504);
  });
});

describe('serveReports: building', () => {
  it('builds a report once within the TTL however often it is asked for, and again after', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { address, builds } = await start({ cacheTtlMs: 60_000 });
    expect((await send(address, PAGE)).status).toBe(200);
    expect((await send(address, `${PAGE}?format=json`)).status).toBe(200);
    expect(builds).toHaveLength(1);
    // Another measurement is another report.
    expect((await send(address, `${PAGE}?measurement=0`)).status).toBe(200);
    expect(builds).toHaveLength(2);
    vi.setSystemTime(Date.now() + 60_001);
    expect((await send(address, PAGE)).status).toBe(200);
    expect(builds).toHaveLength(3);
  });

  it("makes a cached report's image once", async () => {
    const { address, builds } = await start();
    const made = vi.mocked(image.reportPng).mock.calls.length;
    for (let i = 0; i < 3; i += 1) {
      const answer = await send(address, `${PAGE}?format=png`);
      expect([answer.status, answer.headers['content-type']]).toEqual([200, 'image/png']);
    }
    expect(vi.mocked(image.reportPng).mock.calls.length - made).toBe(1);
    expect(builds).toHaveLength(1);
  });

  it("serves a verify gate's report from its step, one per verification the link names", async () => {
    const { address, builds } = await start();
    const STEP = '/reports/shop/rollouts/web/steps/2';
    expect((await send(address, `${STEP}?verification=v-0123456789abcdef`)).status).toBe(200);
    expect((await send(address, `${STEP}?verification=v-0123456789abcdef&format=json`)).status).toBe(200);
    expect((await send(address, STEP)).status).toBe(200);
    expect(builds).toEqual([
      { kind: 'gate-step', namespace: 'shop', rollout: 'web', step: 2, verification: 'v-0123456789abcdef' },
      { kind: 'gate-step', namespace: 'shop', rollout: 'web', step: 2 },
    ]);
  });

  it('builds once for requests that arrive while it is being built', async () => {
    const report = deferred<Report>();
    const { address, builds } = await start({ build: () => report.promise });
    const answers = Promise.all([send(address, PAGE), send(address, PAGE), send(address, PAGE)]);
    await vi.waitFor(() => expect(builds).toHaveLength(1));
    report.resolve(reportOf(builds[0]!));
    expect((await answers).map((a) => a.status)).toEqual([200, 200, 200]);
    expect(builds).toHaveLength(1);
  });

  it('does not keep a failed build: the next request tries again', async () => {
    let failing = true;
    const { address, builds } = await start({
      build: async (ref) => {
        if (failing) throw new CollectError('latency', 'Prometheus at http://prometheus:9090', 'timeout', true);
        return reportOf(ref);
      },
    });
    expect((await send(address, PAGE)).status).toBe(502);
    failing = false;
    expect((await send(address, PAGE)).status).toBe(200);
    expect(builds).toHaveLength(2);
  });

  it('503 with Retry-After while maxBuilds reports are being built', async () => {
    const first = deferred<Report>();
    const { address, builds } = await start({ maxBuilds: 1, build: () => first.promise });
    const pending = send(address, PAGE);
    await vi.waitFor(() => expect(builds).toHaveLength(1));
    const busy = await send(address, '/reports/shop/web-other/verify');
    expect(busy.status).toBe(503);
    expect(busy.headers['retry-after']).toBe('5');
    expect(busy.body).toMatch(/^busy: /);
    expect(builds).toHaveLength(1);
    first.resolve(reportOf(builds[0]!));
    expect((await pending).status).toBe(200);
    // Once the build is done, another may start.
    expect((await send(address, '/reports/shop/web-other/verify')).status).toBe(200);
  });
});

describe('serveReports under a base path', () => {
  it('prefixes every route, the asset the page loads included; paths outside it are 404', async () => {
    const { address, builds } = await start({ basePath: '/rollouts-cv/' });
    const page = await send(address, `/rollouts-cv${PAGE}`);
    expect(page.status).toBe(200);
    const src = /<script src="([^"]+)"><\/script>/.exec(page.body)?.[1];
    expect(src).toMatch(/^\/rollouts-cv\/assets\/echarts-[^/]+\.min\.js$/);
    expect((await send(address, src!)).status).toBe(200);
    expect(await send(address, '/rollouts-cv/healthz')).toMatchObject({ status: 200, body: 'ok\n' });
    for (const outside of [PAGE, '/healthz', src!.slice('/rollouts-cv'.length), `/rollouts-cvx${PAGE}`, '/rollouts-cv']) {
      expect((await send(address, outside)).status, outside).toBe(404);
    }
    expect(builds).toHaveLength(1);
  });
});

describe('parseReportRequest', () => {
  it('reads the namespace, the AnalysisRun, the metric (as Argo allows it) and the measurement', () => {
    expect(parseReportRequest('/reports/shop/web-7f5c9-2.1/Verify_Errors', new URLSearchParams('measurement=12'))).toEqual({
      kind: 'analysis-run',
      namespace: 'shop',
      analysisRun: 'web-7f5c9-2.1',
      metric: 'Verify_Errors',
      measurement: 12,
    });
    expect(parseReportRequest('/reports/shop/web/verify', new URLSearchParams())).toEqual({ kind: 'analysis-run', namespace: 'shop', analysisRun: 'web', metric: 'verify' });
  });

  it('says why a path names no report', () => {
    expect(parseReportRequest('/reports/shop/web%2Fx/verify', new URLSearchParams())).toBe('not found: the AnalysisRun is not a Kubernetes object name');
    expect(parseReportRequest('/reports/shop/%E0%A4%A/verify', new URLSearchParams())).toBe('not found: the AnalysisRun is not a Kubernetes object name');
    expect(parseReportRequest('/reports/sh_op/web/verify', new URLSearchParams())).toBe('not found: the namespace is not a Kubernetes namespace name');
    expect(parseReportRequest('/reports/shop/web/ver ify', new URLSearchParams())).toBe('not found: the metric is not a metric name');
    expect(parseReportRequest('/reports/shop/web/verify', new URLSearchParams('measurement=x'))).toBe('not found: measurement must be a measurement index (0, 1, …)');
  });
});
