// The `verify` kind of the rollouts-cv/gate step: the same verification as the metric plugin, driven by step
// calls. Durable state lives in the step status the controller stores and hands back, so any replica (or a
// restarted engine) continues where the last call left off.
import { z } from 'zod';
import { formatDuration } from '../../shared/config/duration.js';
import { ConfigError, parseVerifySettings, type VerifyConfig, type VerifySettings } from '../config/schema.js';
import type { JudgeResult } from '../judge/types.js';
import { stringAt } from '../verify/kube-json.js';
import { rfc3339, summarize, verdictSentence, verificationId, wholeSeconds, type VerdictSummary } from '../verify/measurement.js';
import { sourceFor, type EngineContext } from '../verify/metric.js';
import { StepRpcError, type StepResult } from '../verify/types.js';
import { verify } from '../verify/verification.js';
import { describeCoverage, elapsedRange, isClosed, nextCheck, parseTimestamp, windowFrom } from '../verify/window.js';

export interface VerifyStepStatus extends Partial<VerdictSummary> {
  kind: 'verify';
  verificationId: string;
  windowStart: string;
  windowEnd: string;
  /** The groups resolved at the first call, so later calls compare the same pods even if the Rollout moves on. */
  canary: string;
  baseline: string;
}

const statusSchema = z.object({
  kind: z.literal('verify'),
  verificationId: z.string(),
  windowStart: z.string(),
  windowEnd: z.string(),
  canary: z.string().min(1),
  baseline: z.string().min(1),
});

const CONFIG_ROOT = 'config.verify';

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

export async function runVerifyStep(rollout: unknown, rawConfig: unknown, rawStatus: unknown, ctx: EngineContext): Promise<StepResult> {
  const now = ctx.now();
  let settings: VerifySettings;
  try {
    settings = parseVerifySettings(rawConfig, CONFIG_ROOT);
  } catch (error) {
    if (error instanceof ConfigError) return { phase: 'Failed', message: `invalid config: ${error.message}` };
    throw error;
  }

  const previous = rawStatus === undefined || rawStatus === null ? undefined : statusSchema.safeParse(rawStatus);
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
    const window = windowFrom(wholeSeconds(now), settings.durationMs);
    const status: VerifyStepStatus = {
      kind: 'verify',
      verificationId: verificationId(rolloutId(rollout), groups.canary, rfc3339(window.start)),
      windowStart: rfc3339(window.start),
      windowEnd: rfc3339(window.end),
      ...groups,
    };
    ctx.log.info({ verificationId: status.verificationId, ...groups }, 'verification step started');
    return {
      phase: 'Running',
      message: `verifying canary ${groups.canary} against baseline ${groups.baseline} on ${settings.metrics.length} metric(s) over ${formatDuration(settings.durationMs)}`,
      requeueAfterMs: requeueAfterMs(nextCheck(window, now, settings.intervalMs), now),
      status,
    };
  }

  const stored = previous.data;
  const start = parseTimestamp(stored.windowStart);
  if (!start) return { phase: 'Failed', message: `the stored step status has an invalid windowStart ${JSON.stringify(stored.windowStart)}; retry the rollout to start over` };
  const config: VerifyConfig = { ...settings, canary: { podTemplateHash: stored.canary }, baseline: { podTemplateHash: stored.baseline } };
  const window = windowFrom(start, config.durationMs);
  const closed = isClosed(window, now);

  let result: JudgeResult;
  try {
    result = await verify(config, elapsedRange(window, now), sourceFor(config, ctx));
  } catch (error) {
    ctx.events?.collectionFailed('gate');
    // The controller retries an RpcError every 30 s; the stored status is untouched, so nothing is lost.
    throw new StepRpcError(`verification ${stored.verificationId}: collection failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  const status: VerifyStepStatus = { ...stored, kind: 'verify', ...summarize(result) };

  // Undecided: no conclusive regression yet and the window still open.
  if (!result.final || result.phase === 'Running') {
    return {
      phase: 'Running',
      message: `in progress, ${describeCoverage(window, now)} covered; ${verdictSentence(result)}`,
      requeueAfterMs: requeueAfterMs(nextCheck(window, now, config.intervalMs), now),
      status,
    };
  }
  const { phase } = result;
  ctx.log.info({ verificationId: stored.verificationId, verdict: result.verdict, score: result.score, phase, early: !closed }, 'verification step finished');
  ctx.events?.finished({ plugin: 'gate', verdict: result.verdict, phase, early: !closed });
  const sentence = `${closed ? '' : `decided early, after ${describeCoverage(window, now)}: `}${verdictSentence(result)}`;
  if (phase === 'Successful') return { phase, message: sentence, status };
  const note = phase === 'Inconclusive' ? ' (Inconclusive: a step cannot pause for a person, so it fails)' : '';
  return { phase: 'Failed', message: `${sentence}${note}`, status };
}
