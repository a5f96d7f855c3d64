// A gRPC client for the engine, speaking the same contract as the bridge, for tests.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { loadServices } from '../../plugin/server/proto.js';
import type { WireMeasurement } from '../../plugin/server/wire.js';

export interface EngineClient {
  metric: grpc.Client;
  step: grpc.Client;
  health: grpc.Client;
  close(): void;
}

export function connectEngine(address: string, credentials = grpc.credentials.createInsecure(), options: grpc.ChannelOptions = {}): EngineClient {
  const services = loadServices();
  const healthRoot = grpc.loadPackageDefinition(protoLoader.loadSync(healthProtoPath, { keepCase: true, enums: String })) as unknown as {
    grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
  };
  const metric = new services.metricProvider(address, credentials, options);
  const step = new services.stepPlugin(address, credentials, options);
  const health = new healthRoot.grpc.health.v1.Health(address, credentials, options);
  return {
    metric,
    step,
    health,
    close: () => [metric, step, health].forEach((client) => client.close()),
  };
}

type UnaryMethod = (
  request: object,
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null, response: unknown) => void,
) => grpc.ClientUnaryCall;

/** Calls a unary method by name and resolves with its response. */
export function unary<Res>(client: grpc.Client, method: string, request: object, deadlineMs = 60_000): Promise<Res> {
  const fn = (client as unknown as Record<string, UnaryMethod | undefined>)[method];
  if (typeof fn !== 'function') throw new Error(`the client has no method ${method}`);
  return new Promise<Res>((resolve, reject) =>
    fn.call(client, request, { deadline: Date.now() + deadlineMs }, (error, response) => (error ? reject(error) : resolve(response as Res))),
  );
}

export function healthStatus(client: EngineClient, service: string): Promise<string> {
  return unary<{ status: string }>(client.health, 'Check', { service }).then((response) => response.status);
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

/**
 * Drives one measurement the way the controller does: Run, then Resume once resumeAt has passed, until the
 * measurement is finished. `onAnswer` sees every answer, the last one included.
 */
export async function driveMeasurement(
  client: EngineClient,
  analysisRun: unknown,
  metric: unknown,
  onAnswer: (measurement: WireMeasurement) => void = () => {},
): Promise<WireMeasurement> {
  const request = { analysis_run_json: json(analysisRun), metric_json: json(metric) };
  let measurement = await unary<WireMeasurement>(client.metric, 'Run', request);
  onAnswer(measurement);
  while (!measurement.finished_at) {
    const resumeAt = measurement.resume_at ? Date.parse(measurement.resume_at) : Date.now() + 1_000;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, resumeAt - Date.now())));
    measurement = await unary<WireMeasurement>(client.metric, 'Resume', { ...request, measurement });
    onAnswer(measurement);
  }
  return measurement;
}
