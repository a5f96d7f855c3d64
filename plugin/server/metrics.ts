// The engine's own Prometheus metrics: gRPC calls and their latency, finished verifications by verdict, and failed
// collections. Each engine has its own registry, so several engines in one process (tests) never mix counts.
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { VerificationEvents } from '../verify/context.js';
import { bindHost, splitHostPort } from '../../shared/listen.js';
import { packageVersion } from '../../shared/package-files.js';

export type CallOutcome = 'ok' | 'error';

export interface EngineMetrics {
  registry: Registry;
  /** One gRPC call; `error` when it answered a failure (an Error measurement, a step RpcError, a failed call). */
  call(method: string, outcome: CallOutcome, seconds: number): void;
  /** Handed to the verification code through the call context. */
  verifications: VerificationEvents;
}

// Verifications look every few seconds to minutes; a collection is one or two PromQL round trips.
const CALL_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export function createEngineMetrics(): EngineMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  new Gauge({ name: 'rollouts_cv_build_info', help: 'The engine version; always 1.', labelNames: ['version'], registers: [registry] })
    .set({ version: packageVersion() }, 1);
  const calls = new Counter({
    name: 'rollouts_cv_engine_calls_total',
    help: 'gRPC calls from the bridge, by method and outcome (error: the answer was a failure).',
    labelNames: ['method', 'outcome'],
    registers: [registry],
  });
  const durations = new Histogram({
    name: 'rollouts_cv_engine_call_duration_seconds',
    help: 'Time the engine took to answer a gRPC call, by method.',
    labelNames: ['method'],
    buckets: CALL_BUCKETS,
    registers: [registry],
  });
  const finished = new Counter({
    name: 'rollouts_cv_verifications_finished_total',
    help: 'Verifications that reached a verdict, by plugin (verify: metric plugin; gate: step plugin), verdict, phase and whether they ended before the window closed.',
    labelNames: ['plugin', 'verdict', 'phase', 'early'],
    registers: [registry],
  });
  const collectionFailures = new Counter({
    name: 'rollouts_cv_collection_failures_total',
    help: 'Looks whose data could not be collected (the verification retries or ends in Error), by plugin.',
    labelNames: ['plugin'],
    registers: [registry],
  });

  return {
    registry,
    call(method, outcome, seconds) {
      calls.inc({ method, outcome });
      durations.observe({ method }, seconds);
    },
    verifications: {
      finished: ({ plugin, verdict, phase, early }) => finished.inc({ plugin, verdict: verdict ?? 'none', phase, early: String(early) }),
      collectionFailed: (plugin) => collectionFailures.inc({ plugin }),
    },
  };
}

export interface MetricsServer {
  address: string;
  close(): Promise<void>;
}

/** Serves GET /metrics in the Prometheus text format on host:port (port 0 picks a free port). */
export async function serveMetrics(registry: Registry, listen: string): Promise<MetricsServer> {
  const { host, port } = splitHostPort(listen);
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: the engine serves GET /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(request.method === 'HEAD' ? undefined : text),
      (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`cannot collect metrics: ${String(error)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(new Error(`cannot serve metrics on ${listen}: ${error.message}`)));
    server.listen(port, bindHost(host), resolve);
  });
  const bound = server.address();
  const address = `${host}:${typeof bound === 'object' && bound ? bound.port : port}`;
  return {
    address,
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
