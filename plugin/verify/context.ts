// What a verification needs from the engine around it, whichever front drives it (the metric plugin, the verify
// gate): the clock, the log, the health sources, the engine's own metrics and the call's deadline.
import type { ApprovalRequestStore } from '../../shared/approvals/store.js';
import type { MarksReader } from '../../shared/logs-feedback/store.js';
import type { Logger } from '../../shared/log.js';
import { createHealthSource, createLogSource, type SourceConfig } from '../collect/registry.js';
import type { HealthSource, LogSource } from '../collect/source.js';
import type { VerifyConfig } from '../config/schema.js';
import type { Verdict } from '../judge/types.js';
import type { ReportPath } from '../../shared/verdicts/report-path.js';

export interface EngineContext {
  now: () => Date;
  log: Logger;
  /** Builds the health source for a config; defaults to the backend registry (tests inject a fake). */
  createSource?: (config: SourceConfig) => HealthSource;
  /** Builds the log source for a config's `logs.source`; defaults to the backend registry. */
  createLogSource?: (config: SourceConfig) => LogSource;
  /** Told of verdicts and failed collections, for the engine's own metrics. */
  events?: VerificationEvents;
  /** ApprovalRequests in the Kubernetes API, for approval gates; absent when the engine has no Kubernetes access. */
  approvals?: ApprovalRequestStore;
  /** People's marks on log templates (LogTemplateFeedbacks), read when logs are judged; absent without Kubernetes access. */
  feedback?: MarksReader;
  /** Aborted when the call is cancelled or its time is up: collection stops. */
  signal?: AbortSignal;
  /** When the call's time is up (epoch ms), if it has a deadline. */
  deadline?: number;
  /** The address of a verification's report page, when the engine serves them; `query` picks one verification there. */
  reportUrl?: (path: ReportPath, query?: Record<string, string>) => string;
}

/** Which plugin ran a verification: the metric plugin (rollouts-cv/verify) or the step plugin's verify gate. */
export type VerificationPlugin = 'verify' | 'gate';

export interface VerificationEvents {
  finished(event: { plugin: VerificationPlugin; verdict: Verdict | null; phase: string; early: boolean }): void;
  collectionFailed(plugin: VerificationPlugin): void;
}

/** The health source for a config: the context's factory when the server or a test gives one, else the registry. */
export function sourceFor(config: VerifyConfig, ctx: EngineContext): HealthSource {
  return (ctx.createSource ?? createHealthSource)(config.source);
}

/** The log source of a config that reads logs, else undefined. */
export function logSourceFor(config: VerifyConfig, ctx: EngineContext): LogSource | undefined {
  return config.logs ? (ctx.createLogSource ?? createLogSource)(config.logs.source) : undefined;
}
