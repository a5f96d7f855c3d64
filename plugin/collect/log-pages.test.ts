import { describe, expect, it } from 'vitest';
import { msToNs, nsToIso, nsToMs, readNewestFirst } from './log-pages.js';

interface Line {
  ns: bigint;
  id: number;
}

/** A store holding `times` (one line each), answering the `size` newest before `end`, ties in an order of its own. */
function store(times: number[]) {
  const lines: Line[] = times.map((t, id) => ({ ns: BigInt(t), id }));
  const asked: { end: bigint; size: number }[] = [];
  const fetchPage = async (end: bigint, size: number) => {
    asked.push({ end, size });
    // Ties come in a different order on every request, as a store merging shards may answer them.
    const shuffled = lines.filter((line) => line.ns < end).sort((a, b) => (a.ns === b.ns ? ((a.id * 7 + asked.length) % 5) - ((b.id * 7 + asked.length) % 5) : a.ns < b.ns ? 1 : -1));
    return shuffled.slice(0, size);
  };
  return { lines, asked, fetchPage };
}

const ids = (lines: Line[]) => lines.map((line) => line.id).sort((a, b) => a - b);

describe('readNewestFirst', () => {
  it('reads every line of a range over several pages, lines sharing an instant across a page boundary once each', async () => {
    // Two lines at 50: the first page of 3 holds one of them.
    const { lines, asked, fetchPage } = store([10, 50, 50, 60, 70]);
    const read = await readNewestFirst(fetchPage, { endNs: 100n, limit: 100, pageSize: 3 });
    expect(read.complete).toBe(true);
    expect(read.warnings).toEqual([]);
    expect(ids(read.lines)).toEqual(ids(lines));
    // The second page ends just after 50, the first page's oldest line, and holds both; the third just after 10.
    expect(asked.map((a) => a.end)).toEqual([100n, 51n, 11n]);
  });

  it('stops at the limit, with the newest lines, and says the range was not read whole', async () => {
    const { fetchPage } = store([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const read = await readNewestFirst(fetchPage, { endNs: 100n, limit: 4, pageSize: 3 });
    expect(read.lines.map((line) => line.ns).sort()).toEqual([6n, 7n, 8n, 9n]);
    expect(read.complete).toBe(false);
  });

  it('asks for no more than the lines still wanted', async () => {
    const { asked, fetchPage } = store([1, 2, 3, 4, 5]);
    const read = await readNewestFirst(fetchPage, { endNs: 100n, limit: 5, pageSize: 3 });
    expect(asked.map((a) => a.size)).toEqual([3, 3]);
    expect(read.lines).toHaveLength(5);
    // Exactly the limit: whether more lines exist is not known.
    expect(read.complete).toBe(false);
  });

  it('is complete when a page comes back short, even empty', async () => {
    expect(await readNewestFirst(store([]).fetchPage, { endNs: 100n, limit: 10, pageSize: 3 })).toEqual({ lines: [], complete: true, warnings: [] });
    const { fetchPage } = store([5, 6, 7]);
    expect((await readNewestFirst(fetchPage, { endNs: 100n, limit: 10, pageSize: 3 })).complete).toBe(true);
  });

  it('moves past an instant with more lines than a page, keeping a page of them and saying so', async () => {
    const times = [5, 7, 7, 7, 7, 7, 9];
    const { fetchPage } = store(times);
    const read = await readNewestFirst(fetchPage, { endNs: 100n, limit: 100, pageSize: 3 });
    expect(read.lines.map((line) => line.ns).sort()).toEqual([5n, 7n, 7n, 7n, 9n]);
    expect(read.complete).toBe(false);
    expect(read.warnings).toEqual([`3 or more lines at ${nsToIso(7n)}: 3 of them were read`]);
  });
});

describe('time conversions', () => {
  it('shows nanoseconds in RFC 3339', () => {
    expect(nsToIso(1_767_225_600_000_000_001n)).toBe('2026-01-01T00:00:00.000000001Z');
  });

  it('rounds a line up to its millisecond, so that a line after the start is after it in milliseconds too', () => {
    const start = Date.parse('2026-01-01T00:00:00Z');
    expect(nsToMs(msToNs(start) + 1n)).toBe(start + 1);
    expect(nsToMs(msToNs(start))).toBe(start);
  });
});
