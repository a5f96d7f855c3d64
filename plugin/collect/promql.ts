import type { GroupSelection } from './source.js';

/** The one placeholder a query must contain; Argo Rollouts already owns `{{ }}`. */
export const SELECTOR_PLACEHOLDER = '${selector}';

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

/** The query with every `${selector}` replaced by the matchers (split/join: no `$&`-style replacement patterns). */
export function withSelector(query: string, selector: string): string {
  return query.split(SELECTOR_PLACEHOLDER).join(selector);
}
