// The first step of log clustering: a line's variable parts (numbers, ids, addresses, times, paths, quoted
// values…) become typed tokens such as `<NUM>` or `<IP>`, so that lines of one kind of message look alike before
// the template miner (drain.ts) compares them word by word.
//
// One pass of one regular expression whose alternatives are tried in the order of MASKS at each position (the
// more specific first: a URL holds a path, a timestamp holds numbers). Every repetition is bounded and no
// repeated group can match the same text two ways, so the work per line is linear in its length; and only the
// first MAX_LINE_CHARS characters of a line are masked and clustered, so that a huge line costs no more than a
// long one (the rest of it is left out of its template).

/** Characters (UTF-16 code units) of a line that are masked and clustered; the rest is cut off. */
export const MAX_LINE_CHARS = 4096;

/**
 * The typed tokens' patterns, in the order they are tried at each position of a line. A pattern with `needs` can
 * only match a line holding one of those strings, and is left out of the expression for other lines: most lines
 * have no URL, address or quote, and a pattern left out costs nothing at each word.
 */
export const MASKS: readonly { kind: MaskKind; source: string; needs?: readonly string[] }[] = [
  // scheme://…, up to a quote, a bracket or whitespace; a trailing full stop or comma is the sentence's.
  { kind: 'URL', source: String.raw`\b[A-Za-z][A-Za-z0-9+.-]{1,15}:\/\/[^\s"'<>]{0,2047}[^\s"'<>.,;:!?)\]}]`, needs: ['://'] },
  { kind: 'EMAIL', source: String.raw`\b[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8}\b`, needs: ['@'] },
  { kind: 'UUID', source: String.raw`\b[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\b` },
  // 2025-03-04, 2025/03/04, with a time of day, fraction and zone: ISO 8601, RFC 3339 and their log variants.
  { kind: 'TS', source: String.raw`\b\d{4}[-/]\d{2}[-/]\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:[.,]\d{1,9})?(?:Z|[+-]\d{2}:?\d{2}\b)?)?` },
  // 04/Mar/2025:10:11:12 +0000 (common log format).
  { kind: 'TS', source: String.raw`\b\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2}(?: [+-]\d{4})?`, needs: [':'] },
  // Mar  4 10:11:12 (syslog).
  { kind: 'TS', source: String.raw`\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) {1,2}\d{1,2} \d{2}:\d{2}:\d{2}\b`, needs: [':'] },
  // 10:11:12.345
  { kind: 'TS', source: String.raw`\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d{1,9})?\b`, needs: [':'] },
  // IPv4 with its port; IPv6 in full or shortened with "::".
  { kind: 'IP', source: String.raw`\b\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?\b` },
  {
    kind: 'IP',
    source: String.raw`\b(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}\b|\b(?:[0-9A-Fa-f]{1,4}:){1,6}:(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,5})?(?![\w:])|(?<![\w:])::[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,6}(?![\w:])`,
    needs: [':'],
  },
  // A dotted host name with its port: db-1.shop.svc:5432.
  { kind: 'HOST', source: String.raw`\b(?:[A-Za-z0-9-]{1,63}\.){1,10}[A-Za-z][A-Za-z0-9-]{0,62}:\d{1,5}\b`, needs: [':'] },
  // /var/log/x.log, ./conf, ~/x, C:\Temp\x — a path starts a word; "and/or" and a lone "/" are not paths.
  { kind: 'PATH', source: String.raw`(?<![\w.~/-])(?:~|\.{1,2})?\/[\w.@%+~-]{1,255}(?:\/[\w.@%+~-]{0,255}){0,63}`, needs: ['/'] },
  { kind: 'PATH', source: String.raw`\b[A-Za-z]:\\[^\s"'<>|]{0,1024}`, needs: ['\\'] },
  // A quoted word, e.g. user="bob" or table 'orders': a value. It starts a word and ends one, and is not a key
  // ("key": …) nor a message (msg="…"). A quoted phrase is more often a message, whose words tell messages apart:
  // it is kept, its variable parts masked one by one.
  {
    kind: 'STR',
    source: String.raw`(?<![^\s=:(\[{,])(?<!\b(?:msg|message|error|err|reason)=)(?<!"(?:msg|message|error|err|reason)" ?: ?)"[^"\s]{0,256}"(?![^\s,;)\]}])(?! ?:)`,
    needs: ['"'],
  },
  { kind: 'STR', source: String.raw`(?<![^\s=:(\[{,])'[^'\s]{0,256}'(?![^\s,;)\]}])(?! ?:)`, needs: ["'"] },
  // 0x1f, or 8+ hex digits with both a digit and a letter (trace ids, digests; not "deadbeef", not 12345678).
  { kind: 'HEX', source: String.raw`\b0[xX][0-9A-Fa-f]{1,64}\b|\b(?=[0-9A-Fa-f]{8,128}\b)(?=[A-Fa-f]{0,127}\d)(?=\d{0,127}[A-Fa-f])[0-9A-Fa-f]{8,128}\b` },
  // 250ms, 1.5s, 1h2m3s, 5min
  { kind: 'DUR', source: String.raw`\b(?:\d{1,12}(?:\.\d{1,9})?(?:ns|us|µs|ms|msec|secs|sec|s|mins|min|m|hrs|hr|h|d)){1,4}\b` },
  { kind: 'SIZE', source: String.raw`\b\d{1,15}(?:\.\d{1,9})?(?:[KMGTPE]i?B|[kK]B|B)\b` },
  // 42, -7, 3.14, 1.2.3, 6.02e23 — not inside a word (user42, v2), nor a dotted name's part (core.12).
  { kind: 'NUM', source: String.raw`(?<![\w.])-?\d{1,64}(?:\.\d{1,64}){0,8}(?:[eE][-+]?\d{1,3})?(?![\w.]?\w)` },
];

export type MaskKind = 'URL' | 'EMAIL' | 'UUID' | 'TS' | 'IP' | 'HOST' | 'PATH' | 'STR' | 'HEX' | 'DUR' | 'SIZE' | 'NUM';

/** The strings some pattern needs, each a bit of a line's feature set. */
const FEATURES = [...new Set(MASKS.flatMap((mask) => mask.needs ?? []))];

interface Masker {
  pattern: RegExp;
  replace: (...match: string[]) => string;
}

/** One expression per feature set (at most 2 ** FEATURES.length), made when a line with that set first comes. */
const maskers = new Map<number, Masker>();

function masker(features: number): Masker {
  let found = maskers.get(features);
  if (found) return found;
  const present = MASKS.filter((mask) => !mask.needs || mask.needs.some((need) => features & (1 << FEATURES.indexOf(need))));
  // Each pattern is one capturing group (their own groups do not capture): the first defined one names the kind.
  // None starts inside a word, so a position after a word character is passed over at once, not tried with each.
  const tokens = present.map((mask) => `<${mask.kind}>`);
  found = {
    pattern: new RegExp(`(?<!\\w)(?:${present.map((mask) => `(${mask.source})`).join('|')})`, 'g'),
    replace(this: void) {
      // `arguments` spares an array per match.
      for (let group = 1; group <= tokens.length; group++) if (arguments[group] !== undefined) return tokens[group - 1]!;
      return String(arguments[0]);
    },
  };
  maskers.set(features, found);
  return found;
}

/** The first MAX_LINE_CHARS characters of `line`, not splitting a surrogate pair. */
export function capLine(line: string): string {
  if (line.length <= MAX_LINE_CHARS) return line;
  const last = line.charCodeAt(MAX_LINE_CHARS - 1);
  return line.slice(0, last >= 0xd800 && last <= 0xdbff ? MAX_LINE_CHARS - 1 : MAX_LINE_CHARS);
}

/** `line` (its first MAX_LINE_CHARS characters) with each variable part replaced by its typed token. */
export function maskLine(line: string): string {
  const capped = capLine(line);
  let features = 0;
  for (let bit = 0; bit < FEATURES.length; bit++) if (capped.includes(FEATURES[bit]!)) features |= 1 << bit;
  const { pattern, replace } = masker(features);
  return capped.replace(pattern, replace);
}
