// The part of the Query DSL the fake Elasticsearch/OpenSearch evaluates, over stored documents, as the products
// document it: bool (filter, must, must_not, should), term, wildcard (* and ? with \ escapes, anchored), range on a
// date field (gt/gte/lt/lte, `format: epoch_millis` or ISO dates, at the field's own precision: date in
// milliseconds, date_nanos in nanoseconds), exists, ids, and a subset of query_string: `field:value`,
// `field:"a phrase"`, bare terms (any field), `*` and `?` in a term, AND / OR / NOT (and && || !), `+` and `-`,
// parentheses, with Lucene's classic semantics (required, optional and prohibited clauses; OR the default
// operator). Text matches a term when one of its words does, case-insensitively, or when the whole value does. A
// query of any other type is refused as the products refuse an unknown one, and a query string outside the subset
// as one that does not parse.
// https://www.elastic.co/guide/en/elasticsearch/reference/current/query-dsl.html
// https://www.elastic.co/guide/en/elasticsearch/reference/current/query-dsl-query-string-query.html
// https://docs.opensearch.org/latest/query-dsl/

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface StoredDoc {
  index: string;
  id: string;
  source: Record<string, Json>;
}

/**
 * A query the products would refuse: answered 400 with this `type` and `reason`, and what caused it. A
 * query_shard_exception is a shard's failure (each shard fails the same way: "all shards failed").
 */
export class QueryError extends Error {
  constructor(
    readonly type: string,
    reason: string,
    readonly causedBy?: { type: string; reason: string },
  ) {
    super(reason);
  }
}

/** Every leaf value of a _source by its dotted path, whether written nested or dotted; arrays give several values. */
export function flatten(source: Json, prefix = '', into = new Map<string, Json[]>()): Map<string, Json[]> {
  if (Array.isArray(source)) {
    for (const item of source) flatten(item, prefix, into);
  } else if (source !== null && typeof source === 'object') {
    for (const [key, value] of Object.entries(source)) flatten(value, prefix ? `${prefix}.${key}` : key, into);
  } else if (prefix) {
    into.set(prefix, [...(into.get(prefix) ?? []), source]);
  }
  return into;
}

/** A date value as nanoseconds since the epoch: epoch milliseconds, or an ISO date with up to nine fraction digits. */
export function dateNs(value: Json | undefined): bigint | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return BigInt(Math.trunc(value)) * 1_000_000n;
  if (typeof value !== 'string') return undefined;
  if (/^\d+$/.test(value)) return BigInt(value) * 1_000_000n;
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(value);
  if (!match) return undefined;
  const seconds = Date.parse(`${match[1]}${match[3]}`);
  if (Number.isNaN(seconds)) return undefined;
  return BigInt(seconds) * 1_000_000n + BigInt((match[2] ?? '').padEnd(9, '0'));
}

/** How a field is mapped in an index: which fields are dates, and at which precision. */
export interface Mapping {
  dates: Map<string, 'date' | 'date_nanos'>;
}

/** A date field's value at its precision, in nanoseconds (a date field keeps milliseconds). */
export function storedDateNs(fields: Map<string, Json[]>, field: string, mapping: Mapping): bigint | undefined {
  const ns = dateNs(fields.get(field)?.[0]);
  if (ns === undefined) return undefined;
  return mapping.dates.get(field) === 'date_nanos' ? ns : (ns / 1_000_000n) * 1_000_000n;
}

function wildcardRegex(pattern: string, flags = ''): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '\\' && i + 1 < pattern.length) source += escapeRegex(pattern[++i]!);
    else if (ch === '*') source += '.*';
    else if (ch === '?') source += '.';
    else source += escapeRegex(ch);
  }
  return new RegExp(`^${source}$`, `s${flags}`);
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function asObject(value: unknown, what: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new QueryError('parsing_exception', `[${what}] query malformed, no start_object after query name`);
  return value as Record<string, unknown>;
}

/** The single field of a term-level query, and its options (`{field: value}` or `{field: {value: …}}`). */
function fieldClause(query: unknown, what: string): [string, Record<string, unknown>] {
  const entries = Object.entries(asObject(query, what));
  if (entries.length !== 1) throw new QueryError('parsing_exception', `[${what}] query doesn't support multiple fields, found [${entries.map(([k]) => k).join('] and [')}]`);
  const [field, options] = entries[0]!;
  return [field, options !== null && typeof options === 'object' && !Array.isArray(options) ? (options as Record<string, unknown>) : { value: options }];
}

const clauses = (value: unknown): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

function rangeBound(value: unknown, format: unknown, field: string): bigint {
  if (format !== undefined && format !== 'epoch_millis') throw new QueryError('parse_exception', `the fake reads range bounds in epoch_millis only, not ${String(format)}`);
  const ns = dateNs(format === 'epoch_millis' && typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : (value as Json));
  if (ns === undefined) throw new QueryError('parse_exception', `failed to parse date field [${String(value)}] for [${field}]`);
  return ns;
}

/** Whether `doc` matches `query`; throws QueryError for a query the products would refuse. */
export function matches(query: unknown, doc: StoredDoc, mapping: Mapping, fields = flatten(doc.source)): boolean {
  const [type, body] = Object.entries(asObject(query, 'query'))[0] ?? [];
  if (type === undefined || Object.keys(query as object).length !== 1) throw new QueryError('parsing_exception', 'expected exactly one query type');
  switch (type) {
    case 'match_all':
      return true;
    case 'bool': {
      const bool = asObject(body, 'bool');
      for (const key of Object.keys(bool)) {
        if (!['filter', 'must', 'must_not', 'should', 'minimum_should_match'].includes(key)) throw new QueryError('x_content_parse_exception', `[bool] unknown field [${key}]`);
      }
      const all = [...clauses(bool.filter), ...clauses(bool.must)];
      const should = clauses(bool.should);
      const least = typeof bool.minimum_should_match === 'number' ? bool.minimum_should_match : all.length ? 0 : Math.min(1, should.length);
      return (
        all.every((clause) => matches(clause, doc, mapping, fields)) &&
        !clauses(bool.must_not).some((clause) => matches(clause, doc, mapping, fields)) &&
        should.filter((clause) => matches(clause, doc, mapping, fields)).length >= least
      );
    }
    case 'term': {
      const [field, { value }] = fieldClause(body, 'term');
      return (fields.get(field) ?? []).some((stored) => stored === value);
    }
    case 'wildcard': {
      const [field, { value }] = fieldClause(body, 'wildcard');
      if (typeof value !== 'string') throw new QueryError('parsing_exception', '[wildcard] requires a value');
      const pattern = wildcardRegex(value);
      return (fields.get(field) ?? []).some((stored) => typeof stored === 'string' && pattern.test(stored));
    }
    case 'range': {
      const [field, options] = fieldClause(body, 'range');
      if (!mapping.dates.has(field)) return false;
      const ns = storedDateNs(fields, field, mapping);
      if (ns === undefined) return false;
      const bound = (key: string) => (options[key] === undefined ? undefined : rangeBound(options[key], options.format, field));
      const [gt, gte, lt, lte] = ['gt', 'gte', 'lt', 'lte'].map(bound);
      return (gt === undefined || ns > gt) && (gte === undefined || ns >= gte) && (lt === undefined || ns < lt) && (lte === undefined || ns <= lte);
    }
    case 'exists': {
      const { field } = asObject(body, 'exists');
      return typeof field === 'string' && (fields.get(field) ?? []).some((value) => value !== null);
    }
    case 'ids': {
      const { values } = asObject(body, 'ids');
      return Array.isArray(values) && values.includes(doc.id);
    }
    case 'query_string': {
      const { query: text, ...rest } = asObject(body, 'query_string');
      if (typeof text !== 'string') throw new QueryError('parsing_exception', '[query_string] requires query value');
      if (Object.keys(rest).length) throw new QueryError('parsing_exception', `the fake reads no query_string option (${Object.keys(rest).join(', ')})`);
      return evaluate(parseQueryString(text), fields);
    }
    default:
      throw new QueryError('parsing_exception', `unknown query [${type}]`);
  }
}

// --- query_string ---

type Term = { kind: 'term'; field?: string; text: string; phrase: boolean };
/** A boolean query of clauses, as Lucene's classic parser builds one per level of parentheses. */
type Group = { kind: 'group'; clauses: { occur: 'must' | 'should' | 'must_not'; node: Node }[] };
type Node = Term | Group;

type Token = { kind: 'term' | '(' | ')' | 'and' | 'or' | 'not' | 'plus'; text: string; at: number; field?: string; phrase?: boolean };

/** Lucene's words for a query string that does not parse: "Cannot parse '<query>': …". */
function cannotParse(query: string, what: string): QueryError {
  return new QueryError('query_shard_exception', `Failed to parse query [${query}]`, { type: 'parse_exception', reason: `Cannot parse '${query}': ${what}` });
}

const unescape = (text: string) => text.replace(/\\(.)/g, '$1');

/** The end of the quoted phrase opened at `from` (the index of its closing quote); throws when it never closes. */
function phraseEnd(query: string, from: number): number {
  let i = from + 1;
  while (i < query.length && query[i] !== '"') i += query[i] === '\\' ? 2 : 1;
  if (i >= query.length) throw cannotParse(query, `Lexical error at line 1, column ${query.length + 1}.  Encountered: <EOF> after : "${query.slice(from)}"`);
  return i;
}

function tokenize(query: string): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < query.length; ) {
    const ch = query[i]!;
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === '(' || ch === ')') {
      tokens.push({ kind: ch, text: ch, at: i++ });
    } else if (ch === '/') {
      throw cannotParse(query, `the fake reads no regular expression (column ${i + 1})`);
    } else if (ch === '-' || ch === '!') {
      tokens.push({ kind: 'not', text: ch, at: i++ });
    } else if (ch === '+') {
      tokens.push({ kind: 'plus', text: ch, at: i++ });
    } else if (query.startsWith('&&', i) || query.startsWith('||', i)) {
      tokens.push({ kind: ch === '&' ? 'and' : 'or', text: query.slice(i, i + 2), at: i });
      i += 2;
    } else if (ch === '"') {
      const end = phraseEnd(query, i);
      tokens.push({ kind: 'term', text: unescape(query.slice(i + 1, end)), phrase: true, at: i });
      i = end + 1;
    } else {
      let j = i;
      while (j < query.length && !/[\s()"]/.test(query[j]!)) j += query[j] === '\\' ? 2 : 1;
      const word = query.slice(i, j);
      const keyword = ({ AND: 'and', OR: 'or', NOT: 'not' } as const)[word as 'AND'];
      const { field, value } = splitField(word);
      if (keyword) {
        tokens.push({ kind: keyword, text: word, at: i });
      } else if (field !== undefined && value === '' && query[j] === '"') {
        // `field:"a phrase"`: the field and its phrase are one clause.
        const end = phraseEnd(query, j);
        tokens.push({ kind: 'term', field, text: unescape(query.slice(j + 1, end)), phrase: true, at: i });
        j = end + 1;
      } else {
        if (value === '') throw cannotParse(query, `Encountered "<EOF>" after "${word}" at line 1, column ${j}.`);
        tokens.push({ kind: 'term', ...(field !== undefined && { field }), text: value, phrase: false, at: i });
      }
      i = j;
    }
  }
  return tokens;
}

/** `field:value` split at its first unescaped colon; a bare value has no field. */
function splitField(text: string): { field?: string; value: string } {
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === ':') return { field: unescape(text.slice(0, i)), value: text.slice(i + 1) };
  }
  return { value: text };
}

/**
 * The query string as Lucene's classic parser reads it with OR as the default operator: each level of parentheses
 * is one boolean query whose clauses are required (`+`, or joined by AND), prohibited (NOT, `!`, `-`) or optional.
 */
export function parseQueryString(query: string): Node {
  const tokens = tokenize(query);
  let pos = 0;
  const unexpected = (token: Token | undefined): QueryError =>
    cannotParse(query, token ? `Encountered " ${JSON.stringify(token.text)} " at line 1, column ${token.at + 1}.` : `Encountered "<EOF>" at line 1, column ${query.length}.`);

  function group(): Group {
    const clauses: Group['clauses'] = [];
    while (pos < tokens.length && tokens[pos]!.kind !== ')') {
      const conjunction = tokens[pos]!.kind === 'and' || tokens[pos]!.kind === 'or' ? tokens[pos++]!.kind : undefined;
      if (conjunction && !clauses.length) throw unexpected(tokens[pos - 1]);
      const modifier = tokens[pos]?.kind === 'not' || tokens[pos]?.kind === 'plus' ? tokens[pos++]!.kind : undefined;
      const token = tokens[pos++];
      let node: Node;
      if (token?.kind === '(') {
        node = group();
        if (tokens[pos]?.kind !== ')') throw unexpected(tokens[pos]);
        pos++;
      } else if (token?.kind === 'term') {
        node = { kind: 'term', ...(token.field !== undefined && { field: token.field }), text: token.text, phrase: token.phrase === true };
      } else {
        throw unexpected(token);
      }
      // AND makes the clause before it required too, unless it is prohibited.
      const previous = clauses.at(-1);
      if (conjunction === 'and' && previous && previous.occur !== 'must_not') previous.occur = 'must';
      const occur = modifier === 'not' ? 'must_not' : modifier === 'plus' || conjunction === 'and' ? 'must' : 'should';
      clauses.push({ occur, node });
    }
    if (!clauses.length) throw unexpected(tokens[pos]);
    return { kind: 'group', clauses };
  }

  const node = group();
  if (pos < tokens.length) throw unexpected(tokens[pos]);
  return node;
}

const WORD_SPLIT = /[^\p{L}\p{N}_]+/u;

function termMatches(term: Term, value: Json): boolean {
  if (value === null || typeof value === 'object') return false;
  const text = String(value).toLowerCase();
  if (term.phrase) return text.includes(term.text.toLowerCase());
  const wanted = unescape(term.text).toLowerCase();
  if (/(?<!\\)[*?]/.test(term.text)) {
    const pattern = wildcardRegex(term.text.toLowerCase());
    return pattern.test(text) || text.split(WORD_SPLIT).some((word) => pattern.test(word));
  }
  return text === wanted || text.split(WORD_SPLIT).includes(wanted);
}

function evaluate(node: Node, fields: Map<string, Json[]>): boolean {
  if (node.kind === 'term') {
    const values = node.field === undefined ? [...fields.values()].flat() : (fields.get(node.field) ?? []);
    return values.some((value) => termMatches(node, value));
  }
  const of = (occur: string) => node.clauses.filter((clause) => clause.occur === occur).map((clause) => clause.node);
  const [must, should, mustNot] = [of('must'), of('should'), of('must_not')];
  if (!must.every((child) => evaluate(child, fields)) || mustNot.some((child) => evaluate(child, fields))) return false;
  // Optional clauses decide only where nothing is required; a query of prohibitions alone matches everything else.
  return must.length > 0 || should.length === 0 || should.some((child) => evaluate(child, fields));
}
