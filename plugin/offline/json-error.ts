// JSON.parse with a message a person can act on: the line and column of the mistake. V8 gives an offset for
// some mistakes only, so on failure the text is scanned again with jsonc-parser (strict: no comments, no
// trailing commas), which reports where every kind of mistake is.
import { parse, printParseErrorCode, type ParseError } from 'jsonc-parser';

/** 1-based line and column of `offset` in `text`. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

/** "ValueExpected" → "value expected". */
function describe(error: ParseError): string {
  return printParseErrorCode(error.error)
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase();
}

/** Parses JSON; on failure throws a SyntaxError saying where: "invalid JSON at line 3, column 8: value expected". */
export function parseJson(text: string, firstLine = 1): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const errors: ParseError[] = [];
    parse(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
    const first = errors[0];
    const offset = first ? first.offset : text.length;
    const { line, column } = lineAndColumn(text, offset);
    const what = first ? describe(first) : error instanceof Error ? error.message : String(error);
    throw new SyntaxError(`invalid JSON at line ${line + firstLine - 1}, column ${column}: ${what}`);
  }
}
