// One query for both groups of a look, where that gives each instance the same series as one query per group:
// the query must compute each instance's series from that instance's own series alone (checked on its syntax
// tree), and each result series must be told apart by group — by the hash label when the result keeps it, or by
// the pod name, which Argo Rollouts builds as <rollout>-<pod-template-hash>-<suffix>.
import { parser } from '@prometheus-io/lezer-promql';
import { SELECTOR_PLACEHOLDER, escapePromQLString, escapeRegex, fillPlaceholders, groupSelector } from './promql.js';
import type { GroupSelection } from '../source.js';

type SyntaxNode = ReturnType<typeof parser.parse>['topNode'];

/** What a subexpression's value for one instance depends on. */
const enum Reach {
  /** No group's series at all (a constant, another metric). */
  None = 0,
  /** Only that instance's own series. */
  Instance = 1,
  /** Other instances of the groups too: reading both groups at once would change it. */
  Across = 2,
}

// Functions of a whole vector rather than of each series on its own.
const WHOLE_VECTOR_FUNCTIONS = new Set(['scalar', 'absent', 'absent_over_time']);
const MARKER = '__rollouts_cv_group__';
const CACHE_LIMIT = 1000;
const cache = new Map<string, boolean>();

/** Whether `query` gives each instance a series computed from that instance's own series only. */
export function isPerInstance(query: string, instanceLabel: string): boolean {
  const key = `${instanceLabel}\n${query}`;
  let answer = cache.get(key);
  if (answer === undefined) {
    const text = fillPlaceholders(query, { selector: `${MARKER}="x"`, rateInterval: '1m' });
    answer = reach(parser.parse(text).topNode, text, instanceLabel) === Reach.Instance;
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(key, answer);
  }
  return answer;
}

function children(node: SyntaxNode): SyntaxNode[] {
  const list: SyntaxNode[] = [];
  for (let child = node.firstChild; child; child = child.nextSibling) list.push(child);
  return list;
}

const widest = (reaches: Reach[]): Reach => reaches.reduce((a, b) => (b > a ? b : a), Reach.None);

function groupingLabels(node: SyntaxNode | undefined, text: string): string[] {
  const labels = node ? children(node).find((child) => child.name === 'GroupingLabels') : undefined;
  return labels ? children(labels).map((label) => text.slice(label.from, label.to)) : [];
}

function reach(node: SyntaxNode, text: string, instance: string): Reach {
  const inner = (nodes: SyntaxNode[]) => widest(nodes.map((child) => reach(child, text, instance)));
  switch (node.name) {
    case '⚠':
      return Reach.Across;
    case 'VectorSelector':
      return text.slice(node.from, node.to).includes(MARKER) ? Reach.Instance : Reach.None;
    case 'FunctionCall': {
      const name = children(node).find((child) => child.name === 'FunctionIdentifier');
      const args = inner(children(node).filter((child) => child.name === 'FunctionCallBody'));
      return name && WHOLE_VECTOR_FUNCTIONS.has(text.slice(name.from, name.to)) && args !== Reach.None ? Reach.Across : args;
    }
    case 'AggregateExpr': {
      const body = inner(children(node).filter((child) => child.name === 'FunctionCallBody'));
      if (body !== Reach.Instance) return body;
      const modifier = children(node).find((child) => child.name === 'AggregateModifier');
      const kind = modifier?.firstChild?.name;
      const labels = groupingLabels(modifier, text);
      // Grouped by the instance (or not without it): each output series still belongs to one instance.
      if ((kind === 'By' && labels.includes(instance)) || (kind === 'Without' && !labels.includes(instance))) return Reach.Instance;
      return Reach.Across;
    }
    case 'BinaryExpr': {
      const operands = children(node).filter((child) => child.name !== 'MatchingModifierClause' && child.name !== 'BoolModifier');
      const reaches = operands.map((child) => reach(child, text, instance));
      const both = reaches.filter((r) => r === Reach.Instance).length >= 2;
      const matching = children(node).find((child) => child.name === 'MatchingModifierClause');
      if (both && matching) {
        const kind = matching.firstChild?.name;
        const labels = groupingLabels(matching, text);
        // Series of two instances could be matched with each other.
        if ((kind === 'On' && !labels.includes(instance)) || (kind === 'Ignoring' && labels.includes(instance))) return Reach.Across;
      }
      return widest(reaches);
    }
    default:
      return inner(children(node));
  }
}

/** Label matchers selecting the pods of all the groups at once. */
export function groupsSelector(groups: readonly GroupSelection[]): string {
  const [first] = groups;
  if (!first) throw new Error('no group to select');
  if (groups.length === 1) return groupSelector(first);
  const hashes = groups.map((group) => escapeRegex(group.podTemplateHash)).join('|');
  if (first.selectBy === 'label') return `${first.hashLabel}=~"${escapePromQLString(hashes)}"`;
  return `${first.instanceLabel}=~"${escapePromQLString(`.+-(?:${hashes})-[a-z0-9]+`)}"`;
}

/** Whether one query can serve all the groups (same selection settings, a per-instance query). */
export function canQueryTogether(query: string, groups: readonly GroupSelection[]): boolean {
  const [first] = groups;
  if (!first || groups.length < 2 || !query.includes(SELECTOR_PLACEHOLDER)) return false;
  const same = groups.every((g) => g.selectBy === first.selectBy && g.hashLabel === first.hashLabel && g.instanceLabel === first.instanceLabel);
  return same && isPerInstance(query, first.instanceLabel);
}

/**
 * Index in `groups` of the group a result series belongs to, or -1 when it cannot be told: by the hash label
 * (label selection, when the result keeps it), else by the pod name on the instance label.
 */
export function groupOf(labels: Record<string, string>, groups: readonly GroupSelection[]): number {
  const [first] = groups;
  if (!first) return -1;
  if (first.selectBy === 'label' && labels[first.hashLabel] !== undefined) {
    return groups.findIndex((group) => group.podTemplateHash === labels[first.hashLabel]);
  }
  const name = labels[first.instanceLabel];
  if (name === undefined) return -1;
  const matches = groups.flatMap((group, index) => (podNameHash(name, group.podTemplateHash) ? [index] : []));
  return matches.length === 1 ? matches[0]! : -1;
}

/** Whether a pod name is `<anything>-<hash>-<suffix>`, as the pods of a ReplicaSet are named. */
function podNameHash(name: string, hash: string): boolean {
  const end = name.lastIndexOf('-');
  return end > hash.length + 1 && name.slice(end - hash.length - 1, end) === `-${hash}` && /^[a-z0-9]+$/.test(name.slice(end + 1));
}
