// The level of a raw log line — error, warn or info — from what the line says of itself. A template's level is
// the worst among its lines, and decides how much a new or more frequent template weighs (compare.ts).
//
// In this order:
// 1. A level field decides, whatever else the line says: the program classified the line, and an info line may
//    well mention a timeout. The key `level`, `lvl`, `severity`, `loglevel`, `log_level` or `levelname` (any
//    case, quoted or not), then `=` or `:`, then a level word (any case, quoted or not: `level=error`,
//    `"level":"error"`, `severity: WARNING`) or pino's and bunyan's numbers (10–30 info, 40 warn, 50 and 60
//    error). A field with any other value is not one (`level: high`). The line's first level field counts.
// 2. A glog/klog header decides the same way: `E0102 15:04:05.123456 …` (exactly that case: I info, W warn,
//    E and F error), at the start of the line.
// 3. Otherwise the worst of what the words say, info when nothing does:
//    - level words as whole words in UPPER CASE anywhere: ERROR, ERR, FATAL, CRITICAL, CRIT, PANIC, SEVERE,
//      ALERT, EMERG, EMERGENCY (error); WARN, WARNING (warn). In other cases only where they are a label:
//      bracketed (`[error]`, `<warn>`) or directly followed by a colon (`error:`, `Warning:`, `panic:`), but
//      not as a JSON key (`"error":`). Prose (`0 errors`, `on error retry`) does not count;
//    - words only errors use, in any case, as whole words: exception, traceback, panicked, failed, failure,
//      refused, timeout, stacktrace, backtrace, segfault, ECONNREFUSED, ECONNRESET, ETIMEDOUT, and the phrases
//      stack trace, timed out, deadline exceeded, segmentation fault, out of memory, core dumped — but not as a
//      field name or a zero count (`timeout=30s`, `"failed": 3`, `failed: 0`, `0 failed`);
//    - error types: capitalised identifiers ending in `Error` or `Exception` (`TypeError`, `java.io.IOException`,
//      `Error` itself; not `onError`), unless they name a field (`LastError=none`).
//
// Linear in the line's length: one scan over its words with a regular expression that cannot backtrack, and a
// bounded amount of work per word.

export type LogLevel = 'error' | 'warn' | 'info';

const RANK: Record<LogLevel, number> = { info: 0, warn: 1, error: 2 };

/** The worse of two levels. */
export function worseLevel(a: LogLevel, b: LogLevel): LogLevel {
  return RANK[a] >= RANK[b] ? a : b;
}

/** How bad a level is, for ordering: info 0, warn 1, error 2. */
export function levelRank(level: LogLevel): number {
  return RANK[level];
}

const LEVEL_WORDS: ReadonlyMap<string, LogLevel> = new Map([
  ...['error', 'err', 'fatal', 'critical', 'crit', 'panic', 'severe', 'alert', 'emerg', 'emergency'].map((w) => [w, 'error'] as const),
  ...['warn', 'warning'].map((w) => [w, 'warn'] as const),
]);

// Values of a level field: the level words, and the names loggers give their lower levels.
const FIELD_VALUES: ReadonlyMap<string, LogLevel> = new Map([
  ...LEVEL_WORDS,
  ['dpanic', 'error'],
  ...['info', 'information', 'informational', 'notice', 'debug', 'dbg', 'trace', 'verbose', 'fine', 'finer', 'finest', 'config'].map((w) => [w, 'info'] as const),
]);

// pino and bunyan write the level as a number.
const NUMERIC_LEVELS: ReadonlyMap<string, LogLevel> = new Map([
  ['10', 'info'],
  ['20', 'info'],
  ['30', 'info'],
  ['40', 'warn'],
  ['50', 'error'],
  ['60', 'error'],
]);

const LEVEL_KEYS = new Set(['level', 'lvl', 'severity', 'loglevel', 'log_level', 'levelname']);

const ERROR_WORDS = new Set(['exception', 'traceback', 'panicked', 'failed', 'failure', 'refused', 'timeout', 'stacktrace', 'backtrace', 'segfault', 'econnrefused', 'econnreset', 'etimedout']);

/** First words of error phrases, with the rest of the phrase (lower case). */
const ERROR_PHRASES: ReadonlyMap<string, string> = new Map([
  ['stack', ' trace'],
  ['timed', ' out'],
  ['deadline', ' exceeded'],
  ['segmentation', ' fault'],
  ['out', ' of memory'],
  ['core', ' dumped'],
]);

// Longer words are in none of the sets above: not lower-cased, so a huge word costs no copy.
const LONGEST_WORD = 16;

const WORD = /[A-Za-z][A-Za-z0-9_]*/g;
// After a level key: the separator and the value, bounded so that it cannot backtrack far.
const FIELD_VALUE = /"?[ \t]{0,3}[=:][ \t]{0,3}["']?([A-Za-z]{1,16}|\d{2})(?![A-Za-z0-9_])/y;
const KLOG_HEADER = /^([IWEF])\d{4} \d{2}:\d{2}:\d{2}/;
const KLOG_LEVELS: Record<string, LogLevel> = { I: 'info', W: 'warn', E: 'error', F: 'error' };
// After an error word: it names a field or a count (`timeout=30s`, `"failed": 3`, `failed: 0`).
const FIELD_NAME = /=|"[ \t]{0,3}:|:[ \t]{0,3}\d/y;
const WORD_CHAR = /[A-Za-z0-9_]/;

function isWordChar(char: string | undefined): boolean {
  return char !== undefined && WORD_CHAR.test(char);
}

/** The level a log store recorded for a line (its level field's value), or null when it is no level this knows. */
export function levelOfValue(value: string): LogLevel | null {
  const text = value.trim();
  return FIELD_VALUES.get(text.toLowerCase()) ?? NUMERIC_LEVELS.get(text) ?? null;
}

/** The level a level field at `end` (just after its key) gives, or null when it is not one. */
function fieldLevel(line: string, end: number): LogLevel | null {
  FIELD_VALUE.lastIndex = end;
  const value = FIELD_VALUE.exec(line)?.[1];
  if (value === undefined) return null;
  return FIELD_VALUES.get(value.toLowerCase()) ?? NUMERIC_LEVELS.get(value) ?? null;
}

/** A level word used as a label: `[error]`, `<warn>`, `error:` (not the JSON key `"error":`). */
function isLabel(line: string, start: number, end: number): boolean {
  const before = line[start - 1];
  const after = line[end];
  if ((before === '[' || before === '<') && (after === ']' || after === '>')) return true;
  return after === ':' && before !== '"';
}

/** An error word that names a field or counts none: `timeout=30s`, `"failed": 3`, `0 failed`. */
function isFieldOrZero(line: string, start: number, end: number): boolean {
  FIELD_NAME.lastIndex = end;
  if (FIELD_NAME.test(line)) return true;
  return line[start - 1] === ' ' && line[start - 2] === '0' && !isWordChar(line[start - 3]);
}

function phraseFollows(line: string, end: number, rest: string): boolean {
  return line.slice(end, end + rest.length).toLowerCase() === rest && !isWordChar(line[end + rest.length]);
}

function isErrorType(word: string): boolean {
  const first = word.charCodeAt(0);
  return first >= 65 && first <= 90 && (word.endsWith('Error') || word.endsWith('Exception'));
}

/** What a word says of its line's level, ignoring level fields; null when it says nothing. */
function wordLevel(line: string, word: string, start: number, end: number): LogLevel | null {
  if (isErrorType(word)) return isFieldOrZero(line, start, end) ? null : 'error';
  if (word.length > LONGEST_WORD) return null;
  const lower = word.toLowerCase();
  const level = LEVEL_WORDS.get(lower);
  if (level && (word === word.toUpperCase() || isLabel(line, start, end))) return level;
  if (ERROR_WORDS.has(lower) && !isFieldOrZero(line, start, end)) return 'error';
  const rest = ERROR_PHRASES.get(lower);
  if (rest !== undefined && phraseFollows(line, end, rest)) return 'error';
  return null;
}

/** The level of one raw (unmasked) log line: see the header for the rules. */
export function levelOf(line: string): LogLevel {
  const klog = KLOG_HEADER.exec(line);
  if (klog) return KLOG_LEVELS[klog[1]!]!;
  let worst: LogLevel = 'info';
  WORD.lastIndex = 0;
  for (let match = WORD.exec(line); match !== null; match = WORD.exec(line)) {
    const word = match[0];
    const start = match.index;
    const end = start + word.length;
    if (word.length <= LONGEST_WORD && LEVEL_KEYS.has(word.toLowerCase())) {
      const field = fieldLevel(line, end);
      if (field) return field;
    }
    if (worst !== 'error') {
      const level = wordLevel(line, word, start, end);
      if (level) worst = worseLevel(worst, level);
    }
  }
  return worst;
}
