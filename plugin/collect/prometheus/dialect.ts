// The PromQL a verification config may hold: every query selects each group's pods through `${selector}`, a
// range must hold two samples at the scrape interval, and a ratio reads cumulative counters (the engine takes the
// increases itself). Checked when the config is read, so a mistake is named before any rollout relies on it.
import { formatDuration } from '../../../shared/config/duration.js';
import type { QueryUse } from '../backend.js';
import { MATCHERS, PLACEHOLDERS, RATE_INTERVAL_PLACEHOLDER, SELECTOR_PLACEHOLDER, rangesOf, rateIntervalMs, withoutStrings } from './promql.js';
import type { PrometheusSettings } from './settings.js';

export const EXAMPLES: Record<QueryUse, string> = {
  series: `sum by (pod) (rate(http_requests_total{${SELECTOR_PLACEHOLDER}}[${RATE_INTERVAL_PLACEHOLDER}]))`,
  counter: `sum by (pod) (http_requests_total{code=~"5..",${SELECTOR_PLACEHOLDER}})`,
};

const COUNTER_RULE = 'expected the cumulative counter per instance, without increase(), rate() or irate() (the engine takes the increases itself, exactly, at any scrape interval)';
// increase(), rate() and irate() calls; their names inside words (first_rate_total) are not calls.
const RATE_CALL = /(?<![\w:])(?:increase|rate|irate)\s*\(/;
// A rate of a plain vector selector, `increase(x_total{…,${selector}}[5m])`.
const RATE_OF_SELECTOR = String.raw`(?:increase|rate|irate)\s*\(\s*((?:[a-zA-Z_:][\w:]*\s*(?:${MATCHERS})?|${MATCHERS}))\s*\[[^\]]*\]\s*\)`;
// The shapes whose counter form is the same query without the rate: `rate(x[5m])`, `sum by (pod) (rate(x[5m]))`.
const SIMPLE_RATE = new RegExp(String.raw`^(\s*(?:sum\s*(?:by\s*\([^()]*\)\s*)?\(\s*)?)${RATE_OF_SELECTOR}(\s*\)?(?:\s*by\s*\([^()]*\))?\s*)$`);

/** Why a counter query is not one, or null; with the counter form of the query when it is a simple rate. */
function counterProblem(query: string): string | null {
  if (!RATE_CALL.test(withoutStrings(query))) return null;
  const simple = SIMPLE_RATE.exec(query);
  return simple ? `${COUNTER_RULE}: write ${simple[1]}${simple[2]!.trim()}${simple[3]}` : `${COUNTER_RULE}, e.g. ${EXAMPLES.counter}`;
}

/** Unknown placeholders, and ranges too short for the scrape interval. */
function placeholderAndRangeProblems(query: string, settings: PrometheusSettings | undefined): string[] {
  const problems = [...new Set(query.match(/\$\{[^}]*\}/g) ?? [])]
    .filter((placeholder) => !(PLACEHOLDERS as readonly string[]).includes(placeholder))
    .map((placeholder) => `unknown placeholder ${placeholder} (expected ${PLACEHOLDERS.join(' or ')})`);
  if (!settings) return problems;
  // Two samples are the least a rate needs; a shorter range finds one or none and the metric has no data.
  const least = 2 * settings.scrapeInterval;
  for (const range of rangesOf(withoutStrings(query)).filter((r) => r.ms < least)) {
    problems.push(
      `the range [${range.text}] cannot hold two samples at source.prometheus.scrapeInterval ${formatDuration(settings.scrapeInterval)}, so rate() and increase() would find no data: write [${RATE_INTERVAL_PLACEHOLDER}] (${formatDuration(rateIntervalMs(settings.step, settings.scrapeInterval))} here) or a range of at least ${formatDuration(least)}`,
    );
  }
  return problems;
}

/**
 * Problems of one query. `settings` is undefined when the source's own settings are invalid (reported on their
 * own): the checks that need them are skipped. A counter query with a rate is told its counter form alone.
 */
export function queryProblems(query: string, use: QueryUse, settings: PrometheusSettings | undefined): string[] {
  if (!query.includes(SELECTOR_PLACEHOLDER)) {
    return [`expected a query containing ${SELECTOR_PLACEHOLDER}, which is replaced by each group's label matchers (without it canary and baseline would be the same series)`];
  }
  const counter = use === 'counter' ? counterProblem(query) : null;
  return counter ? [counter] : placeholderAndRangeProblems(query, settings);
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function labelProblem(name: string): string | null {
  return LABEL_NAME.test(name) ? null : `expected a Prometheus label name matching [a-zA-Z_][a-zA-Z0-9_]*; got ${JSON.stringify(name)}`;
}
