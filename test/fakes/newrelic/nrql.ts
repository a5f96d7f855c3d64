// The fake New Relic's NRQL: a tokenizer and parser for the part of the language a health source writes (SELECT
// of one aggregate or of attributes, FROM one event type, WHERE with =, !=, <, >, IN, LIKE, RLIKE, IS [NOT] NULL |
// TRUE | FALSE, AND, OR, NOT and parentheses, FACET on up to five attributes, LIMIT n | MAX, SINCE and UNTIL in epoch
// milliseconds, TIMESERIES n <unit>, ORDER BY), evaluated over stored events with New Relic's documented result
// shapes and limits — https://docs.newrelic.com/docs/nrql/nrql-syntax-clauses-functions/:
// - strings are single-quoted with backslash escapes (r'…' raw), names may be backticked;
// - RLIKE matches the whole value (RE2; JavaScript's RegExp here), LIKE takes % as a wildcard, case-insensitively;
// - LIMIT defaults to 10 facets or 100 rows, at most 5,000 (MAX); TIMESERIES at most 366 buckets, which end at
//   UNTIL, the first starting at the first whole bucket after SINCE (query-time-range: TIMESERIES snapping);
// - rows of SELECT attributes come latest first; facets are ordered by the aggregate, largest first;
// - a TIMESERIES FACET answer has one row per facet and bucket: beginTimeSeconds, endTimeSeconds, facet (a string,
//   or an array for several attributes), each faceted attribute, and the aggregate under its name ("count",
//   "average.duration", "percentile.duration": {"95": …}); a bucket without events has 0 (count, sum) or null;
// - a query is shorter than 4 KB.
// Anything else is a syntax error, answered as New Relic answers one.

export type AttributeValue = string | number | boolean;
/** One stored event: its type, its time (epoch ms) and its attributes. */
export interface FakeEvent {
  eventType: string;
  timestamp: number;
  attributes: Record<string, AttributeValue>;
}

export class NrqlError extends Error {
  override name = 'NrqlError';
}

type Token = { kind: 'string' | 'name' | 'number' | 'symbol' | 'word'; text: string; at: number };

const WORDS = new Set(['SELECT', 'FROM', 'WHERE', 'AND', 'OR', 'NOT', 'IN', 'LIKE', 'RLIKE', 'IS', 'NULL', 'TRUE', 'FALSE', 'FACET', 'LIMIT', 'SINCE', 'UNTIL', 'TIMESERIES', 'ORDER', 'BY', 'ASC', 'DESC', 'AS']);

function tokenize(query: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < query.length) {
    const ch = query[i]!;
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === "'" || (/[rR]/.test(ch) && query[i + 1] === "'")) {
      const raw = ch !== "'";
      const start = i;
      i += raw ? 2 : 1;
      let text = '';
      for (; i < query.length && query[i] !== "'"; i++) {
        if (!raw && query[i] === '\\' && i + 1 < query.length) i++;
        text += query[i];
      }
      if (i >= query.length) throw syntax(start, 'unterminated string');
      i++;
      tokens.push({ kind: 'string', text, at: start });
    } else if (ch === '`') {
      const end = query.indexOf('`', i + 1);
      if (end < 0) throw syntax(i, 'unterminated name');
      tokens.push({ kind: 'name', text: query.slice(i + 1, end), at: i });
      i = end + 1;
    } else if (/[0-9]/.test(ch) || (ch === '-' && /[0-9]/.test(query[i + 1] ?? ''))) {
      const match = /^-?\d+(?:\.\d+)?/.exec(query.slice(i))!;
      tokens.push({ kind: 'number', text: match[0], at: i });
      i += match[0].length;
    } else if (/[A-Za-z_]/.test(ch)) {
      const match = /^[A-Za-z_][\w.:]*/.exec(query.slice(i))!;
      const upper = match[0].toUpperCase();
      tokens.push({ kind: WORDS.has(upper) ? 'word' : 'name', text: WORDS.has(upper) ? upper : match[0], at: i });
      i += match[0].length;
    } else {
      const symbol = ['!=', '<=', '>=', '(', ')', ',', '*', '=', '<', '>'].find((s) => query.startsWith(s, i));
      if (!symbol) throw syntax(i, `unexpected '${ch}'`);
      tokens.push({ kind: 'symbol', text: symbol, at: i });
      i += symbol.length;
    }
  }
  return tokens;
}

function syntax(at: number, what: string): NrqlError {
  return new NrqlError(`NRQL Syntax Error: Error at line 1 position ${at + 1}, ${what}`);
}

type Condition = (event: FakeEvent) => boolean;
type Aggregate = { fn: 'count' | 'average' | 'sum' | 'min' | 'max' | 'percentile'; attribute?: string; percentile?: number; key: string };
type Parsed = {
  aggregate?: Aggregate;
  attributes?: string[];
  eventType: string;
  where: Condition;
  facets: string[];
  limit?: number;
  since?: number;
  until?: number;
  timeseriesMs?: number;
  order?: { attribute: string; descending: boolean };
};

const UNITS: Record<string, number> = { SECOND: 1000, SECONDS: 1000, MINUTE: 60_000, MINUTES: 60_000, HOUR: 3_600_000, HOURS: 3_600_000 };
const MAX_LIMIT = 5000;

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token | undefined {
    return this.tokens[this.i];
  }
  private next(): Token {
    const token = this.tokens[this.i++];
    if (!token) throw new NrqlError('NRQL Syntax Error: unexpected end of query');
    return token;
  }
  private isWord(word: string): boolean {
    const token = this.peek();
    return token?.kind === 'word' && token.text === word;
  }
  private isSymbol(symbol: string): boolean {
    const token = this.peek();
    return token?.kind === 'symbol' && token.text === symbol;
  }
  private expectWord(word: string): void {
    const token = this.next();
    if (token.kind !== 'word' || token.text !== word) throw syntax(token.at, `unexpected '${token.text}', expected ${word}`);
  }
  private expectSymbol(symbol: string): void {
    const token = this.next();
    if (token.kind !== 'symbol' || token.text !== symbol) throw syntax(token.at, `unexpected '${token.text}', expected '${symbol}'`);
  }
  private attribute(): string {
    const token = this.next();
    if (token.kind !== 'name') throw syntax(token.at, `unexpected '${token.text}', expected an attribute`);
    return token.text;
  }
  private integer(): number {
    const token = this.next();
    if (token.kind !== 'number' || !/^\d+$/.test(token.text)) throw syntax(token.at, `unexpected '${token.text}', expected a whole number`);
    return Number(token.text);
  }

  parse(): Parsed {
    const parsed: Partial<Parsed> = { facets: [], where: () => true };
    if (this.isWord('FROM')) {
      this.next();
      parsed.eventType = this.attribute();
      this.expectWord('SELECT');
      this.selectList(parsed);
    } else {
      this.expectWord('SELECT');
      this.selectList(parsed);
      this.expectWord('FROM');
      parsed.eventType = this.attribute();
    }
    while (this.peek()) {
      const token = this.next();
      if (token.kind !== 'word') throw syntax(token.at, `unexpected '${token.text}'`);
      switch (token.text) {
        case 'WHERE':
          parsed.where = this.or();
          break;
        case 'FACET':
          do parsed.facets!.push(this.attribute());
          while (this.isSymbol(',') && this.next());
          if (parsed.facets!.length > 5) throw new NrqlError('NRQL Syntax Error: FACET takes at most 5 attributes');
          break;
        case 'LIMIT':
          parsed.limit = this.peek()?.text.toUpperCase() === 'MAX' ? (this.next(), MAX_LIMIT) : this.integer();
          if (parsed.limit > MAX_LIMIT) throw new NrqlError(`Invalid LIMIT ${parsed.limit}: the maximum is ${MAX_LIMIT}`);
          break;
        case 'SINCE':
          parsed.since = this.integer();
          break;
        case 'UNTIL':
          parsed.until = this.integer();
          break;
        case 'TIMESERIES': {
          const count = this.integer();
          const unit = this.next();
          const ms = UNITS[unit.text.toUpperCase()];
          if (!ms || count < 1) throw syntax(unit.at, `unexpected '${unit.text}', expected a time unit`);
          parsed.timeseriesMs = count * ms;
          break;
        }
        case 'ORDER': {
          this.expectWord('BY');
          const attribute = this.attribute();
          const descending = this.isWord('DESC') ? (this.next(), true) : this.isWord('ASC') ? (this.next(), false) : false;
          parsed.order = { attribute, descending };
          break;
        }
        default:
          throw syntax(token.at, `unexpected '${token.text}'`);
      }
    }
    return parsed as Parsed;
  }

  private selectList(parsed: Partial<Parsed>): void {
    const first = this.peek();
    if (first?.kind === 'name' && this.tokens[this.i + 1]?.text === '(') {
      parsed.aggregate = this.aggregate();
      if (this.isSymbol(',')) throw new NrqlError('the fake answers one aggregate per query');
      return;
    }
    const attributes = [this.attribute()];
    while (this.isSymbol(',')) {
      this.next();
      attributes.push(this.attribute());
    }
    parsed.attributes = attributes;
  }

  private aggregate(): Aggregate {
    const name = this.next();
    const fn = name.text.toLowerCase();
    this.expectSymbol('(');
    let aggregate: Aggregate;
    if (fn === 'count') {
      if (this.isSymbol('*')) this.next();
      else this.attribute();
      aggregate = { fn, key: 'count' };
    } else if (fn === 'average' || fn === 'sum' || fn === 'min' || fn === 'max') {
      const attribute = this.attribute();
      aggregate = { fn, attribute, key: `${fn}.${attribute}` };
    } else if (fn === 'percentile') {
      const attribute = this.attribute();
      this.expectSymbol(',');
      aggregate = { fn, attribute, percentile: this.integer(), key: `percentile.${attribute}` };
    } else {
      throw syntax(name.at, `unknown function '${name.text}'`);
    }
    this.expectSymbol(')');
    return aggregate;
  }

  private or(): Condition {
    const parts = [this.and()];
    while (this.isWord('OR')) {
      this.next();
      parts.push(this.and());
    }
    return (event) => parts.some((part) => part(event));
  }

  private and(): Condition {
    const parts = [this.not()];
    while (this.isWord('AND')) {
      this.next();
      parts.push(this.not());
    }
    return (event) => parts.every((part) => part(event));
  }

  private not(): Condition {
    if (this.isWord('NOT')) {
      this.next();
      const inner = this.not();
      return (event) => !inner(event);
    }
    if (this.isSymbol('(')) {
      this.next();
      const inner = this.or();
      this.expectSymbol(')');
      return inner;
    }
    return this.comparison();
  }

  private literal(): AttributeValue | null {
    const token = this.next();
    if (token.kind === 'string') return token.text;
    if (token.kind === 'number') return Number(token.text);
    if (token.kind === 'word' && (token.text === 'TRUE' || token.text === 'FALSE')) return token.text === 'TRUE';
    throw syntax(token.at, `unexpected '${token.text}', expected a value`);
  }

  private comparison(): Condition {
    const attribute = this.attribute();
    const value = (event: FakeEvent) => (attribute === 'timestamp' ? event.timestamp : event.attributes[attribute]);
    if (this.isWord('IS')) {
      this.next();
      const negated = this.isWord('NOT') ? (this.next(), true) : false;
      const token = this.next();
      const expected = { NULL: undefined, TRUE: true, FALSE: false }[token.text];
      if (token.kind !== 'word' || !['NULL', 'TRUE', 'FALSE'].includes(token.text)) throw syntax(token.at, `unexpected '${token.text}', expected NULL, TRUE or FALSE`);
      return (e) => (value(e) === expected) !== negated;
    }
    const negated = this.isWord('NOT') ? (this.next(), true) : false;
    const operator = this.next();
    let test: Condition;
    if (operator.kind === 'word' && operator.text === 'IN') {
      this.expectSymbol('(');
      const values = [this.literal()];
      while (this.isSymbol(',')) {
        this.next();
        values.push(this.literal());
      }
      this.expectSymbol(')');
      test = (e) => values.includes(value(e) ?? null);
    } else if (operator.kind === 'word' && (operator.text === 'LIKE' || operator.text === 'RLIKE')) {
      const pattern = this.next();
      if (pattern.kind !== 'string') throw syntax(pattern.at, `unexpected '${pattern.text}', expected a string`);
      const regex =
        operator.text === 'RLIKE'
          ? new RegExp(`^(?:${pattern.text})$`, 's')
          : new RegExp(`^${pattern.text.split('%').map((part) => part.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')).join('.*')}$`, 'is');
      test = (e) => typeof value(e) === 'string' && regex.test(value(e) as string);
    } else if (!negated && operator.kind === 'symbol' && ['=', '!=', '<', '<=', '>', '>='].includes(operator.text)) {
      const expected = this.literal();
      const compare = (a: AttributeValue | undefined): boolean => {
        if (a === undefined || expected === null) return false;
        switch (operator.text) {
          case '=':
            return a === expected;
          case '!=':
            return a !== expected;
          case '<':
            return a < expected;
          case '<=':
            return a <= expected;
          case '>':
            return a > expected;
          default:
            return a >= expected;
        }
      };
      test = (e) => compare(value(e));
    } else {
      throw syntax(operator.at, `unexpected '${operator.text}'`);
    }
    return negated ? (e) => !test(e) : test;
  }
}

export function parseNrql(query: string): Parsed {
  if (Buffer.byteLength(query) >= 4096) throw new NrqlError('NRQL query too long: the maximum is 4 KB');
  return new Parser(tokenize(query)).parse();
}

function aggregateOf(aggregate: Aggregate, events: FakeEvent[]): number | null | Record<string, number | null> {
  if (aggregate.fn === 'count') return events.length;
  const values = events.map((e) => e.attributes[aggregate.attribute!]).filter((v): v is number => typeof v === 'number');
  if (aggregate.fn === 'sum') return values.reduce((a, b) => a + b, 0);
  if (!values.length) return aggregate.fn === 'percentile' ? { [String(aggregate.percentile)]: null } : null;
  if (aggregate.fn === 'average') return values.reduce((a, b) => a + b, 0) / values.length;
  if (aggregate.fn === 'min') return Math.min(...values);
  if (aggregate.fn === 'max') return Math.max(...values);
  const sorted = [...values].sort((a, b) => a - b);
  return { [String(aggregate.percentile)]: sorted[Math.min(sorted.length - 1, Math.ceil((aggregate.percentile! / 100) * sorted.length) - 1)]! };
}

function sortValue(value: ReturnType<typeof aggregateOf>): number {
  const number = value !== null && typeof value === 'object' ? Object.values(value)[0] : value;
  return typeof number === 'number' ? number : -Infinity;
}

/** The answer to `query` over `events` at `nowMs`: its result rows and the facets it grouped by. */
export function runNrql(query: string, events: readonly FakeEvent[], nowMs: number): { results: Record<string, unknown>[]; facets: string[] } {
  const parsed = parseNrql(query);
  const until = parsed.until ?? nowMs;
  let since = parsed.since ?? until - 3_600_000;
  let buckets = 0;
  if (parsed.timeseriesMs) {
    buckets = Math.floor((until - since) / parsed.timeseriesMs);
    if (buckets > 366) throw new NrqlError(`TIMESERIES would answer ${buckets} buckets; the maximum is 366`);
    since = until - buckets * parsed.timeseriesMs;
  }
  const matching = events.filter((e) => e.eventType === parsed.eventType && e.timestamp >= since && e.timestamp < until && parsed.where(e));
  if (!parsed.aggregate) {
    if (parsed.facets.length || parsed.timeseriesMs) throw new NrqlError('the fake facets and buckets aggregates only');
    const order = parsed.order ?? { attribute: 'timestamp', descending: true };
    const key = (e: FakeEvent) => (order.attribute === 'timestamp' ? e.timestamp : e.attributes[order.attribute]);
    const rows = [...matching].sort((a, b) => {
      const [x, y] = [key(a), key(b)];
      const ascending = x === y ? 0 : x === undefined ? -1 : y === undefined ? 1 : x < y ? -1 : 1;
      return order.descending ? -ascending : ascending;
    });
    const attributes = parsed.attributes!;
    return {
      results: rows.slice(0, parsed.limit ?? 100).map((e) => Object.fromEntries(attributes.map((a) => [a, a === 'timestamp' ? e.timestamp : (e.attributes[a] ?? null)]))),
      facets: [],
    };
  }
  const aggregate = parsed.aggregate;
  if (!parsed.facets.length) {
    if (!parsed.timeseriesMs) return { results: [{ [aggregate.key]: aggregateOf(aggregate, matching) }], facets: [] };
    throw new NrqlError('the fake buckets faceted queries only');
  }
  const groups = new Map<string, FakeEvent[]>();
  for (const event of matching) {
    const values = parsed.facets.map((f) => event.attributes[f]);
    if (values.some((v) => v === undefined)) continue;
    const key = JSON.stringify(values);
    groups.set(key, [...(groups.get(key) ?? []), event]);
  }
  const chosen = [...groups.entries()]
    .sort(([, a], [, b]) => sortValue(aggregateOf(aggregate, b)) - sortValue(aggregateOf(aggregate, a)))
    .slice(0, parsed.limit ?? 10);
  const results: Record<string, unknown>[] = [];
  for (const [key, grouped] of chosen) {
    const values = JSON.parse(key) as AttributeValue[];
    const facet = values.length === 1 ? values[0] : values;
    const named = Object.fromEntries(parsed.facets.map((f, i) => [f, values[i]]));
    if (!parsed.timeseriesMs) {
      results.push({ facet, ...named, [aggregate.key]: aggregateOf(aggregate, grouped) });
      continue;
    }
    for (let b = 0; b < buckets; b++) {
      const begin = since + b * parsed.timeseriesMs;
      const end = begin + parsed.timeseriesMs;
      const inBucket = grouped.filter((e) => e.timestamp >= begin && e.timestamp < end);
      results.push({ beginTimeSeconds: begin / 1000, endTimeSeconds: end / 1000, facet, ...named, [aggregate.key]: aggregateOf(aggregate, inBucket) });
    }
  }
  return { results, facets: parsed.facets };
}
