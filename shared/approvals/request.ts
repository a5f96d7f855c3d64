// ApprovalRequest (rollouts-cv.io/v1alpha1): one human decision a rollout waits for. The step plugin creates it,
// the bot records decisions, either one expires it, the step plugin cancels it on abort. These pure functions are
// the only place the rules live: the policy that applies, when a request is decided, and what expiry means.
//
// The policy is the operator's: the bot's configuration maps the request's namespace to an environment, whose
// floors apply (effectivePolicy). What the gate wrote in the request can only make it stricter. Only the bot
// knows the operator's policy, so the engine never applies a go-ahead on timeout itself (engineTimeout).
import type { TemplateNote } from '../verdicts/summary.js';

export const APPROVAL_REQUESTS = { group: 'rollouts-cv.io', version: 'v1alpha1', plural: 'approvalrequests', kind: 'ApprovalRequest' } as const;
export const API_VERSION = `${APPROVAL_REQUESTS.group}/${APPROVAL_REQUESTS.version}`;

/** Labels that find a rollout's requests without knowing their names. */
export const LABELS = {
  rolloutUid: 'rollouts-cv.io/rollout-uid',
  pipelineRunUid: 'rollouts-cv.io/pipelinerun-uid',
  podTemplateHash: 'rollouts-cv.io/pod-template-hash',
  stepIndex: 'rollouts-cv.io/step-index',
  type: 'rollouts-cv.io/type',
} as const;

/** Annotation on a Rollout naming the Slack user who triggered its current revision (self-approval ban). */
export const DEPLOYED_BY_ANNOTATION = 'rollouts-cv.io/deployed-by';

export type RequestType = 'Approval' | 'Intervention';
export type Outcome = 'approve' | 'reject' | 'promote' | 'rollback' | 'retry' | 'ignore' | 'abort';
export type RequestState = 'Pending' | 'Decided' | 'Expired' | 'Cancelled';

export interface Decision {
  /** Idempotency key of the click or command: the same id twice is one decision. */
  id: string;
  user: string;
  action: Outcome;
  comment?: string;
  at: string;
  /** Where it came from, e.g. "slack:C0123" or "timeout". */
  source?: string;
}

export interface ApprovalPolicy {
  approvers?: { users?: string[]; groups?: string[] };
  minApprovals: number;
  allowSelfApproval: boolean;
}

/** The Rollout revision and canary step a gate's request is about. */
export interface RolloutTarget {
  rollout: { name: string; uid: string; revision?: string; podTemplateHash: string };
  stepIndex: number;
  pipelineRun?: undefined;
}

/** The PipelineRun step a pipeline's request is about (an approval step, or a failed step's intervention). */
export interface PipelineRunTarget {
  pipelineRun: { name: string; uid: string; stage: string; step: string };
  rollout?: undefined;
  stepIndex?: undefined;
}

export type RolloutRequestSpec = RequestSpecFields & RolloutTarget;
export type PipelineRequestSpec = RequestSpecFields & PipelineRunTarget;
export type ApprovalRequestSpec = RolloutRequestSpec | PipelineRequestSpec;

interface RequestSpecFields {
  type: RequestType;
  environment?: string;
  message?: string;
  requestedBy?: string;
  /** Why no deployer is named (then nobody is barred from approving as the deployer). */
  deployerUnknown?: string;
  policy: ApprovalPolicy;
  expiresAt: string;
  onTimeout: Outcome;
  /** Outcomes a person may choose; an Approval always offers approve and reject. */
  actions?: Outcome[];
  evidence?: {
    verdict?: string;
    score?: number | null;
    reasons?: string[];
    templates?: TemplateNote[];
    verificationId?: string;
    analysisRun?: string;
    /** The verification's report page as people open it (an http(s) link; see reportLinkOf). */
    report?: string;
  };
}

export interface ApprovalRequestStatus {
  state: RequestState;
  outcome?: Outcome;
  approvals: number;
  approvalsText: string;
  message?: string;
  decidedAt?: string;
  decisions: Decision[];
  /** For a request the bot acts on itself (an Inconclusive analysis): which replica is carrying out the outcome, since when. */
  applying?: { at: string; by: string };
  /** For a request the bot acts on itself: when the outcome was carried out (or found not applicable), and how. */
  applied?: { at: string; result: string };
  /**
   * Where the bot posted the request, a digest of what the message shows (to update it only when it changes), and
   * the bot's signature of the reference (bot/slack/message-ref.ts).
   */
  slack?: { channel: string; ts: string; digest?: string; sig?: string };
}

/** A request about a Rollout (a gate's, or the bot's own intervention), not a pipeline run's. */
export type RolloutApprovalRequest = ApprovalRequest & { spec: RolloutRequestSpec };

export function isRolloutRequest(request: ApprovalRequest): request is RolloutApprovalRequest {
  return request.spec.rollout !== undefined;
}

export interface ApprovalRequest {
  apiVersion: typeof API_VERSION;
  kind: typeof APPROVAL_REQUESTS.kind;
  metadata: {
    name: string;
    namespace: string;
    uid?: string;
    resourceVersion?: string;
    creationTimestamp?: string;
    labels?: Record<string, string>;
  };
  spec: ApprovalRequestSpec;
  status?: ApprovalRequestStatus;
}

/**
 * A new request in its target's namespace, labelled so that a rollout's requests are found by revision and step,
 * and a pipeline run's by the run.
 */
export function newApprovalRequest(name: string, namespace: string, spec: ApprovalRequestSpec): ApprovalRequest {
  const target: Record<string, string> = spec.rollout
    ? { [LABELS.rolloutUid]: spec.rollout.uid, [LABELS.podTemplateHash]: spec.rollout.podTemplateHash, [LABELS.stepIndex]: String(spec.stepIndex) }
    : { [LABELS.pipelineRunUid]: spec.pipelineRun.uid };
  return {
    apiVersion: API_VERSION,
    kind: APPROVAL_REQUESTS.kind,
    metadata: { name, namespace, labels: { ...target, [LABELS.type]: spec.type } },
    spec,
  };
}

/** The label selector of the requests made for a rollout's revision (pod template hash) and step. */
export function requestSelector(target: { uid: string; podTemplateHash: string; stepIndex: number }): string {
  return `${LABELS.rolloutUid}=${target.uid},${LABELS.podTemplateHash}=${target.podTemplateHash},${LABELS.stepIndex}=${target.stepIndex}`;
}

/** `<rollout>-<hash>-s<step><suffix>`, cut to the 253 characters Kubernetes allows. */
export function requestName(rollout: string, podTemplateHash: string, stepIndex: number, suffix = ''): string {
  const tail = `-${podTemplateHash}-s${stepIndex}${suffix}`;
  return `${rollout.slice(0, 253 - tail.length)}${tail}`;
}

/** The outcomes a person may pick on this request. */
export function allowedActions(spec: ApprovalRequestSpec): Outcome[] {
  return spec.type === 'Approval' ? ['approve', 'reject'] : spec.actions ?? ['promote', 'rollback'];
}

/** Outcomes that let the rollout or release go ahead, which the person who deployed may not choose alone. */
const GO_AHEAD: ReadonlySet<Outcome> = new Set(['approve', 'promote', 'ignore']);

/** The outcome that stops the rollout: what a protected environment applies instead of a go-ahead on timeout. */
const stopOutcome = (spec: ApprovalRequestSpec): Outcome => (spec.type === 'Approval' ? 'reject' : allowedActions(spec).includes('rollback') ? 'rollback' : 'abort');

/** How many distinct people the request asks for a go-ahead; an intervention asks for one. */
function required(spec: ApprovalRequestSpec): number {
  return spec.type === 'Approval' ? spec.policy.minApprovals : 1;
}

export function pendingStatus(spec: ApprovalRequestSpec): ApprovalRequestStatus {
  return { state: 'Pending', approvals: 0, approvalsText: `0/${required(spec)}`, decisions: [] };
}

/** What the operator's configuration says about the environment a request's namespace is in. */
export interface OperatorPolicy {
  environment: string;
  /** No self-approval, and no go-ahead on timeout. */
  protected: boolean;
  /** Distinct people a go-ahead needs at least. */
  minApprovals: number;
}

/** The outcome applied when nobody decided in time, and why it differs from the request's, if it does. */
export interface TimeoutRule {
  onTimeout: Outcome;
  note?: string;
}

/** The policy a request is decided and expired under. */
export interface EffectivePolicy extends TimeoutRule {
  environment: string;
  /** Distinct people a go-ahead needs. */
  minApprovals: number;
  allowSelfApproval: boolean;
  /** Where the operator's policy overrides what the gate asked for, to show with the request. */
  notes: string[];
}

/** The request's policy under the operator's: the mapped environment, its floors, and its protection. */
export function effectivePolicy(spec: ApprovalRequestSpec, operator: OperatorPolicy): EffectivePolicy {
  const { environment } = operator;
  const notes: string[] = [];
  if (spec.environment && spec.environment !== environment) notes.push(`the gate names environment "${spec.environment}"; the request is in ${environment}, whose policy applies`);
  const asked = required(spec);
  let minApprovals = Math.max(asked, operator.minApprovals);
  if (minApprovals > asked) notes.push(`${environment} needs at least ${minApprovals} approvals (the gate asks for ${asked})`);
  // Nobody can be barred as the deployer when the deployer is unknown, so two people, one of whom is not them.
  if (operator.protected && !spec.requestedBy && minApprovals < 2) {
    minApprovals = 2;
    notes.push(`${environment} is protected and the deployer is unknown: a go-ahead needs 2 people`);
  }
  const allowSelfApproval = spec.policy.allowSelfApproval && !operator.protected;
  if (spec.policy.allowSelfApproval && !allowSelfApproval) notes.push(`${environment} is protected: the deployer may not approve`);
  let timeout: TimeoutRule = { onTimeout: spec.onTimeout };
  if (operator.protected && GO_AHEAD.has(spec.onTimeout)) {
    const note = `${environment} is protected: ${stopOutcome(spec)} on timeout, not ${spec.onTimeout}`;
    timeout = { onTimeout: stopOutcome(spec), note };
    notes.push(note);
  }
  return { environment, minApprovals, allowSelfApproval, ...timeout, notes };
}

/**
 * The timeout the engine applies by itself: only one that stops the rollout. A go-ahead on timeout waits for the
 * bot, which checks it against the operator's policy (effectivePolicy).
 */
export function engineTimeout(spec: ApprovalRequestSpec): TimeoutRule | undefined {
  return GO_AHEAD.has(spec.onTimeout) ? undefined : { onTimeout: spec.onTimeout };
}

/**
 * The status, defaulted for a request just created (the API server drops status on create) and completed where a
 * hand-written one leaves fields out.
 */
export function statusOf(request: ApprovalRequest): ApprovalRequestStatus {
  const pending = pendingStatus(request.spec);
  if (!request.status?.state) return pending;
  return { ...pending, ...request.status, decisions: request.status.decisions ?? [] };
}

export function isExpired(request: ApprovalRequest, now: Date): boolean {
  return statusOf(request).state === 'Pending' && now.getTime() >= Date.parse(request.spec.expiresAt);
}

export type DecisionResult =
  | { kind: 'applied'; status: ApprovalRequestStatus; decided: boolean }
  | { kind: 'duplicate' }
  | { kind: 'refused'; reason: string };

/**
 * Records one person's decision under `policy`. `refusal` is the caller's reason why this user may not decide this
 * request (the bot checks roles and user groups), undefined when they may; the rules that need only the request
 * are checked here.
 */
export function applyDecision(request: ApprovalRequest, decision: Decision, now: Date, refusal: string | undefined, policy: EffectivePolicy): DecisionResult {
  const status = statusOf(request);
  const { spec } = request;
  const needed = policy.minApprovals;
  if (status.decisions.some((earlier) => earlier.id === decision.id)) return { kind: 'duplicate' };
  if (status.state !== 'Pending') return { kind: 'refused', reason: `this request is already ${describeEnd(status)}` };
  if (now.getTime() >= Date.parse(spec.expiresAt)) return { kind: 'refused', reason: `this request expired at ${spec.expiresAt}` };
  if (refusal) return { kind: 'refused', reason: refusal };
  const allowed = allowedActions(spec);
  if (!allowed.includes(decision.action)) return { kind: 'refused', reason: `"${decision.action}" is not one of the choices here (${allowed.join(', ')})` };
  if (GO_AHEAD.has(decision.action) && !policy.allowSelfApproval && spec.requestedBy && decision.user === spec.requestedBy) {
    return { kind: 'refused', reason: 'you triggered this deploy, so someone else has to approve it' };
  }
  const sameChoice = status.decisions.filter((earlier) => earlier.action === decision.action);
  if (sameChoice.some((earlier) => earlier.user === decision.user)) {
    return { kind: 'refused', reason: `you already chose ${decision.action}; ${needed - sameChoice.length} more from other people needed` };
  }

  const decisions = [...status.decisions, decision];
  // A go-ahead is approve on an Approval and promote on an Intervention: either counts towards the people needed.
  const approvals = decisions.filter((d) => GO_AHEAD.has(d.action)).length;
  const base = { ...status, decisions, approvals, approvalsText: `${approvals}/${needed}` };
  const count = sameChoice.length + 1;
  // A go-ahead needs enough distinct people; anything else (reject, roll back, retry) decides at once.
  if (GO_AHEAD.has(decision.action) && count < needed) {
    return { kind: 'applied', decided: false, status: { ...base, message: `${count}/${needed} approvals` } };
  }
  const by = GO_AHEAD.has(decision.action) ? decisions.filter((d) => d.action === decision.action).map((d) => d.user) : [decision.user];
  const comment = decision.comment ? `: ${decision.comment}` : '';
  return {
    kind: 'applied',
    decided: true,
    status: { ...base, state: 'Decided', outcome: decision.action, decidedAt: decision.at, message: `${decision.action} by ${by.join(', ')}${comment}` },
  };
}

/**
 * Applies the timeout outcome of `rule` (see effectivePolicy, engineTimeout); undefined when it is not a pending
 * request past its expiry, or there is no rule to apply.
 */
export function expire(request: ApprovalRequest, now: Date, rule: TimeoutRule | undefined): ApprovalRequestStatus | undefined {
  if (!rule || !isExpired(request, now)) return undefined;
  const status = statusOf(request);
  return {
    ...status,
    state: 'Expired',
    outcome: rule.onTimeout,
    decidedAt: now.toISOString(),
    message: `nobody decided by ${request.spec.expiresAt}: ${rule.onTimeout} (the default on timeout${rule.note ? `; ${rule.note}` : ''})`,
  };
}

/**
 * The status of a pending approval with its count shown against the approvals `policy` needs (the gate wrote it
 * against its own minimum, which the environment may raise); undefined when it already is.
 */
export function recount(request: ApprovalRequest, policy: EffectivePolicy): ApprovalRequestStatus | undefined {
  const status = statusOf(request);
  const approvalsText = `${status.approvals}/${policy.minApprovals}`;
  if (request.spec.type !== 'Approval' || status.state !== 'Pending' || status.approvalsText === approvalsText) return undefined;
  return { ...status, approvalsText };
}

/** Withdraws a pending request (the rollout was aborted or promoted past it); undefined if it already ended. */
export function cancel(request: ApprovalRequest, reason: string, now: Date): ApprovalRequestStatus | undefined {
  const status = statusOf(request);
  if (status.state !== 'Pending') return undefined;
  return { ...status, state: 'Cancelled', decidedAt: now.toISOString(), message: reason };
}

/** What a pending request needs to know of its Rollout as it is now. */
export interface RolloutPosition {
  uid?: string;
  currentPodHash?: string;
  currentStepIndex?: number;
  abort?: boolean;
}

/**
 * Why a pending request is no longer asked, given its Rollout now (undefined: there is none): the rollout went
 * past its step or to another revision, was aborted, or is gone. Undefined while the question still stands.
 */
export function leftBehind(request: ApprovalRequest, rollout: RolloutPosition | undefined): string | undefined {
  if (statusOf(request).state !== 'Pending' || !request.spec.rollout) return undefined;
  const { uid, podTemplateHash } = request.spec.rollout;
  if (!rollout || rollout.uid !== uid) return 'the rollout is gone';
  if (rollout.currentPodHash !== podTemplateHash) return `the rollout moved on to another revision (canary ${rollout.currentPodHash ?? 'none'})`;
  if (rollout.abort) return 'the rollout was aborted';
  const step = rollout.currentStepIndex ?? 0;
  return step > request.spec.stepIndex ? `the rollout moved past step ${request.spec.stepIndex} (it is at step ${step})` : undefined;
}

export function describeEnd(status: ApprovalRequestStatus): string {
  const what = status.state === 'Decided' ? `decided (${status.outcome})` : status.state === 'Expired' ? `expired (${status.outcome})` : status.state.toLowerCase();
  return status.message ? `${what}: ${status.message}` : what;
}

/**
 * "rollout shop/web in production" or "pipeline run releases/loans-api-x7k2p (stage prod-na, step approve)", with the
 * environment the operator's configuration maps it to.
 */
export function describeTarget(request: ApprovalRequest, environment?: string): string {
  const { spec, metadata } = request;
  const where = environment ? ` in ${environment}` : '';
  if (spec.rollout) return `rollout ${metadata.namespace}/${spec.rollout.name}${where}`;
  return `pipeline run ${metadata.namespace}/${spec.pipelineRun.name} (stage ${spec.pipelineRun.stage}, step ${spec.pipelineRun.step})${where}`;
}
