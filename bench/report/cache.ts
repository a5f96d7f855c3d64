// The report server's image cache against rendering every time: the same report asked for as ?format=png from a
// report server (which keeps the image with the report) and rendered by reportPng directly (what each request
// cost before the image was kept), alternately, so that the machine's load falls on both alike.
import { createLogger } from '../../shared/log.js';
import { reportPath } from '../../shared/verdicts/report-path.js';
import { reportPng } from '../../plugin/report/image.js';
import type { Report } from '../../plugin/report/model.js';
import { serveReports } from '../../plugin/report/server.js';
import { meanMs, medianMs, ratio, round1, timed } from './timing.js';

export interface CacheComparison {
  requests: number;
  /** Times the server built the report: 1 when every request after the first was answered from its cache. */
  builds: number;
  cached_first_ms: number;
  cached_median_ms: number;
  cached_mean_ms: number;
  uncached_median_ms: number;
  uncached_mean_ms: number;
  /** Uncached over cached mean time per request, the first (rendering) request included. */
  speedup_mean: number;
  /** Uncached over cached median time per request: a cache hit against a render. */
  speedup_median: number;
  /** Whether the server's image and the direct render have the same bytes. */
  same_image: boolean;
}

export async function compareCache(report: Report, requests: number): Promise<CacheComparison> {
  let builds = 0;
  const server = await serveReports({
    listen: '127.0.0.1:0',
    build: async () => {
      builds += 1;
      return report;
    },
    log: createLogger({ level: 'silent' }),
  });
  const url = `http://${server.address}${reportPath({ kind: 'analysis-run', namespace: 'shop', analysisRun: 'web-7f5c9-2-1', metric: 'verify' })}?format=png`;
  const cached: number[] = [];
  const uncached: number[] = [];
  let served: Buffer | undefined;
  let rendered: Buffer | undefined;
  try {
    for (let i = 0; i < requests; i++) {
      const answer = await timed(async () => {
        const response = await fetch(url);
        if (response.status !== 200) throw new Error(`${url}: expected 200; got ${response.status} ${await response.text()}`);
        return Buffer.from(await response.arrayBuffer());
      });
      cached.push(answer.ms);
      served = answer.value;
      const direct = await timed(() => reportPng(report));
      uncached.push(direct.ms);
      rendered = direct.value;
    }
  } finally {
    await server.close();
  }
  const cachedMedian = medianMs(cached);
  const uncachedMedian = medianMs(uncached);
  return {
    requests,
    builds,
    cached_first_ms: round1(cached[0]!),
    cached_median_ms: cachedMedian,
    cached_mean_ms: meanMs(cached),
    uncached_median_ms: uncachedMedian,
    uncached_mean_ms: meanMs(uncached),
    speedup_mean: ratio(meanMs(uncached), meanMs(cached)),
    speedup_median: ratio(uncachedMedian, cachedMedian),
    same_image: served !== undefined && rendered !== undefined && served.equals(rendered),
  };
}
