// The service's history for the judge: the same metrics for the stable ReplicaSet's pods over the lookback
// before the window, split into periods of pods side by side (restarts, rescheduling and scaling give new pods).
// From it the judge learns how much pods of this service differ (judge/spread.ts), which two or three stable pods
// cannot tell. Queried from the source like the window itself; kept a while in memory only because it does not
// change during a window.
import { increasesPerStep } from '../collect/counters.js';
import { CollectError, type GroupSelection, type HealthSource, type InstanceSeries } from '../collect/source.js';
import type { VerifyConfig } from '../config/schema.js';
import type { GroupData } from '../judge/types.js';
import type { VerificationWindow } from './window.js';

/** Points per period: enough for each pod's level in it, few enough that a day of history is a small answer. */
const STEPS_PER_PERIOD = 12;
const CACHE_ENTRIES = 500;
const CACHE_MS = 15 * 60_000;

/** Per metric name, the history's periods, oldest first; metrics whose history could not be read are absent. */
export type History = Map<string, GroupData[]>;

/** Samples with from < t ≤ to. */
function slice(series: InstanceSeries, from: number, to: number): InstanceSeries {
  const result: InstanceSeries = new Map();
  for (const [instance, samples] of series) {
    const inside = samples.filter(([t]) => t > from && t <= to);
    if (inside.length) result.set(instance, inside);
  }
  return result;
}

/** The lookback (startS − lookback, startS] cut into periods, each the pods that have data in it. */
export function periodsOf(data: GroupData, startS: number, lookbackS: number, periodS: number): GroupData[] {
  const periods: GroupData[] = [];
  for (let from = startS - lookbackS; from < startS; from += periodS) {
    const to = Math.min(from + periodS, startS);
    const period: GroupData = data instanceof Map ? slice(data, from, to) : { numerator: slice(data.numerator, from, to), denominator: slice(data.denominator, from, to) };
    if ((period instanceof Map ? period : period.denominator).size >= 2) periods.push(period);
  }
  return periods;
}

const cache = new Map<string, { expires: number; history: Promise<History> }>();

/**
 * The history of every metric of `config` before `window` for the pods of `group`, the stable version's (an
 * empty map with history turned off). The stable version's own pods: other ReplicaSets would need a selector the
 * queries may not narrow to this service (a metric many services export), and another version's pods are not
 * this one's spread. A metric whose
 * history cannot be read is left out: the judge then assumes a wide spread between pods, which can only make
 * it more cautious. Throws nothing.
 */
export function collectHistory(config: VerifyConfig, group: GroupSelection, window: VerificationWindow, source: HealthSource, options: { signal?: AbortSignal; deadline?: number; onError?: (error: CollectError) => void } = {}): Promise<History> {
  const { lookbackMs, periodMs } = config.history;
  if (lookbackMs === 0) return Promise.resolve(new Map());
  const key = JSON.stringify([source.description, config.source, config.metrics, group, config.history, window.start.getTime()]);
  const now = Date.now();
  const cached = cache.get(key);
  if (cached && cached.expires > now) return cached.history;
  const read = readHistory(config, group, window, source, options);
  const history = read.then(({ history }) => history);
  cache.set(key, { expires: now + CACHE_MS, history });
  if (cache.size > CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
  // A history with a metric missing (a cancelled look, a source down) is read again at the next look.
  void read.then(({ complete }) => complete || cache.delete(key), () => cache.delete(key));
  return history;
}

async function readHistory(
  config: VerifyConfig,
  group: GroupSelection,
  window: VerificationWindow,
  source: HealthSource,
  { signal, deadline, onError }: { signal?: AbortSignal; deadline?: number; onError?: (error: CollectError) => void },
): Promise<{ history: History; complete: boolean }> {
  const { lookbackMs, periodMs } = config.history;
  const startS = window.start.getTime() / 1000;
  const range = { start: new Date(window.start.getTime() - lookbackMs), end: window.start, stepMs: periodMs / STEPS_PER_PERIOD, signal, deadline };
  const reads = new Map<string, Promise<InstanceSeries>>();
  const read = (name: string, query: string, cumulative = false) => {
    const key = `${cumulative}\n${query}`;
    let answer = reads.get(key);
    if (!answer) {
      answer = source.fetchSeries({ ...range, metric: { name, query }, group, ...(cumulative ? { cumulative } : {}) }).then((fetched) => fetched.series);
      reads.set(key, answer);
    }
    return answer;
  };
  const history: History = new Map();
  let complete = true;
  await Promise.all(
    config.metrics.map(async (metric) => {
      try {
        const data: GroupData =
          metric.kind === 'ratio'
            ? increasesPerStep(...(await Promise.all([read(`${metric.name} (numerator, history)`, metric.numerator, true), read(`${metric.name} (denominator, history)`, metric.denominator, true)])), range.start.getTime() / 1000)
            : await read(`${metric.name} (history)`, metric.query);
        history.set(metric.name, periodsOf(data, startS, lookbackMs / 1000, periodMs / 1000));
      } catch (error) {
        // Whatever went wrong, the metric is judged without history rather than not at all.
        complete = false;
        onError?.(error instanceof CollectError ? error : new CollectError(metric.name, source.description, String(error)));
      }
    }),
  );
  return { history, complete };
}
