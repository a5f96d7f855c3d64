import { describe, expect, it } from 'vitest';
import { ConfigError, formatPath, parseVerifyConfig, parseVerifySettings } from './schema.js';

const valid = {
  duration: '5m',
  canary: { podTemplateHash: 'abc123' },
  baseline: { podTemplateHash: 'def456' },
  source: { prometheus: { address: 'http://prometheus:9090' } },
  metrics: [{ name: 'error-rate', query: 'sum by (pod) (rate(http_requests_total{${selector}}[${rateInterval}]))' }],
};

const RATIO = {
  name: 'errors',
  kind: 'ratio',
  numerator: 'sum by (pod) (http_requests_total{code=~"5..",${selector}})',
  denominator: 'sum by (pod) (http_requests_total{${selector}})',
};

function errorOf(raw: unknown, parse: (raw: unknown) => unknown = parseVerifyConfig): string {
  try {
    parse(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('parseVerifyConfig', () => {
  it('fills the defaults', () => {
    expect(parseVerifyConfig(valid)).toEqual({
      durationMs: 300_000,
      intervalMs: 30_000,
      warmupMs: 60_000,
      history: { lookbackMs: 86_400_000, periodMs: 3_600_000 },
      sensitivity: 'medium',
      failOnNoData: true,
      unhealthyPhase: 'Failed',
      canary: { podTemplateHash: 'abc123' },
      baseline: { podTemplateHash: 'def456' },
      selectBy: 'podName',
      hashLabel: 'rollouts_pod_template_hash',
      instanceLabel: 'pod',
      source: { kind: 'prometheus', settings: { address: 'http://prometheus:9090', timeout: 10_000, step: 15_000, scrapeInterval: 30_000 } },
      metrics: [{ name: 'error-rate', kind: 'gauge', query: valid.metrics[0]!.query, direction: 'higher-is-bad', critical: false, weight: 1, mustHaveData: true }],
    });
  });

  it('reads a ratio metric with its two counter queries and every judging option', () => {
    const metric = {
      name: 'errors',
      kind: 'ratio',
      numerator: 'sum by (pod) (http_requests_total{code=~"5..",${selector}})',
      denominator: 'sum by (pod) (http_requests_total{${selector}})',
      direction: 'higher-is-bad',
      critical: true,
      weight: 2.5,
      mustHaveData: false,
      ignoreBelow: 0.001,
      failFast: { above: 0.2 },
      sensitivity: 'low',
      minEvidence: 500,
    };
    expect(parseVerifyConfig({ ...valid, metrics: [metric] }).metrics).toEqual([metric]);
  });

  it('reads the other kinds with one query', () => {
    const metrics = ['latency', 'throughput', 'resource', 'gauge'].map((kind) => ({ name: kind, kind, query: 'x{${selector}}', failFast: { above: 2, below: 1 } }));
    expect(parseVerifyConfig({ ...valid, metrics }).metrics.map((m) => [m.kind, 'query' in m && m.query, m.failFast])).toEqual(
      metrics.map((m) => [m.kind, 'x{${selector}}', { above: 2, below: 1 }]),
    );
  });

  it('refuses increase(), rate() and irate() in ratio queries, naming the field and showing the counter form', () => {
    const old = { ...RATIO, numerator: 'sum by (pod) (increase(http_requests_total{code=~"5..",${selector}}[15s]))' };
    expect(errorOf({ ...valid, metrics: [old] })).toBe(
      'config.metrics[0].numerator: expected the cumulative counter per instance, without increase(), rate() or irate() (the engine takes the increases itself, exactly, at any scrape interval): write sum by (pod) (http_requests_total{code=~"5..",${selector}})',
    );
    expect(errorOf({ ...valid, metrics: [{ ...RATIO, denominator: 'sum by (pod) (rate(r_total{${selector}}[1m]))' }] })).toContain(
      'config.metrics[0].denominator: expected the cumulative counter per instance, without increase(), rate() or irate() (the engine takes the increases itself, exactly, at any scrape interval): write sum by (pod) (r_total{${selector}})',
    );
    // No simple rewrite: the general form is shown.
    expect(errorOf({ ...valid, metrics: [{ ...RATIO, numerator: 'sum by (pod) (irate(a{${selector}}[1m]) * 60)' }] })).toContain(
      'config.metrics[0].numerator: expected the cumulative counter per instance, without increase(), rate() or irate() (the engine takes the increases itself, exactly, at any scrape interval), e.g. sum by (pod) (http_requests_total{code=~"5..",${selector}})',
    );
    // Only functions count, not the words in a label value or a metric name.
    const innocent = { ...RATIO, numerator: 'sum by (pod) (first_rate_total{handler="/increase(x)",${selector}})' };
    expect(parseVerifyConfig({ ...valid, metrics: [innocent] }).metrics).toHaveLength(1);
  });

  it('refuses a literal range that cannot hold two samples at the scrape interval, naming the field', () => {
    const at = (scrapeInterval: string | undefined, query: string) => ({
      ...valid,
      source: { prometheus: { address: 'http://p', ...(scrapeInterval ? { scrapeInterval } : {}) } },
      metrics: [{ name: 'latency', kind: 'latency', query }],
    });
    // The default scrape interval is 30s: a range needs at least 1m.
    expect(errorOf(at(undefined, 'rate(x{${selector}}[30s])'))).toBe(
      'config.metrics[0].query: the range [30s] cannot hold two samples at source.prometheus.scrapeInterval 30s, so rate() and increase() would find no data: write [${rateInterval}] (2m here) or a range of at least 1m',
    );
    expect(parseVerifyConfig(at(undefined, 'rate(x{${selector}}[1m])')).metrics).toHaveLength(1);
    expect(errorOf(at('60s', 'rate(x{${selector}}[1m30s])'))).toContain('the range [1m30s] cannot hold two samples at source.prometheus.scrapeInterval 1m');
    expect(parseVerifyConfig(at('10s', 'rate(x{${selector}}[20s])')).metrics).toHaveLength(1);
    // A subquery's resolution is not a scrape-bound range; ${rateInterval} always fits.
    expect(parseVerifyConfig(at(undefined, 'max_over_time(rate(x{${selector}}[${rateInterval}])[5m:10s])')).metrics).toHaveLength(1);
  });

  it('knows ${selector} and ${rateInterval} and no other placeholder', () => {
    expect(errorOf({ ...valid, metrics: [{ name: 'a', query: 'rate(x{${selector}}[${rate_interval}])' }] })).toBe(
      'config.metrics[0].query: unknown placeholder ${rate_interval} (expected ${selector} or ${rateInterval})',
    );
  });

  it('keeps every field given', () => {
    const config = parseVerifyConfig({
      ...valid,
      duration: '1m30s',
      interval: '20s',
      warmup: '2m30s',
      sensitivity: 'high',
      failOnNoData: false,
      unhealthyPhase: 'Inconclusive',
      selectBy: 'label',
      hashLabel: 'hash',
      instanceLabel: 'instance',
      source: { prometheus: { address: 'https://prom.example/prefix', timeout: '2s', step: '5s', scrapeInterval: '1m' } },
      metrics: [{ name: 'p99.latency_ms', query: 'x{${selector}}', direction: 'either', ignoreBelow: 0.001 }],
    });
    expect(config).toMatchObject({
      durationMs: 90_000,
      intervalMs: 20_000,
      warmupMs: 150_000,
      sensitivity: 'high',
      failOnNoData: false,
      unhealthyPhase: 'Inconclusive',
      selectBy: 'label',
      hashLabel: 'hash',
      instanceLabel: 'instance',
      source: { kind: 'prometheus', settings: { address: 'https://prom.example/prefix', timeout: 2000, step: 5000, scrapeInterval: 60_000 } },
      metrics: [{ name: 'p99.latency_ms', direction: 'either', ignoreBelow: 0.001 }],
    });
  });

  it('shortens the default interval to a window shorter than 30s', () => {
    expect(parseVerifyConfig({ ...valid, duration: '10s' }).intervalMs).toBe(10_000);
  });

  it('takes a warm-up from none up to a quarter of an hour', () => {
    expect(parseVerifyConfig({ ...valid, warmup: '0s' }).warmupMs).toBe(0);
    expect(parseVerifyConfig({ ...valid, warmup: '15m' }).warmupMs).toBe(900_000);
  });

  it.each<[string, unknown, string]>([
    ['a non-object', 'nope', 'config: expected an object; got "nope"'],
    ['a missing duration', { ...valid, duration: undefined }, 'config.duration: is required (expected a duration such as "90s", "1m30s" or "5m")'],
    ['a duration in words', { ...valid, duration: '5 minutes' }, 'config.duration: expected a duration such as "90s", "1m30s" or "5m"; got "5 minutes"'],
    ['a numeric duration', { ...valid, duration: 300 }, 'config.duration: expected a duration such as "90s", "1m30s" or "5m"; got 300'],
    ['a duration under 1s', { ...valid, duration: '500ms' }, 'config.duration: expected at least 1s; got "500ms"'],
    ['an interval under 1s', { ...valid, interval: '10ms' }, 'config.interval: expected at least 1s; got "10ms"'],
    ['an interval longer than the duration', { ...valid, interval: '10m' }, 'config.interval: expected at most the duration (5m); got 10m'],
    ['an unknown sensitivity', { ...valid, sensitivity: 'extreme' }, 'config.sensitivity: expected one of high, medium, low; got "extreme"'],
    ['a string failOnNoData', { ...valid, failOnNoData: 'yes' }, 'config.failOnNoData: expected true or false; got "yes"'],
    ['an unknown unhealthyPhase', { ...valid, unhealthyPhase: 'Error' }, 'config.unhealthyPhase: expected one of Failed, Inconclusive; got "Error"'],
    ['an unknown selectBy', { ...valid, selectBy: 'name' }, 'config.selectBy: expected one of label, podName; got "name"'],
    ['a bad hashLabel', { ...valid, hashLabel: 'rollouts-pod-template-hash' }, 'config.hashLabel: expected a Prometheus label name matching [a-zA-Z_][a-zA-Z0-9_]*; got "rollouts-pod-template-hash"'],
    ['a bad instanceLabel', { ...valid, instanceLabel: '1pod' }, 'config.instanceLabel: expected a Prometheus label name matching [a-zA-Z_][a-zA-Z0-9_]*; got "1pod"'],
    ['an empty canary hash', { ...valid, canary: { podTemplateHash: '' } }, 'config.canary.podTemplateHash: expected a non-empty string; got ""'],
    ['a canary without hash', { ...valid, canary: {} }, 'config.canary.podTemplateHash: is required (expected a string)'],
    ['the same hash twice', { ...valid, baseline: { podTemplateHash: 'abc123' } }, 'config.baseline.podTemplateHash: expected a hash different from canary.podTemplateHash (both are "abc123"; nothing to compare)'],
    ['an unknown top-level key', { ...valid, window: '5m' }, 'config: unknown key "window"; allowed keys: duration, interval, warmup, history, sensitivity'],
    ['a warm-up over 15m', { ...valid, warmup: '16m' }, 'config.warmup: expected at most 15m; got "16m"'],
    ['a negative warm-up', { ...valid, warmup: '-1s' }, 'config.warmup: expected a duration such as "90s", "1m30s" or "5m"; got "-1s"'],
    ['an unknown group key', { ...valid, canary: { podTemplateHash: 'a', hash: 'b' } }, 'config.canary: unknown key "hash"; allowed keys: podTemplateHash'],
    ['a missing source', { ...valid, source: undefined }, 'config.source: is required (expected {"<kind>": {...}} with kind one of prometheus'],
    ['a source string', { ...valid, source: 'http://prometheus:9090' }, 'config.source: expected {"<kind>": {...}} with kind one of prometheus'],
    ['no source kind', { ...valid, source: {} }, 'config.source: expected exactly one source kind (one of prometheus'],
    ['an unknown source kind', { ...valid, source: { datadogg: {} } }, 'config.source: unknown key "datadogg"; allowed keys: prometheus'],
    ['a non-http address', { ...valid, source: { prometheus: { address: 'prometheus:9090' } } }, 'config.source.prometheus.address: expected an http(s) URL such as "http://prometheus:9090"; got "prometheus:9090"'],
    ['a bad source timeout', { ...valid, source: { prometheus: { address: 'http://p', timeout: 'soon' } } }, 'config.source.prometheus.timeout: expected a duration such as'],
    ['a source step under 1s', { ...valid, source: { prometheus: { address: 'http://p', step: '100ms' } } }, 'config.source.prometheus.step: expected at least 1s; got "100ms"'],
    ['a scrape interval under 1s', { ...valid, source: { prometheus: { address: 'http://p', scrapeInterval: '500ms' } } }, 'config.source.prometheus.scrapeInterval: expected at least 1s; got "500ms"'],
    ['an unknown source key', { ...valid, source: { prometheus: { address: 'http://p', token: 'x' } } }, 'config.source.prometheus: unknown key "token"; allowed keys: address, timeout, step, scrapeInterval, headers, credentials'],
    ['a credentials name that is not a folder name', { ...valid, source: { prometheus: { address: 'http://p', credentials: '../etc' } } }, 'config.source.prometheus.credentials: expected the name of a credentials folder (a Kubernetes name); got "../etc"'],
    ['no metrics', { ...valid, metrics: [] }, 'config.metrics: expected at least 1 item; got none'],
    ['metrics not a list', { ...valid, metrics: {} }, 'config.metrics: expected a list; got an object'],
    ['a bad metric name', { ...valid, metrics: [{ name: 'Error Rate', query: 'x{${selector}}' }] }, 'config.metrics[0].name: expected a name of lowercase letters, digits, "-", "_" or "."; got "Error Rate"'],
    ['a duplicate metric name', { ...valid, metrics: [{ name: 'a', query: '${selector}' }, { name: 'a', query: '${selector}' }] }, 'config.metrics[1].name: expected a unique name; "a" is used twice'],
    ['a query without ${selector}', { ...valid, metrics: [{ name: 'a', query: 'up' }] }, 'config.metrics[0].query: expected a query containing ${selector}'],
    ['a query in Argo braces', { ...valid, metrics: [{ name: 'a', query: 'up{{{selector}}}' }] }, 'config.metrics[0].query: expected a query containing ${selector}'],
    ['an unknown direction', { ...valid, metrics: [valid.metrics[0], { name: 'b', query: '${selector}', direction: 'up' }] }, 'config.metrics[1].direction: expected one of higher-is-bad, lower-is-bad, either; got "up"'],
    ['a string ignoreBelow', { ...valid, metrics: [{ name: 'a', query: '${selector}', ignoreBelow: '0.1' }] }, 'config.metrics[0].ignoreBelow: expected a number; got "0.1"'],
    ['ignoreBelow with lower-is-bad', { ...valid, metrics: [{ name: 'a', query: '${selector}', direction: 'lower-is-bad', ignoreBelow: 1 }] }, 'config.metrics[0].ignoreBelow: applies only to direction higher-is-bad or either'],
    ['an unknown metric key', { ...valid, metrics: [{ name: 'a', query: '${selector}', threshold: 1 }] }, 'config.metrics[0]: unknown key "threshold"; allowed keys: name, kind, query, numerator, denominator, direction, critical, weight, mustHaveData, ignoreBelow, failFast, sensitivity, minEvidence'],
    ['an unknown kind', { ...valid, metrics: [{ name: 'a', kind: 'counter', query: '${selector}' }] }, 'config.metrics[0].kind: expected one of ratio, latency, throughput, resource, gauge; got "counter"'],
    ['a query for a ratio', { ...valid, metrics: [{ ...RATIO, query: 'x{${selector}}' }] }, 'config.metrics[0].query: not allowed for kind ratio (expected numerator and denominator queries of cumulative counters per instance, e.g. sum by (pod) (http_requests_total{code=~"5..",${selector}}))'],
    ['a ratio without numerator', { ...valid, metrics: [{ ...RATIO, numerator: undefined }] }, 'config.metrics[0].numerator: is required for kind ratio (expected a query giving a cumulative counter per instance, e.g. sum by (pod) (http_requests_total{code=~"5..",${selector}})'],
    ['a ratio without denominator', { ...valid, metrics: [{ ...RATIO, denominator: undefined }] }, 'config.metrics[0].denominator: is required for kind ratio'],
    ['a numerator without ${selector}', { ...valid, metrics: [{ ...RATIO, numerator: 'sum(e_total)' }] }, 'config.metrics[0].numerator: expected a query containing ${selector}'],
    ['a latency metric without query', { ...valid, metrics: [{ name: 'a', kind: 'latency' }] }, 'config.metrics[0].query: is required for kind latency (expected a query giving one series per instance, e.g. sum by (pod) (rate(http_requests_total{${selector}}[${rateInterval}])))'],
    ['a gauge metric without query', { ...valid, metrics: [{ name: 'a' }] }, 'config.metrics[0].query: is required for kind gauge'],
    ['a numerator for a latency metric', { ...valid, metrics: [{ name: 'a', kind: 'latency', query: '${selector}', numerator: '${selector}' }] }, 'config.metrics[0].numerator: allowed only for kind ratio (kind is latency; expected query)'],
    ['a zero weight', { ...valid, metrics: [{ name: 'a', query: '${selector}', weight: 0 }] }, 'config.metrics[0].weight: expected a number greater than 0; got 0'],
    ['a string weight', { ...valid, metrics: [{ name: 'a', query: '${selector}', weight: 'heavy' }] }, 'config.metrics[0].weight: expected a number; got "heavy"'],
    ['a string critical', { ...valid, metrics: [{ name: 'a', query: '${selector}', critical: 'yes' }] }, 'config.metrics[0].critical: expected true or false; got "yes"'],
    ['a numeric mustHaveData', { ...valid, metrics: [{ name: 'a', query: '${selector}', mustHaveData: 1 }] }, 'config.metrics[0].mustHaveData: expected true or false; got 1'],
    ['an empty failFast', { ...valid, metrics: [{ name: 'a', query: '${selector}', failFast: {} }] }, 'config.metrics[0].failFast: expected at least one of above, below (e.g. {"above": 0.05}); got neither'],
    ['failFast above not over below', { ...valid, metrics: [{ name: 'a', query: '${selector}', failFast: { above: 1, below: 1 } }] }, 'config.metrics[0].failFast.above: expected above greater than below (1); got 1'],
    ['an unknown failFast key', { ...valid, metrics: [{ name: 'a', query: '${selector}', failFast: { over: 1 } }] }, 'config.metrics[0].failFast: unknown key "over"; allowed keys: above, below'],
    ['a string failFast bound', { ...valid, metrics: [{ name: 'a', query: '${selector}', failFast: { below: 'low' } }] }, 'config.metrics[0].failFast.below: expected a number; got "low"'],
    ['an unknown metric sensitivity', { ...valid, metrics: [{ name: 'a', query: '${selector}', sensitivity: 'paranoid' }] }, 'config.metrics[0].sensitivity: expected one of high, medium, low; got "paranoid"'],
    ['a negative minEvidence', { ...valid, metrics: [{ name: 'a', query: '${selector}', minEvidence: -5 }] }, 'config.metrics[0].minEvidence: expected a number greater than 0; got -5'],
  ])('rejects %s, naming the field', (_case, raw, message) => {
    expect(errorOf(raw)).toContain(message);
  });

  it.each<[string, string, string]>([
    ['a user and password', 'http://admin:s3cretpw@prometheus:9090', 'config.source.prometheus.address: must not contain a user name or password'],
    ['a user name alone', 'https://s3cretpw@prometheus:9090', 'config.source.prometheus.address: must not contain a user name or password'],
    ['a query string', 'http://prometheus:9090/?api_key=s3cretpw', 'config.source.prometheus.address: must not contain a query string or fragment'],
    ['a fragment', 'http://prometheus:9090/#s3cretpw', 'config.source.prometheus.address: must not contain a query string or fragment'],
    ['a URL that does not parse', 'http://admin:s3cretpw@prom etheus:9090', 'config.source.prometheus.address: expected an http(s) URL such as "http://prometheus:9090"'],
    ['another scheme', 'ftp://admin:s3cretpw@prometheus', 'config.source.prometheus.address: expected an http(s) URL such as "http://prometheus:9090"'],
  ])('refuses an address with %s without repeating the secret', (_case, address, message) => {
    const error = errorOf({ ...valid, source: { prometheus: { address } } });
    expect(error).toContain(message);
    expect(error).not.toContain('s3cretpw');
  });

  it('reports every problem at once', () => {
    const error = errorOf({ ...valid, sensitivity: 'x', duration: 'y' });
    expect(error).toContain('config.duration:');
    expect(error).toContain('config.sensitivity:');
  });

  it('requires both groups', () => {
    expect(errorOf({ ...valid, canary: undefined, baseline: undefined })).toBe(
      'config.canary: is required (expected {"podTemplateHash": "<hash>"}); config.baseline: is required (expected {"podTemplateHash": "<hash>"})',
    );
  });

  it('names fields under another root', () => {
    expect(errorOf({ ...valid, sensitivity: 'x' }, (raw) => parseVerifySettings(raw, 'config.verify'))).toMatch(/^config\.verify\.sensitivity: /);
  });
});

describe('parseVerifySettings', () => {
  it('leaves the groups optional', () => {
    const settings = parseVerifySettings({ ...valid, canary: undefined, baseline: undefined });
    expect(settings.canary).toBeUndefined();
    expect(settings.baseline).toBeUndefined();
  });
});

describe('formatPath', () => {
  it('writes indexes in brackets and odd keys quoted', () => {
    expect(formatPath('config', ['metrics', 1, 'direction'])).toBe('config.metrics[1].direction');
    expect(formatPath('metric', ['plugin', 'rollouts-cv/verify'])).toBe('metric.plugin["rollouts-cv/verify"]');
  });
});

describe('bounds', () => {
  const base = {
    duration: '5m',
    canary: { podTemplateHash: 'a' },
    baseline: { podTemplateHash: 'b' },
    source: { prometheus: { address: 'http://prometheus:9090' } },
    metrics: [{ name: 'm', query: 'x{${selector}}' }],
  };
  it('allows at most 50 metrics, naming the field', () => {
    const metrics = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `m${i}`, query: 'x{${selector}}' }));
    expect(parseVerifyConfig({ ...base, metrics: metrics(50) }).metrics).toHaveLength(50);
    expect(() => parseVerifyConfig({ ...base, metrics: metrics(300) })).toThrow(
      'config.metrics: expected at most 50 metrics (each is queried for both groups at every look; split them over several verifications); got 300',
    );
  });
  it('allows a query timeout of at most 1m', () => {
    expect(parseVerifyConfig({ ...base, source: { prometheus: { address: 'http://p:9090', timeout: '1m' } } }).source.settings.timeout).toBe(60_000);
    expect(() => parseVerifyConfig({ ...base, source: { prometheus: { address: 'http://p:9090', timeout: '10m' } } })).toThrow(
      'config.source.prometheus.timeout: expected at most 1m; got "10m"',
    );
  });
});
