// The LogQL a logs config holds: a log query, `{stream selector} pipeline` (`{namespace="shop", app="web"} != "GET
// /healthz"`), never a metric query: the engine reads the lines and counts them itself. Each group's pods are
// selected by a matcher added INSIDE the stream selector, so Loki reads only their streams, and the lines are
// counted by wrapping the same query in count_over_time. The query is scanned as Loki's lexer does (strings in
// "…" with escapes or `…` raw, # comments to the end of the line), so that a brace or a bracket inside a string
// or a comment is not taken for syntax.
import type { LogGroupSelection } from '../source.js';
import { groupSelector, promDuration } from '../prometheus/promql.js';
import { codeOf } from '../query-literals.js';

export const EXAMPLE = '{namespace="shop", app="web"} != "GET /healthz"';

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A log query taken apart: the text before the selector's `}`, and from it on. */
interface Selector {
  /** `{namespace="shop", app="web"` — the selector up to its closing brace. */
  head: string;
  /** `} != "GET /healthz"` — the closing brace and the pipeline. */
  tail: string;
  /** The selector holds no matcher (`{}`). */
  empty: boolean;
}

/** The stream selector of a log query, or why there is none. */
function selectorOf(query: string): Selector | string {
  const code = codeOf(query, '"');
  if (code === null) return 'a string ("…" or `…`) is not closed';
  if (/\$\{/.test(code)) return `holds a placeholder \${…}: the engine adds each group's matcher to the stream selector itself; write only the service's selector, e.g. ${EXAMPLE}`;
  const start = code.search(/\S/);
  if (start < 0 || code[start] !== '{') {
    if (/^\s*[a-z_]+\s*(?:by|without)?\s*(?:\([^)]*\)\s*)?\(/.test(code) || /^\s*\(/.test(code)) {
      return 'is a metric query; expected a log query (a stream selector such as {app="web"} and its filters): the engine counts the lines itself';
    }
    return `expected a log query starting with a stream selector, e.g. ${EXAMPLE}`;
  }
  const close = code.indexOf('}', start);
  if (close < 0) return 'the stream selector {…} is not closed';
  if (code.slice(start + 1, close).includes('{')) return 'the stream selector holds a {';
  const rest = code.slice(close + 1);
  if (/[{}]/.test(rest)) return 'expected one stream selector {…}, followed by its pipeline';
  if (rest.includes('[')) return 'a range [...] makes a metric query; expected a log query (the engine counts the lines itself)';
  return { head: query.slice(0, close), tail: query.slice(close), empty: code.slice(start + 1, close).trim() === '' };
}

/** Problems of a logs query, for the config check. */
export function queryProblems(query: string): string[] {
  const selector = selectorOf(query);
  if (typeof selector === 'string') return [selector];
  if (selector.empty) return [`the stream selector selects nothing: name the service's streams, e.g. ${EXAMPLE}`];
  return [];
}

/** `query` reading only the group's pods: the group's matcher added to its stream selector. Throws on a query queryProblems refuses. */
export function groupLogQuery(query: string, group: LogGroupSelection): string {
  const selector = selectorOf(query);
  if (typeof selector === 'string') throw new Error(`the logs query ${selector}`);
  const matcher = groupSelector({ podTemplateHash: group.podTemplateHash, selectBy: group.selectBy, hashLabel: group.hashField, instanceLabel: group.instanceField });
  // A newline before the closing brace ends a comment the selector may end with.
  return `${selector.head}${selector.empty ? '' : ','} ${matcher}\n${selector.tail}`;
}

/** A metric query counting the lines of a log query over the `rangeMs` before its evaluation time: (time - range, time]. */
export function countQuery(logQuery: string, rangeMs: number): string {
  // The range on a line of its own: a comment ending the log query must not swallow it.
  return `sum(count_over_time(${logQuery}\n[${promDuration(rangeMs)}]))`;
}

export function fieldProblem(name: string): string | null {
  return LABEL_NAME.test(name) ? null : `expected a Loki label name matching [a-zA-Z_][a-zA-Z0-9_]*; got ${JSON.stringify(name)}`;
}
