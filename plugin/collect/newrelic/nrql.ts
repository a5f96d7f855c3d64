// NRQL text: string literals and attribute names written so that any value stays one literal, the filter that
// selects a group's pods, and a scan of a config's NRQL that sees only the language itself (literals blanked), so
// that clauses, comments and brackets can be checked before a query is sent.
// NRQL reference: https://docs.newrelic.com/docs/nrql/nrql-syntax-clauses-functions/ (WHERE operators, RLIKE with
// RE2 full-string matching) and .../get-started/introduction-nrql-how-nrql-works (strings, backticked names).
import { escapeRegex } from '../prometheus/promql.js';

/** The placeholder a metric query carries in its WHERE clause; replaced by the group's filter. */
export const SELECTOR_PLACEHOLDER = '${selector}';

/** New Relic takes NRQL queries shorter than 4 KB. */
export const MAX_QUERY_BYTES = 4096;

/**
 * Body of a single-quoted NRQL string holding `value` verbatim: NRQL strings take backslash escapes, so a
 * backslash and a quote are escaped. Control characters have no documented escape; a value holding one is refused.
 */
export function escapeNrqlString(value: string): string {
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new Error(`cannot write ${JSON.stringify(value)} as an NRQL string: it holds a control character`);
  return value.replace(/[\\']/g, '\\$&');
}

/** Why `name` cannot be an attribute name in NRQL (a backticked name cannot hold a backtick), or null. */
export function attributeProblem(name: string): string | null {
  if (name.length === 0) return 'expected a New Relic attribute name; got ""';
  if (/[`\u0000-\u001f\u007f]/.test(name)) return `expected a New Relic attribute name without backticks or control characters; got ${JSON.stringify(name)}`;
  return null;
}

/** The attribute name in backticks, which NRQL reads verbatim whatever the name holds (dots, dashes, spaces). */
export function attribute(name: string): string {
  const problem = attributeProblem(name);
  if (problem) throw new Error(problem);
  return `\`${name}\``;
}

/** How a group's pods are found, in the backend's attribute names (metrics: labels; logs: fields). */
export interface PodFilter {
  podTemplateHash: string;
  selectBy: 'label' | 'podName';
  hashAttribute: string;
  instanceAttribute: string;
}

/**
 * A condition selecting the pods of all `groups` (they share how pods are selected): the hash attribute equal to
 * (one of) the hashes, or the pod name `<anything>-<hash>-<suffix>` as Argo Rollouts names a ReplicaSet's pods.
 * RLIKE matches the whole name with RE2 and the hash escaped, so no hash can widen it — where LIKE would take a
 * `%` in the hash as a wildcard, and would match case-insensitively.
 */
export function podFilter(groups: readonly PodFilter[]): string {
  const [first] = groups;
  if (!first) throw new Error('no group to select');
  if (first.selectBy === 'label') {
    const values = groups.map((group) => `'${escapeNrqlString(group.podTemplateHash)}'`);
    return values.length === 1 ? `${attribute(first.hashAttribute)} = ${values[0]}` : `${attribute(first.hashAttribute)} IN (${values.join(', ')})`;
  }
  const hashes = groups.map((group) => escapeRegex(group.podTemplateHash));
  const alternatives = hashes.length === 1 ? hashes[0]! : `(?:${hashes.join('|')})`;
  return `${attribute(first.instanceAttribute)} RLIKE '${escapeNrqlString(`.+-${alternatives}-[a-z0-9]+`)}'`;
}

/** What a scan of NRQL found: the text with the inside of literals blanked, and what makes it unusable. */
export interface Scanned {
  /** Same length as the query; string literals and backticked names keep their delimiters, their content is spaces. */
  code: string;
  problems: string[];
}

const IDENTIFIER_CHAR = /[\w.]/;

/**
 * Blanks the literals of `query` and reports unterminated literals, comments (one could hide the filter added
 * after it) and unbalanced parentheses (one could close the condition the filter is joined to). Raw strings
 * (r'…') take no escapes.
 */
export function scanNrql(query: string): Scanned {
  const code = [...query];
  const problems: string[] = [];
  let depth = 0;
  for (let i = 0; i < query.length; i++) {
    const ch = query[i]!;
    if (ch === "'" || ch === '`') {
      const raw = ch === "'" && /[rR]/.test(query[i - 1] ?? '') && !IDENTIFIER_CHAR.test(query[i - 2] ?? '');
      let j = i + 1;
      for (; j < query.length && query[j] !== ch; j++) if (ch === "'" && !raw && query[j] === '\\') j++;
      if (j >= query.length) {
        problems.push(ch === "'" ? `a string starting at character ${i + 1} is not closed with '` : `a name starting at character ${i + 1} is not closed with \``);
        for (let k = i + 1; k < query.length; k++) code[k] = ' ';
        break;
      }
      for (let k = i + 1; k < j; k++) code[k] = ' ';
      i = j;
    } else if (query.startsWith('--', i) || query.startsWith('//', i) || query.startsWith('/*', i)) {
      problems.push(`no comments (${query.slice(i, i + 2)} at character ${i + 1}): a comment would hide what the engine adds after it`);
      break;
    } else if (ch === '(') {
      depth++;
    } else if (ch === ')' && --depth < 0) {
      problems.push(`a ) at character ${i + 1} closes no (`);
      break;
    }
  }
  if (depth > 0 && !problems.length) problems.push(`${depth} ( not closed with )`);
  return { code: code.join(''), problems };
}

/** Where keyword `word` (several words: any whitespace between) stands in scanned code, outside literals. */
export function keywordAt(code: string, word: string): number {
  const pattern = new RegExp(`(?<![\\w.$])${word.split(' ').join('\\s+')}(?![\\w.])`, 'i');
  return code.search(pattern);
}
