// A verify gate's verification as its Rollout keeps it, read back for a report: the config from the step in the
// Rollout's spec, the window, groups and verdict from the step status Argo Rollouts stores for it
// (status.canary.stepPluginStatuses). Argo keeps a step's status only for the current revision, and a retry starts
// the step again: a report of an earlier verification of the step cannot be rebuilt, and says so. Pure.
import { isRecord, recordAt } from '../../shared/kube/json.js';
import { readSummary } from '../../shared/verdicts/summary.js';
import { ConfigError } from '../config/schema.js';
import { parseGateConfig, readVerifyStepStatus } from '../gate/verify-gate.js';
import { nameOfRollout } from '../verify/feedback.js';
import { lookRange, parseTimestamp, windowFrom } from '../verify/window.js';
import { ReportError, type ReportRef, type StoredVerification } from './stored.js';

/** A verify gate's verification: which Rollout and step, and which verification the link was made for. */
export type GateStepRef = Extract<ReportRef, { kind: 'gate-step' }>;

/** The step's Run entry in the Rollout's status (the verification lives there, not in Terminate or Abort). */
function runEntry(rollout: unknown, step: number): Record<string, unknown> | undefined {
  const entries = recordAt(rollout, 'status', 'canary')?.stepPluginStatuses;
  return (Array.isArray(entries) ? entries : []).find((entry): entry is Record<string, unknown> => isRecord(entry) && entry.index === step && entry.operation === 'Run');
}

/** The verification `ref` names in `rollout` (a Rollout object); throws ReportError. */
export function storedGateVerification(rollout: unknown, ref: GateStepRef, now: Date): StoredVerification {
  const where = `Rollout ${ref.namespace}/${ref.rollout}, step ${ref.step}`;
  const steps = recordAt(rollout, 'spec', 'strategy', 'canary')?.steps;
  const plugin = recordAt(Array.isArray(steps) ? steps[ref.step] : undefined, 'plugin');
  const written = recordAt(plugin, 'config')?.verify;
  if (!plugin || written === undefined) throw new ReportError(`${where} is not a verify gate (a plugin step with config {"verify": {...}})`, 404);
  const entry = runEntry(rollout, ref.step);
  const status = readVerifyStepStatus(entry?.status);
  if (!entry || !status) throw new ReportError(`${where} has no verification in the Rollout's status yet (or no longer: a new revision or a retry replaced it)`, 404);
  if (ref.verification && ref.verification !== status.verificationId) {
    throw new ReportError(`${where} now holds verification ${status.verificationId}, not ${ref.verification}: a retry or a new revision replaced it, and the Rollout keeps only the latest`, 404);
  }
  let settings;
  try {
    ({ settings } = parseGateConfig(written));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ReportError(`${where}: the step's config is not a valid verify gate: ${error.message}`, 422);
  }
  const start = parseTimestamp(status.windowStart);
  if (!start) throw new ReportError(`${where}: the step status has no valid windowStart`, 422);
  const window = windowFrom(start, settings.durationMs);
  // Up to the last look the verdict came from; while running, the look the gate makes next.
  const until = parseTimestamp(status.judgedUntil) ?? parseTimestamp(entry.finishedAt) ?? now;
  const summary = readSummary(status);
  const phase = entry.phase;
  const message = entry.message;
  const name = nameOfRollout(rollout);
  return {
    subject: `${where} (verify gate)`,
    id: status.verificationId,
    config: { ...settings, canary: { podTemplateHash: status.canary }, baseline: { podTemplateHash: status.baseline } },
    written,
    window,
    judged: lookRange(window, until, settings.intervalMs),
    asClosed: false,
    recorded: {
      ...(typeof phase === 'string' && { phase }),
      ...(typeof message === 'string' && { message }),
      ...(summary && { summary }),
    },
    ...(name && { rollout: name }),
    commands: [
      `kubectl argo rollouts get rollout ${ref.rollout} -n ${ref.namespace}`,
      `kubectl get rollout ${ref.rollout} -n ${ref.namespace} -o jsonpath='{.status.canary.stepPluginStatuses[?(@.index==${ref.step})]}'`,
    ],
  };
}
