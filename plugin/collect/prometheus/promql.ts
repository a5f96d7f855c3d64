import type { GroupSelection } from '../source.js';

/** The placeholder every query must contain; Argo Rollouts already owns `{{ }}`. */
export const SELECTOR_PLACEHOLDER = '${selector}';
/** A range for rate() and increase() that holds enough samples at the source's scrape interval (rateIntervalMs). */
export const RATE_INTERVAL_PLACEHOLDER = '${rateInterval}';
export const PLACEHOLDERS = [SELECTOR_PLACEHOLDER, RATE_INTERVAL_PLACEHOLDER] as const;

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const NAMED_ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  '"': '\\"',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

/**
 * Body of a PromQL double-quoted string literal holding `value` verbatim. PromQL strings use Go escapes, and a
 * raw newline or control character would end or corrupt the literal, so those become escape sequences.
 */
export function escapePromQLString(value: string): string {
  return value.replace(/[\\"\u0000-\u001f\u007f]/g, (ch) => NAMED_ESCAPES[ch] ?? `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** RE2 pattern matching `value` literally: every metacharacter is backslash-escaped. */
export function escapeRegex(value: string): string {
  return value.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

function assertLabelName(name: string): void {
  if (!LABEL_NAME.test(name)) throw new Error(`invalid Prometheus label name ${JSON.stringify(name)}`);
}

/**
 * Label matchers selecting one group's pods, e.g. `rollouts_pod_template_hash="abc123"` or
 * `pod=~".+-abc123-[a-z0-9]+"` (ReplicaSet pods are named <replicaset>-<suffix>, the ReplicaSet <rollout>-<hash>).
 */
export function groupSelector(group: GroupSelection): string {
  if (group.selectBy === 'label') {
    assertLabelName(group.hashLabel);
    return `${group.hashLabel}="${escapePromQLString(group.podTemplateHash)}"`;
  }
  assertLabelName(group.instanceLabel);
  const pattern = `.+-${escapeRegex(group.podTemplateHash)}-[a-z0-9]+`;
  return `${group.instanceLabel}=~"${escapePromQLString(pattern)}"`;
}

/**
 * The range `${rateInterval}` stands for, as Grafana's $__rate_interval: four scrape intervals, so that a rate
 * has samples even when scrapes are late or missed (or the scrape interval is twice what was configured), and at
 * least a step and a scrape interval, so that consecutive points leave no sample out.
 */
export function rateIntervalMs(stepMs: number, scrapeIntervalMs: number): number {
  return Math.max(4 * scrapeIntervalMs, stepMs + scrapeIntervalMs);
}

/** A PromQL duration: "120s", or "1500ms" when not whole seconds. */
export function promDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** The query with every placeholder replaced (split/join: no `$&`-style replacement patterns). */
export function fillPlaceholders(query: string, values: { selector: string; rateInterval: string }): string {
  return query.split(SELECTOR_PLACEHOLDER).join(values.selector).split(RATE_INTERVAL_PLACEHOLDER).join(values.rateInterval);
}

/** Label matchers `{…}` of a vector selector; they may hold placeholders. */
export const MATCHERS = String.raw`\{(?:[^{}]|\$\{\w+\})*\}`;
const SELECTOR_WITH_PLACEHOLDER = new RegExp(String.raw`(?:[a-zA-Z_:][\w:]*\s*)?${MATCHERS}`, 'g');

/** The query with the text of its string literals blanked, so that only PromQL itself is looked at. */
export function withoutStrings(query: string): string {
  return query.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, (literal) => `${literal[0]}${' '.repeat(literal.length - 2)}${literal[0]}`);
}

/** The vector selectors of a query that pick a group's series (those holding `${selector}`), e.g. `x_total{code="5",${selector}}`. */
export function groupVectorSelectors(query: string): string[] {
  // Matched where string literals are blanked (a `}` in a label value), taken from the query at the same place.
  return [...withoutStrings(query).matchAll(SELECTOR_WITH_PLACEHOLDER)]
    .map((match) => query.slice(match.index, match.index + match[0].length))
    .filter((selector) => selector.includes(SELECTOR_PLACEHOLDER));
}

const PROM_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };

/** The literal range selectors `[5m]` of a PromQL query (not subqueries `[5m:1m]`), in milliseconds. */
export function rangesOf(query: string): { text: string; ms: number }[] {
  return [...query.matchAll(/\[\s*([0-9a-z]+)\s*\]/g)].map((match) => {
    const text = match[1]!;
    const parts = [...text.matchAll(/(\d+)(ms|[smhdwy])/g)];
    const whole = parts.map((p) => p[0]).join('') === text;
    return { text, ms: whole ? parts.reduce((sum, p) => sum + Number(p[1]) * PROM_UNITS[p[2]!]!, 0) : NaN };
  });
}
