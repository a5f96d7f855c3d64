import type { GroupSelection } from './source.js';

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
