// The Datadog queries a verification config may hold, and the filters that pick one group's pods out of them.
//
// Metrics: a Datadog metrics query whose scope holds `${selector}`, grouped by the pod tag, e.g.
// `avg:trace.http.request.duration{service:web,${selector}} by {pod_name}`. The selector becomes
// `<hashLabel>:<hash>` (selectBy: label) or `<instanceLabel>:*-<hash>-*` (selectBy: podName: Datadog's tag filters
// take prefix, suffix and substring wildcards, https://docs.datadoghq.com/metrics/advanced-filtering/). A ratio's
// counters are per-interval counts (`sum:…by {pod_name}.as_count()`), which the source adds up into running totals.
//
// Logs: a Datadog log search (https://docs.datadoghq.com/logs/explorer/search_syntax/) selecting the service's lines,
// e.g. `service:web kube_namespace:shop`; the source adds `AND <field>:<value>` for the group, with the search
// syntax's escapes.
//
// Datadog's metric scopes have no escape: a hash is accepted only when made of the characters tag values keep
// (lower-case letters, digits, `_ . -`), so that no value can widen or break a query.
import { formatDuration } from '../../../shared/config/duration.js';
import type { QueryUse } from '../backend.js';
import type { GroupSelection, LogGroupSelection } from '../source.js';
import type { DatadogSettings } from './settings.js';

export const SELECTOR_PLACEHOLDER = '${selector}';

export const EXAMPLES: Record<QueryUse, string> = {
  series: `avg:trace.http.request.duration{service:web,${SELECTOR_PLACEHOLDER}} by {pod_name}`,
  counter: `sum:trace.http.request.hits{service:web,${SELECTOR_PLACEHOLDER}} by {pod_name}.as_count()`,
};

export const LOG_EXAMPLE = 'service:web kube_namespace:shop';

// Tags are lower-cased by Datadog, so a name with capitals would match nothing
// (https://docs.datadoghq.com/getting_started/tagging/#define-tags).
const TAG_NAME = /^[a-z][a-z0-9_./-]{0,199}$/;
const ATTRIBUTE = /^@[A-Za-z_][A-Za-z0-9_.-]{0,199}$/;
const HASH = /^[a-z0-9][a-z0-9_.-]{0,62}$/;

export function labelProblem(name: string): string | null {
  return TAG_NAME.test(name) ? null : `expected a Datadog tag name (a lower-case letter, then lower-case letters, digits, _ . / -); got ${JSON.stringify(name)}`;
}

export function fieldProblem(name: string): string | null {
  if (TAG_NAME.test(name) || ATTRIBUTE.test(name)) return null;
  return `expected a Datadog log tag name such as pod_name, or an attribute such as @kubernetes.pod_name; got ${JSON.stringify(name)}`;
}

/** A pod-template hash usable in a filter; throws naming the hash otherwise. */
function checkedHash(hash: string): string {
  if (!HASH.test(hash)) {
    throw new Error(`pod-template hash ${JSON.stringify(hash)} is not a Datadog tag value (expected lower-case letters, digits, _ . -; up to 63 characters)`);
  }
  return hash;
}

function checkedTag(name: string): string {
  const problem = labelProblem(name);
  if (problem) throw new Error(`hash or instance tag: ${problem}`);
  return name;
}

/** The scope filter for one group: `rollouts_pod_template_hash:abc123` or `pod_name:*-abc123-*`. */
export function groupScope(group: GroupSelection): string {
  const hash = checkedHash(group.podTemplateHash);
  return group.selectBy === 'label' ? `${checkedTag(group.hashLabel)}:${hash}` : `${checkedTag(group.instanceLabel)}:*-${hash}-*`;
}

/** The query with `${selector}` replaced by the group's filter (split/join: no `$&`-style replacement patterns). */
export function fillSelector(query: string, group: GroupSelection): string {
  return query.split(SELECTOR_PLACEHOLDER).join(groupScope(group));
}

/** Whether a pod name is `<anything>-<hash>-<suffix>`, as a ReplicaSet names its pods. */
export function isPodOf(name: string, hash: string): boolean {
  const end = name.lastIndexOf('-');
  return end > hash.length + 1 && name.slice(end - hash.length - 1, end) === `-${hash}` && /^[a-z0-9]+$/.test(name.slice(end + 1));
}

// A marker without braces standing for the placeholder while scopes `{…}` are looked at.
const MARKER = '\u0000selector\u0000';
// Space aggregation, metric name, scope: `sum:trace.http.request.hits{…}`.
const METRIC_SCOPE = /(?:([a-z0-9]+):)?([A-Za-z][\w.]*)\s*\{([^{}]*)\}/g;
const GROUP_BY = /^\s*by\s*\{([^{}]*)\}/i;
const ROLLUP = /\.rollup\(\s*(?:([a-z]+)\s*)?(?:,?\s*(\d+)\s*)?\)/g;
const COUNT_MODIFIER = /\.as_count\(\s*\)/;
// Functions and modifiers that turn counts into something else; the source adds the counts up itself.
const NOT_FOR_COUNTERS = /\b(cumsum|per_second|per_minute|per_hour|derivative|diff|integral|monotonic_diff)\s*\(|\.as_rate\(\s*\)/;

/** The top-level terms of a scope, split at commas, ANDs and ORs outside parentheses; `or` tells whether an OR is among them. */
function scopeTerms(scope: string): { terms: string[]; or: boolean } {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  let or = false;
  for (const token of scope.split(/([(),]|\s+AND\s+|\s+OR\s+)/i)) {
    if (token === '(') depth++;
    if (token === ')') depth--;
    const separator = depth === 0 && (token === ',' || /^\s+(AND|OR)\s+$/i.test(token));
    if (depth === 0 && /^\s+OR\s+$/i.test(token)) or = true;
    if (separator) {
      terms.push(current.trim());
      current = '';
    } else {
      current += token;
    }
  }
  terms.push(current.trim());
  return { terms, or };
}

function rollupProblems(query: string, stepMs: number): string[] {
  const problems: string[] = [];
  for (const match of query.matchAll(ROLLUP)) {
    const seconds = match[2] === undefined ? undefined : Number(match[2]);
    if (seconds !== undefined && seconds * 1000 > stepMs) {
      problems.push(
        `${match[0]} rolls points up over ${formatDuration(seconds * 1000)}, coarser than source.datadog.step (${formatDuration(stepMs)}): leave the interval out (the step sets it) or raise the step`,
      );
    }
  }
  return problems;
}

function counterProblems(query: string, scopes: { aggregation: string | undefined }[]): string[] {
  const problems: string[] = [];
  const forbidden = NOT_FOR_COUNTERS.exec(query);
  if (forbidden) problems.push(`${forbidden[0].replace(/\s*\($/, '()')} is not for a ratio's counters: the engine adds the per-interval counts up itself (expected e.g. ${EXAMPLES.counter})`);
  if (!COUNT_MODIFIER.test(query) && !/\.rollup\(\s*(sum|count)\b/.test(query)) {
    problems.push(`expected per-interval counts: append .as_count() (the engine adds them up into running totals), e.g. ${EXAMPLES.counter}`);
  }
  if (scopes.some((scope) => scope.aggregation !== 'sum')) problems.push(`expected the sum of a pod's counts: start the query with sum: (e.g. ${EXAMPLES.counter})`);
  return problems;
}

/**
 * Problems of one metrics query. `settings` is undefined when the source's own settings are invalid (reported on
 * their own): the checks that need them are skipped.
 */
export function queryProblems(query: string, use: QueryUse, settings: DatadogSettings | undefined): string[] {
  if (!query.includes(SELECTOR_PLACEHOLDER)) {
    return [`expected a query whose scope holds ${SELECTOR_PLACEHOLDER}, which is replaced by each group's tag filter (without it canary and baseline would be the same series), e.g. ${EXAMPLES[use]}`];
  }
  const problems = [...new Set(query.match(/\$\{[^}]*\}/g) ?? [])]
    .filter((placeholder) => placeholder !== SELECTOR_PLACEHOLDER)
    .map((placeholder) => `unknown placeholder ${placeholder} (expected ${SELECTOR_PLACEHOLDER})`);
  const text = query.split(SELECTOR_PLACEHOLDER).join(MARKER);
  const scopes = [...text.matchAll(METRIC_SCOPE)]
    // `by {pod_name}` has the shape of a scope too.
    .filter((match) => match[1] !== undefined || match[2]!.toLowerCase() !== 'by')
    .map((match) => ({ metric: match[2]!, aggregation: match[1], scope: match[3]!, after: text.slice(match.index + match[0].length) }));
  if (!scopes.length) problems.push(`expected a metrics query <aggregation>:<metric>{<scope>} by {<pod tag>}, e.g. ${EXAMPLES[use]}`);
  for (const { metric, scope, after } of scopes) {
    const { terms, or } = scopeTerms(scope);
    if (!terms.includes(MARKER)) problems.push(`the scope of ${metric} must hold ${SELECTOR_PLACEHOLDER} as one of its filters (…,${SELECTOR_PLACEHOLDER}), so that it reads only one group's pods`);
    else if (or) problems.push(`the scope of ${metric} joins filters with OR: ${SELECTOR_PLACEHOLDER} would not restrict the others to one group's pods (put the alternatives in parentheses)`);
    if (!GROUP_BY.test(after)) problems.push(`${metric} must be grouped by the pod tag (… by {pod_name}), so that each series is one pod`);
  }
  if (settings) problems.push(...rollupProblems(query, settings.step));
  if (use === 'counter' && scopes.length) problems.push(...counterProblems(query, scopes));
  return problems;
}

// Characters Datadog's log search treats as syntax (https://docs.datadoghq.com/logs/explorer/search_syntax/).
const SEARCH_SPECIAL = /[=\-!&|><(){}[\]"*?:\\#\s]/g;

/** `value` as one term of a log search: every special character escaped with a backslash. */
export function escapeSearchValue(value: string): string {
  return value.replace(SEARCH_SPECIAL, (ch) => `\\${ch}`);
}

/** The search term selecting one group's lines: `rollouts_pod_template_hash:abc123` or `pod_name:*\-abc123\-*`. */
export function logGroupFilter(group: LogGroupSelection): string {
  const hash = escapeSearchValue(checkedHash(group.podTemplateHash));
  const field = group.selectBy === 'label' ? group.hashField : group.instanceField;
  const problem = fieldProblem(field);
  if (problem) throw new Error(`log field: ${problem}`);
  return group.selectBy === 'label' ? `${field}:${hash}` : `${field}:*\\-${hash}\\-*`;
}

/** The config's search restricted to one group: `(<query>) AND <filter>`. */
export function logSearch(query: string, group: LogGroupSelection): string {
  return `(${query}) AND ${logGroupFilter(group)}`;
}

/**
 * Problems of the logs query: it is put in parentheses before the group's filter, so its parentheses and quotes must
 * balance (a stray `)` would end the parentheses early and let the filter apply to part of it only).
 */
export function logQueryProblems(query: string): string[] {
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < query.length; i++) {
    const ch = query[i];
    if (ch === '\\') {
      if (i === query.length - 1) return ['ends with a backslash, which would escape what follows it: remove it or escape it (\\\\)'];
      i++;
    } else if (ch === '"') {
      quoted = !quoted;
    } else if (!quoted && ch === '(') {
      depth++;
    } else if (!quoted && ch === ')' && --depth < 0) {
      return [`has a ")" without its "(" at character ${i + 1}: parentheses must balance`];
    }
  }
  if (quoted) return ['has a " without its closing "'];
  return depth > 0 ? ['has a "(" without its ")": parentheses must balance'] : [];
}
