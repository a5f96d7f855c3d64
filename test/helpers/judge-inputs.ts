// Offline judge inputs for tests: seeded series of canary and baseline pods in 30-second steps from START.
import { poisson, seededRandom, standardNormal, type Random } from '../../shared/random.js';

/** 2026-01-01T12:00:00Z. */
export const START_S = Date.parse('2026-01-01T12:00:00Z') / 1000;
export const STEP_S = 30;

export const CANARY_PODS = ['web-new-a', 'web-new-b', 'web-new-c'];
export const BASELINE_PODS = ['web-old-a', 'web-old-b', 'web-old-c', 'web-old-d', 'web-old-e', 'web-old-f', 'web-old-g', 'web-old-h'];

export function iso(unixS: number): string {
  return new Date(unixS * 1000).toISOString();
}

function times(steps: number): number[] {
  return Array.from({ length: steps }, (_, i) => START_S + STEP_S * (i + 1));
}

/** Per-pod levels around `level`: pods differ by ~3%, steps by ~2%. */
export function levelSeries(random: Random, pods: readonly string[], steps: number, level: number): Record<string, [number, number][]> {
  return Object.fromEntries(
    pods.map((pod) => {
      const podLevel = level * Math.exp(0.03 * standardNormal(random));
      return [pod, times(steps).map((t): [number, number] => [t, podLevel * Math.exp(0.02 * standardNormal(random))])];
    }),
  );
}

/** Per-pod requests and errors per step at an error `rate`. */
export function ratioSeries(random: Random, pods: readonly string[], steps: number, requestsPerStep: number, rate: number) {
  return Object.fromEntries(
    pods.map((pod) => {
      const denominator = times(steps).map((t): [number, number] => [t, poisson(random, requestsPerStep)]);
      const numerator = denominator.map(([t, requests]): [number, number] => [t, poisson(random, requests * rate)]);
      return [pod, { numerator, denominator }];
    }),
  );
}

export interface InputOptions {
  duration?: string;
  nowS?: number;
  steps?: number;
  requestsPerStep?: number;
  canaryErrorRate?: number;
  canaryLatency?: number;
  seed?: number;
  config?: Record<string, unknown>;
}

/** An errors (ratio) + latency input; the baseline has 1% errors and 100 ms latency. */
export function judgeInput(options: InputOptions = {}) {
  const random = seededRandom(options.seed ?? 1);
  const steps = options.steps ?? 10;
  const requests = options.requestsPerStep ?? 500;
  return {
    config: {
      duration: options.duration ?? '5m',
      metrics: [
        { name: 'errors', kind: 'ratio' },
        { name: 'latency', kind: 'latency' },
      ],
      ...options.config,
    },
    start: iso(START_S),
    now: iso(options.nowS ?? START_S + steps * STEP_S),
    data: {
      errors: {
        canary: ratioSeries(random, CANARY_PODS, steps, requests, options.canaryErrorRate ?? 0.01),
        baseline: ratioSeries(random, BASELINE_PODS, steps, requests, 0.01),
      },
      latency: {
        canary: levelSeries(random, CANARY_PODS, steps, options.canaryLatency ?? 100),
        baseline: levelSeries(random, BASELINE_PODS, steps, 100),
      },
    },
  };
}
