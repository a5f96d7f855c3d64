import { describe, expect, it } from 'vitest';
import { iso, judgeInput, START_S } from '../../test/helpers/judge-inputs.js';
import { ConfigError } from '../config/schema.js';
import { parseJudgeRequest } from './request.js';

function issuesOf(raw: unknown): string[] {
  try {
    parseJudgeRequest(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

const minimal = {
  config: { duration: '5m', metrics: [{ name: 'latency', kind: 'latency' }] },
  start: '2026-01-01T12:00:00Z',
  now: '2026-01-01T12:01:00Z',
};

describe('parseJudgeRequest', () => {
  it('fills the defaults of the engine config', () => {
    const request = parseJudgeRequest(minimal);
    expect(request.settings).toEqual({ sensitivity: 'medium', failOnNoData: true, unhealthyPhase: 'Failed', warmupMs: 60_000 });
    expect(request.durationMs).toBe(300_000);
    expect(request.intervalMs).toBe(30_000);
    expect(request.startS).toBe(START_S);
    expect(request.nowS).toBe(START_S + 60);
    expect(request.metrics).toEqual([{ name: 'latency', kind: 'latency', direction: 'higher-is-bad', critical: false, weight: 1, mustHaveData: true }]);
    expect(request.history).toEqual(new Map());
  });

  it('takes a warm-up from none up to a quarter of an hour', () => {
    expect(parseJudgeRequest({ ...minimal, config: { ...minimal.config, warmup: '0s' } }).settings.warmupMs).toBe(0);
    expect(parseJudgeRequest({ ...minimal, config: { ...minimal.config, warmup: '15m' } }).settings.warmupMs).toBe(900_000);
  });

  it('reads each metric’s history as past periods of its kind, every series sorted by time', () => {
    const request = parseJudgeRequest({
      ...minimal,
      config: { duration: '5m', metrics: [{ name: 'errors', kind: 'ratio' }, { name: 'latency', kind: 'latency' }] },
      history: {
        latency: [{ 'web-1': [[START_S - 60, 2], [START_S - 90, 1]], 'web-2': [[START_S - 90, 3]] }, { 'web-3': [[START_S - 3600, 4]] }],
        errors: [{ 'web-1': { numerator: [[START_S - 30, 1]], denominator: [[START_S - 30, 100]] } }],
      },
    });
    expect(request.history.get('latency')).toEqual([
      new Map([
        ['web-1', [[START_S - 90, 1], [START_S - 60, 2]]],
        ['web-2', [[START_S - 90, 3]]],
      ]),
      new Map([['web-3', [[START_S - 3600, 4]]]]),
    ]);
    expect(request.history.get('errors')).toEqual([{ numerator: new Map([['web-1', [[START_S - 30, 1]]]]), denominator: new Map([['web-1', [[START_S - 30, 100]]]]) }]);
  });

  it('defaults the interval to a window shorter than 30s', () => {
    expect(parseJudgeRequest({ ...minimal, config: { ...minimal.config, duration: '20s' } }).intervalMs).toBe(20_000);
  });

  it('keeps every metric field given', () => {
    const metric = {
      name: 'errors',
      kind: 'ratio',
      direction: 'either',
      critical: true,
      weight: 3,
      mustHaveData: false,
      ignoreBelow: 0.001,
      failFast: { above: 0.2 },
      sensitivity: 'high',
      minEvidence: 1000,
    };
    expect(parseJudgeRequest({ ...minimal, config: { duration: '5m', metrics: [metric] } }).metrics).toEqual([metric]);
  });

  it('gives a configured metric without data empty groups of its kind', () => {
    const request = parseJudgeRequest({ ...minimal, config: { duration: '5m', metrics: [{ name: 'errors', kind: 'ratio' }, { name: 'latency', kind: 'latency' }] } });
    expect(request.data.get('errors')).toEqual({ canary: { numerator: new Map(), denominator: new Map() }, baseline: { numerator: new Map(), denominator: new Map() } });
    expect(request.data.get('latency')).toEqual({ canary: new Map(), baseline: new Map() });
  });

  it('sorts each series by time', () => {
    const request = parseJudgeRequest({ ...minimal, data: { latency: { canary: { a: [[3, 1], [1, 2], [2, 3]] }, baseline: {} } } });
    expect((request.data.get('latency')!.canary as Map<string, unknown>).get('a')).toEqual([[1, 2], [2, 3], [3, 1]]);
  });

  it('accepts the generated inputs', () => {
    expect(() => parseJudgeRequest(judgeInput())).not.toThrow();
  });

  it.each<[string, unknown, string]>([
    ['a missing duration', { ...minimal, config: { metrics: minimal.config.metrics } }, 'config.duration: is required (expected a duration such as "90s", "1m30s" or "5m")'],
    ['an unknown sensitivity', { ...minimal, config: { ...minimal.config, sensitivity: 'extreme' } }, 'config.sensitivity: expected one of high, medium, low; got "extreme"'],
    ['an unknown kind', { ...minimal, config: { duration: '5m', metrics: [{ name: 'x', kind: 'latncy' }] } }, 'config.metrics[0].kind: expected one of ratio, latency, throughput, resource, gauge; got "latncy"'],
    ['an interval longer than the duration', { ...minimal, config: { ...minimal.config, interval: '10m' } }, 'config.interval: expected at most the duration (5m); got 10m'],
    [
      'a duplicate name',
      { ...minimal, config: { duration: '5m', metrics: [{ name: 'a' }, { name: 'a' }] } },
      'config.metrics[1].name: expected a unique name; "a" is used twice',
    ],
    [
      'ignoreBelow with lower-is-bad',
      { ...minimal, config: { duration: '5m', metrics: [{ name: 'a', direction: 'lower-is-bad', ignoreBelow: 1 }] } },
      'config.metrics[0].ignoreBelow: applies only to direction higher-is-bad or either',
    ],
    ['a non-positive weight', { ...minimal, config: { duration: '5m', metrics: [{ name: 'a', weight: 0 }] } }, 'config.metrics[0].weight: expected a number greater than 0; got 0'],
    ['a query (not an offline field)', { ...minimal, config: { duration: '5m', metrics: [{ name: 'a', query: 'up' }] } }, 'config.metrics[0]: unknown key "query"'],
    ['an unknown top-level key', { ...minimal, extra: 1 }, 'input: unknown key "extra"; allowed keys: config, start, now, data, history'],
    ['a warm-up over 15m', { ...minimal, config: { ...minimal.config, warmup: '16m' } }, 'config.warmup: expected at most 15m; got "16m"'],
    [
      'a history point at the start',
      { ...minimal, history: { latency: [{ a: [[START_S - 60, 1]] }, { 'web-1': [[START_S - 60, 1], [START_S, 2]] }] } },
      `history.latency[1]["web-1"]: expected points before start (history is the past); got t = ${START_S}`,
    ],
    [
      'a history count after the start',
      { ...minimal, config: { duration: '5m', metrics: [{ name: 'errors', kind: 'ratio' }] }, history: { errors: [{ a: { numerator: [[START_S - 60, 1]], denominator: [[START_S + 60, 9]] } }] } },
      `history.errors[0].a: expected points before start (history is the past); got t = ${START_S + 60}`,
    ],
    ['a history key that is not a metric', { ...minimal, history: { latncy: [] } }, 'history.latncy: "latncy" is not a configured metric (configured: "latency"); history keys must name metrics in config.metrics'],
    ['history that is not a list of periods', { ...minimal, history: { latency: {} } }, 'history.latency: expected a list of past periods, [{"<instance>": <series>, ...}, ...]; got an object'],
    ['a history value that is not a number', { ...minimal, history: { latency: [{ a: [[START_S - 60, 'x']] }] } }, 'history.latency[0].a[0][1]: expected a finite number; got "x"'],
    ['a start that is not RFC 3339', { ...minimal, start: 'yesterday' }, 'start: expected an RFC 3339 time such as "2026-01-01T12:00:00Z"; got "yesterday"'],
    ['now before start', { ...minimal, now: '2026-01-01T11:59:59Z' }, 'now: expected a time at or after start (2026-01-01T12:00:00.000Z)'],
    ['a data key that is not a metric', { ...minimal, data: { latncy: { canary: {}, baseline: {} } } }, 'data.latncy: "latncy" is not a configured metric (configured: "latency")'],
    ['a group that is not an object', { ...minimal, data: { latency: { canary: [], baseline: {} } } }, 'data.latency.canary: expected an object of series by instance'],
    ['a missing group', { ...minimal, data: { latency: { canary: {} } } }, 'data.latency.baseline: is required (expected an object of series by instance'],
    [
      'counts for a latency metric',
      { ...minimal, data: { latency: { canary: { 'web-1': { numerator: [], denominator: [] } }, baseline: {} } } },
      'data.latency.canary["web-1"]: expected a series [[<unix seconds>, <value>], ...] for a latency metric; got an object (numerator/denominator counts are for kind ratio)',
    ],
    [
      'a plain series for a ratio metric',
      { ...minimal, config: { duration: '5m', metrics: [{ name: 'errors', kind: 'ratio' }] }, data: { errors: { canary: { 'web-1': [[1, 2]] }, baseline: {} } } },
      'data.errors.canary["web-1"]: expected {"numerator": [[<unix seconds>, <count>], ...], "denominator": [[<unix seconds>, <count>], ...]} for a ratio metric; got [[1,2]]',
    ],
    [
      'a negative count',
      { ...minimal, config: { duration: '5m', metrics: [{ name: 'errors', kind: 'ratio' }] }, data: { errors: { canary: { a: { numerator: [[1, -1]], denominator: [[1, 5]] } }, baseline: {} } } },
      'data.errors.canary.a.numerator[0][1]: expected a count of 0 or more; got -1',
    ],
    ['a point that is not a pair', { ...minimal, data: { latency: { canary: { a: [[1, 2, 3]] }, baseline: {} } } }, 'data.latency.canary.a[0]: expected a point [<unix seconds>, <value>]; got [1,2,3]'],
    ['a value that is not a number', { ...minimal, data: { latency: { canary: {}, baseline: { a: [[1, 'x']] } } } }, 'data.latency.baseline.a[0][1]: expected a finite number; got "x"'],
    ['a non-finite value (library use)', { ...minimal, data: { latency: { canary: { a: [[1, Infinity]] }, baseline: {} } } }, 'data.latency.canary.a[0][1]: expected a finite number; got Infinity'],
  ])('names the path and the expected form for %s', (_, raw, message) => {
    expect(issuesOf(raw).join('\n')).toContain(message);
  });

  it('lists every problem at once, config and data alike', () => {
    const issues = issuesOf({
      config: { duration: '5 minutes', metrics: [{ name: 'errors', kind: 'ratio' }] },
      start: iso(START_S),
      now: iso(START_S),
      data: { errors: { canary: { a: [[1, 2]] }, baseline: {} }, nope: { canary: {}, baseline: {} } },
    });
    expect(issues).toHaveLength(3);
    expect(issues[0]).toMatch(/^config\.duration: /);
    expect(issues[1]).toMatch(/^data\.errors\.canary\.a: /);
    expect(issues[2]).toMatch(/^data\.nope: /);
  });

  it('rejects a document that is not an object', () => {
    expect(issuesOf([])).toEqual(['input: expected an object; got an array']);
  });
});
