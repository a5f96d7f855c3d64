// Past periods of a service's stable version: what the judge learns the usual spread between its pods from.
import type { Random } from './random.js';
import { drawPod, NO_EFFECT, simulatePod, type PodModel, type SimulatedPod } from './simulate.js';

/** Eight past days, each an hour of 5-minute steps at the same time of day as the window. */
export const HISTORY = { periods: 8, periodS: 86_400, stepS: 300, steps: 12 } as const;

/**
 * `pods` fresh stable pods per period (new persistent factors from `model.noise`), no regression; period p
 * begins (p + 1) days before `startS`, so every sample is older than the window.
 */
export function drawHistory(random: Random, model: PodModel, pods: number, startS: number): SimulatedPod[][] {
  return Array.from({ length: HISTORY.periods }, (_, p) => {
    const timing = { startS: startS - (p + 1) * HISTORY.periodS, stepS: HISTORY.stepS, steps: HISTORY.steps };
    return Array.from({ length: pods }, (_, i) => {
      const pod = drawPod(random, model.noise, `web-old${p}-${i}`, false);
      return { name: pod.name, series: simulatePod(random, pod, model, timing, () => NO_EFFECT) };
    });
  });
}
