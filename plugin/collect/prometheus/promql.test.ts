import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { escapePromQLString, escapeRegex, fillPlaceholders, groupSelector, groupVectorSelectors, promDuration, rangesOf, rateIntervalMs } from './promql.js';
import type { GroupSelection } from '../source.js';

const byLabel = (podTemplateHash: string): GroupSelection => ({ podTemplateHash, selectBy: 'label', hashLabel: 'rollouts_pod_template_hash', instanceLabel: 'pod' });
const byPodName = (podTemplateHash: string): GroupSelection => ({ ...byLabel(podTemplateHash), selectBy: 'podName' });

describe('escapePromQLString', () => {
  it.each([
    ['abc123', 'abc123'],
    ['a"b', 'a\\"b'],
    ['a\\b', 'a\\\\b'],
    ['a\nb', 'a\\nb'],
    ['a\r\tb', 'a\\r\\tb'],
    ['a\u0000b\u007f', 'a\\x00b\\x7f'],
    ['"} or vector(1) or up{a="', '\\"} or vector(1) or up{a=\\"'],
    ['ü', 'ü'],
  ])('escapes %j as %j', (value, escaped) => {
    expect(escapePromQLString(value)).toBe(escaped);
  });
});

describe('escapeRegex', () => {
  it('escapes every RE2 metacharacter', () => {
    expect(escapeRegex('.*+?()|[]{}^$\\')).toBe('\\.\\*\\+\\?\\(\\)\\|\\[\\]\\{\\}\\^\\$\\\\');
  });

  it('leaves plain hashes alone', () => {
    expect(escapeRegex('6b9f8c7d4')).toBe('6b9f8c7d4');
  });

  it('makes the pattern match only the literal text', () => {
    for (const value of ['.*', 'a+b', '(x|y)', '[a-z]', '^$']) {
      const pattern = new RegExp(`^${escapeRegex(value)}$`);
      expect(pattern.test(value)).toBe(true);
      expect(pattern.test('anything-else')).toBe(false);
    }
  });
});

describe('groupSelector', () => {
  it('matches the hash label', () => {
    expect(groupSelector(byLabel('abc123'))).toBe('rollouts_pod_template_hash="abc123"');
  });

  it('matches pod names <anything>-<hash>-<suffix>', () => {
    expect(groupSelector(byPodName('abc123'))).toBe('pod=~".+-abc123-[a-z0-9]+"');
  });

  it.each([
    ['a"b', 'rollouts_pod_template_hash="a\\"b"', 'pod=~".+-a\\"b-[a-z0-9]+"'],
    ['a\\b', 'rollouts_pod_template_hash="a\\\\b"', 'pod=~".+-a\\\\\\\\b-[a-z0-9]+"'],
    ['.*', 'rollouts_pod_template_hash=".*"', 'pod=~".+-\\\\.\\\\*-[a-z0-9]+"'],
    ['a\nb', 'rollouts_pod_template_hash="a\\nb"', 'pod=~".+-a\\nb-[a-z0-9]+"'],
  ])('escapes the hostile hash %j', (hash, label, podName) => {
    expect(groupSelector(byLabel(hash))).toBe(label);
    expect(groupSelector(byPodName(hash))).toBe(podName);
  });

  it('refuses a label name that is not one', () => {
    expect(() => groupSelector({ ...byLabel('a'), hashLabel: 'a"} or up{b' })).toThrow(/invalid Prometheus label name/);
    expect(() => groupSelector({ ...byPodName('a'), instanceLabel: 'pod name' })).toThrow(/invalid Prometheus label name/);
  });
});

describe('fillPlaceholders', () => {
  const values = { selector: 'h="x"', rateInterval: '2m' };
  it('replaces every placeholder', () => {
    expect(fillPlaceholders('sum(rate(a{${selector}}[${rateInterval}])) / sum(b{code="5",${selector}})', values)).toBe('sum(rate(a{h="x"}[2m])) / sum(b{code="5",h="x"})');
  });
  it('inserts selectors containing $ patterns verbatim', () => {
    expect(fillPlaceholders('a{${selector}}', { ...values, selector: `h="$&$1$$'"` })).toBe(`a{h="$&$1$$'"}`);
  });
});

describe('groupVectorSelectors and rangesOf', () => {
  it("find the selectors of a group's series and the literal ranges", () => {
    const query = 'histogram_quantile(0.9, sum by (pod, le) (rate(x_bucket{a="}",${selector}}[1m]))) / on(pod) sum by (pod) (up{job="x"}) + {__name__="y",${selector}}';
    expect(groupVectorSelectors(query)).toEqual(['x_bucket{a="}",${selector}}', '{__name__="y",${selector}}']);
    expect(rangesOf('rate(a[1m30s]) + max_over_time(b[5m:30s]) + c[${rateInterval}] + d[2x]').map((r) => [r.text, r.ms])).toEqual([
      ['1m30s', 90_000],
      ['2x', NaN],
    ]);
  });
});

describe('rateIntervalMs', () => {
  it('is four scrape intervals, or a step and a scrape interval when that is longer (as Grafana\'s $__rate_interval)', () => {
    expect(rateIntervalMs(15_000, 30_000)).toBe(120_000);
    expect(rateIntervalMs(15_000, 60_000)).toBe(240_000);
    expect(rateIntervalMs(300_000, 30_000)).toBe(330_000);
  });
});

describe('promDuration', () => {
  it('writes whole seconds as seconds and the rest in milliseconds', () => {
    expect(promDuration(120_000)).toBe('120s');
    expect(promDuration(4_500)).toBe('4500ms');
  });
});

// Proof against Prometheus' own parser and matcher: promtool evaluates each selector over series whose hash
// label holds the hostile value (and a decoy), and must select exactly the intended series.
const PROMTOOL = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((path) => existsSync(path));

describe.skipIf(!PROMTOOL)('selectors evaluated by promtool', () => {
  const hostile = ['abc123', 'a"b', 'a\\b', '.*', 'a\nb', '"} or up{x="', 'a$&b', 'x|y'];

  it('select exactly the series of the given hash, by label and by pod name', async () => {
    // Label values in promtool's series notation use the same double-quoted string escapes.
    const series = hostile.flatMap((hash, index) => [
      { series: `up{rollouts_pod_template_hash="${escapePromQLString(hash)}",pod="web-${escapePromQLString(hash)}-x${index}z"}`, values: '1' },
    ]);
    series.push({ series: 'up{rollouts_pod_template_hash="decoy",pod="web-decoy-q1"}', values: '1' });
    const tests = hostile.flatMap((hash, index) => {
      const labels = `up{rollouts_pod_template_hash="${escapePromQLString(hash)}",pod="web-${escapePromQLString(hash)}-x${index}z"}`;
      return [
        { expr: `up{${groupSelector(byLabel(hash))}}`, eval_time: '0m', exp_samples: [{ labels, value: 1 }] },
        { expr: `up{${groupSelector(byPodName(hash))}}`, eval_time: '0m', exp_samples: [{ labels, value: 1 }] },
      ];
    });
    const dir = await mkdtemp(join(tmpdir(), 'promql-test-'));
    try {
      const file = join(dir, 'selectors.test.yml');
      await writeFile(file, JSON.stringify({ rule_files: [], tests: [{ interval: '1m', input_series: series, promql_expr_test: tests }] }));
      const { stdout } = await promisify(execFile)(PROMTOOL!, ['test', 'rules', file]);
      expect(stdout).toContain('SUCCESS');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
