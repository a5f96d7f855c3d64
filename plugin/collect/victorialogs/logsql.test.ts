import { describe, expect, it } from 'vitest';
import type { LogGroupSelection } from '../source.js';
import { countQuery, fieldProblem, groupFilter, groupQuery, linesQuery, queryProblems } from './logsql.js';
import { tenantHeaders, victoriaLogsSettingsSchema } from './settings.js';

const byName: LogGroupSelection = { podTemplateHash: '7d9f8c6b5', selectBy: 'podName', hashField: 'rollouts_pod_template_hash', instanceField: 'kubernetes.pod_name' };
const byLabel: LogGroupSelection = { ...byName, selectBy: 'label' };

describe('groupFilter', () => {
  it('matches the whole hash field, or the whole pod name around the hash', () => {
    expect(groupFilter(byLabel)).toBe('"rollouts_pod_template_hash":="7d9f8c6b5"');
    expect(groupFilter(byName)).toBe('"kubernetes.pod_name":~"^.+-7d9f8c6b5-[a-z0-9]+$"');
  });

  it('quotes a hash or field that would end its string or widen the regular expression', () => {
    expect(groupFilter({ ...byName, podTemplateHash: '.*"|x' })).toBe('"kubernetes.pod_name":~"^.+-\\\\.\\\\*\\"\\\\|x-[a-z0-9]+$"');
    expect(groupFilter({ ...byLabel, podTemplateHash: 'a"\nb\\', hashField: 'x") or ("' })).toBe('"x\\") or (\\"":="a\\"\\nb\\\\"');
  });
});

describe('groupQuery', () => {
  it("ANDs the config's filter, parenthesised and ended by a line break, with the group's", () => {
    const query = groupQuery('app:="web" or app:="api" # both', byLabel);
    expect(query).toBe('(app:="web" or app:="api" # both\n) "rollouts_pod_template_hash":="7d9f8c6b5"');
    expect(linesQuery(query, ['_msg', 'kubernetes.pod_name', 'level', '_msg'])).toBe(`${query} | fields "_time", "_msg", "kubernetes.pod_name", "level"`);
    expect(countQuery(query)).toBe(`${query} | stats count() as lines`);
  });

  it('refuses a query that could escape its parentheses', () => {
    expect(() => groupQuery('app:="web") or (*', byLabel)).toThrow('a ) closes no (');
  });
});

describe('queryProblems', () => {
  it('accepts filters, with pipes, parentheses and quotes inside strings, comments and subqueries', () => {
    expect(queryProblems('namespace:="shop" app:="web" -"GET /healthz"')).toEqual([]);
    expect(queryProblems(`_msg:~"a|b" '(' \`)|\` # a | comment (`)).toEqual([]);
    expect(queryProblems('pod:in(_time:5m error | fields pod)')).toEqual([]);
  });

  it('refuses pipes, unbalanced parentheses, unclosed strings, and filters of nothing or everything', () => {
    expect(queryProblems('app:="web" | stats count()')[0]).toMatch(/^expected a LogsQL filter without pipes/);
    expect(queryProblems('(app:="web"')).toEqual(['a ( is not closed']);
    expect(queryProblems('app:="web')).toEqual(['a string ("…", \'…\' or `…`) is not closed']);
    expect(queryProblems('  # nothing')[0]).toMatch(/^expected a LogsQL filter selecting the service's lines/);
    expect(queryProblems(' * ')[0]).toMatch(/selects every line/);
  });
});

describe('fieldProblem', () => {
  it('accepts any name a field can have, but control characters and wildcards', () => {
    expect(fieldProblem('kubernetes.pod_name')).toBeNull();
    expect(fieldProblem('pod name')).toBeNull();
    expect(fieldProblem('')).toMatch(/expected a VictoriaLogs field name/);
    expect(fieldProblem('pod\n')).toMatch(/expected a VictoriaLogs field name/);
    expect(fieldProblem('pod*')).toMatch(/not ending in \*/);
  });
});

describe('source.victorialogs settings', () => {
  it('fills the defaults', () => {
    expect(victoriaLogsSettingsSchema.parse({ address: 'http://victorialogs:9428' })).toEqual({
      address: 'http://victorialogs:9428',
      timeout: 10_000,
      messageField: '_msg',
      levelField: 'level',
      linesPerQuery: 5000,
    });
  });

  it('reads a tenant as VictoriaLogs names them, and refuses others naming the form', () => {
    expect(tenantHeaders(victoriaLogsSettingsSchema.parse({ address: 'http://vl:9428', tenant: '42' }).tenant)).toEqual({ AccountID: '42', ProjectID: '0' });
    expect(tenantHeaders('007:4294967295')).toEqual({ AccountID: '7', ProjectID: '4294967295' });
    expect(tenantHeaders(undefined)).toEqual({});
    for (const tenant of ['team-a', '1:2:3', '4294967296', '-1']) {
      expect(victoriaLogsSettingsSchema.safeParse({ address: 'http://vl:9428', tenant }).error?.issues[0]?.message).toBe(
        `expected a VictoriaLogs tenant as <AccountID> or <AccountID>:<ProjectID>, each a whole number up to 4294967295; got ${JSON.stringify(tenant)}`,
      );
    }
  });

  it('refuses a field name it cannot use, naming the setting', () => {
    const issue = victoriaLogsSettingsSchema.safeParse({ address: 'http://vl:9428', levelField: '' }).error?.issues[0];
    expect(issue?.path).toEqual(['levelField']);
    expect(issue?.message).toMatch(/expected a VictoriaLogs field name/);
  });
});
