import { describe, expect, it } from 'vitest';
import type { LogGroupSelection } from '../source.js';
import { countQuery, fieldProblem, groupLogQuery, queryProblems } from './logql.js';

const byName: LogGroupSelection = { podTemplateHash: '7d9f8c6b5', selectBy: 'podName', hashField: 'rollouts_pod_template_hash', instanceField: 'pod' };
const byLabel: LogGroupSelection = { ...byName, selectBy: 'label' };

describe('groupLogQuery', () => {
  it('adds the group matcher inside the stream selector, before the pipeline', () => {
    expect(groupLogQuery('{namespace="shop", app="web"} != "GET /healthz"', byName)).toBe(
      '{namespace="shop", app="web", pod=~".+-7d9f8c6b5-[a-z0-9]+"\n} != "GET /healthz"',
    );
    expect(groupLogQuery('{app="web"}', byLabel)).toBe('{app="web", rollouts_pod_template_hash="7d9f8c6b5"\n}');
  });

  it('is not misled by braces, brackets and quotes inside strings and comments', () => {
    const query = '{app=~"web|api", msg!~`[}{]`} |= "a \\" } [5m]" # trailing } comment [1m]';
    expect(groupLogQuery(query, byLabel)).toBe(`{app=~"web|api", msg!~\`[}{]\`, rollouts_pod_template_hash="7d9f8c6b5"\n} |= "a \\" } [5m]" # trailing } comment [1m]`);
  });

  it('closes a comment that ends the selector before adding to it', () => {
    expect(groupLogQuery('{app="web" # the service\n}', byLabel)).toBe('{app="web" # the service\n, rollouts_pod_template_hash="7d9f8c6b5"\n}');
  });

  it('escapes a hash that would break out of its string or widen the regular expression', () => {
    const hostile = { ...byName, podTemplateHash: '.*"} or {x=~".*' };
    expect(groupLogQuery('{app="web"}', hostile)).toBe('{app="web", pod=~".+-\\\\.\\\\*\\"\\\\} or \\\\{x=~\\"\\\\.\\\\*-[a-z0-9]+"\n}');
    expect(groupLogQuery('{app="web"}', { ...byLabel, podTemplateHash: 'a"\nb\\' })).toBe('{app="web", rollouts_pod_template_hash="a\\"\\nb\\\\"\n}');
  });

  it('refuses a query it cannot place the matcher in', () => {
    expect(() => groupLogQuery('sum(rate({app="web"}[5m]))', byName)).toThrow('is a metric query');
    expect(() => groupLogQuery('{app="web', byName)).toThrow('not closed');
  });
});

describe('countQuery', () => {
  it("counts the log query's lines over the range, the range on a line of its own after a comment", () => {
    expect(countQuery('{app="web"} # all', 300_000)).toBe('sum(count_over_time({app="web"} # all\n[300s]))');
    expect(countQuery('{app="web"}', 1500)).toBe('sum(count_over_time({app="web"}\n[1500ms]))');
  });
});

describe('queryProblems', () => {
  it('accepts log queries with filters and parsers', () => {
    expect(queryProblems('{namespace="shop", app="web"} != "GET /healthz" | json | level!="debug"')).toEqual([]);
    expect(queryProblems('  {app=`web`} |~ "(?i)error"')).toEqual([]);
  });

  it('refuses metric queries', () => {
    for (const query of ['sum(count_over_time({app="web"}[5m]))', 'rate({app="web"}[1m])', 'sum by (pod) (rate({app="web"}[1m]))', '({app="web"})']) {
      expect(queryProblems(query)[0]).toMatch(/is a metric query/);
    }
    expect(queryProblems('{app="web"} [5m]')[0]).toMatch(/a range \[\.\.\.\] makes a metric query/);
  });

  it('refuses queries without a stream selector, empty or unclosed ones, and placeholders', () => {
    expect(queryProblems('app="web"')[0]).toMatch(/^expected a log query starting with a stream selector, e.g. \{namespace="shop"/);
    expect(queryProblems('')[0]).toMatch(/^expected a log query starting with a stream selector/);
    expect(queryProblems('{}')[0]).toMatch(/selects nothing/);
    expect(queryProblems('{app="web"')[0]).toMatch(/not closed/);
    expect(queryProblems('{app="web}')[0]).toMatch(/string .* is not closed/);
    expect(queryProblems('{app="web"} {x="y"}')[0]).toMatch(/one stream selector/);
    expect(queryProblems('{app="web", ${selector}}')[0]).toMatch(/placeholder/);
  });
});

describe('fieldProblem', () => {
  it('accepts Loki label names only', () => {
    expect(fieldProblem('pod')).toBeNull();
    expect(fieldProblem('kubernetes.pod_name')).toMatch(/expected a Loki label name/);
  });
});
