// Judging a parsed request as of one `now`: the data inside the window up to then, the look it is, the judge.
import type { InstanceSeries, Sample } from '../collect/source.js';
import { judgeVerification } from '../judge/judge.js';
import { isRatioGroup, type GroupData, type Look, type MetricInput } from '../judge/types.js';
import { lookElapsedMs } from '../verify/window.js';
import { toOutput, type JudgeOutput } from './output.js';
import type { JudgeRequest } from './request.js';

/** Index of the first sample with time > t in a series sorted by time. */
function firstAfter(samples: readonly Sample[], t: number): number {
  let low = 0;
  let high = samples.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (samples[mid]![0] > t) high = mid;
    else low = mid + 1;
  }
  return low;
}

/** Samples with fromS < t <= untilS. */
function within(series: InstanceSeries, fromS: number, untilS: number): InstanceSeries {
  const result: InstanceSeries = new Map();
  for (const [instance, samples] of series) result.set(instance, samples.slice(firstAfter(samples, fromS), firstAfter(samples, untilS)));
  return result;
}

function groupWithin(group: GroupData, fromS: number, untilS: number): GroupData {
  return isRatioGroup(group)
    ? { numerator: within(group.numerator, fromS, untilS), denominator: within(group.denominator, fromS, untilS) }
    : within(group, fromS, untilS);
}

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
