// Wall-clock timings of the report benchmark, in milliseconds rounded to 0.1 as bench/percentile.ts rounds them.
import { percentile } from '../percentile.js';

/** Milliseconds `work` takes, and what it gave. */
export async function timed<T>(work: () => T | Promise<T>): Promise<{ ms: number; value: T }> {
  const began = performance.now();
  const value = await work();
  return { ms: performance.now() - began, value };
}

/** `work` run `times` times in a row: each run's milliseconds and the last run's value. */
export async function repeated<T>(times: number, work: () => T | Promise<T>): Promise<{ runs: number[]; value: T }> {
  const runs: number[] = [];
  let last: { ms: number; value: T } | undefined;
  for (let i = 0; i < times; i++) {
    last = await timed(work);
    runs.push(round1(last.ms));
  }
  if (!last) throw new Error(`repeat: expected at least one run; got ${times}`);
  return { runs, value: last.value };
}

export const round1 = (ms: number) => Math.round(ms * 10) / 10;

export const medianMs = (values: number[]) => percentile(values, 0.5);

export const meanMs = (values: readonly number[]) => round1(values.reduce((a, b) => a + b, 0) / values.length);

/** a / b to one decimal: how many times longer a takes. */
export const ratio = (a: number, b: number) => round1(a / b);
