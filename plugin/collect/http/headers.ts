// Extra request headers: the non-secret ones a config sets (a tenant such as Mimir's X-Scope-OrgID) and the ones
// an operator pins in a credentials folder's `headers` file (which may be secret, and which win). Neither may set
// what the engine owns: where the request goes and how it is framed (Host, Content-*, hop-by-hop headers), the
// encoding it can read, and authentication, which is a credentials folder's alone (Authorization, Cookie, SigV4's
// X-Amz-*). Messages name headers, never their values.
import { z } from 'zod';

/** Headers one config or folder may set, and their sizes: enough for tenants and routing, not a second body. */
export const MAX_HEADERS = 20;
export const MAX_HEADER_NAME_CHARS = 100;
export const MAX_HEADER_VALUE_CHARS = 1024;

const OWNED: Record<string, string> = {
  host: 'the engine sends each request to its address',
  authorization: 'credentials go in a credentials folder (`credentials`)',
  'proxy-authorization': 'credentials go in a credentials folder (`credentials`)',
  cookie: 'credentials go in a credentials folder (`credentials`)',
  'content-length': 'the engine frames the request body',
  'content-type': 'the engine frames the request body',
  'content-encoding': 'the engine frames the request body',
  'transfer-encoding': 'the engine frames the request body',
  connection: 'it is a hop-by-hop header the HTTP client manages',
  'keep-alive': 'it is a hop-by-hop header the HTTP client manages',
  upgrade: 'it is a hop-by-hop header the HTTP client manages',
  te: 'it is a hop-by-hop header the HTTP client manages',
  trailer: 'it is a hop-by-hop header the HTTP client manages',
  expect: 'it is a hop-by-hop header the HTTP client manages',
  'accept-encoding': 'the engine reads responses uncompressed',
};

// RFC 9110 §5.6.2: a field name is a token.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Printable ASCII and tabs, not starting or ending with white space: what every server reads alike.
const VALUE = /^(?:[\x21-\x7e](?:[\x20-\x7e\t]*[\x21-\x7e])?)$/;

/** Why header `name` cannot be set by a config or folder, or null. */
export function headerNameProblem(name: string): string | null {
  if (!TOKEN.test(name) || name.length > MAX_HEADER_NAME_CHARS) {
    return `${JSON.stringify(name.slice(0, MAX_HEADER_NAME_CHARS))} is not a header name (letters, digits and !#$%&'*+-.^_\`|~, at most ${MAX_HEADER_NAME_CHARS} characters)`;
  }
  const lower = name.toLowerCase();
  const owned = OWNED[lower] ?? (lower.startsWith('x-amz-') ? 'AWS SigV4 signing sets the X-Amz-* headers' : undefined);
  return owned ? `header ${name} cannot be set here: ${owned}` : null;
}

/** Problems of a set of extra headers, each with the header it concerns; values are never repeated. */
export function headersProblems(headers: Record<string, string>): { name?: string; message: string }[] {
  const names = Object.keys(headers);
  if (names.length > MAX_HEADERS) return [{ message: `at most ${MAX_HEADERS} headers; got ${names.length}` }];
  const problems: { name?: string; message: string }[] = [];
  const seen = new Map<string, string>();
  for (const name of names) {
    const nameProblem = headerNameProblem(name);
    if (nameProblem) {
      problems.push({ name, message: nameProblem });
      continue;
    }
    const earlier = seen.get(name.toLowerCase());
    if (earlier !== undefined) problems.push({ name, message: `header ${name} is set twice (also as ${earlier}); header names are case-insensitive` });
    seen.set(name.toLowerCase(), name);
    const value = headers[name]!;
    if (value.length > MAX_HEADER_VALUE_CHARS) problems.push({ name, message: `the value of header ${name} is longer than ${MAX_HEADER_VALUE_CHARS} characters` });
    else if (!VALUE.test(value)) {
      problems.push({ name, message: `the value of header ${name} must be printable ASCII, not empty, without leading or trailing white space or line breaks` });
    }
  }
  return problems;
}

/** `source.<kind>.headers`: extra non-secret headers sent with every request. */
export const extraHeadersSchema = z
  .record(z.string(), z.string({ error: 'expected a string header value' }), { error: 'expected an object of header names to values, e.g. {"X-Scope-OrgID": "team-a"}' })
  .superRefine((headers, ctx) => {
    for (const { name, message } of headersProblems(headers)) ctx.addIssue({ code: 'custom', message, path: name === undefined ? [] : [name] });
  });

/** The config's headers with the pinned ones applied: a pinned header replaces the config's of the same name, whatever its case. */
export function withPinnedHeaders(configured: Record<string, string> | undefined, pinned: Record<string, string>): Record<string, string> {
  const pinnedNames = new Set(Object.keys(pinned).map((name) => name.toLowerCase()));
  const kept = Object.entries(configured ?? {}).filter(([name]) => !pinnedNames.has(name.toLowerCase()));
  return { ...Object.fromEntries(kept), ...pinned };
}
