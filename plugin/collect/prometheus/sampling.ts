// For `rollouts-cv check`: how often Prometheus really holds a sample of a metric's series (the scrape interval
// seen in the data), and what that makes wrong in the queries — a range that holds fewer than two samples finds
// no rate.
import { formatDuration } from '../../../shared/config/duration.js';
import type { SamplingProbe } from '../backend.js';
import { groupVectorSelectors, rangesOf, rateIntervalMs, RATE_INTERVAL_PLACEHOLDER, withoutStrings } from './promql.js';
import type { PrometheusSettings } from './settings.js';

const SETTING = 'source.prometheus.scrapeInterval';

export const sampling: SamplingProbe<PrometheusSettings> = {
  setting: SETTING,
  configuredMs: (settings) => settings.scrapeInterval,

  /** The window over the most samples one series of the query's first group selector has, per group. */
  async seenMs(name, query, groups, instanceLabel, range, source) {
    const [selector] = groupVectorSelectors(query);
    if (!selector) return null;
    const windowMs = range.end.getTime() - range.start.getTime();
    const countQuery = `max by (${instanceLabel}) (count_over_time(${selector}[${Math.round(windowMs / 1000)}s]))`;
    let most = 0;
    for (const group of groups) {
      // One point, at the end of the window.
      const { series } = await source.fetchSeries({ metric: { name: `${name} (samples)`, query: countQuery }, group, start: new Date(range.end.getTime() - 1000), end: range.end });
      for (const samples of series.values()) for (const [, count] of samples) most = Math.max(most, count);
    }
    return most >= 2 ? Math.round(windowMs / most / 1000) * 1000 : null;
  },

  problems(queries, seenMs, settings) {
    const problems: string[] = [];
    const seen = formatDuration(seenMs);
    for (const query of queries) {
      for (const range of rangesOf(withoutStrings(query)).filter((r) => r.ms < 2 * seenMs)) {
        problems.push(`the range [${range.text}] holds fewer than two of the samples Prometheus has every ${seen}: write [${RATE_INTERVAL_PLACEHOLDER}] and set ${SETTING}: ${seen}`);
      }
      const rate = rateIntervalMs(settings.step, settings.scrapeInterval);
      if (query.includes(RATE_INTERVAL_PLACEHOLDER) && rate < 2 * seenMs) {
        problems.push(`${RATE_INTERVAL_PLACEHOLDER} (${formatDuration(rate)}) holds fewer than two of the samples Prometheus has every ${seen}: set ${SETTING}: ${seen}`);
      }
    }
    return problems;
  },
};
