// Prometheus metrics over HTTP, for every program that has them (the engine, the Slack bot): GET /metrics of one
// registry on its own address, and the build-info gauge each registry carries.
import { createServer, type Server } from 'node:http';
import { Gauge, type Registry } from 'prom-client';
import { listenOn, type ListeningServer } from './listen.js';
import { packageVersion } from './package-files.js';

export type MetricsServer = ListeningServer;

/** rollouts_cv_build_info{version}, always 1: which version a program runs, as Prometheus sees it. */
export function registerBuildInfo(registry: Registry, program: string): void {
  new Gauge({ name: 'rollouts_cv_build_info', help: `The ${program} version; always 1.`, labelNames: ['version'], registers: [registry] })
    .set({ version: packageVersion() }, 1);
}

/**
 * Serves GET /metrics in the Prometheus text format on host:port (port 0 picks a free port); `name` is the program,
 * e.g. "the engine", as the answer to any other path names it.
 */
export async function serveMetrics(registry: Registry, listen: string, name: string): Promise<MetricsServer> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${name} serves GET /metrics\n`);
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(request.method === 'HEAD' ? undefined : text),
      (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`cannot collect metrics: ${String(error)}\n`),
    );
  });
  return listenOn(server, listen, 'metrics');
}
