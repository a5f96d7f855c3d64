// The engine's report pages over HTTP: GET /reports/<namespace>/<analysisrun>/<metric> rebuilds a metric
// verification's report from the AnalysisRun and the sources (?measurement=<n> for an earlier measurement), and
// /reports/<namespace>/rollouts/<rollout>/steps/<index> a verify gate's from the Rollout's step status
// (?verification=<id>: only while the step still holds that verification). ?format=json gives the data,
// ?format=png the decisive charts as an image;
// /assets/echarts.min.js is the chart library the pages draw with. No authentication of its own: it listens on
// loopback by default (reached with `kubectl port-forward`), or behind an Ingress with the operator's auth.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Logger } from '../../shared/log.js';
import { listenOn, type ListeningServer } from '../../shared/listen.js';
import { packageVersion } from '../../shared/package-files.js';
import { CollectError } from '../collect/source.js';
import { parseReportPath, reportPath } from '../../shared/verdicts/report-path.js';
import { VERIFICATION_ID } from '../verify/measurement.js';
import { ReportError, type ReportRef } from './stored.js';
import { echartsBundle } from './assets.js';
import { contentSecurityPolicy, renderReportHtml } from './html.js';
import { reportPng } from './image.js';
import type { Report } from './model.js';

export interface ReportServerOptions {
  listen: string;
  /** Where the pages are under an Ingress that does not strip its path, e.g. "/rollouts-cv"; "" by default. */
  basePath?: string;
  /** Builds the report of `ref` within its time (the signal aborts at the deadline); throws ReportError or CollectError. */
  build(ref: ReportRef, budget: { signal: AbortSignal; deadline: number }): Promise<Report>;
  log: Logger;
  /** How long a built report is served again before it is rebuilt. */
  cacheTtlMs?: number;
  /** Reports built at once; more requests are answered 503 with Retry-After. */
  maxBuilds?: number;
  /** How long a build may take before it is given up (504). */
  buildTimeoutMs?: number;
}

export const DEFAULT_REPORT_CACHE_TTL_MS = 60_000;
const MAX_CACHED = 200;

/** The report a path and query name, or why they name none. */
export function parseReportRequest(path: string, query: URLSearchParams): ReportRef | string {
  const named = parseReportPath(path);
  if (typeof named === 'string') return `not found: ${named}`;
  if (named.kind === 'gate-step') {
    const verification = query.get('verification');
    if (verification !== null && !VERIFICATION_ID.test(verification)) return 'not found: verification must be a verification id (v- and 16 hex digits)';
    return { ...named, ...(verification !== null && { verification }) };
  }
  const index = query.get('measurement');
  if (index !== null && !/^\d{1,4}$/.test(index)) return 'not found: measurement must be a measurement index (0, 1, …)';
  return { ...named, ...(index !== null && { measurement: Number(index) }) };
}

/** One cache entry per report a request can name. */
function cacheKey(ref: ReportRef): string {
  return ref.kind === 'gate-step'
    ? `${reportPath(ref)}?${ref.verification ?? 'current'}`
    : `${reportPath(ref)}?${ref.measurement ?? 'latest'}`;
}

const PAGE_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
};

function send(response: ServerResponse, status: number, type: string, body: string | Buffer, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': type, ...PAGE_HEADERS, ...headers }).end(body);
}

interface Cached {
  expires: number;
  report: Promise<Report>;
  /** Its image, made on the first request for it. */
  png?: Promise<Buffer>;
}

export async function serveReports(options: ReportServerOptions): Promise<ListeningServer> {
  const base = (options.basePath ?? '').replace(/\/+$/, '');
  const ttl = options.cacheTtlMs ?? DEFAULT_REPORT_CACHE_TTL_MS;
  const maxBuilds = options.maxBuilds ?? 4;
  const timeoutMs = options.buildTimeoutMs ?? 60_000;
  const assetPath = `/assets/echarts-${packageVersion()}.min.js`;
  const cache = new Map<string, Cached>();
  let building = 0;
  const { log } = options;

  /** The report of `ref`, built once per TTL however many ask; undefined when too many are being built. */
  const reportOf = (ref: ReportRef): Cached | undefined => {
    const key = cacheKey(ref);
    const now = Date.now();
    const hit = cache.get(key);
    if (hit && hit.expires > now) return hit;
    if (building >= maxBuilds) return undefined;
    building += 1;
    const report = options.build(ref, { signal: AbortSignal.timeout(timeoutMs), deadline: now + timeoutMs }).finally(() => (building -= 1));
    // A failed build is not kept: the next request tries again.
    report.catch(() => cache.delete(key));
    for (const [old, entry] of cache) if (entry.expires <= now || cache.size >= MAX_CACHED) cache.delete(old);
    const entry = { expires: now + ttl, report };
    cache.set(key, entry);
    return entry;
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://report.invalid');
    if (request.method !== 'GET' && request.method !== 'HEAD') return send(response, 405, 'text/plain', 'only GET\n', { allow: 'GET, HEAD' });
    if (base && !url.pathname.startsWith(`${base}/`)) return send(response, 404, 'text/plain', `not found: the reports are under ${base}/\n`);
    const path = url.pathname.slice(base.length);
    if (path === '/healthz') return send(response, 200, 'text/plain', 'ok\n');
    if (path === assetPath) {
      return send(response, 200, 'text/javascript; charset=utf-8', await echartsBundle(), { 'cache-control': 'public, max-age=31536000, immutable' });
    }
    const ref = parseReportRequest(path, url.searchParams);
    if (typeof ref === 'string') return send(response, 404, 'text/plain', `${ref}\n`);
    const format = url.searchParams.get('format') ?? 'html';
    if (!['html', 'json', 'png'].includes(format)) return send(response, 400, 'text/plain', 'format must be html, json or png\n');
    const entry = reportOf(ref);
    if (!entry) return send(response, 503, 'text/plain', `busy: ${maxBuilds} reports are being built; try again shortly\n`, { 'retry-after': '5' });
    let report: Report;
    try {
      report = await entry.report;
    } catch (error) {
      const status = error instanceof ReportError ? error.status : error instanceof CollectError ? 502 : (error as Error).name === 'TimeoutError' ? 504 : 500;
      if (status === 500) log.error({ err: error, ref }, 'report failed');
      else log.info({ err: error, ref, status }, 'report not built');
      const why = status === 500 ? 'the report could not be built (the engine logged why)' : (error as Error).message;
      return send(response, status, 'text/plain; charset=utf-8', `${why}\n`);
    }
    if (format === 'json') return send(response, 200, 'application/json', JSON.stringify(report));
    if (format === 'png') {
      if (!entry.png) {
        entry.png = reportPng(report);
        // A failed image is not kept either.
        entry.png.catch(() => delete entry.png);
      }
      return send(response, 200, 'image/png', await entry.png);
    }
    const asset = { src: `${base}${assetPath}` };
    send(response, 200, 'text/html; charset=utf-8', renderReportHtml(report, { echarts: asset }), {
      'content-security-policy': `${contentSecurityPolicy(asset)}; frame-ancestors 'none'`,
    });
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      log.error({ err: error }, 'report request failed');
      if (!response.headersSent) send(response, 500, 'text/plain', 'internal error\n');
      else response.destroy();
    });
  });
  return listenOn(server, options.listen, 'reports');
}
