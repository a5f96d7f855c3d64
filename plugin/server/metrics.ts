// The engine's own Prometheus metrics: gRPC calls and their latency, finished verifications by verdict, and failed
// collections. Each engine has its own registry, so several engines in one process (tests) never mix counts.
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { VerificationEvents, VerificationPlugin } from '../verify/context.js';
import { registerBuildInfo } from '../../shared/metrics-http.js';

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

  registerBuildInfo(registry, 'engine');
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
  // At 0 from the start: increase() over a series that appears with its first failure would miss that failure.
  for (const plugin of ['verify', 'gate'] satisfies VerificationPlugin[]) collectionFailures.labels({ plugin }).inc(0);

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
