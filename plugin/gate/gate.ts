// The step plugin `rollouts-cv/gate`. Its config names one gate kind, `{"<kind>": {...}}`; each kind handles the
// step calls its own way.
import { isRecord } from '../../shared/kube/json.js';
import type { EngineContext } from '../verify/context.js';
import type { StepResult } from '../verify/types.js';
import { ConfigError } from '../../shared/config/errors.js';
import { cancelApprovalGate, parseApprovalConfig, runApprovalGate } from './approval-gate.js';
import { endVerifyStep, parseGateConfig, runVerifyStep } from './verify-gate.js';

export interface StepCall {
  pluginName: string;
  config: unknown;
  status: unknown;
}

interface GateKind {
  /** Checks the kind's settings as its first Run would; throws ConfigError naming the field. */
  validate(config: unknown): void;
  run(rollout: unknown, config: unknown, status: unknown, ctx: EngineContext): Promise<StepResult>;
  /** Called once on full promotion while the step is Running. */
  terminate(rollout: unknown, status: unknown, ctx: EngineContext): Promise<StepResult>;
  /** Called once when the rollout is aborted. */
  abort(rollout: unknown, status: unknown, ctx: EngineContext): Promise<StepResult>;
}

const GATE_KINDS: Record<string, GateKind> = {
  verify: {
    validate: parseGateConfig,
    run: runVerifyStep,
    terminate: (rollout, status, ctx) => endVerifyStep(rollout, status, ctx, 'the rollout was fully promoted', 'verification terminated by promotion; nothing to clean up'),
    abort: (rollout, status, ctx) => endVerifyStep(rollout, status, ctx, 'the rollout was aborted', 'verification aborted with the rollout; nothing to clean up'),
  },
  approval: {
    validate: parseApprovalConfig,
    run: runApprovalGate,
    terminate: (rollout, status, ctx) => cancelApprovalGate(rollout, status, ctx, 'the rollout was fully promoted'),
    abort: (rollout, status, ctx) => cancelApprovalGate(rollout, status, ctx, 'the rollout was aborted'),
  },
};

const SUPPORTED = Object.keys(GATE_KINDS).join(', ');

/** The kind named by the config and its settings, or a Failed result saying what was expected. */
function gateKind(config: unknown): { kind: GateKind; settings: unknown } | StepResult {
  const keys = isRecord(config) ? Object.keys(config) : [];
  const [name] = keys;
  if (!isRecord(config) || keys.length !== 1 || name === undefined) {
    const got = isRecord(config) ? (keys.length ? `keys ${keys.join(', ')}` : 'an empty object') : JSON.stringify(config) ?? 'nothing';
    return { phase: 'Failed', message: `config: expected exactly one gate kind such as {"verify": {...}} (supported kinds: ${SUPPORTED}); got ${got}` };
  }
  const kind = GATE_KINDS[name];
  if (!kind) return { phase: 'Failed', message: `config: unknown gate kind "${name}"; supported kinds: ${SUPPORTED}` };
  return { kind, settings: config[name] };
}

function isResult(value: { kind: GateKind } | StepResult): value is StepResult {
  return 'phase' in value;
}

/** Validates a step's `config` without running it (documentation checks, tooling); throws ConfigError. */
export function validateGateConfig(config: unknown): void {
  const gate = gateKind(config);
  if (isResult(gate)) throw new ConfigError([gate.message ?? 'invalid gate config']);
  gate.kind.validate(gate.settings);
}

export async function gateRun(rollout: unknown, step: StepCall, ctx: EngineContext): Promise<StepResult> {
  const gate = gateKind(step.config);
  return isResult(gate) ? gate : gate.kind.run(rollout, gate.settings, step.status, ctx);
}

export async function gateTerminate(rollout: unknown, step: StepCall, ctx: EngineContext): Promise<StepResult> {
  const gate = gateKind(step.config);
  return isResult(gate) ? gate : gate.kind.terminate(rollout, step.status, ctx);
}

export async function gateAbort(rollout: unknown, step: StepCall, ctx: EngineContext): Promise<StepResult> {
  const gate = gateKind(step.config);
  return isResult(gate) ? gate : gate.kind.abort(rollout, step.status, ctx);
}
