// The domain calls the gRPC services forward to. Injected into the server so tests can substitute them.
import * as gate from '../gate/gate.js';
import * as metric from '../verify/metric.js';

export type { EngineContext } from '../verify/context.js';

export interface EngineDomain {
  metricRun: typeof metric.metricRun;
  metricResume: typeof metric.metricResume;
  metricTerminate: typeof metric.metricTerminate;
  metricGarbageCollect: typeof metric.metricGarbageCollect;
  metricMetadata: typeof metric.metricMetadata;
  gateRun: typeof gate.gateRun;
  gateTerminate: typeof gate.gateTerminate;
  gateAbort: typeof gate.gateAbort;
}

/** The verification engine: rollouts-cv/verify metrics and rollouts-cv/gate steps. */
export const verifyDomain: EngineDomain = {
  metricRun: metric.metricRun,
  metricResume: metric.metricResume,
  metricTerminate: metric.metricTerminate,
  metricGarbageCollect: metric.metricGarbageCollect,
  metricMetadata: metric.metricMetadata,
  gateRun: gate.gateRun,
  gateTerminate: gate.gateTerminate,
  gateAbort: gate.gateAbort,
};
