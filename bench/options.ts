// Command-line options the benchmarks share.

/** A positive integer option's value, `fallback` when it was not given. */
export function positiveInteger(text: string | undefined, option: string, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${option}: expected a positive integer; got ${JSON.stringify(text)}`);
  return value;
}
