import { describe, expect, it } from 'vitest';
import { ConfigError, formatPath, parseVerifyConfig, parseVerifySettings } from './schema.js';

const valid = {
  duration: '5m',
  canary: { podTemplateHash: 'abc123' },
  baseline: { podTemplateHash: 'def456' },
  source: { prometheus: { address: 'http://prometheus:9090' } },
  metrics: [{ name: 'error-rate', query: 'sum by (pod) (rate(http_requests_total{${selector}}[1m]))' }],
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
      sensitivity: 'medium',
      failOnNoData: true,
      unhealthyPhase: 'Failed',
      canary: { podTemplateHash: 'abc123' },
      baseline: { podTemplateHash: 'def456' },
      selectBy: 'label',
      hashLabel: 'rollouts_pod_template_hash',
      instanceLabel: 'pod',
      source: { kind: 'prometheus', settings: { address: 'http://prometheus:9090', timeout: 10_000, step: 15_000 } },
      metrics: [{ name: 'error-rate', query: valid.metrics[0]!.query, direction: 'higher-is-bad' }],
    });
  });

  it('keeps every field given', () => {
    const config = parseVerifyConfig({
      ...valid,
      duration: '1m30s',
      interval: '20s',
      sensitivity: 'high',
      failOnNoData: false,
      unhealthyPhase: 'Inconclusive',
      selectBy: 'podName',
      hashLabel: 'hash',
      instanceLabel: 'instance',
      source: { prometheus: { address: 'https://prom.example/prefix', timeout: '2s', step: '5s' } },
      metrics: [{ name: 'p99.latency_ms', query: 'x{${selector}}', direction: 'either', ignoreBelow: 0.001 }],
    });
    expect(config).toMatchObject({
      durationMs: 90_000,
      intervalMs: 20_000,
      sensitivity: 'high',
      failOnNoData: false,
      unhealthyPhase: 'Inconclusive',
      selectBy: 'podName',
      hashLabel: 'hash',
      instanceLabel: 'instance',
      source: { kind: 'prometheus', settings: { address: 'https://prom.example/prefix', timeout: 2000, step: 5000 } },
      metrics: [{ name: 'p99.latency_ms', direction: 'either', ignoreBelow: 0.001 }],
    });
  });

  it('shortens the default interval to a window shorter than 30s', () => {
    expect(parseVerifyConfig({ ...valid, duration: '10s' }).intervalMs).toBe(10_000);
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
    ['an unknown top-level key', { ...valid, window: '5m' }, 'config: unknown key "window"; allowed keys: duration, interval, sensitivity'],
    ['an unknown group key', { ...valid, canary: { podTemplateHash: 'a', hash: 'b' } }, 'config.canary: unknown key "hash"; allowed keys: podTemplateHash'],
    ['a missing source', { ...valid, source: undefined }, 'config.source: is required (expected {"<kind>": {...}} with kind one of prometheus, e.g. {"prometheus": {"address": "http://prometheus:9090"}})'],
    ['a source string', { ...valid, source: 'http://prometheus:9090' }, 'config.source: expected {"<kind>": {...}} with kind one of prometheus'],
    ['no source kind', { ...valid, source: {} }, 'config.source: expected exactly one source kind (one of prometheus); got none'],
    ['an unknown source kind', { ...valid, source: { datadogg: {} } }, 'config.source: unknown key "datadogg"; allowed keys: prometheus'],
    ['a non-http address', { ...valid, source: { prometheus: { address: 'prometheus:9090' } } }, 'config.source.prometheus.address: expected an http(s) URL such as "http://prometheus:9090"; got "prometheus:9090"'],
    ['a bad source timeout', { ...valid, source: { prometheus: { address: 'http://p', timeout: 'soon' } } }, 'config.source.prometheus.timeout: expected a duration such as'],
    ['a source step under 1s', { ...valid, source: { prometheus: { address: 'http://p', step: '100ms' } } }, 'config.source.prometheus.step: expected at least 1s; got "100ms"'],
    ['an unknown source key', { ...valid, source: { prometheus: { address: 'http://p', token: 'x' } } }, 'config.source.prometheus: unknown key "token"; allowed keys: address, timeout, step, credentials'],
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
    ['an unknown metric key', { ...valid, metrics: [{ name: 'a', query: '${selector}', threshold: 1 }] }, 'config.metrics[0]: unknown key "threshold"; allowed keys: name, query, direction, ignoreBelow'],
  ])('rejects %s, naming the field', (_case, raw, message) => {
    expect(errorOf(raw)).toContain(message);
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
