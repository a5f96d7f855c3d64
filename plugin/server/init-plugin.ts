import type * as grpc from '@grpc/grpc-js';
import { type Telemetry, unaryCall } from './call-log.js';
import type { InitPluginRequest, PluginError } from './wire.js';

/** InitPlugin runs once per bridge process start; the engine has nothing to set up, it records who connected. */
export function initPluginHandler(telemetry: Telemetry, method: string): grpc.handleUnaryCall<InitPluginRequest, PluginError> {
  return unaryCall<InitPluginRequest, PluginError>(telemetry, method, async (request, fields) => {
    fields.pluginName = request.plugin_name;
    fields.bridgeVersion = request.bridge_version;
    return { error_string: '' };
  });
}
