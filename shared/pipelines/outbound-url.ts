// The URLs steps send to (a release repository, Jira, a webhook). A Pipeline's author writes them, so a URL is
// refused when it carries credentials, when it would send them (or a run's data) in clear to another machine, or
// when a client could read it differently from how it is checked here and compared with a Secret's allowed
// prefixes: it must be written as the WHATWG parser writes it back (no `\`, no user part, no `..`, no escaped
// slash), since git and curl parse the original text, not the checked one.

export interface UrlRule {
  /** How messages name the URL, e.g. "repository URL". */
  what: string;
  /** The forms accepted, e.g. "expected https://host/path". */
  expected: string;
  /** Schemes accepted besides https: (http: is, to a loopback address only), e.g. ["ssh:"]. */
  schemes?: readonly string[];
}

export class OutboundUrlError extends Error {
  override name = 'OutboundUrlError';
}

const LOOPBACK = ['127.0.0.1', '[::1]', 'localhost'];

/** What is wrong with `url` under `rule`, or undefined when a step may send to it. */
export function outboundUrlProblem(url: string, rule: UrlRule): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `${rule.what} "${url}" is not a URL; ${rule.expected}`;
  }
  if (parsed.password) return `${rule.what} must not hold a password: give the token in the credentials Secret`;
  // A bare origin ("https://jira.example") is written back with its root "/", and means the same.
  const plain = parsed.href === url || (parsed.pathname === '/' && parsed.href === `${url}/`);
  if (!plain || /[\\@]|%2f|%5c/i.test(url.replace(/^ssh:\/\/git@/, 'ssh://'))) {
    return `${rule.what} "${url}" is not written plainly (write it as ${parsed.href.replace(/^(\w+:\/\/)[^@/]*@/, '$1')} without "\\", "@" or escaped slashes); ${rule.expected}`;
  }
  if (parsed.protocol === 'https:' || rule.schemes?.includes(parsed.protocol) || (parsed.protocol === 'http:' && LOOPBACK.includes(parsed.hostname))) return undefined;
  return `${rule.what} "${url}": ${rule.expected} (http:// only to a loopback address)`;
}

/** `url` parsed, or OutboundUrlError saying what is wrong with it. */
export function checkOutboundUrl(url: string, rule: UrlRule): URL {
  const problem = outboundUrlProblem(url, rule);
  if (problem) throw new OutboundUrlError(problem);
  return new URL(url);
}

/** The URL as messages show it: without user part, query or fragment (which may hold a token). */
export function shownUrl(url: URL): string {
  return `${url.origin}${url.pathname === '/' ? '' : url.pathname}`;
}
