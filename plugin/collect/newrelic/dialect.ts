// The NRQL a verification config may hold, and the queries the engine sends for it. A metric query selects one
// aggregate of an event type with `${selector}` in its WHERE clause; the engine adds the group's filter there and
// appends `FACET <instance> LIMIT MAX SINCE … UNTIL … TIMESERIES <step>`, so the config may not hold those clauses.
// A ratio's queries count the events of each step (count() or sum()), which the engine adds up itself. A logs
// query is a condition on Log events (what follows WHERE); the engine writes the rest. Checked when the config is
// read, so a mistake is named before any rollout relies on it.
import type { QueryUse } from '../backend.js';
import { attribute, keywordAt, MAX_QUERY_BYTES, podFilter, scanNrql, SELECTOR_PLACEHOLDER, type PodFilter } from './nrql.js';

export const EXAMPLES: Record<QueryUse, string> = {
  series: `SELECT average(duration) FROM Transaction WHERE appName = 'web' AND ${SELECTOR_PLACEHOLDER}`,
  counter: `SELECT count(*) FROM Transaction WHERE appName = 'web' AND error IS true AND ${SELECTOR_PLACEHOLDER}`,
};

export const LOGS_EXAMPLE = "service.name = 'web' AND namespace_name = 'shop'";

/** Most facets (instances) one NRQL query returns: LIMIT MAX. */
export const MAX_ROWS = 5000;
/** Most TIMESERIES buckets one query returns. */
export const MAX_BUCKETS = 366;
/** What a config query may take of the 4 KB: the rest is for the group filter and the clauses the engine adds. */
const MAX_CONFIG_QUERY_BYTES = 3072;

/** Clauses the engine writes itself, and so a config query may not hold. */
const METRIC_CLAUSES = ['FACET', 'TIMESERIES', 'SINCE', 'UNTIL', 'LIMIT', 'OFFSET', 'COMPARE WITH', 'SLIDE BY'];
const LOG_CLAUSES = ['SELECT', 'FROM', 'WHERE', ...METRIC_CLAUSES, 'ORDER BY', 'WITH TIMEZONE'];
// Where the select list of a query ends.
const AFTER_SELECT = /^(?:FROM|WHERE|FACET|SINCE|UNTIL|LIMIT|TIMESERIES|WITH|COMPARE|EXTRAPOLATE)(?![\w.])/i;
// count() and sum() (also inside filter()) count a step's events; their sums over steps are the range's.
const COUNTING = /^(?:filter\s*\(\s*)?(?:count|sum)\s*\(/i;

function sizeProblem(query: string): string | null {
  const bytes = Buffer.byteLength(query);
  return bytes > MAX_CONFIG_QUERY_BYTES
    ? `expected at most ${MAX_CONFIG_QUERY_BYTES} bytes (New Relic takes queries under 4 KB, with the group filter and the clauses the engine adds); got ${bytes}`
    : null;
}

/** The select list of scanned code (between SELECT and the next clause), or null without a SELECT. */
function selectList(code: string): string | null {
  const at = keywordAt(code, 'SELECT');
  if (at < 0) return null;
  let depth = 0;
  let i = at + 'SELECT'.length;
  for (; i < code.length; i++) {
    const ch = code[i]!;
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (depth === 0 && !/[\w.]/.test(code[i - 1]!) && AFTER_SELECT.test(code.slice(i))) break;
  }
  return code.slice(at + 'SELECT'.length, i).trim();
}

/** Whether scanned code has a comma outside parentheses. */
function hasTopLevelComma(code: string): boolean {
  let depth = 0;
  for (const ch of code) {
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === ',' && depth === 0) return true;
  }
  return false;
}

/** Problems of one metric query; `settings` are not needed by any check. */
export function queryProblems(query: string, use: QueryUse): string[] {
  const { code, problems } = scanNrql(query);
  if (problems.length) return problems;
  const size = sizeProblem(query);
  if (size) problems.push(size);
  const at = code.indexOf(SELECTOR_PLACEHOLDER);
  if (at < 0) {
    problems.push(
      query.includes(SELECTOR_PLACEHOLDER)
        ? `expected ${SELECTOR_PLACEHOLDER} as a condition of the WHERE clause, outside string literals (it is replaced by a condition)`
        : `expected a query containing ${SELECTOR_PLACEHOLDER} in its WHERE clause, which is replaced by each group's pod filter (without it canary and baseline would be the same events), e.g. ${EXAMPLES[use]}`,
    );
  } else {
    const where = keywordAt(code, 'WHERE');
    if (where < 0 || where > at) problems.push(`expected ${SELECTOR_PLACEHOLDER} in the WHERE clause, joined with AND, e.g. ${EXAMPLES[use]}`);
  }
  for (const placeholder of new Set(code.match(/\$\{[^}]*\}/g) ?? [])) {
    if (placeholder !== SELECTOR_PLACEHOLDER) problems.push(`unknown placeholder ${placeholder} (expected ${SELECTOR_PLACEHOLDER})`);
  }
  for (const clause of METRIC_CLAUSES) {
    if (keywordAt(code, clause) >= 0) {
      problems.push(`must not contain ${clause}: the engine appends FACET <instanceLabel> LIMIT MAX SINCE <start> UNTIL <end> TIMESERIES <step> itself`);
    }
  }
  const selected = selectList(code);
  if (selected === null || keywordAt(code, 'FROM') < 0) {
    problems.push(`expected SELECT <one aggregate> FROM <event type> WHERE … AND ${SELECTOR_PLACEHOLDER}, e.g. ${EXAMPLES[use]}`);
  } else if (hasTopLevelComma(selected)) {
    problems.push(`expected one aggregate in the select list (the engine reads one value per instance and step); got ${selected}`);
  } else if (use === 'counter' && !COUNTING.test(selected)) {
    problems.push(`expected count() or sum() of the step's events, whose sums over the steps the engine takes (a ratio of per-step counts), e.g. ${EXAMPLES.counter}; got ${selected}`);
  }
  return problems;
}

/** Problems of a logs query: an NRQL condition on Log events. */
export function logQueryProblems(query: string): string[] {
  const { code, problems } = scanNrql(query);
  if (problems.length) return problems;
  const size = sizeProblem(query);
  if (size) problems.push(size);
  if (!code.trim()) return [`expected an NRQL condition on Log events (what follows WHERE), e.g. ${LOGS_EXAMPLE}`];
  if (/^\s*(?:SELECT|FROM)(?![\w.])/i.test(code)) {
    return [`expected an NRQL condition (what follows WHERE), e.g. ${LOGS_EXAMPLE}, not a whole query: the engine writes SELECT … FROM Log WHERE (<query>) AND <group filter> SINCE … UNTIL …`];
  }
  if (/\$\{[^}]*\}/.test(code)) problems.push('takes no placeholder: the engine adds the group filter itself');
  for (const clause of LOG_CLAUSES) {
    if (keywordAt(code, clause) >= 0) problems.push(`must not contain ${clause}: expected a condition only (what follows WHERE), e.g. ${LOGS_EXAMPLE}`);
  }
  return problems;
}

/** TIMESERIES buckets covering a range: `count` buckets of `stepS` seconds ending at `untilMs`. */
export interface Buckets {
  sinceMs: number;
  untilMs: number;
  stepS: number;
  count: number;
}

/**
 * Buckets over (start, end]: whole seconds of the wanted step, no longer than the range so far (an early, short
 * window still gets a bucket), and coarse enough for New Relic's 366 buckets. They end at the last whole second of
 * `end` (New Relic tells bucket times in seconds) and start at the first whole bucket after `start` — as New Relic
 * itself aligns a TIMESERIES range, without a partial bucket — so nothing before `start` is counted. Null before a
 * whole bucket of a second has passed.
 */
export function bucketsFor(start: Date, end: Date, stepMs: number): Buckets | null {
  const untilMs = Math.floor(end.getTime() / 1000) * 1000;
  const spanMs = untilMs - start.getTime();
  if (spanMs < 1000) return null;
  const stepS = Math.max(Math.min(Math.ceil(stepMs / 1000), Math.floor(spanMs / 1000)), Math.ceil(spanMs / MAX_BUCKETS / 1000), 1);
  const count = Math.floor(spanMs / (stepS * 1000));
  return { sinceMs: untilMs - count * stepS * 1000, untilMs, stepS, count };
}

/** The attributes a series query facets by: the instance, and with label selection the hash (to tell groups apart). */
export function facetsOf(group: PodFilter): string[] {
  return group.selectBy === 'label' ? [group.instanceAttribute, group.hashAttribute] : [group.instanceAttribute];
}

/** The NRQL of a metric query for `groups` over `buckets`: the filter in place of ${selector}, faceted per instance. */
export function seriesQuery(query: string, groups: readonly PodFilter[], buckets: Buckets): string {
  const filled = query.trim().split(SELECTOR_PLACEHOLDER).join(`(${podFilter(groups)})`);
  const facets = facetsOf(groups[0]!).map(attribute).join(', ');
  return `${filled} FACET ${facets} LIMIT MAX SINCE ${buckets.sinceMs} UNTIL ${buckets.untilMs} TIMESERIES ${buckets.stepS} SECONDS`;
}

/** The condition of a logs query for one group; NRQL's SINCE is inclusive and UNTIL exclusive, by the millisecond. */
function logCondition(query: string, group: PodFilter, sinceMs: number, untilMs: number): string {
  return `FROM Log WHERE (${query.trim()}) AND ${podFilter([group])} SINCE ${sinceMs} UNTIL ${untilMs}`;
}

/** Up to `limit` log lines of one group at or after `sinceMs` and before `untilMs`, the latest first. */
export function logLinesQuery(query: string, group: PodFilter, sinceMs: number, untilMs: number, limit: number): string {
  const fields = ['timestamp', 'message', group.instanceAttribute, 'level'].map(attribute).join(', ');
  return `SELECT ${fields} ${logCondition(query, group, sinceMs, untilMs)} ORDER BY timestamp DESC LIMIT ${limit}`;
}

/** How many log lines of one group there are at or after `sinceMs` and before `untilMs`. */
export function logCountQuery(query: string, group: PodFilter, sinceMs: number, untilMs: number): string {
  return `SELECT count(*) ${logCondition(query, group, sinceMs, untilMs)}`;
}

/** Why New Relic would refuse the query for its size, or null. */
export function oversize(nrql: string): string | null {
  const bytes = Buffer.byteLength(nrql);
  return bytes < MAX_QUERY_BYTES ? null : `the NRQL with the group filter and the clauses the engine adds is ${bytes} bytes; New Relic takes queries under 4 KB: shorten the query`;
}
