// The query language of the Elasticsearch and OpenSearch log sources. The config's query is a Lucene query string
// (query_string) selecting the service's lines; it is checked for what would make every search fail (an unclosed
// quote, parenthesis or regular expression) when the config is read. Each group's pods are added as a filter of
// its own beside it — a term on the hash field or a wildcard on the pod name — never spliced into the text, so no
// hash or query can widen the other.
import type { LogGroupSelection } from '../source.js';

export const EXAMPLE = 'kubernetes.namespace:shop AND kubernetes.labels.app:web AND NOT message:healthz';

// A query string longer than this is no query a person wrote.
const MAX_QUERY_CHARS = 4000;

/** Why the query string cannot be parsed, or null: quotes, regular expressions and parentheses must close. */
function syntaxProblem(query: string): string | null {
  let depth = 0;
  for (let i = 0; i < query.length; i++) {
    const ch = query[i]!;
    if (ch === '\\') {
      i++;
    } else if (ch === '"' || ch === '/') {
      // An unescaped / ends a term and opens a regular expression, wherever it is.
      const end = closing(query, i + 1, ch);
      if (end < 0) return ch === '"' ? `the quote at character ${i + 1} is never closed` : `the regular expression at character ${i + 1} is never closed (write \\/ for a slash)`;
      i = end;
    } else if (ch === '(') {
      depth++;
    } else if (ch === ')' && --depth < 0) {
      return `the ) at character ${i + 1} closes no (`;
    }
  }
  return depth > 0 ? `${depth} ( ${depth === 1 ? 'is' : 'are'} never closed` : null;
}

/** The index of the unescaped `mark` at or after `from`, or -1. */
function closing(text: string, from: number, mark: string): number {
  for (let i = from; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === mark) return i;
  }
  return -1;
}

/** Problems of the logs query: it must select the service's lines, as a query string that parses. */
export function queryProblems(query: string): string[] {
  if (query.trim() === '') return [`expected a Lucene query string selecting the service's lines, e.g. ${EXAMPLE}`];
  if (query.length > MAX_QUERY_CHARS) return [`expected a query string of at most ${MAX_QUERY_CHARS} characters; got ${query.length}`];
  const problems: string[] = [];
  if (/\$\{[^}]*\}/.test(query)) {
    problems.push("holds a ${…} placeholder: write only what selects the service's lines, the engine adds each group's pods and the time range itself");
  }
  const syntax = syntaxProblem(query);
  if (syntax) problems.push(`is not a query string Elasticsearch can parse: ${syntax}`);
  return problems;
}

// Parts of letters, digits, _ @ / - joined by single dots: `@timestamp`, `kubernetes.pod.name`,
// `kubernetes.labels.app_kubernetes_io/name`. No `*` or `?`: a field list would read them as wildcards.
const FIELD_NAME = /^[\p{L}\p{N}_@/-]+(?:\.[\p{L}\p{N}_@/-]+)*$/u;

export function fieldProblem(name: string): string | null {
  return FIELD_NAME.test(name) ? null : `expected a field name such as kubernetes.pod.name (letters, digits, _ @ / -, parts joined by single dots); got ${JSON.stringify(name.slice(0, 100))}`;
}

/** `text` as the literal part of a wildcard pattern: `*`, `?` and `\` match only themselves. */
export function escapeWildcard(text: string): string {
  return text.replace(/[\\*?]/g, '\\$&');
}

/**
 * The filter selecting one group's lines: the hash field equal to the pod-template hash, or the pod name
 * <anything>-<hash>-<suffix> as Argo Rollouts names pods. The pod-name field must be a keyword field (as
 * kubernetes.pod.name is): a wildcard is matched against a field's indexed terms, and a text field holds words.
 */
export function groupFilter(group: LogGroupSelection): Record<string, unknown> {
  if (group.selectBy === 'label') return { term: { [group.hashField]: group.podTemplateHash } };
  return { wildcard: { [group.instanceField]: { value: `*-${escapeWildcard(group.podTemplateHash)}-*` } } };
}
