import { describe, expect, it } from 'vitest';
import type { GroupSelection, LogGroupSelection } from '../source.js';
import { EXAMPLES, escapeSearchValue, fieldProblem, fillSelector, groupScope, isPodOf, labelProblem, logGroupFilter, logQueryProblems, logSearch, queryProblems } from './dialect.js';
import { datadogSettingsSchema } from './settings.js';

const settings = datadogSettingsSchema.parse({ credentials: 'datadog' });
const byLabel = (podTemplateHash: string): GroupSelection => ({ podTemplateHash, selectBy: 'label', hashLabel: 'rollouts_pod_template_hash', instanceLabel: 'pod_name' });
const byPodName = (podTemplateHash: string): GroupSelection => ({ ...byLabel(podTemplateHash), selectBy: 'podName' });
const logsByPodName = (podTemplateHash: string): LogGroupSelection => ({ podTemplateHash, selectBy: 'podName', hashField: 'rollouts_pod_template_hash', instanceField: 'pod_name' });

describe('groupScope and fillSelector', () => {
  it('filter on the hash tag, or on pod names with wildcards around the hash', () => {
    expect(groupScope(byLabel('6b9f8c7d4'))).toBe('rollouts_pod_template_hash:6b9f8c7d4');
    expect(groupScope(byPodName('6b9f8c7d4'))).toBe('pod_name:*-6b9f8c7d4-*');
    expect(fillSelector(EXAMPLES.series, byPodName('abc'))).toBe('avg:trace.http.request.duration{service:web,pod_name:*-abc-*} by {pod_name}');
  });

  it('inserts the filter verbatim, whatever $ patterns the query holds', () => {
    expect(fillSelector("sum:x{a:$&,${selector}} by {pod_name}.as_count() $'", byLabel('abc'))).toBe("sum:x{a:$&,rollouts_pod_template_hash:abc} by {pod_name}.as_count() $'");
  });

  it.each(['*', 'abc,service:other', 'abc} by {host', 'abc OR env:prod', 'ABC', 'a b', 'a"b', 'a\\b', 'a\nb', '', 'x'.repeat(64), '-abc', '(abc)'])(
    'refuses the hash %j, which could widen or break the scope',
    (hash) => {
      expect(() => groupScope(byLabel(hash))).toThrow(/is not a Datadog tag value/);
      expect(() => groupScope(byPodName(hash))).toThrow(/is not a Datadog tag value/);
    },
  );

  it('refuses a tag name that is not one', () => {
    expect(() => groupScope({ ...byLabel('abc'), hashLabel: 'x} by {host' })).toThrow(/expected a Datadog tag name/);
    expect(() => groupScope({ ...byPodName('abc'), instanceLabel: 'Pod' })).toThrow(/expected a Datadog tag name/);
  });
});

describe('isPodOf', () => {
  it('accepts <anything>-<hash>-<suffix> only', () => {
    expect(isPodOf('web-abc123-x2k4p', 'abc123')).toBe(true);
    expect(isPodOf('my-web-abc123-x2k4p', 'abc123')).toBe(true);
    // What pod_name:*-abc123-* also matches.
    expect(isPodOf('web-abc123-x2k4p-extra', 'abc123')).toBe(false);
    expect(isPodOf('web-abc123-', 'abc123')).toBe(false);
    expect(isPodOf('abc123-x1', 'abc123')).toBe(false);
    expect(isPodOf('web-xabc123-x1', 'abc123')).toBe(false);
  });
});

describe('queryProblems', () => {
  it('accepts the examples', () => {
    expect(queryProblems(EXAMPLES.series, 'series', settings)).toEqual([]);
    expect(queryProblems(EXAMPLES.counter, 'counter', settings)).toEqual([]);
    expect(queryProblems('p95:trace.http.request.duration{env:prod AND ${selector}} by {pod_name}.rollup(avg, 30)', 'series', settings)).toEqual([]);
    expect(queryProblems('sum:requests{${selector}} by {pod_name}.rollup(sum)', 'counter', settings)).toEqual([]);
  });

  it('wants ${selector}', () => {
    expect(queryProblems('avg:x{service:web} by {pod_name}', 'series', settings)[0]).toMatch(/^expected a query whose scope holds \$\{selector\}/);
  });

  it('wants the selector as a filter of every metric scope, not negated nor among alternatives', () => {
    expect(queryProblems('avg:x{service:web} by {pod_name} ${selector}', 'series', settings)).toEqual([
      'the scope of x must hold ${selector} as one of its filters (…,${selector}), so that it reads only one group\'s pods',
    ]);
    expect(queryProblems('avg:x{!${selector}} by {pod_name}', 'series', settings)[0]).toMatch(/must hold \$\{selector\} as one of its filters/);
    expect(queryProblems('avg:x{NOT ${selector}} by {pod_name}', 'series', settings)[0]).toMatch(/must hold \$\{selector\} as one of its filters/);
    expect(queryProblems('avg:x{service:web OR ${selector}} by {pod_name}', 'series', settings)[0]).toMatch(/joins filters with OR/);
    expect(queryProblems('avg:x{(service:web OR service:api) AND ${selector}} by {pod_name}', 'series', settings)).toEqual([]);
  });

  it('wants each series to be one pod', () => {
    expect(queryProblems('avg:x{${selector}}', 'series', settings)).toEqual(['x must be grouped by the pod tag (… by {pod_name}), so that each series is one pod']);
  });

  it('names unknown placeholders', () => {
    expect(queryProblems('avg:x{${selector},${service}} by {pod_name}', 'series', settings)).toContain('unknown placeholder ${service} (expected ${selector})');
  });

  it('refuses a rollup coarser than the step, when the settings are known', () => {
    const query = 'avg:x{${selector}} by {pod_name}.rollup(avg, 300)';
    expect(queryProblems(query, 'series', settings)).toEqual([
      '.rollup(avg, 300) rolls points up over 5m, coarser than source.datadog.step (30s): leave the interval out (the step sets it) or raise the step',
    ]);
    expect(queryProblems(query, 'series', undefined)).toEqual([]);
    expect(queryProblems(query, 'series', { ...settings, step: 300_000 })).toEqual([]);
  });

  it("wants a ratio's counters as per-interval counts summed over a pod's series", () => {
    expect(queryProblems('sum:hits{${selector}} by {pod_name}', 'counter', settings)).toEqual([
      `expected per-interval counts: append .as_count() (the engine adds them up into running totals), e.g. ${EXAMPLES.counter}`,
    ]);
    expect(queryProblems('avg:hits{${selector}} by {pod_name}.as_count()', 'counter', settings)).toEqual([`expected the sum of a pod's counts: start the query with sum: (e.g. ${EXAMPLES.counter})`]);
    expect(queryProblems('cumsum(sum:hits{${selector}} by {pod_name}.as_count())', 'counter', settings)[0]).toMatch(/^cumsum\(\) is not for a ratio's counters/);
    expect(queryProblems('sum:hits{${selector}} by {pod_name}.as_rate()', 'counter', settings)[0]).toMatch(/^\.as_rate\(\) is not for a ratio's counters/);
  });

  it('says what form is expected for text that is no metrics query', () => {
    expect(queryProblems('${selector}', 'series', settings)).toEqual([`expected a metrics query <aggregation>:<metric>{<scope>} by {<pod tag>}, e.g. ${EXAMPLES.series}`]);
  });
});

describe('labelProblem and fieldProblem', () => {
  it('accept Datadog tag names, and log attributes for fields', () => {
    expect(labelProblem('pod_name')).toBeNull();
    expect(labelProblem('kube.pod/name-1')).toBeNull();
    expect(labelProblem('Pod')).toMatch(/expected a Datadog tag name/);
    expect(labelProblem('pod name')).toMatch(/expected a Datadog tag name/);
    expect(labelProblem('1pod')).toMatch(/expected a Datadog tag name/);
    expect(fieldProblem('pod_name')).toBeNull();
    expect(fieldProblem('@kubernetes.pod_name')).toBeNull();
    expect(fieldProblem('@a:b')).toMatch(/expected a Datadog log tag name/);
  });
});

describe('log search', () => {
  it('escapes every special character of the search syntax', () => {
    expect(escapeSearchValue('a-b c:d*e?f"g\\h(i)j{k}l[m]n!o=p>q<r#s&t|u')).toBe('a\\-b\\ c\\:d\\*e\\?f\\"g\\\\h\\(i\\)j\\{k\\}l\\[m\\]n\\!o\\=p\\>q\\<r\\#s\\&t\\|u');
  });

  it('adds the group filter to the parenthesised query', () => {
    expect(logSearch('service:web OR service:api', logsByPodName('abc123'))).toBe('(service:web OR service:api) AND pod_name:*\\-abc123\\-*');
    expect(logGroupFilter({ ...logsByPodName('abc123'), selectBy: 'label' })).toBe('rollouts_pod_template_hash:abc123');
    expect(logGroupFilter({ ...logsByPodName('a-b'), selectBy: 'label', hashField: '@labels.hash' })).toBe('@labels.hash:a\\-b');
  });

  it('refuses a hostile hash', () => {
    expect(() => logGroupFilter(logsByPodName('*) OR (*'))).toThrow(/is not a Datadog tag value/);
  });

  it('wants balanced parentheses and quotes, so that the filter applies to the whole query', () => {
    expect(logQueryProblems('service:web (status:error OR status:warn) "a (quoted" \\)')).toEqual([]);
    expect(logQueryProblems('service:web) OR (service:other')).toEqual(['has a ")" without its "(" at character 12: parentheses must balance']);
    expect(logQueryProblems('(service:web')).toEqual(['has a "(" without its ")": parentheses must balance']);
    expect(logQueryProblems('service:"web')).toEqual(['has a " without its closing "']);
    expect(logQueryProblems('service:web\\')).toEqual(['ends with a backslash, which would escape what follows it: remove it or escape it (\\\\)']);
  });
});
