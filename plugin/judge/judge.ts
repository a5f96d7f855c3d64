// The judge's entry point: every metric judged at one look of the window, combined into a verdict. Before the
// window closes it may only fail (a conclusive regression at the stricter interim level), never pass.
import { judgeMetric } from './metric.js';
import type { JudgeResult, JudgeSettings, Look, MetricInput } from './types.js';
import { combineJudgements, verdictPhase } from './verdict.js';

export function judgeVerification(settings: JudgeSettings, inputs: readonly MetricInput[], look: Look): JudgeResult {
  const { verdict, score, metrics, partial } = combineJudgements(inputs.map((input) => judgeMetric(input, settings.sensitivity, look)));
  const closed = look.elapsedMs >= look.durationMs;
  const phase = verdictPhase(verdict, settings, partial);
  // Early, only a regression decides: missing data may still arrive and a pass needs the whole window.
  const regressed = verdict === 'Unhealthy' || (verdict === 'MediumHealthy' && phase === 'Failed');
  if (closed || regressed) return { final: true, verdict, phase, score, metrics };
  return { final: false, verdict: null, phase: 'Running', score: null, metrics };
}
