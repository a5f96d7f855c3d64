// MetricProvider: the rollouts-cv/verify metric plugin role. Every outcome the controller sees is a Measurement;
// a failure inside the engine becomes phase Error (Argo retries it and counts it against consecutiveErrorLimit),
// never a gRPC error that the bridge would have to interpret.
import type * as grpc from '@grpc/grpc-js';
import type { Logger } from '../../shared/log.js';
import type { Measurement } from '../verify/types.js';
import { measurementFromWire, measurementToWire, parseJsonField } from './wire.js';
import type {
  GarbageCollectRequest,
  GetMetadataRequest,
  GetMetadataResponse,
  MetricMeasurementRequest,
  MetricRunRequest,
  PluginError,
  WireMeasurement,
} from './wire.js';
import { type CallBudget, type CallFields, type Telemetry, describeFailure, metricName, objectRef, unaryCall } from './call-log.js';
import type { EngineContext, EngineDomain } from './domain.js';
import { initPluginHandler } from './init-plugin.js';

export function metricProviderHandlers(
  domain: EngineDomain,
  telemetry: Telemetry,
  context: (callLog: Logger, budget: CallBudget) => EngineContext,
): grpc.UntypedServiceImplementation {
  const ctx = (fields: CallFields, budget: CallBudget): EngineContext => context(telemetry.log.child(fields), budget);

  const run = unaryCall<MetricRunRequest, WireMeasurement>(telemetry, 'MetricProvider/Run', async (request, fields, budget) => {
    const measurement = await guardMeasurement(fields, () => ({}), async () => {
      const { analysisRun, metric } = parseMetricRequest(request, fields);
      return domain.metricRun(analysisRun, metric, ctx({ ...fields }, budget));
    });
    return measurementToWire(measurement);
  });

  const resumeOrTerminate = (method: 'Resume' | 'Terminate') =>
    unaryCall<MetricMeasurementRequest, WireMeasurement>(telemetry, `MetricProvider/${method}`, async (request, fields, budget) => {
      let inFlight: Measurement | undefined;
      const measurement = await guardMeasurement(fields, () => inFlight ?? {}, async () => {
        inFlight = measurementFromWire(request.measurement);
        const { analysisRun, metric } = parseMetricRequest(request, fields);
        const call = method === 'Resume' ? domain.metricResume : domain.metricTerminate;
        return call(analysisRun, metric, inFlight, ctx({ ...fields }, budget));
      });
      return measurementToWire(measurement);
    });

  const garbageCollect = unaryCall<GarbageCollectRequest, PluginError>(telemetry, 'MetricProvider/GarbageCollect', async (request, fields) => {
    try {
      const { analysisRun, metric } = parseMetricRequest(request, fields);
      fields.limit = request.limit;
      domain.metricGarbageCollect(analysisRun, metric, request.limit);
      return { error_string: '' };
    } catch (error) {
      const message = describeFailure(error, fields);
      fields.error = message;
      return { error_string: message };
    }
  });

  // GetMetadata has no error channel in Argo's interface: a failure yields no metadata and a warning in the log.
  const getMetadata = unaryCall<GetMetadataRequest, GetMetadataResponse>(telemetry, 'MetricProvider/GetMetadata', async (request, fields) => {
    try {
      const metric = parseJsonField(request.metric_json, 'metric_json');
      fields.metric = metricName(metric);
      return { metadata: domain.metricMetadata(metric) };
    } catch (error) {
      fields.error = describeFailure(error, fields);
      return { metadata: {} };
    }
  });

  return {
    InitPlugin: initPluginHandler(telemetry, 'MetricProvider/InitPlugin'),
    Run: run,
    Resume: resumeOrTerminate('Resume'),
    Terminate: resumeOrTerminate('Terminate'),
    GarbageCollect: garbageCollect,
    GetMetadata: getMetadata,
  };
}

function parseMetricRequest(request: MetricRunRequest, fields: CallFields): { analysisRun: unknown; metric: unknown } {
  const analysisRun = parseJsonField(request.analysis_run_json, 'analysis_run_json');
  Object.assign(fields, objectRef(analysisRun));
  const metric = parseJsonField(request.metric_json, 'metric_json');
  fields.metric = metricName(metric);
  return { analysisRun, metric };
}

/**
 * Runs a metric call; whatever it throws becomes a finished Error measurement that keeps what the in-flight
 * measurement already had (start time, verification metadata).
 */
async function guardMeasurement(
  fields: CallFields,
  base: () => Partial<Measurement>,
  call: () => Promise<Measurement>,
): Promise<Measurement> {
  let measurement: Measurement;
  try {
    measurement = await call();
  } catch (error) {
    const now = new Date().toISOString();
    const { resumeAt: _resumeAt, ...kept } = base();
    const message = describeFailure(error, fields);
    fields.error = message;
    measurement = { ...kept, startedAt: kept.startedAt ?? now, phase: 'Error', message, finishedAt: now };
  }
  fields.phase = measurement.phase;
  // An Error the engine returned (an invalid config, an unreachable backend) is worth a warning like a thrown one.
  if (measurement.phase === 'Error') fields.error ??= measurement.message;
  return measurement;
}
