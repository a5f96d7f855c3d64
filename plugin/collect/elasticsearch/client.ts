// Elasticsearch or OpenSearch as a log source: one group's lines over (start, end] through _search, newest first, a
// page of at most pageSize lines at a time up to the caller's limit (log-pages.ts: a page that ends inside one
// millisecond leaves that millisecond to the next page, which reads all of it). The first page counts every line
// of the range exactly (track_total_hits), so that a read stopped at the limit says how many lines there were.
// Each search is made as every request to the cluster is (cluster-request.ts: the credentials folder, the engine's
// queue, retries of what may pass, refusals in the cluster's words).
import { clip } from '../../../shared/text.js';
import { msToNs, readNewestFirst } from '../log-pages.js';
import type { Fail } from '../queued-request.js';
import { RequestQueue } from '../request-queue.js';
import { CollectError, type FetchedLogs, type LogSource, type LogsRequest, type SourceOptions } from '../source.js';
import { connectCluster, TITLES } from './cluster-request.js';
import { readPage, type Entry } from './response.js';
import { pageBody } from './search-body.js';
import type { SearchSettings } from './settings.js';
import type { Product } from './transport.js';

const MAX_QUERY_CHARS_SHOWN = 200;

// Shared by every source the engine makes unless it is given its own (tests, the command line).
const defaultQueue = new RequestQueue();

export function createSearchLogSource(product: Product, settings: SearchSettings, options: SourceOptions = {}): LogSource {
  const title = TITLES[product];
  const description = `${title} at ${settings.address}, index ${settings.index}`;
  const queue = options.queue ?? defaultQueue;

  async function fetchLogs(request: LogsRequest): Promise<FetchedLogs> {
    const shown = clip(request.query, MAX_QUERY_CHARS_SHOWN);
    const fail: Fail = (cause, transient = false) => new CollectError('logs', description, `${cause} (query ${shown})`, transient);
    const startMs = request.start.getTime();
    if (request.end.getTime() <= startMs) return { lines: [], total: 0, warnings: [] };
    // The credentials folder as it is now, for every page of this read.
    const cluster = await connectCluster(product, settings, { credentialsDir: options.credentialsDir, queue }, fail);
    const warnings: string[] = [];
    let counted: number | undefined;
    let first = true;

    const fetchPage = async (endNs: bigint, size: number): Promise<Entry[]> => {
      const countTotal = first;
      first = false;
      const body = pageBody({ query: request.query, group: request.group, startMs, endNs, size, countTotal }, settings);
      const reply = await cluster.send({ kind: 'search', body }, request);
      const page = readPage(reply.body, reply.contentType, { ...settings, instanceField: request.group.instanceField }, fail);
      if (page.entries.length > size) throw fail(`${title} answered ${page.entries.length} lines to a search for at most ${size}`);
      if (countTotal) counted = page.total;
      warnings.push(...page.warnings);
      return page.entries;
    };

    const read = await readNewestFirst(fetchPage, { endNs: msToNs(request.end.getTime()) + 1n, limit: request.limit, pageSize: settings.pageSize });
    const lines = read.lines.map(({ line }) => line);
    // Lines written while the pages were read can make the count lag behind them.
    const total = read.complete ? lines.length : counted === undefined ? undefined : Math.max(counted, lines.length);
    return { lines, ...(total !== undefined && { total }), warnings: [...new Set([...warnings, ...read.warnings])] };
  }

  return { description, fetchLogs };
}
