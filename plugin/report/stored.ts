// A verification as the cluster keeps it, read back for a report: a metric plugin's in its AnalysisRun
// (analysis-run.ts), a verify gate's in its Rollout's step status (gate-step.ts). The engine stays stateless, so this
// is all a report has; rebuild.ts judges it again from the sources.
import type { AnalysisRunReportPath, GateStepReportPath } from '../../shared/verdicts/report-path.js';
import type { VerifyConfig } from '../config/schema.js';
import type { RolloutName } from '../verify/feedback.js';
import type { VerificationWindow } from '../verify/window.js';
import type { Report } from './model.js';

/** Which verification a report is about: its path, and what the query picks there. */
export type ReportRef =
  | (AnalysisRunReportPath & {
      /** Index in the metric's measurements; the latest when absent. */
      measurement?: number;
    })
  | (GateStepReportPath & {
      /** The verification the link was made for; the step's current one when absent. */
      verification?: string;
    });

export interface StoredVerification {
  subject: string;
  id?: string;
  config: VerifyConfig;
  written: unknown;
  window: VerificationWindow;
  /** The part of the window the recorded verdict judged (or the latest look would judge, while running). */
  judged: VerificationWindow;
  /** Judge the range as a closed window: the verification was terminated before its end. */
  asClosed: boolean;
  recorded: NonNullable<Report['recorded']>;
  rollout?: RolloutName;
  /** Commands that show the objects behind the report, for anyone with access to the cluster. */
  commands: string[];
}

/** Why a report cannot be made: the object or part asked for is not there (404), or cannot be read (422). */
export class ReportError extends Error {
  override name = 'ReportError';
  constructor(
    message: string,
    readonly status: 404 | 422,
  ) {
    super(message);
  }
}
