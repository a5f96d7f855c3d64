// StepPlugin: the rollouts-cv/gate step plugin role. A StepRpcError or any other failure is returned as
// error_string, which the bridge hands to the controller as the RpcError it retries; it is never a result phase.
import type * as grpc from '@grpc/grpc-js';
import type { Logger } from '../../shared/log.js';
import { StepRpcError } from '../verify/types.js';
import { type CallBudget, type Telemetry, describeFailure, objectRef, unaryCall } from './call-log.js';
import type { EngineContext, EngineDomain } from './domain.js';
import { initPluginHandler } from './init-plugin.js';
import { type StepRequest, type WireStepResult, parseJsonField, parseOptionalJsonField, stepErrorToWire, stepResultToWire } from './wire.js';

type StepOperation = 'Run' | 'Terminate' | 'Abort';

export function stepPluginHandlers(
  domain: EngineDomain,
  telemetry: Telemetry,
  context: (callLog: Logger, budget: CallBudget) => EngineContext,
): grpc.UntypedServiceImplementation {
  const operations: Record<StepOperation, EngineDomain['gateRun']> = {
    Run: domain.gateRun,
    Terminate: domain.gateTerminate,
    Abort: domain.gateAbort,
  };

  const handler = (operation: StepOperation) =>
    unaryCall<StepRequest, WireStepResult>(telemetry, `StepPlugin/${operation}`, async (request, fields, budget) => {
      fields.pluginName = request.plugin_name;
      try {
        const rollout = parseJsonField(request.rollout_json, 'rollout_json');
        Object.assign(fields, objectRef(rollout));
        const step = {
          pluginName: request.plugin_name,
          config: parseOptionalJsonField(request.config_json, 'config_json'),
          status: parseOptionalJsonField(request.status_json, 'status_json'),
        };
        const result = await operations[operation](rollout, step, context(telemetry.log.child({ ...fields }), budget));
        fields.phase = result.phase;
        return stepResultToWire(result);
      } catch (error) {
        const message = error instanceof StepRpcError ? error.message : describeFailure(error, fields);
        fields.error = message;
        return stepErrorToWire(message);
      }
    });

  return {
    InitPlugin: initPluginHandler(telemetry, 'StepPlugin/InitPlugin'),
    Run: handler('Run'),
    Terminate: handler('Terminate'),
    Abort: handler('Abort'),
  };
}
