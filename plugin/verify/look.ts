// One look at a verification: collect the part of the window it judges, judge it, and say what was found. Every
// front drives its verifications through here (the metric plugin, the verify gate) and only maps the outcome onto
// its own protocol (a Measurement, a step result), so a look means the same whichever front asked for it.
import type { Logger } from '../../shared/log.js';
import type { VerifyConfig } from '../config/schema.js';
import type { JudgeResult } from '../judge/types.js';
import { logSourceFor, sourceFor, type EngineContext, type VerificationPlugin } from './context.js';
import { readFeedback, type RolloutName } from './feedback.js';
import { summarize, verdictSentence } from './measurement.js';
import type { VerdictSummary } from '../../shared/verdicts/summary.js';
import { verify, type Verified } from './verification.js';
import { describeCoverage, elapsedRange, isClosed, lookRange, nextCheck, type VerificationWindow } from './window.js';

export interface Verification {
  id: string;
  config: VerifyConfig;
  window: VerificationWindow;
}

export type LookOutcome =
  /** Collection failed; `closed` when the window has ended (a later look judges the same range). */
  | { state: 'failed'; error: unknown; closed: boolean }
  /** No conclusive regression yet, and the window still open: look again at `nextLookAt`. */
  | { state: 'undecided'; result: JudgeResult; summary: VerdictSummary; message: string; judged: VerificationWindow; nextLookAt: Date }
  /** A verdict: the window closed (or was ended), or a regression was conclusive before it did. */
  | { state: 'decided'; result: JudgeResult; summary: VerdictSummary; message: string; judged: VerificationWindow; early: boolean };

export interface LookOptions {
  /**
   * The verification is being ended (an abort, a Terminate): the data so far is judged as if the window had
   * closed, so the outcome is decided whatever the data says, and the message says so.
   */
  ending?: boolean;
  /** The Rollout verified: people's marks on its log templates apply when the logs are judged. */
  rollout?: RolloutName;
}

/**
 * Collects and judges `range` of a verification with the engine's sources; the logs, and people's marks on their
 * templates, only when the range is the whole window or is judged as closed (logs are judged once). Every front,
 * and a report rebuilding a verdict, goes through here. Throws CollectError.
 */
export async function examine(config: VerifyConfig, range: VerificationWindow, ctx: EngineContext, log: Logger, { asClosed = false, rollout }: { asClosed?: boolean; rollout?: RolloutName } = {}): Promise<Verified> {
  const judgesLogs = config.logs !== undefined && (asClosed || range.end.getTime() - range.start.getTime() >= config.durationMs);
  const feedback = judgesLogs && rollout ? await readFeedback(ctx, rollout, log) : undefined;
  const logSource = judgesLogs ? logSourceFor(config, ctx) : undefined;
  return verify(config, range, sourceFor(config, ctx), {
    ...(logSource && { logSource }),
    ...(feedback && { feedback }),
    asClosed,
    signal: ctx.signal,
    deadline: ctx.deadline,
    onHistoryError: (error) => log.warn({ err: error }, 'history could not be read: judged without it'),
  });
}

/** Looks at `verification` as of `now` for `front`; reports verdicts and failed collections to the engine's events. */
export async function lookAt(verification: Verification, now: Date, ctx: EngineContext, front: VerificationPlugin, { ending = false, rollout }: LookOptions = {}): Promise<LookOutcome> {
  const { config, window } = verification;
  const closed = isClosed(window, now);
  const log = ctx.log.child({ verificationId: verification.id });
  // Whole intervals only, unless ending; once closed the range is exactly the window, so a later look agrees.
  const range = ending ? elapsedRange(window, now) : lookRange(window, now, config.intervalMs);
  let result: JudgeResult;
  try {
    ({ result } = await examine(config, range, ctx, log, { asClosed: ending, ...(rollout && { rollout }) }));
  } catch (error) {
    log.warn({ err: error, closed, front }, 'collection failed');
    ctx.events?.collectionFailed(front);
    return { state: 'failed', error, closed };
  }
  const summary = summarize(result);
  // A final result never carries Running; one that did would be a bug, and is no verdict.
  if (!result.final || result.phase === 'Running') {
    return {
      state: 'undecided',
      result,
      summary,
      message: `in progress, ${describeCoverage(window, range.end)} covered; ${verdictSentence(result)}`,
      judged: range,
      nextLookAt: nextCheck(window, now, config.intervalMs),
    };
  }
  log.info({ verdict: result.verdict, score: result.score, phase: result.phase, early: !closed, front }, 'verification finished');
  ctx.events?.finished({ plugin: front, verdict: result.verdict, phase: result.phase, early: !closed });
  return { state: 'decided', result, summary, message: `${when(window, range, closed, ending)}${verdictSentence(result)}`, judged: range, early: !closed };
}

function when(window: VerificationWindow, range: VerificationWindow, closed: boolean, ending: boolean): string {
  if (ending) return closed ? 'terminated after the full window: ' : `terminated early, after ${describeCoverage(window, range.end)}; the data so far judged as a closed window: `;
  return closed ? '' : `decided early, after ${describeCoverage(window, range.end)}: `;
}

/** Why a look failed, for messages. */
export function failureText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
