import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { packageFile } from '../../shared/package-files.js';

/** Fully qualified service names, as used by gRPC routing and the health checking protocol. */
export const METRIC_PROVIDER_SERVICE = 'rolloutscv.v1.MetricProvider';
export const STEP_PLUGIN_SERVICE = 'rolloutscv.v1.StepPlugin';

// Field names stay as written in the proto (snake_case) so wire objects read like the contract; int64 fields
// become numbers (millisecond durations fit easily) and unset fields take their proto3 defaults.
const LOADER_OPTIONS: protoLoader.Options = { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true };

/** The contract file at the package root, whether this module runs from the sources or from dist/. */
export function protoPath(): string {
  return packageFile(import.meta.url, 'proto/rolloutscv.proto');
}

export interface RolloutsCvServices {
  metricProvider: grpc.ServiceClientConstructor;
  stepPlugin: grpc.ServiceClientConstructor;
}

let loaded: RolloutsCvServices | undefined;

/** Service definitions (usable for servers and clients) loaded from the contract at run time. */
export function loadServices(): RolloutsCvServices {
  if (!loaded) {
    const definition = protoLoader.loadSync(protoPath(), LOADER_OPTIONS);
    const root = grpc.loadPackageDefinition(definition) as unknown as {
      rolloutscv: { v1: { MetricProvider: grpc.ServiceClientConstructor; StepPlugin: grpc.ServiceClientConstructor } };
    };
    loaded = { metricProvider: root.rolloutscv.v1.MetricProvider, stepPlugin: root.rolloutscv.v1.StepPlugin };
  }
  return loaded;
}
