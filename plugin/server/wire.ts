// Messages of proto/rolloutscv.proto as @grpc/proto-loader presents them (keepCase, proto3 defaults filled in),
// and the conversions between them and the engine's own shapes.
import type { Measurement, MeasurementPhase, StepResult } from '../verify/types.js';

export interface InitPluginRequest {
  plugin_name: string;
  bridge_version: string;
}

export interface PluginError {
  error_string: string;
}

export interface MetricRunRequest {
  analysis_run_json: Buffer;
  metric_json: Buffer;
}

export interface WireMeasurement {
  phase: string;
  message: string;
  started_at: string;
  finished_at: string;
  value: string;
  metadata: Record<string, string>;
  resume_at: string;
}

export interface MetricMeasurementRequest extends MetricRunRequest {
  measurement: WireMeasurement | null;
}

export interface GarbageCollectRequest extends MetricRunRequest {
  limit: number;
}

export interface GetMetadataRequest {
  metric_json: Buffer;
}

export interface GetMetadataResponse {
  metadata: Record<string, string>;
}

export interface StepRequest {
  rollout_json: Buffer;
  plugin_name: string;
  config_json: Buffer;
  status_json: Buffer;
}

export interface WireStepResult {
  phase: string;
  message: string;
  requeue_after_ms: number;
  status_json: Buffer;
  error_string: string;
}

/** A request field that is not the JSON it must be; the message names the field. */
export class BadRequestError extends Error {
  override name = 'BadRequestError';
}

/** Parses a required JSON bytes field. */
export function parseJsonField(bytes: Buffer | undefined, field: string): unknown {
  if (!bytes || bytes.length === 0) throw new BadRequestError(`${field} is empty: the bridge must send the object as JSON`);
  return parseJson(bytes, field);
}

/** Parses an optional JSON bytes field; empty means absent. */
export function parseOptionalJsonField(bytes: Buffer | undefined, field: string): unknown {
  return !bytes || bytes.length === 0 ? undefined : parseJson(bytes, field);
}

function parseJson(bytes: Buffer, field: string): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new BadRequestError(`${field} is not valid JSON: ${(error as Error).message}`);
  }
}

const MEASUREMENT_PHASES: readonly MeasurementPhase[] = ['Pending', 'Running', 'Successful', 'Failed', 'Error', 'Inconclusive'];

export function measurementFromWire(wire: WireMeasurement | null): Measurement {
  if (!wire) throw new BadRequestError('measurement is missing: Resume and Terminate need the in-flight measurement');
  const phase = MEASUREMENT_PHASES.find((p) => p === wire.phase);
  if (!phase) throw new BadRequestError(`measurement.phase ${JSON.stringify(wire.phase)} is not one of ${MEASUREMENT_PHASES.join(', ')}`);
  return {
    phase,
    ...(wire.message && { message: wire.message }),
    ...(wire.started_at && { startedAt: wire.started_at }),
    ...(wire.finished_at && { finishedAt: wire.finished_at }),
    ...(wire.value && { value: wire.value }),
    ...(Object.keys(wire.metadata ?? {}).length > 0 && { metadata: { ...wire.metadata } }),
    ...(wire.resume_at && { resumeAt: wire.resume_at }),
  };
}

export function measurementToWire(measurement: Measurement): WireMeasurement {
  return {
    phase: measurement.phase,
    message: measurement.message ?? '',
    started_at: measurement.startedAt ?? '',
    finished_at: measurement.finishedAt ?? '',
    value: measurement.value ?? '',
    metadata: measurement.metadata ?? {},
    resume_at: measurement.resumeAt ?? '',
  };
}

export function stepResultToWire(result: StepResult): WireStepResult {
  return {
    phase: result.phase,
    message: result.message ?? '',
    requeue_after_ms: Math.max(0, Math.round(result.requeueAfterMs ?? 0)),
    status_json: result.status === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(result.status), 'utf8'),
    error_string: '',
  };
}

/** The step result for an unexpected problem: the bridge turns a non-empty error_string into an RpcError. */
export function stepErrorToWire(message: string): WireStepResult {
  return { phase: '', message: '', requeue_after_ms: 0, status_json: Buffer.alloc(0), error_string: message };
}
