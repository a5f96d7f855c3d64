// Reading a log store's lines newest first, a page at a time, for the stores that answer "the N newest lines of
// [start, end)" (Loki with direction=backward, VictoriaLogs with limit=N). Each next page ends where the last one
// reached. Lines sharing the oldest time of a full page may have been split between that page and the next, and
// nothing tells which of them came (two identical lines at one instant are two lines), so they are left out of the
// page and read again, all of them, as the newest of the next one.

/** A line with its time in nanoseconds, the store's own precision. */
export interface TimedLine {
  ns: bigint;
}

export interface PagesRequest {
  /** The exclusive end of the range, in nanoseconds; the store's request carries the range's start itself. */
  endNs: bigint;
  /** Most lines to read in all. */
  limit: number;
  /** Most lines to ask for in one request (the store's own limit, or a response size the engine accepts). */
  pageSize: number;
}

export interface ReadLines<T> {
  /** At most `limit` lines, the newest of the range. */
  lines: T[];
  /** Every line of the range was read: their number is the range's total. */
  complete: boolean;
  /** Lines of the range that may have been left out below the limit: a page of them or more share one instant. */
  warnings: string[];
}

/** `fetchPage(endNs, size)` answers at most `size` lines of [start, endNs), the newest ones, in any order. */
export async function readNewestFirst<T extends TimedLine>(fetchPage: (endNs: bigint, size: number) => Promise<T[]>, request: PagesRequest): Promise<ReadLines<T>> {
  const lines: T[] = [];
  const warnings: string[] = [];
  let end = request.endNs;
  let skipped = false;
  while (lines.length < request.limit) {
    const remaining = request.limit - lines.length;
    const size = Math.min(request.pageSize, remaining);
    const page = await fetchPage(end, size);
    if (page.length < size) {
      lines.push(...page);
      return { lines, complete: !skipped, warnings };
    }
    if (size === remaining) {
      // The limit is reached: which lines of the oldest instant are kept no longer matters.
      lines.push(...page.slice(0, remaining));
      break;
    }
    const oldest = page.reduce((min, line) => (line.ns < min ? line.ns : min), page[0]!.ns);
    const newer = page.filter((line) => line.ns > oldest);
    if (newer.length === 0) {
      // A whole page at one instant: reading it again would answer the same page. The rest of that instant is left.
      lines.push(...page);
      warnings.push(`${size} or more lines at ${nsToIso(oldest)}: ${size} of them were read`);
      skipped = true;
      end = oldest;
    } else {
      lines.push(...newer);
      end = oldest + 1n;
    }
  }
  return { lines, complete: false, warnings };
}

/** RFC 3339 UTC with nanoseconds: "2026-01-01T00:00:00.000000001Z". */
export function nsToIso(ns: bigint): string {
  const seconds = ns / 1_000_000_000n;
  const fraction = (ns % 1_000_000_000n).toString().padStart(9, '0');
  return new Date(Number(seconds) * 1000).toISOString().replace(/\.\d{3}Z$/, `.${fraction}Z`);
}

/** Epoch milliseconds as nanoseconds. */
export function msToNs(ms: number): bigint {
  return BigInt(ms) * 1_000_000n;
}

/**
 * A line's epoch milliseconds from its nanoseconds, rounded up: a line after `start` by less than a millisecond is
 * still after it (start < time ≤ end holds in milliseconds as it does in nanoseconds).
 */
export function nsToMs(ns: bigint): number {
  return Number((ns + 999_999n) / 1_000_000n);
}
