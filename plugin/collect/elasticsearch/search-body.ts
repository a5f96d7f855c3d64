// The body of one search of a group's lines: the config's query string, the group's filter and the page's time range
// as filters of one bool query (none can widen another), newest first, only the fields a line needs. The range is
// in whole milliseconds, so that a date_nanos field is cut where a date field is: (start, end] holds the lines of
// the milliseconds start+1 to end, and consecutive ranges share no line.
import { groupFilter } from './dialect.js';
import type { SearchSettings } from './settings.js';
import type { LogGroupSelection } from '../source.js';

export interface PageQuery {
  /** The config's query string. */
  query: string;
  group: LogGroupSelection;
  /** The range's start, exclusive, in epoch milliseconds. */
  startMs: number;
  /** The page's end, exclusive, in nanoseconds (log-pages.ts). */
  endNs: bigint;
  size: number;
  /** Count every line of the range (the first page): `hits.total` is then exact. */
  countTotal: boolean;
}

/** The share of the request's timeout the cluster is asked to search within, so that a partial answer comes back in time. */
const SEARCH_SHARE_OF_TIMEOUT = 0.8;

/** The fields a line is read from: its message, its pod and, when configured, its level. */
export function sourceFields(settings: Pick<SearchSettings, 'messageField' | 'levelField'>, instanceField: string): string[] {
  return [...new Set([settings.messageField, instanceField, ...(settings.levelField ? [settings.levelField] : [])])];
}

export function pageBody(page: PageQuery, settings: Pick<SearchSettings, 'timeField' | 'messageField' | 'levelField' | 'timeout'>): Record<string, unknown> {
  // The first millisecond after the page's end: every line of a millisecond before it, at any precision.
  const endMs = (page.endNs + 999_999n) / 1_000_000n;
  return {
    size: page.size,
    query: {
      bool: {
        filter: [
          { query_string: { query: page.query } },
          { range: { [settings.timeField]: { gte: page.startMs + 1, lt: Number(endMs), format: 'epoch_millis' } } },
          groupFilter(page.group),
        ],
      },
    },
    // numeric_type: sort values in milliseconds for date and date_nanos fields alike; unmapped_type: an index of the
    // pattern without the field has no line rather than a failed shard.
    sort: [{ [settings.timeField]: { order: 'desc', numeric_type: 'date', unmapped_type: 'date' } }],
    _source: { includes: sourceFields(settings, page.group.instanceField) },
    track_total_hits: page.countTotal,
    timeout: `${Math.max(1, Math.floor(settings.timeout * SEARCH_SHARE_OF_TIMEOUT))}ms`,
  };
}
