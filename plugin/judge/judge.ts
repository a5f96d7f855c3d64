// The judge's entry point: every metric judged at one look of the window, combined into a verdict. Before the
// window closes it may only fail (a conclusive regression at the stricter interim level), never pass. The
// false-alarm budget is the verification's, shared by every side of every metric.
import { judgeMetric, sidesOf } from './metric.js';
import type { Judgement, JudgeResult, JudgeSettings, LogsJudgement, Look, MetricInput, MetricJudgement } from './types.js';
import { combineJudgements, verdictPhase, worstFirst } from './verdict.js';

/** Every metric judged at `look`, with the logs' judgement when the look has one, combined into one result. */
export function judgeVerification(settings: JudgeSettings, inputs: readonly MetricInput[], look: Look, logs?: LogsJudgement): JudgeResult {
  const tests = inputs.reduce((sum, input) => sum + sidesOf(input.metric.direction).length, 0);
  // A warm-up never takes more than half of the window: the canary must still be judged.
  const warmupMs = Math.min(settings.warmupMs, look.durationMs / 2);
  const at = { sensitivity: settings.sensitivity, look, tests, warmupMs };
  const { verdict, score, judgements, partial, unsettled } = combineJudgements<MetricJudgement | LogsJudgement>([...inputs.map((input) => judgeMetric(input, at)), ...(logs ? [logs] : [])]);
  const metrics = judgements.filter((j): j is MetricJudgement => j.kind !== 'logs');
  const withLogs = logs ? { logs } : {};
  const closed = look.elapsedMs >= look.durationMs;
  const phase = verdictPhase(verdict, settings, { partial, unsettled });
  // Early, only a regression decides: missing data may still arrive and a pass needs the whole window.
  const regressed = verdict === 'Unhealthy' || (verdict === 'MediumHealthy' && phase === 'Failed');
  if (closed || regressed) return { final: true, verdict, phase, score, metrics, ...withLogs };
  return { final: false, verdict: null, phase: 'Running', score: null, metrics, ...withLogs };
}

/** Every judgement of a result, the logs' among the metrics', worst first: what its reasons are taken from. */
export function judgementsOf(result: JudgeResult): Judgement[] {
  return result.logs ? worstFirst<Judgement>([...result.metrics, result.logs]) : result.metrics;
}
