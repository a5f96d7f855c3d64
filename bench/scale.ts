// CPU of one full verification at scale: 50 metrics (ten of each kind) × 20 instances (2 canary, 18 baseline)
// × 10 steps, judged at each of its 10 looks as the engine polls. Only the judge is timed; the data are built
// beforehand, as the engine has them from its source.
import type { InstanceSeries, Sample } from '../plugin/collect/source.js';
import { DEFAULT_WARMUP_MS } from '../plugin/config/schema.js';
import { judgeVerification } from '../plugin/judge/judge.js';
import { METRIC_KINDS, type GroupData, type MetricInput } from '../plugin/judge/types.js';
import { poisson, seededRandom, standardNormal } from '../shared/random.js';

export const SCALE = { metrics: 50, instances: 20, canaryInstances: 2, steps: 10, stepS: 30 } as const;
const START_S = 1_767_225_600;

export function build(seed: number): GroupData[][] {
  const random = seededRandom(seed);
  const pods = Array.from({ length: SCALE.instances }, (_, i) => (i < SCALE.canaryInstances ? `canary-${i}` : `stable-${i}`));
  const series = (value: () => number) => pods.map((pod) => [pod, Array.from({ length: SCALE.steps }, (_, s): Sample => [START_S + (s + 1) * SCALE.stepS, value()])] as const);
  const split = (all: ReadonlyArray<readonly [string, Sample[]]>): [InstanceSeries, InstanceSeries] => [
    new Map(all.slice(0, SCALE.canaryInstances)),
    new Map(all.slice(SCALE.canaryInstances)),
  ];
  return Array.from({ length: SCALE.metrics }, (_, m) => {
    if (METRIC_KINDS[m % METRIC_KINDS.length] === 'ratio') {
      const requests = series(() => poisson(random, 1500));
      const errors = requests.map(([pod, points]) => [pod, points.map(([t, n]): Sample => [t, poisson(random, n * 0.01)])] as const);
      const [cn, bn] = split(errors);
      const [cd, bd] = split(requests);
      return [{ numerator: cn, denominator: cd }, { numerator: bn, denominator: bd }];
    }
    return split(series(() => 100 * Math.exp(0.05 * standardNormal(random))));
  });
}

/** The metric inputs as of each look: the data up to that step. */
export function looks(data: GroupData[][]): MetricInput[][] {
  const until = (group: InstanceSeries, endS: number): InstanceSeries => new Map([...group].map(([pod, points]) => [pod, points.filter(([t]) => t <= endS)]));
  const cut = (group: GroupData, endS: number): GroupData =>
    group instanceof Map ? until(group, endS) : { numerator: until(group.numerator, endS), denominator: until(group.denominator, endS) };
  return Array.from({ length: SCALE.steps }, (_, look) =>
    data.map(([canary, baseline], m) => {
      const endS = START_S + (look + 1) * SCALE.stepS;
      const kind = METRIC_KINDS[m % METRIC_KINDS.length]!;
      return {
        metric: { name: `m${m}`, kind, direction: 'higher-is-bad', critical: false, weight: 1, mustHaveData: true },
        canary: cut(canary!, endS),
        baseline: cut(baseline!, endS),
      };
    }),
  );
}

export interface ScaleResult {
  /** Median CPU ms of judging the whole window once: the verdict at its end. */
  finalLookMs: number;
  /** Median CPU ms of all the looks of the window, as the engine polls (the first nine may only fail early). */
  allLooksMs: number;
}

function cpuMs(run: () => void): number {
  const before = process.cpuUsage();
  run();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** CPU of a full verification over `repeats` runs on different data, after warming up (the engine is a long-running service). */
export function measureScale(repeats = 15): ScaleResult {
  const durationMs = SCALE.steps * SCALE.stepS * 1000;
  const settings = { sensitivity: 'high', failOnNoData: true, unhealthyPhase: 'Failed', warmupMs: DEFAULT_WARMUP_MS } as const;
  const judgeLook = (metrics: MetricInput[], look: number) =>
    judgeVerification(settings, metrics, { elapsedMs: look * SCALE.stepS * 1000, durationMs, intervalMs: SCALE.stepS * 1000 });
  const warmUp = 30;
  const finalLook: number[] = [];
  const allLooks: number[] = [];
  for (let r = 0; r < warmUp + repeats; r++) {
    const inputs = looks(build(r + 1));
    const all = cpuMs(() => inputs.forEach((metrics, i) => judgeLook(metrics, i + 1)));
    const last = cpuMs(() => judgeLook(inputs[inputs.length - 1]!, inputs.length));
    if (r < warmUp) continue;
    allLooks.push(all);
    finalLook.push(last);
  }
  return { finalLookMs: median(finalLook), allLooksMs: median(allLooks) };
}
