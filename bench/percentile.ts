// The percentile the load benchmarks (bench:bot, bench:engine) report.

/** Nearest-rank percentile (`q` from 0 to 1) of milliseconds, rounded to 0.1 ms; 0 for no values. */
export function percentile(values: number[], q: number): number {
  if (!values.length) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.max(Math.ceil(q * sorted.length) - 1, 0)]! * 10) / 10;
}
