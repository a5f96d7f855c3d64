// The part of LogQL the fake Loki evaluates: a log query, `{matchers} <line filters>`, and the one metric query
// that counts its lines, `sum(count_over_time(<log query> [<range>]))`. Read as Loki's lexer reads it: strings "…"
// with Go escapes or `…` raw, # comments to the end of a line, white space anywhere between tokens. Anything else is
// a parse error, answered as Loki words its own (`parse error at line 1, col 12: syntax error: unexpected …`).
// Label matchers are fully anchored RE2 as Prometheus' are; line filters match anywhere in the line.
// https://grafana.com/docs/loki/latest/query/log_queries/ and …/query/metric_queries/

export interface Matcher {
  label: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

export type LineFilter = { op: '|=' | '!=' | '|~' | '!~'; value: string };

export interface LogQuery {
  matchers: Matcher[];
  filters: LineFilter[];
}

export type Query = { kind: 'log'; log: LogQuery } | { kind: 'count'; log: LogQuery; rangeNs: bigint };

export class LogQLParseError extends Error {}

type Token = { kind: 'ident' | 'string' | 'duration' | 'op' | 'punct'; text: string; line: number; col: number };

const OPS = ['|=', '|~', '!=', '!~', '=~', '='];
const UNITS: Record<string, bigint> = { ns: 1n, us: 1_000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n, d: 86_400_000_000_000n, w: 604_800_000_000_000n, y: 31_536_000_000_000_000n };

/** A Go double-quoted string's value (strconv.Unquote); throws on a bad escape. */
export function unquoteGo(literal: string): string {
  const body = literal.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    const next = body[++i];
    const simple: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'" };
    if (next !== undefined && simple[next] !== undefined) out += simple[next];
    else if (next === 'x' || next === 'u' || next === 'U') {
      const digits = next === 'x' ? 2 : next === 'u' ? 4 : 8;
      const hex = body.slice(i + 1, i + 1 + digits);
      if (!new RegExp(`^[0-9a-fA-F]{${digits}}$`).test(hex)) throw new LogQLParseError(`invalid escape \\${next}${hex}`);
      out += next === 'x' ? String.fromCharCode(parseInt(hex, 16)) : String.fromCodePoint(parseInt(hex, 16));
      i += digits;
    } else if (next !== undefined && /[0-7]/.test(next)) {
      const octal = body.slice(i, i + 3);
      if (!/^[0-7]{3}$/.test(octal)) throw new LogQLParseError(`invalid escape \\${octal}`);
      out += String.fromCharCode(parseInt(octal, 8));
      i += 2;
    } else throw new LogQLParseError(`invalid escape \\${next ?? ''}`);
  }
  return out;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < text.length; ) {
    const ch = text[i]!;
    const at = { line, col: i - lineStart + 1 };
    if (ch === '\n') {
      line++;
      lineStart = ++i;
      continue;
    }
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (ch === '#') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    if (ch === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"' && text[j] !== '\n') j += text[j] === '\\' ? 2 : 1;
      if (text[j] !== '"') throw new LogQLParseError(`parse error at line ${at.line}, col ${at.col}: literal not terminated`);
      tokens.push({ kind: 'string', text: unquoteOrFail(text.slice(i, j + 1), at), ...at });
      i = j + 1;
      continue;
    }
    if (ch === '`') {
      const j = text.indexOf('`', i + 1);
      if (j < 0) throw new LogQLParseError(`parse error at line ${at.line}, col ${at.col}: literal not terminated`);
      tokens.push({ kind: 'string', text: text.slice(i + 1, j), ...at });
      for (let k = i; k < j; k++) if (text[k] === '\n') [line, lineStart] = [line + 1, k + 1];
      i = j + 1;
      continue;
    }
    const duration = /^(?:\d+(?:ns|us|ms|s|m|h|d|w|y))+/.exec(text.slice(i));
    if (duration && text[i - 1] === '[') {
      tokens.push({ kind: 'duration', text: duration[0], ...at });
      i += duration[0].length;
      continue;
    }
    const ident = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(text.slice(i));
    if (ident) {
      tokens.push({ kind: 'ident', text: ident[0], ...at });
      i += ident[0].length;
      continue;
    }
    const op = OPS.find((candidate) => text.startsWith(candidate, i));
    if (op) {
      tokens.push({ kind: 'op', text: op, ...at });
      i += op.length;
      continue;
    }
    if ('{},()[]'.includes(ch)) {
      tokens.push({ kind: 'punct', text: ch, ...at });
      i++;
      continue;
    }
    throw new LogQLParseError(`parse error at line ${at.line}, col ${at.col}: syntax error: unexpected ${JSON.stringify(ch)}`);
  }
  return tokens;
}

function unquoteOrFail(literal: string, at: { line: number; col: number }): string {
  try {
    return unquoteGo(literal);
  } catch (error) {
    throw new LogQLParseError(`parse error at line ${at.line}, col ${at.col}: ${(error as Error).message}`);
  }
}

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  private unexpected(): never {
    const token = this.tokens[this.i];
    if (!token) throw new LogQLParseError('parse error : syntax error: unexpected $end');
    throw new LogQLParseError(`parse error at line ${token.line}, col ${token.col}: syntax error: unexpected ${token.text}`);
  }

  private peek(): Token | undefined {
    return this.tokens[this.i];
  }

  private take(kind: Token['kind'], text?: string): Token {
    const token = this.tokens[this.i];
    if (!token || token.kind !== kind || (text !== undefined && token.text !== text)) this.unexpected();
    this.i++;
    return token;
  }

  query(): Query {
    const first = this.peek();
    if (first?.kind === 'ident' && first.text === 'sum') {
      this.take('ident', 'sum');
      this.take('punct', '(');
      this.take('ident', 'count_over_time');
      this.take('punct', '(');
      const log = this.logQuery();
      this.take('punct', '[');
      const range = this.take('duration').text;
      this.take('punct', ']');
      this.take('punct', ')');
      this.take('punct', ')');
      this.end();
      const rangeNs = [...range.matchAll(/(\d+)(ns|us|ms|s|m|h|d|w|y)/g)].reduce((sum, [, n, unit]) => sum + BigInt(n!) * UNITS[unit!]!, 0n);
      return { kind: 'count', log, rangeNs };
    }
    const log = this.logQuery();
    this.end();
    return { kind: 'log', log };
  }

  private end(): void {
    if (this.peek()) this.unexpected();
  }

  private logQuery(): LogQuery {
    this.take('punct', '{');
    const matchers: Matcher[] = [];
    while (this.peek()?.text !== '}') {
      if (matchers.length) this.take('punct', ',');
      const label = this.take('ident').text;
      const op = this.take('op').text;
      if (op !== '=' && op !== '!=' && op !== '=~' && op !== '!~') this.unexpected();
      matchers.push({ label, op, value: this.take('string').text });
    }
    this.take('punct', '}');
    const filters: LineFilter[] = [];
    for (let next = this.peek(); next?.kind === 'op' && ['|=', '!=', '|~', '!~'].includes(next.text); next = this.peek()) {
      const op = this.take('op').text as LineFilter['op'];
      filters.push({ op, value: this.take('string').text });
    }
    return { matchers, filters };
  }
}

/** The query parsed; throws LogQLParseError with Loki's wording. */
export function parseQuery(text: string): Query {
  const query = new Parser(tokenize(text)).query();
  for (const matcher of query.log.matchers) {
    if (matcher.op.endsWith('~')) compile(matcher.value);
  }
  for (const filter of query.log.filters) if (filter.op.endsWith('~')) compile(filter.value);
  // Loki refuses selectors every stream would match.
  if (!query.log.matchers.some((m) => (m.op === '=' && m.value !== '') || (m.op === '=~' && !anchored(m.value).test('')))) {
    throw new LogQLParseError(
      'parse error : queries require at least one regexp or equality matcher that does not have an empty-compatible value. For instance, app=~".*" does not meet this requirement, but app=~".+" will',
    );
  }
  return query;
}

function compile(pattern: string): RegExp {
  try {
    return new RegExp(pattern, 'u');
  } catch {
    throw new LogQLParseError(`parse error : error parsing regexp: invalid regular expression: \`${pattern}\``);
  }
}

function anchored(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`, 'su');
}

export function matchesStream(labels: Record<string, string>, matchers: Matcher[]): boolean {
  return matchers.every(({ label, op, value }) => {
    const actual = labels[label] ?? '';
    if (op === '=') return actual === value;
    if (op === '!=') return actual !== value;
    const matched = anchored(value).test(actual);
    return op === '=~' ? matched : !matched;
  });
}

export function matchesLine(line: string, filters: LineFilter[]): boolean {
  return filters.every(({ op, value }) => {
    if (op === '|=') return line.includes(value);
    if (op === '!=') return !line.includes(value);
    const matched = new RegExp(value, 'su').test(line);
    return op === '|~' ? matched : !matched;
  });
}
