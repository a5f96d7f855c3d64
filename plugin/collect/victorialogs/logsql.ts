// The LogsQL a logs config holds: a filter selecting the service's lines (`namespace:="shop" app:="web"
// -"GET /healthz"`), without pipes: the engine reads the lines and counts them itself. A group's filter is ANDed
// with it (`(<filter>) pod:~"^.+-<hash>-[a-z0-9]+$"`), and the engine's own pipes follow (`| fields …` to read only
// the fields it uses, `| stats count()` to count). The filter is scanned as VictoriaLogs' lexer does (strings in
// "…" or '…' with escapes, `…` raw, # comments to the end of the line), so that a parenthesis or a pipe inside a
// string or a comment is not taken for syntax; values the engine writes are quoted as Go strings, as LogsQL reads
// them, so that no hash or field name can end its string or widen its filter.
import { escapeRegex } from '../prometheus/promql.js';
import { codeOf } from '../query-literals.js';
import type { LogGroupSelection } from '../source.js';

export const EXAMPLE = 'namespace:="shop" app:="web" -"GET /healthz"';

/** A LogsQL string literal holding `value` exactly (JSON's escapes are Go's). */
export function quote(value: string): string {
  return JSON.stringify(value);
}

/** Problems of a logs query, for the config check. */
export function queryProblems(query: string): string[] {
  const code = codeOf(query, `"'`);
  if (code === null) return ['a string ("…", \'…\' or `…`) is not closed'];
  let depth = 0;
  for (const ch of code) {
    if (ch === '(') depth++;
    if (ch === ')' && --depth < 0) return ['a ) closes no ('];
    if (ch === '|' && depth === 0) {
      return [`expected a LogsQL filter without pipes (| …): the engine adds each group's filter, reads the lines and counts them itself; e.g. ${EXAMPLE}`];
    }
  }
  if (depth > 0) return ['a ( is not closed'];
  if (code.trim() === '') return [`expected a LogsQL filter selecting the service's lines, e.g. ${EXAMPLE}`];
  if (/^\s*\*\s*$/.test(code)) return [`the filter * selects every line of the store: name the service's lines, e.g. ${EXAMPLE}`];
  return [];
}

/** The filter selecting one group's lines: the hash field equal to the hash, or the pod name `<anything>-<hash>-<suffix>`. */
export function groupFilter(group: LogGroupSelection): string {
  if (group.selectBy === 'label') return `${quote(group.hashField)}:=${quote(group.podTemplateHash)}`;
  return `${quote(group.instanceField)}:~${quote(`^.+-${escapeRegex(group.podTemplateHash)}-[a-z0-9]+$`)}`;
}

/** The config's filter and the group's; throws on a query queryProblems refuses. */
export function groupQuery(query: string, group: LogGroupSelection): string {
  const [problem] = queryProblems(query);
  if (problem) throw new Error(`the logs query: ${problem}`);
  // The newline ends a comment the query may end with.
  return `(${query}\n) ${groupFilter(group)}`;
}

/** The lines of a group query, with only the fields read. */
export function linesQuery(groupQueryText: string, fields: string[]): string {
  return `${groupQueryText} | fields ${[...new Set(['_time', ...fields])].map(quote).join(', ')}`;
}

/** The number of lines of a group query, as `{"lines":"<n>"}`. */
export function countQuery(groupQueryText: string): string {
  return `${groupQueryText} | stats count() as lines`;
}

export function fieldProblem(name: string): string | null {
  if (name === '' || name.length > 256 || /[\u0000-\u001f\u007f]/.test(name) || name.endsWith('*')) {
    return `expected a VictoriaLogs field name (1 to 256 characters, no control characters, not ending in *); got ${JSON.stringify(name.slice(0, 256))}`;
  }
  return null;
}
