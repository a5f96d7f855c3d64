// The code of a log query with its string literals and comments blanked out, as the stores' lexers read them
// (Loki's LogQL, VictoriaLogs' LogsQL): strings in the given quotes with backslash escapes, never across a line,
// `…` raw strings, and # comments to the end of the line. A brace, a parenthesis or a pipe inside a string or a
// comment is then not taken for syntax.

/** Index just past the string or comment starting at `i`; `i` when none starts there; -1 when one is not closed. */
function skipLiteral(query: string, i: number, quotes: string): number {
  const ch = query[i]!;
  if (ch === '#') {
    const end = query.indexOf('\n', i);
    return end < 0 ? query.length : end + 1;
  }
  if (ch === '`') {
    const end = query.indexOf('`', i + 1);
    return end < 0 ? -1 : end + 1;
  }
  if (quotes.includes(ch)) {
    for (let j = i + 1; j < query.length; j++) {
      if (query[j] === '\\') j++;
      else if (query[j] === ch) return j + 1;
      else if (query[j] === '\n') return -1;
    }
    return -1;
  }
  return i;
}

/**
 * The query with each string (in one of `quotes`, e.g. `"'`) and comment blanked to spaces of its length, so that
 * positions in it are positions in the query; null when one is not closed.
 */
export function codeOf(query: string, quotes: string): string | null {
  let code = '';
  for (let i = 0; i < query.length; ) {
    const next = skipLiteral(query, i, quotes);
    if (next < 0) return null;
    if (next === i) {
      code += query[i];
      i++;
    } else {
      code += ' '.repeat(next - i);
      i = next;
    }
  }
  return code;
}
