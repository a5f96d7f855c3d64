import { describe, expect, it } from 'vitest';
import { parseNrql } from '../../../test/fakes/newrelic/nrql.js';
import { bucketsFor, EXAMPLES, LOGS_EXAMPLE, logCountQuery, logLinesQuery, logQueryProblems, queryProblems, seriesQuery } from './dialect.js';
import type { PodFilter } from './nrql.js';

const group = (podTemplateHash: string, selectBy: 'label' | 'podName' = 'podName'): PodFilter => ({
  podTemplateHash,
  selectBy,
  hashAttribute: 'rollouts_pod_template_hash',
  instanceAttribute: 'k8s.podName',
});

describe('queryProblems', () => {
  it('accepts the examples, FROM-first queries and selectors inside filter()', () => {
    expect(queryProblems(EXAMPLES.series, 'series')).toEqual([]);
    expect(queryProblems(EXAMPLES.counter, 'counter')).toEqual([]);
    expect(queryProblems('FROM Transaction SELECT percentile(duration, 95) WHERE appName = \'web\' AND ${selector}', 'series')).toEqual([]);
    expect(queryProblems("SELECT filter(count(*), WHERE error IS true) FROM Transaction WHERE ${selector} AND name LIKE '%checkout%'", 'counter')).toEqual([]);
  });

  it('asks for ${selector} in the WHERE clause, outside literals', () => {
    expect(queryProblems('SELECT count(*) FROM Transaction', 'series')[0]).toContain('expected a query containing ${selector} in its WHERE clause');
    expect(queryProblems("SELECT count(*) FROM Transaction WHERE name = '${selector}'", 'series')[0]).toContain('outside string literals');
    expect(queryProblems('SELECT count(*) FROM Transaction ${selector}', 'series')).toEqual([expect.stringContaining('expected ${selector} in the WHERE clause')]);
  });

  it('refuses the clauses the engine appends, naming each', () => {
    const problems = queryProblems('SELECT average(duration) FROM Transaction WHERE ${selector} FACET host SINCE 1 hour ago LIMIT 5 TIMESERIES 1 minute', 'series');
    expect(problems.map((p) => p.split(':')[0])).toEqual(['must not contain FACET', 'must not contain TIMESERIES', 'must not contain SINCE', 'must not contain LIMIT']);
    expect(problems[0]).toContain('the engine appends FACET <instanceLabel> LIMIT MAX SINCE <start> UNTIL <end> TIMESERIES <step> itself');
    expect(queryProblems('SELECT count(*) FROM T WHERE ${selector} COMPARE WITH 1 week ago', 'series')).toEqual([expect.stringContaining('must not contain COMPARE WITH')]);
  });

  it('is not fooled by clause words inside literals and names', () => {
    expect(queryProblems("SELECT average(`limit`) FROM Transaction WHERE name = 'FACET SINCE' AND ${selector}", 'series')).toEqual([]);
  });

  it('asks for one aggregate, and for counts in a ratio', () => {
    expect(queryProblems('SELECT average(duration), max(duration) FROM Transaction WHERE ${selector}', 'series')).toEqual([
      'expected one aggregate in the select list (the engine reads one value per instance and step); got average(duration), max(duration)',
    ]);
    expect(queryProblems('SELECT average(duration) FROM Transaction WHERE ${selector}', 'counter')[0]).toContain("expected count() or sum() of the step's events");
    expect(queryProblems('SELECT rate(count(*), 1 minute) FROM Transaction WHERE ${selector}', 'counter')[0]).toContain('expected count() or sum()');
    expect(queryProblems('count(*) WHERE ${selector}', 'series')[0]).toContain('expected SELECT <one aggregate> FROM <event type>');
  });

  it('refuses unknown placeholders, comments, unbalanced parentheses and oversized queries', () => {
    expect(queryProblems('SELECT count(*) FROM T WHERE ${selector} AND x = ${rateInterval}', 'series')).toEqual(['unknown placeholder ${rateInterval} (expected ${selector})']);
    expect(queryProblems("SELECT count(*) FROM T WHERE ${selector} -- AND x = 'y'", 'series')[0]).toContain('no comments');
    expect(queryProblems('SELECT count(*) FROM T WHERE (${selector}', 'series')).toEqual(['1 ( not closed with )']);
    expect(queryProblems(`SELECT count(*) FROM T WHERE \${selector} AND name IN (${"'x', ".repeat(700)}'y')`, 'series')[0]).toContain('expected at most 3072 bytes');
  });
});

describe('logQueryProblems', () => {
  it('accepts a condition', () => {
    expect(logQueryProblems(LOGS_EXAMPLE)).toEqual([]);
    expect(logQueryProblems("service.name = 'web' AND (level = 'error' OR message LIKE '%panic%')")).toEqual([]);
  });

  it('refuses a whole query, clauses, placeholders and anything that could escape its parentheses', () => {
    expect(logQueryProblems("SELECT * FROM Log WHERE service.name = 'web'")[0]).toContain('not a whole query');
    expect(logQueryProblems("FROM Log SELECT message WHERE a = 'b'")[0]).toContain('not a whole query');
    expect(logQueryProblems("service.name = 'web' SINCE 1 day ago")).toEqual([expect.stringContaining('must not contain SINCE')]);
    expect(logQueryProblems("service.name = 'web' AND ${selector}")[0]).toContain('takes no placeholder');
    expect(logQueryProblems("service.name = 'web') OR (true")).toEqual(['a ) at character 21 closes no (']);
    expect(logQueryProblems("service.name = 'web' // x")[0]).toContain('no comments');
    expect(logQueryProblems('  ')[0]).toContain('expected an NRQL condition');
  });
});

describe('bucketsFor', () => {
  const start = new Date('2026-01-01T00:00:00Z');
  const at = (s: number) => new Date(start.getTime() + s * 1000);

  it('ends at the end and starts at the first whole bucket after the start', () => {
    expect(bucketsFor(start, at(300), 30_000)).toEqual({ sinceMs: start.getTime(), untilMs: at(300).getTime(), stepS: 30, count: 10 });
    expect(bucketsFor(start, at(95), 30_000)).toEqual({ sinceMs: at(5).getTime(), untilMs: at(95).getTime(), stepS: 30, count: 3 });
  });

  it('shortens the step to the range so far, in whole seconds', () => {
    expect(bucketsFor(start, at(5.5), 30_000)).toEqual({ sinceMs: start.getTime(), untilMs: at(5).getTime(), stepS: 5, count: 1 });
    expect(bucketsFor(at(0.2), at(5.5), 30_000)).toEqual({ sinceMs: at(1).getTime(), untilMs: at(5).getTime(), stepS: 4, count: 1 });
    expect(bucketsFor(start, at(0.5), 30_000)).toBeNull();
    expect(bucketsFor(at(0.5), at(1.2), 30_000)).toBeNull();
    expect(bucketsFor(start, at(60), 1500)?.stepS).toBe(2);
  });

  it("stays within New Relic's 366 buckets", () => {
    const day = bucketsFor(start, at(86_400), 30_000)!;
    expect(day.count).toBeLessThanOrEqual(366);
    expect(day.stepS).toBe(237);
    expect(day.untilMs - day.sinceMs).toBe(day.count * day.stepS * 1000);
  });
});

describe('the queries the engine sends', () => {
  const buckets = { sinceMs: 1_767_225_600_000, untilMs: 1_767_225_900_000, stepS: 30, count: 10 };

  it('fills the filter and appends FACET, LIMIT MAX, SINCE, UNTIL and TIMESERIES', () => {
    expect(seriesQuery(`${EXAMPLES.series}\n`, [group('a1'), group('b2')], buckets)).toBe(
      "SELECT average(duration) FROM Transaction WHERE appName = 'web' AND (`k8s.podName` RLIKE '.+-(?:a1|b2)-[a-z0-9]+') FACET `k8s.podName` LIMIT MAX SINCE 1767225600000 UNTIL 1767225900000 TIMESERIES 30 SECONDS",
    );
    expect(seriesQuery(EXAMPLES.series, [group('a1', 'label')], buckets)).toContain("(`rollouts_pod_template_hash` = 'a1') FACET `k8s.podName`, `rollouts_pod_template_hash` LIMIT MAX");
  });

  it('inserts a filter holding $ patterns verbatim', () => {
    expect(seriesQuery('SELECT count(*) FROM T WHERE ${selector}', [group("$&$'", 'label')], buckets)).toContain("(`rollouts_pod_template_hash` = '$&$\\'')");
  });

  it('writes log queries with the condition in parentheses', () => {
    expect(logLinesQuery(LOGS_EXAMPLE, group('a1'), 1001, 2001, 5000)).toBe(
      "SELECT `timestamp`, `message`, `k8s.podName`, `level` FROM Log WHERE (service.name = 'web' AND namespace_name = 'shop') AND `k8s.podName` RLIKE '.+-a1-[a-z0-9]+' SINCE 1001 UNTIL 2001 ORDER BY timestamp DESC LIMIT 5000",
    );
    expect(logCountQuery(LOGS_EXAMPLE, group('a1', 'label'), 1001, 2001)).toBe(
      "SELECT count(*) FROM Log WHERE (service.name = 'web' AND namespace_name = 'shop') AND `rollouts_pod_template_hash` = 'a1' SINCE 1001 UNTIL 2001",
    );
  });

  it('sends NRQL an NRQL parser reads', () => {
    for (const nrql of [seriesQuery(EXAMPLES.counter, [group('a1', 'label'), group('b2', 'label')], buckets), logLinesQuery(LOGS_EXAMPLE, group('a1'), 1, 2, 10), logCountQuery(LOGS_EXAMPLE, group('a1'), 1, 2)]) {
      expect(() => parseNrql(nrql)).not.toThrow();
    }
  });
});
