// Shapes the engine returns to the bridge; they mirror Argo Rollouts' Measurement and RpcStepResult
// (see proto/rolloutscv.proto). Times are RFC 3339 strings in UTC.

export type MeasurementPhase = 'Pending' | 'Running' | 'Successful' | 'Failed' | 'Error' | 'Inconclusive';

export interface Measurement {
  phase: MeasurementPhase;
  message?: string;
  startedAt?: string;
  finishedAt?: string;
  value?: string;
  metadata?: Record<string, string>;
  resumeAt?: string;
}

export type StepPhase = 'Running' | 'Successful' | 'Failed';

export interface StepResult {
  phase: StepPhase;
  message?: string;
  requeueAfterMs?: number;
  /** Stored by the controller in status.canary.stepPluginStatuses and handed back on the next call. */
  status?: unknown;
}

/** An unexpected problem in a step call: the bridge returns it as the RpcError the controller retries. */
export class StepRpcError extends Error {
  override name = 'StepRpcError';
}
