// Judging a parsed request as of one `now`: the data inside the window up to then, the look it is, the judge.
import { judgeVerification } from '../judge/judge.js';
import type { Look, MetricInput } from '../judge/types.js';
import { groupWithin, lookElapsedMs } from '../verify/window.js';
import { toOutput, type JudgeOutput } from './output.js';
import type { JudgeRequest } from './request.js';

/**
 * The judge's answer as of `nowS` (unix seconds; the request's own `now` by default): the samples with
 * start < t <= the last whole interval before `now` (or the end), judged as the look at that interval. Pure and cheap: the request is
 * parsed once and may be evaluated at any number of `now`s.
 */
export function evaluateRequest(request: JudgeRequest, nowS: number = request.nowS): JudgeOutput {
  if (!Number.isFinite(nowS) || nowS < request.startS) throw new RangeError(`now (${nowS}) must be a unix time at or after the window start (${request.startS})`);
  // Whole intervals only, as the engine looks (window.ts): polling more often repeats a look.
  const elapsedMs = lookElapsedMs((nowS - request.startS) * 1000, request.durationMs, request.intervalMs);
  const untilS = request.startS + elapsedMs / 1000;
  const inputs: MetricInput[] = request.metrics.map((metric) => {
    const data = request.data.get(metric.name)!;
    const history = request.history.get(metric.name);
    const since = request.canarySince.get(metric.name)!;
    return {
      metric,
      canary: groupWithin(data.canary, request.startS, untilS),
      baseline: groupWithin(data.baseline, request.startS, untilS),
      ...(history ? { history } : {}),
      ...(since.size ? { canarySince: since } : {}),
    };
  });
  const look: Look = { elapsedMs, durationMs: request.durationMs, intervalMs: request.intervalMs };
  return toOutput(judgeVerification(request.settings, inputs, look));
}
