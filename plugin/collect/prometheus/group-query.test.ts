import { describe, expect, it } from 'vitest';
import { canQueryTogether, groupOf, groupsSelector, isPerInstance } from './group-query.js';
import type { GroupSelection } from '../source.js';

const byLabel = (hash: string): GroupSelection => ({ podTemplateHash: hash, selectBy: 'label', hashLabel: 'rollouts_pod_template_hash', instanceLabel: 'pod' });
const byName = (hash: string): GroupSelection => ({ ...byLabel(hash), selectBy: 'podName' });

describe('isPerInstance', () => {
  it.each([
    'x{${selector}}',
    'sum by (pod) (rate(http_requests_total{code=~"5..",${selector}}[1m]))',
    'histogram_quantile(0.95, sum by (pod, le) (rate(d_bucket{${selector}}[1m])))',
    'sum(rate(x{${selector}}[1m])) by (pod)',
    'sum without (code) (rate(x{${selector}}[1m]))',
    'sum by (pod) (a{${selector}}) / sum by (pod) (b{${selector}})',
    'sum by (pod) (a{${selector}}) / on(pod) sum by (pod) (b{${selector}})',
    'sum by (pod) (a{${selector}}) / on() group_left scalar(sum(up))',
    'max_over_time(x{${selector}}[5m:1m]) * 100',
    'topk by (pod) (1, x{${selector}})',
  ])('%s: each instance from its own series', (query) => {
    expect(isPerInstance(query, 'pod')).toBe(true);
  });

  it.each([
    'sum(rate(x{${selector}}[1m]))',
    'sum by (le) (rate(d_bucket{${selector}}[1m]))',
    'sum without (pod) (x{${selector}})',
    'x{${selector}} / on() group_left sum(x{${selector}})',
    'x{${selector}} / ignoring(pod) group_left sum by (code) (x{${selector}})',
    'x{${selector}} - scalar(avg(x{${selector}}))',
    'absent(x{${selector}})',
    'topk(1, x{${selector}})',
    'sum by (pod) (x{${selector}}',
  ])('%s: depends on other instances (or does not parse)', (query) => {
    expect(isPerInstance(query, 'pod')).toBe(false);
  });

  it('checks the configured instance label', () => {
    expect(isPerInstance('sum by (instance) (x{${selector}})', 'instance')).toBe(true);
    expect(isPerInstance('sum by (instance) (x{${selector}})', 'pod')).toBe(false);
  });
});

describe('groupsSelector', () => {
  it('selects every group by the hash label, or by pod names', () => {
    expect(groupsSelector([byLabel('abc'), byLabel('d.f')])).toBe('rollouts_pod_template_hash=~"abc|d\\\\.f"');
    expect(groupsSelector([byName('abc'), byName('def')])).toBe('pod=~".+-(?:abc|def)-[a-z0-9]+"');
    expect(groupsSelector([byLabel('abc')])).toBe('rollouts_pod_template_hash="abc"');
  });
});

describe('canQueryTogether', () => {
  it('needs several groups with the same selection and a per-instance query', () => {
    const query = 'sum by (pod) (x{${selector}})';
    expect(canQueryTogether(query, [byLabel('a'), byLabel('b')])).toBe(true);
    expect(canQueryTogether(query, [byLabel('a')])).toBe(false);
    expect(canQueryTogether(query, [byLabel('a'), byName('b')])).toBe(false);
    expect(canQueryTogether('sum(x{${selector}})', [byLabel('a'), byLabel('b')])).toBe(false);
  });
});

describe('groupOf', () => {
  const groups = [byLabel('c0ffee'), byLabel('bead5')];
  it('reads the hash label when the result keeps it', () => {
    expect(groupOf({ pod: 'anything', rollouts_pod_template_hash: 'bead5' }, groups)).toBe(1);
    expect(groupOf({ pod: 'web-c0ffee-x1', rollouts_pod_template_hash: 'other' }, groups)).toBe(-1);
  });
  it('else reads the pod name, <rollout>-<hash>-<suffix>', () => {
    expect(groupOf({ pod: 'web-c0ffee-x7k2p' }, groups)).toBe(0);
    expect(groupOf({ pod: 'my-web-bead5-abcde' }, groups)).toBe(1);
    expect(groupOf({ pod: 'web-c0ffee' }, groups)).toBe(-1);
    expect(groupOf({ pod: '10.0.0.1:8080' }, groups)).toBe(-1);
    expect(groupOf({ instance: 'web-c0ffee-x7k2p' }, groups)).toBe(-1);
  });
  it('never guesses between two groups', () => {
    expect(groupOf({ pod: 'a-b-c' }, [byName('b'), byName('b')])).toBe(-1);
  });
});
