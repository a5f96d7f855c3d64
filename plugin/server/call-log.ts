import * as grpc from '@grpc/grpc-js';
import { isRecord } from '../../shared/kube/json.js';
import type { Logger } from '../../shared/log.js';
import type { EngineMetrics } from './metrics.js';
import { BadRequestError } from './wire.js';

/** Where calls are reported: one log line each, and the engine's metrics. */
export interface Telemetry {
  log: Logger;
  metrics: EngineMetrics;
}

/** What one call's log line says. Only names and outcomes: request objects may carry credentials. */
export type CallFields = Record<string, unknown>;

/** How long a call may work: its signal aborts when it is cancelled or at `deadline` (epoch ms). */
export interface CallBudget {
  signal: AbortSignal;
  deadline: number;
}

/** The longest a call may work, whatever deadline its caller gave (or none). */
const MAX_CALL_MS = 120_000;

/**
 * A signal aborted when the caller cancels the call or when its time is nearly up: its deadline less a margin to
 * send the answer (a tenth of the time, 0.5–3 s), and at most MAX_CALL_MS. `done` releases it once answered.
 */
function callSignal(call: { getDeadline(): grpc.Deadline; on(event: 'cancelled', listener: () => void): unknown }): CallBudget & { done(): void } {
  const controller = new AbortController();
  const deadline = call.getDeadline();
  const remaining = (deadline instanceof Date ? deadline.getTime() : deadline) - Date.now();
  const budget = Math.min(remaining - Math.min(Math.max(remaining / 10, 500), 3000), MAX_CALL_MS);
  const timer = setTimeout(() => controller.abort(new Error('the call ran out of time')), Math.max(budget, 0));
  call.on('cancelled', () => controller.abort(new Error('the call was cancelled')));
  return { signal: controller.signal, deadline: Date.now() + budget, done: () => clearTimeout(timer) };
}

/**
 * Wraps a unary handler: times it, writes one structured log line with the fields the handler collected, counts
 * it in the metrics, and turns a rejected promise into an INTERNAL status rather than an unanswered call. The
 * handler gets the call's budget (callSignal) to stop its work when the call is cancelled or out of time.
 */
export function unaryCall<Req, Res>(
  { log, metrics }: Telemetry,
  method: string,
  handle: (request: Req, fields: CallFields, budget: CallBudget) => Promise<Res>,
): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const started = performance.now();
    const fields: CallFields = {};
    const { done, ...budget } = callSignal(call);
    handle(call.request, fields, budget).finally(done).then(
      (response) => {
        const seconds = elapsedSeconds(started);
        const level = fields.error ? 'warn' : 'info';
        log[level]({ method, ...fields, durationMs: roundMs(seconds) }, 'call');
        metrics.call(method, fields.error ? 'error' : 'ok', seconds);
        callback(null, response);
      },
      (error: unknown) => {
        const seconds = elapsedSeconds(started);
        log.error({ method, ...fields, durationMs: roundMs(seconds), err: error }, 'call failed');
        metrics.call(method, 'error', seconds);
        callback({ code: grpc.status.INTERNAL, details: `${method}: ${errorMessage(error)}` });
      },
    );
  };
}

function elapsedSeconds(started: number): number {
  return (performance.now() - started) / 1000;
}

function roundMs(seconds: number): number {
  return Math.round(seconds * 10_000) / 10;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The message a failed call returns to the bridge. A malformed request is described as is; anything else is an
 * engine bug, whose stack goes to the call's log line (as `err`) rather than to the controller.
 */
export function describeFailure(error: unknown, fields: CallFields): string {
  if (error instanceof BadRequestError) return error.message;
  fields.err = error;
  return `unexpected engine error: ${errorMessage(error)}`;
}

/** namespace/name of a Kubernetes object in JSON form, for logs; absent parts stay undefined. */
export function objectRef(object: unknown): { namespace?: string; name?: string } {
  const metadata = isRecord(object) && isRecord(object.metadata) ? object.metadata : {};
  return {
    namespace: typeof metadata.namespace === 'string' ? metadata.namespace : undefined,
    name: typeof metadata.name === 'string' ? metadata.name : undefined,
  };
}

/** The `name` field of a Metric in JSON form, for logs. */
export function metricName(metric: unknown): string | undefined {
  return isRecord(metric) && typeof metric.name === 'string' ? metric.name : undefined;
}
