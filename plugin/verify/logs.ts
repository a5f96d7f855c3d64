// The logs of a verification: each group's lines over the window from the log source, the stable pods' lines
// before it, one miner over all of them, and the log judge's answer as one judgement beside the metrics'. Judged
// once the window closes (or the verification is ended): the count test spends its false-alarm budget once.
import type { FetchedLogs, LogGroupSelection, LogSource } from '../collect/source.js';
import { CollectError } from '../collect/source.js';
import type { LogsConfig } from '../config/logs.js';
import type { Sensitivity } from '../judge/types.js';
import type { LogsJudgement } from '../judge/types.js';
import { judgeLogs, type FeedbackMark } from '../judge/logs/compare.js';
import { countTemplates } from '../judge/logs/count.js';
import type { VerificationWindow } from './window.js';

export interface LogsOptions {
  signal?: AbortSignal;
  deadline?: number;
  /** People's marks on templates (by template text), matched against this verification's templates. */
  feedback?: ReadonlyMap<string, FeedbackMark>;
  /** The stable pods' earlier lines could not be read: the logs are judged without them. */
  onHistoryError?: (error: CollectError) => void;
}

function selection(logs: LogsConfig, podTemplateHash: string): LogGroupSelection {
  return { podTemplateHash, selectBy: logs.selectBy, hashField: logs.hashField, instanceField: logs.instanceField };
}

/** How many lines the group had, when more than were read (the lines judged are then a sample of them). */
function totalAbove(fetched: FetchedLogs): number | undefined {
  return fetched.total !== undefined && fetched.total > fetched.lines.length ? fetched.total : undefined;
}

/**
 * The logs' judgement over `range` for the canary and baseline pods. A canary's first lines within `warmupMs` of
 * the window's start are left out, as its metrics' are: a starting process logs what a running one never does.
 * Throws CollectError when a group's lines cannot be read.
 */
export async function judgeWindowLogs(
  logs: LogsConfig,
  groups: { canary: string; baseline: string },
  range: VerificationWindow,
  source: LogSource,
  settings: { sensitivity: Sensitivity; warmupMs: number },
  options: LogsOptions = {},
): Promise<LogsJudgement> {
  const request = { query: logs.query, start: range.start, end: range.end, limit: logs.maxLines, ...(options.signal && { signal: options.signal }), ...(options.deadline !== undefined && { deadline: options.deadline }) };
  const historyRead =
    logs.historyMs > 0
      ? source.fetchLogs({ ...request, group: selection(logs, groups.baseline), start: new Date(range.start.getTime() - logs.historyMs), end: range.start }).catch((error: unknown) => {
          if (!(error instanceof CollectError)) throw error;
          options.onHistoryError?.(error);
          return undefined;
        })
      : Promise.resolve(undefined);
  const [canary, baseline, history] = await Promise.all([
    source.fetchLogs({ ...request, group: selection(logs, groups.canary) }),
    source.fetchLogs({ ...request, group: selection(logs, groups.baseline) }),
    historyRead,
  ]);
  const warmEnd = range.start.getTime() + Math.min(settings.warmupMs, (range.end.getTime() - range.start.getTime()) / 2);
  const counted = countTemplates({
    canary: canary.lines.filter((line) => line.time > warmEnd),
    baseline: baseline.lines,
    ...(history && { history: history.lines }),
  });
  const feedback = new Map<string, FeedbackMark>();
  for (const [template, mark] of options.feedback ?? []) {
    const matched = counted.miner.match(template);
    if (matched) feedback.set(matched.id, mark);
  }
  const judged = judgeLogs({ templates: counted.templates, volumes: counted.volumes, sensitivity: logs.sensitivity ?? settings.sensitivity, feedback });
  // Only the source's own warnings (a partial answer) cast doubt on a pass; a sample above maxLines is by design.
  const warnings = [...new Set([...canary.warnings, ...baseline.warnings])];
  const totals = { canary: totalAbove(canary), baseline: totalAbove(baseline) };
  return {
    kind: 'logs',
    name: 'logs',
    classification: judged.classification,
    severity: judged.severity,
    critical: logs.critical,
    weight: logs.weight,
    mustHaveData: logs.mustHaveData,
    reason: `logs: ${judged.reason}`,
    findings: judged.findings,
    more: judged.more,
    volumes: counted.volumes,
    ...((totals.canary !== undefined || totals.baseline !== undefined) && { totals }),
    ...(warnings.length && { warnings }),
  };
}
