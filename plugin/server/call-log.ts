import * as grpc from '@grpc/grpc-js';
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

/**
 * Wraps a unary handler: times it, writes one structured log line with the fields the handler collected, counts
 * it in the metrics, and turns a rejected promise into an INTERNAL status rather than an unanswered call.
 */
export function unaryCall<Req, Res>(
  { log, metrics }: Telemetry,
  method: string,
  handle: (request: Req, fields: CallFields) => Promise<Res>,
): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const started = performance.now();
    const fields: CallFields = {};
    handle(call.request, fields).then(
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

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
