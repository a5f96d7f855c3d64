// The `verify` kind of the rollouts-cv/gate step: the same verification as the metric plugin, driven by step
// calls. Durable state lives in the step status the controller stores and hands back, so any replica (or a
// restarted engine) continues where the last call left off. With `onUnhealthy: ask` a failing verification does
// not fail the step at once: it asks people with an Intervention ApprovalRequest (promote anyway, verify again,
// or roll back) and the step's later calls carry out what they chose.
import { z } from 'zod';
import { type ApprovalRequest, type Outcome, newApprovalRequest, requestName, statusOf } from '../../shared/approvals/request.js';
import { durationField, formatDuration } from '../../shared/config/duration.js';
import { parseConfig } from '../../shared/config/errors.js';
import { ConfigError, parseVerifySettings, type VerifyConfig, type VerifySettings } from '../config/schema.js';
import { isRecord, stringAt } from '../../shared/kube/json.js';
import type { VerdictSummary } from '../../shared/verdicts/summary.js';
import type { EngineContext } from '../verify/context.js';
import { nameOfRollout } from '../verify/feedback.js';
import { failureText, lookAt } from '../verify/look.js';
import { rfc3339, verificationId, wholeSeconds, withReportLink } from '../verify/measurement.js';
import { StepRpcError, type StepResult } from '../verify/types.js';
import { nextCheck, parseTimestamp, windowFrom } from '../verify/window.js';
import { deadlineProblem } from './progress-deadline.js';
import { approversSchema, pollAfterMs, readRequest, timeoutText, withdrawRequest } from '../../shared/approvals/waiting.js';
import { orRpcError, requestTarget, rolloutRef, storeOf } from './approval-requests.js';

export interface VerifyStepStatus extends Partial<VerdictSummary> {
  kind: 'verify';
  verificationId: string;
  windowStart: string;
  windowEnd: string;
  /** The groups resolved at the first call, so later calls compare the same pods even if the Rollout moves on. */
  canary: string;
  baseline: string;
  /** Set once a failing result was put to people (onUnhealthy: ask): the request and the result it asks about. */
  asked?: { request: string; finding: string };
  /** The end of the range the latest look judged: a report judges the same range again. */
  judgedUntil?: string;
  /** The verification's report page, when the engine serves them. */
  report?: string;
}

// Loose, so that the verdict fields written beside `asked` survive the calls that only read the request.
const statusSchema = z.looseObject({
  kind: z.literal('verify'),
  verificationId: z.string(),
  windowStart: z.string(),
  windowEnd: z.string(),
  canary: z.string().min(1),
  baseline: z.string().min(1),
  asked: z.object({ request: z.string().min(1), finding: z.string() }).optional(),
  judgedUntil: z.string().optional(),
  report: z.string().optional(),
});

/** A verify gate's step status as stored, or undefined when `raw` is none. */
export function readVerifyStepStatus(raw: unknown): VerifyStepStatus | undefined {
  return statusSchema.safeParse(raw).data;
}

const CONFIG_ROOT = 'config.verify';
const RPC_PREFIX = 'verify gate';
const ASKING_GATES = 'verify gates with onUnhealthy: ask';
const ASK_ACTIONS: Outcome[] = ['promote', 'retry', 'rollback'];

const askSchema = z.strictObject({
  timeout: durationField({ min: 60_000 }).prefault('30m'),
  onTimeout: z.enum(['rollback', 'promote']).default('rollback'),
  approvers: approversSchema.optional(),
  /** Shown with the request only: the bot's configuration maps the namespace to the environment whose policy applies. */
  environment: z.string().max(63).optional(),
  message: z.string().max(2000).optional(),
});

type AskConfig = z.output<typeof askSchema>;
const ASK_DEFAULTS: AskConfig = askSchema.parse({});

// The gate's own keys, beside the verification's. `ask` alone is an error rather than an implied
// `onUnhealthy: ask`, so that whether a failure aborts the rollout is always written out. `record` is shadow mode:
// the verdict is kept in the step's message and status, and the step passes whatever it says.
const gateSchema = z
  .object({ onUnhealthy: z.enum(['fail', 'ask', 'record']).default('fail'), ask: askSchema.optional() })
  .superRefine(({ onUnhealthy, ask }, ctx) => {
    if (ask && onUnhealthy !== 'ask') {
      ctx.addIssue({ code: 'custom', path: ['ask'], message: `applies only with onUnhealthy: ask (onUnhealthy is "${onUnhealthy}"); set onUnhealthy: ask, or remove ask` });
    }
  })
  .transform(({ onUnhealthy, ask }) => ({ record: onUnhealthy === 'record', ask: onUnhealthy === 'ask' ? (ask ?? ASK_DEFAULTS) : undefined }));

interface GateConfig {
  settings: VerifySettings;
  /** How to ask when the verification fails; undefined unless `onUnhealthy: ask`. */
  ask: AskConfig | undefined;
  /** `onUnhealthy: record`: a failed verification is recorded, not acted on (shadow mode). */
  record: boolean;
}

/** The verification's settings and the gate's own keys, with the invalid fields of both reported at once. */
export function parseGateConfig(raw: unknown): GateConfig {
  const { onUnhealthy, ask, ...verification } = isRecord(raw) ? raw : {};
  const issues: string[] = [];
  const collect = <T>(parse: () => T): T | undefined => {
    try {
      return parse();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      issues.push(...error.issues);
      return undefined;
    }
  };
  const settings = collect(() => parseVerifySettings(isRecord(raw) ? verification : raw, CONFIG_ROOT));
  const gate = collect(() => parseConfig(gateSchema, { onUnhealthy, ask }, CONFIG_ROOT));
  if (!settings || !gate || issues.length) throw new ConfigError(issues);
  return { settings, ...gate };
}

function rolloutId(rollout: unknown): string {
  return ['uid', 'namespace', 'name'].map((key) => stringAt(rollout, 'metadata', key)).join('/');
}

/** Canary from config or status.currentPodHash, baseline from config or status.stableRS; throws ConfigError. */
function resolveGroups(config: VerifySettings, rollout: unknown): { canary: string; baseline: string } {
  const canary = config.canary?.podTemplateHash || stringAt(rollout, 'status', 'currentPodHash');
  const baseline = config.baseline?.podTemplateHash || stringAt(rollout, 'status', 'stableRS');
  const issues: string[] = [];
  if (!canary) issues.push(`${CONFIG_ROOT}.canary: not given and the Rollout has no status.currentPodHash (expected {"podTemplateHash": "<hash>"})`);
  if (!baseline) issues.push(`${CONFIG_ROOT}.baseline: not given and the Rollout has no status.stableRS (expected {"podTemplateHash": "<hash>"})`);
  if (canary && baseline && canary === baseline) {
    issues.push(`${CONFIG_ROOT}.baseline: canary and baseline are both "${canary}", nothing to compare (is the Rollout fully promoted?)`);
  }
  if (!canary || !baseline || issues.length) throw new ConfigError(issues);
  return { canary, baseline };
}

/**
 * How long the controller should wait. Argo Rollouts requeues a Running step after RequeueAfter only when it is
 * above 10 s; anything shorter becomes 30 s, so short intervals are effectively 30 s for a step.
 */
function requeueAfterMs(at: Date, now: Date): number {
  return Math.max(at.getTime() - now.getTime(), 1000);
}

/** The verification's report page, when the engine serves them; Run is called only for the current step. */
function reportLink(rollout: unknown, id: string, ctx: EngineContext): { report?: string } {
  const namespace = stringAt(rollout, 'metadata', 'namespace');
  const name = stringAt(rollout, 'metadata', 'name');
  const status = isRecord(rollout) && isRecord(rollout.status) ? rollout.status : {};
  const step = typeof status.currentStepIndex === 'number' ? status.currentStepIndex : 0;
  return ctx.reportUrl && namespace && name ? { report: ctx.reportUrl({ kind: 'gate-step', namespace, rollout: name, step }, { verification: id }) } : {};
}

/** A new window from now over the given groups: the first call, or people chose to verify again. */
function startVerification(settings: VerifySettings, rollout: unknown, groups: { canary: string; baseline: string }, now: Date, ctx: EngineContext, why = ''): StepResult {
  const window = windowFrom(wholeSeconds(now), settings.durationMs);
  const id = verificationId(rolloutId(rollout), groups.canary, rfc3339(window.start));
  const status: VerifyStepStatus = {
    kind: 'verify',
    verificationId: id,
    windowStart: rfc3339(window.start),
    windowEnd: rfc3339(window.end),
    ...groups,
    ...reportLink(rollout, id, ctx),
  };
  ctx.log.info({ verificationId: status.verificationId, ...groups }, 'verification step started');
  return {
    phase: 'Running',
    message: `${why}verifying canary ${groups.canary} against baseline ${groups.baseline} on ${settings.metrics.length} metric(s) over ${formatDuration(settings.durationMs)}`,
    requeueAfterMs: requeueAfterMs(nextCheck(window, now, settings.intervalMs), now),
    status,
  };
}

export async function runVerifyStep(rollout: unknown, rawConfig: unknown, rawStatus: unknown, ctx: EngineContext): Promise<StepResult> {
  const now = ctx.now();
  let gate: GateConfig;
  try {
    gate = parseGateConfig(rawConfig);
  } catch (error) {
    if (error instanceof ConfigError) return { phase: 'Failed', message: `invalid config: ${error.message}` };
    throw error;
  }
  const { settings, ask, record } = gate;
  const previous = rawStatus === undefined || rawStatus === null ? undefined : statusSchema.safeParse(rawStatus);
  if (!previous) {
    const wait = settings.durationMs + (ask?.timeout ?? 0);
    const what = ask
      ? `the verification (${formatDuration(settings.durationMs)}) and the time to ask people (${formatDuration(ask.timeout)})`
      : `the verification (${formatDuration(settings.durationMs)})`;
    const tooLong = deadlineProblem(rollout, wait, what);
    if (tooLong) return { phase: 'Failed', message: tooLong };
  }
  // Asking needs the Kubernetes API: say so at the first call rather than once the whole window has passed.
  if (ask) storeOf(ctx, ASKING_GATES);

  if (previous && !previous.success) {
    return { phase: 'Failed', message: `the stored step status is not a verify status (${JSON.stringify(rawStatus).slice(0, 200)}); retry the rollout to start over` };
  }

  if (!previous) {
    let groups: { canary: string; baseline: string };
    try {
      groups = resolveGroups(settings, rollout);
    } catch (error) {
      return { phase: 'Failed', message: `invalid config: ${(error as Error).message}` };
    }
    return startVerification(settings, rollout, groups, now, ctx);
  }

  const stored = previous.data;
  const { asked } = stored;
  if (asked) return orRpcError(RPC_PREFIX, () => awaitDecision(rollout, settings, stored, asked, now, ctx));
  const start = parseTimestamp(stored.windowStart);
  if (!start) return { phase: 'Failed', message: `the stored step status has an invalid windowStart ${JSON.stringify(stored.windowStart)}; retry the rollout to start over` };
  const config: VerifyConfig = { ...settings, canary: { podTemplateHash: stored.canary }, baseline: { podTemplateHash: stored.baseline } };
  const outcome = await lookAt({ id: stored.verificationId, config, window: windowFrom(start, config.durationMs) }, now, ctx, 'gate', { rollout: nameOfRollout(rollout) });
  // The controller retries an RpcError every 30 s; the stored status is untouched, so nothing is lost.
  if (outcome.state === 'failed') throw new StepRpcError(`verification ${stored.verificationId}: collection failed: ${failureText(outcome.error)}`);
  const { summary, message } = outcome;
  // The link as this engine makes it: none when it no longer serves reports.
  const { report: _previous, ...kept } = stored;
  const status: VerifyStepStatus = { ...kept, kind: 'verify', ...summary, judgedUntil: rfc3339(outcome.judged.end), ...reportLink(rollout, stored.verificationId, ctx) };
  if (outcome.state === 'undecided') return { phase: 'Running', message, requeueAfterMs: requeueAfterMs(outcome.nextLookAt, now), status };
  const { phase } = outcome.result;
  if (phase === 'Successful') return { phase, message: withReportLink(message, status.report), status };
  if (record) return { phase: 'Successful', message: withReportLink(`shadow mode (onUnhealthy: record), not acted on: ${message}`, status.report), status };
  if (ask) return orRpcError(RPC_PREFIX, () => askPeople(rollout, ask, status, summary, message, now, ctx));
  const note = phase === 'Inconclusive' ? ' (Inconclusive: a step cannot pause for a person, so it fails)' : '';
  return { phase: 'Failed', message: withReportLink(`${message}${note}`, status.report), status };
}

function newIntervention(rollout: unknown, ask: AskConfig, status: VerifyStepStatus, summary: VerdictSummary, now: Date): ApprovalRequest {
  const ref = rolloutRef(rollout);
  // Named after the verification, so a call repeated after a lost result finds the request it already made.
  const name = requestName(ref.name, ref.podTemplateHash, ref.stepIndex, `-${status.verificationId}`);
  return newApprovalRequest(name, ref.namespace, {
    type: 'Intervention',
    ...requestTarget(ref),
    ...(ask.environment && { environment: ask.environment }),
    message:
      ask.message ??
      `The verification of canary ${status.canary} against baseline ${status.baseline} ${summary.verdict === 'Inconclusive' ? 'could not rule out a regression (Inconclusive)' : 'failed'}. Promote anyway, verify again from now, or roll back?`,
    policy: { ...(ask.approvers && { approvers: ask.approvers }), minApprovals: 1, allowSelfApproval: true },
    expiresAt: new Date(now.getTime() + ask.timeout).toISOString(),
    onTimeout: ask.onTimeout,
    actions: ASK_ACTIONS,
    evidence: {
      ...(summary.verdict && { verdict: summary.verdict }),
      score: summary.score,
      reasons: summary.reasons,
      ...(summary.templates && { templates: summary.templates }),
      verificationId: status.verificationId,
      ...(status.report && { report: status.report }),
    },
  });
}

/** The verification failed: put it to people instead of failing the step, and wait. */
async function askPeople(rollout: unknown, ask: AskConfig, status: VerifyStepStatus, summary: VerdictSummary, finding: string, now: Date, ctx: EngineContext): Promise<StepResult> {
  const store = storeOf(ctx, ASKING_GATES);
  const wanted = newIntervention(rollout, ask, status, summary, now);
  const { namespace, name } = wanted.metadata;
  const request = (await store.create(wanted)) ?? (await store.get(namespace, name));
  if (!request) throw new StepRpcError(`ApprovalRequest ${namespace}/${name} existed when created but was gone when read; the next call asks again`);
  ctx.log.info({ verificationId: status.verificationId, request: name, expiresAt: request.spec.expiresAt }, 'verification failed; asking people');
  return waitingOn(request, { ...status, asked: { request: name, finding } }, now);
}

function waitingOn(request: ApprovalRequest, status: VerifyStepStatus & Required<Pick<VerifyStepStatus, 'asked'>>, now: Date): StepResult {
  return {
    phase: 'Running',
    message: `${status.asked.finding}; asking on ApprovalRequest ${request.metadata.name} whether to promote anyway, verify again or roll back; ${timeoutText(request, now)}`,
    requeueAfterMs: pollAfterMs(request, now),
    status,
  };
}

/** "by UALICE (\"comment\")", or "on timeout" when the request expired with its default. */
function decidedBy(request: ApprovalRequest): string {
  const status = statusOf(request);
  if (status.state === 'Expired') return `on timeout (nobody decided by ${request.spec.expiresAt})`;
  const last = status.decisions.at(-1);
  return `by ${last?.user ?? 'unknown'}${last?.comment ? ` (${JSON.stringify(last.comment)})` : ''}`;
}

/** A later call while people were asked: carry out what they chose, or keep waiting. */
async function awaitDecision(
  rollout: unknown,
  settings: VerifySettings,
  stored: VerifyStepStatus,
  asked: NonNullable<VerifyStepStatus['asked']>,
  now: Date,
  ctx: EngineContext,
): Promise<StepResult> {
  const { namespace } = rolloutRef(rollout);
  const request = await readRequest(storeOf(ctx, ASKING_GATES), namespace, asked.request, now, ctx.log);
  if (!request) {
    return { phase: 'Failed', message: `ApprovalRequest ${namespace}/${asked.request} was deleted before anyone decided; retry the rollout to verify again. ${asked.finding}`, status: stored };
  }
  const { state, outcome, message } = statusOf(request);
  const on = `on ApprovalRequest ${asked.request}`;
  if (state === 'Pending') return waitingOn(request, { ...stored, asked }, now);
  if (state === 'Cancelled') return { phase: 'Failed', message: `ApprovalRequest ${asked.request} was cancelled (${message ?? 'no reason given'}) before anyone decided: ${asked.finding}`, status: stored };
  if (outcome === 'promote') return { phase: 'Successful', message: `promoted anyway ${decidedBy(request)} ${on}: ${asked.finding}`, status: stored };
  // A fresh window over the same pods; the ended request stays as the record of this round.
  if (outcome === 'retry') return startVerification(settings, rollout, { canary: stored.canary, baseline: stored.baseline }, now, ctx, `retry chosen ${decidedBy(request)} ${on}; `);
  return { phase: 'Failed', message: `rolled back ${decidedBy(request)} ${on}: ${asked.finding}`, status: stored };
}

/**
 * Abort or full promotion. A verification holds nothing outside its status; a question put to people about it
 * is withdrawn, so nobody decides what is no longer asked. `idle` is the message when there is none.
 */
export async function endVerifyStep(rollout: unknown, rawStatus: unknown, ctx: EngineContext, reason: string, idle: string): Promise<StepResult> {
  const asked = readVerifyStepStatus(rawStatus)?.asked;
  if (!asked) return { phase: 'Successful', message: idle, status: rawStatus };
  return orRpcError(RPC_PREFIX, async () => {
    const message = await withdrawRequest(storeOf(ctx, ASKING_GATES), rolloutRef(rollout).namespace, asked.request, reason, ctx.now());
    return { phase: 'Successful', message, status: rawStatus };
  });
}
