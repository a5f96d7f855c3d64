// A canary pod's first minutes are often slower (cold caches, JIT): its warm-up is left out of the comparison.
// It counts from when the pod was first seen: before the window when the data show it running already (a later
// canary step's pods), else from its first sample in the window.
import { isRatioGroup, type GroupData } from './types.js';

/** When a canary instance's warm-up ends: `warmupS` after `since` knows it was first seen, else after its first sample. */
export function warmUntil(warmupS: number, since?: ReadonlyMap<string, number>): (first: number, instance: string) => number {
  return (first, instance) => (since?.get(instance) ?? first) + warmupS;
}

/** Each instance's first sample time (a ratio's: its denominator's), for the instances seen at or before `startS`. */
export function seenBefore(group: GroupData, startS: number): Map<string, number> {
  const since = new Map<string, number>();
  for (const [instance, samples] of isRatioGroup(group) ? group.denominator : group) if (samples.length && samples[0]![0] <= startS) since.set(instance, samples[0]![0]);
  return since;
}
