// The fake Datadog's log search (https://docs.datadoghq.com/logs/explorer/search_syntax/): terms joined by AND
// (also implied by a space), OR, NOT or a leading `-`, in parentheses; a term is free text (searched in the message)
// or `<field>:<value>` — a tag (`pod_name:web-1`), a reserved attribute (`service`, `host`, `status`) or an
// attribute `@path.to.value`; values take `*` and `?` wildcards and `"quoted sequences"`, and a backslash escapes
// the special characters (`- ! ( ) { } [ ] " * ? : \ #`, spaces…). A query it cannot parse is refused, as Datadog
// refuses it, with HTTP 400.

export interface FakeLog {
  /** Epoch ms. */
  timestamp: number;
  message: string;
  status?: string;
  service?: string;
  host?: string;
  /** `key:value` tags. */
  tags: string[];
  attributes?: Record<string, unknown>;
}

export class SearchError extends Error {}

type Node = { kind: 'and' | 'or'; children: Node[] } | { kind: 'not'; child: Node } | { kind: 'term'; field?: string; pattern: RegExp };

type Token = { kind: '(' | ')' | 'AND' | 'OR' | 'NOT' | '-' } | { kind: 'term'; field?: string; pattern: RegExp };

const RESERVED = new Set(['service', 'host', 'status', 'message']);

/** A value's pattern: unescaped `*` and `?` are wildcards, anything escaped or quoted is literal. */
function valuePattern(raw: string, free: boolean): RegExp {
  let source = '';
  let quoted = false;
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    if (ch === '\\') {
      const next = raw[++i];
      if (next === undefined) throw new SearchError('Invalid query: dangling escape');
      source += next.replace(/[.+?^${}()|[\]\\*]/g, '\\$&');
    } else if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === '*') source += '.*';
    else if (!quoted && ch === '?') source += '.';
    else source += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  if (quoted) throw new SearchError('Invalid query: unterminated quote');
  // Free text is a word of the message; a field value is the whole value.
  return free ? new RegExp(`(^|\\W)${source}($|\\W)`, 'i') : new RegExp(`^${source}$`);
}

function tokenize(query: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < query.length) {
    const ch = query[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (ch === '(' || ch === ')') {
      tokens.push({ kind: ch });
      i++;
      continue;
    }
    if (ch === '-' && i + 1 < query.length && !/\s/.test(query[i + 1]!)) {
      tokens.push({ kind: '-' });
      i++;
      continue;
    }
    let raw = '';
    let quoted = false;
    while (i < query.length) {
      const c = query[i]!;
      if (c === '\\' && i + 1 < query.length) {
        raw += c + query[i + 1];
        i += 2;
        continue;
      }
      if (c === '"') quoted = !quoted;
      else if (!quoted && (/\s/.test(c) || c === '(' || c === ')')) break;
      raw += c;
      i++;
    }
    if (raw === 'AND' || raw === 'OR' || raw === 'NOT') {
      tokens.push({ kind: raw });
      continue;
    }
    // The first unescaped, unquoted colon separates a field from its value.
    let colon = -1;
    let inQuotes = false;
    for (let j = 0; j < raw.length; j++) {
      if (raw[j] === '\\') j++;
      else if (raw[j] === '"') inQuotes = !inQuotes;
      else if (raw[j] === ':' && !inQuotes) {
        colon = j;
        break;
      }
    }
    if (colon > 0) tokens.push({ kind: 'term', field: raw.slice(0, colon), pattern: valuePattern(raw.slice(colon + 1), false) });
    else tokens.push({ kind: 'term', pattern: valuePattern(raw, true) });
  }
  return tokens;
}

export function parseSearch(query: string): Node {
  const tokens = tokenize(query);
  let at = 0;
  const peek = () => tokens[at];
  const or = (): Node => {
    const children = [and()];
    while (peek()?.kind === 'OR') {
      at++;
      children.push(and());
    }
    return children.length === 1 ? children[0]! : { kind: 'or', children };
  };
  const and = (): Node => {
    const children = [unary()];
    while (peek() && peek()!.kind !== ')' && peek()!.kind !== 'OR') {
      if (peek()!.kind === 'AND') at++;
      children.push(unary());
    }
    return children.length === 1 ? children[0]! : { kind: 'and', children };
  };
  const unary = (): Node => {
    const token = tokens[at++];
    if (!token) throw new SearchError('Invalid query: unexpected end');
    if (token.kind === 'NOT' || token.kind === '-') return { kind: 'not', child: unary() };
    if (token.kind === '(') {
      const inner = or();
      if (tokens[at++]?.kind !== ')') throw new SearchError('Invalid query: missing )');
      return inner;
    }
    if (token.kind === 'term') return token;
    throw new SearchError(`Invalid query: unexpected ${token.kind}`);
  };
  const node = or();
  if (at !== tokens.length) throw new SearchError(`Invalid query: unexpected ${tokens[at]!.kind}`);
  return node;
}

function attributeAt(value: unknown, path: string[]): unknown {
  return path.reduce<unknown>((current, key) => (typeof current === 'object' && current !== null ? (current as Record<string, unknown>)[key] : undefined), value);
}

function fieldValues(log: FakeLog, field: string): string[] {
  if (field.startsWith('@')) {
    const value = attributeAt(log.attributes, field.slice(1).split('.'));
    return value === undefined ? [] : [String(value)];
  }
  if (RESERVED.has(field)) {
    const value = log[field as 'service' | 'host' | 'status' | 'message'];
    return value === undefined ? [] : [value];
  }
  return log.tags.filter((tag) => tag.startsWith(`${field}:`)).map((tag) => tag.slice(field.length + 1));
}

export function matchesSearch(node: Node, log: FakeLog): boolean {
  switch (node.kind) {
    case 'and':
      return node.children.every((child) => matchesSearch(child, log));
    case 'or':
      return node.children.some((child) => matchesSearch(child, log));
    case 'not':
      return !matchesSearch(node.child, log);
    case 'term':
      return node.field === undefined ? node.pattern.test(log.message) : fieldValues(log, node.field).some((value) => node.pattern.test(value));
  }
}
