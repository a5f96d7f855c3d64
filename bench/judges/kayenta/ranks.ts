// Ranks with ties averaged, as the rank-sum test and the CLES need.

/**
 * 1-based ranks of `values`; tied values share the mean of the ranks they span. NaN sorts above every
 * number (it is never expected after pre-processing, but this keeps the ranking total).
 */
export function averageRanks(values: readonly number[]): number[] {
  const order = values.map((_, i) => i);
  order.sort((a, b) => compareNaNLast(values[a] as number, values[b] as number));
  const ranks = new Array<number>(values.length);
  let start = 0;
  while (start < order.length) {
    let end = start + 1;
    while (end < order.length && sameValue(values[order[end] as number] as number, values[order[start] as number] as number)) end++;
    // Positions start..end-1 hold ranks start+1..end; their mean is (start + 1 + end) / 2.
    const rank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) ranks[order[k] as number] = rank;
    start = end;
  }
  return ranks;
}

/** A copy in ascending order, NaN last. */
export function ascending(values: readonly number[]): number[] {
  return [...values].sort(compareNaNLast);
}

function compareNaNLast(a: number, b: number): number {
  if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : 1;
  if (Number.isNaN(b)) return -1;
  return a - b;
}

function sameValue(a: number, b: number): boolean {
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}
