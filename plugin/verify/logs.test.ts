import { describe, expect, it } from 'vitest';
import { CollectError, type HealthSource, type LogLine, type LogSource, type LogsRequest } from '../collect/source.js';
import type { LogsConfig } from '../config/logs.js';
import { parseVerifyConfig, type VerifyConfig } from '../config/schema.js';
import { METRICS_NEUTRAL_CONFIG } from '../../test/helpers/metrics-neutral-config.js';
import { verify } from './verification.js';

const T0 = new Date('2026-01-01T00:00:00Z');
const END = new Date(T0.getTime() + 300_000);

const LOGS: LogsConfig = {
  source: { kind: 'prometheus', settings: { address: 'http://unused:1', timeout: 1000, step: 15_000, scrapeInterval: 30_000 } },
  query: '{app="web"}',
  selectBy: 'podName',
  instanceField: 'pod',
  hashField: 'rollouts_pod_template_hash',
  maxLines: 20_000,
  historyMs: 3_600_000,
  critical: false,
  weight: 1,
  mustHaveData: false,
};

// The metrics half leaves the verdict to the logs.
const base = parseVerifyConfig(METRICS_NEUTRAL_CONFIG);
const config: VerifyConfig = { ...base, logs: LOGS };

const metrics: HealthSource = {
  description: 'fake metrics',
  async fetchSeries() {
    return { series: new Map(), warnings: [] };
  },
};

const HEALTHY = ['GET /api/orders/{n} 200 in {n}ms', 'user {u} logged in from 10.0.0.{n}', 'cache refresh took {n}ms', 'WARN slow query on table orders: {n}ms'];
const NEW_ERROR = 'ERROR payment {n} failed: card processor returned "declined"';

/** `count` lines spread evenly over (start, end], drawn in turn from `templates`. */
function lines(pod: string, templates: string[], count: number, start: Date, end: Date): LogLine[] {
  const span = end.getTime() - start.getTime();
  return Array.from({ length: count }, (_, i) => ({
    time: start.getTime() + Math.round(((i + 1) * span) / count),
    instance: pod,
    message: templates[i % templates.length]!.replaceAll('{n}', String((i * 7919) % 1000)).replaceAll('{u}', ['alice', 'bob', 'carol'][i % 3]!),
  }));
}

/** A log source serving each group (by hash) what `plan` gives for the range asked. */
function logSource(plan: (request: LogsRequest) => LogLine[], calls: LogsRequest[] = []): LogSource {
  return {
    description: 'fake logs',
    async fetchLogs(request) {
      calls.push(request);
      const all = plan(request).filter((line) => line.time > request.start.getTime() && line.time <= request.end.getTime());
      return { lines: all.slice(0, request.limit), total: all.length, warnings: [] };
    },
  };
}

const groupLines = (canaryExtra: (r: LogsRequest) => LogLine[] = () => []) => (request: LogsRequest) => {
  const { podTemplateHash: hash } = request.group;
  const healthy = lines(`web-${hash}-a1`, HEALTHY, hash === 'new' ? 400 : 1600, request.start, request.end);
  return hash === 'new' ? [...healthy, ...canaryExtra(request)] : healthy;
};

describe('logs in a verification', () => {
  it('passes a canary that logs what the baseline logs, at its volume', async () => {
    const result = (await verify(config, { start: T0, end: END }, metrics, { logSource: logSource(groupLines()) })).result;
    expect(result.final).toBe(true);
    expect(result.logs).toMatchObject({ kind: 'logs', classification: 'pass', volumes: { canary: 400, baseline: 1600 } });
    expect(result.verdict).toBe('Healthy');
  });

  it('fails a canary that brings a new error template, naming the template in the reason', async () => {
    const extra = (r: LogsRequest) => lines('web-new-a1', [NEW_ERROR], 12, r.start, r.end);
    const result = (await verify(config, { start: T0, end: END }, metrics, { logSource: logSource(groupLines(extra)) })).result;
    expect(result.verdict).toBe('Unhealthy');
    expect(result.logs!.classification).toBe('fail');
    expect(result.logs!.reason).toMatch(/^logs: .*payment <NUM> failed/);
    expect(result.logs!.findings[0]).toMatchObject({ class: 'unknown', level: 'error', canary: 12, baseline: 0, risk: true });
  });

  it('reads no logs before the window closes, and judges them when a verification is ended early', async () => {
    const calls: LogsRequest[] = [];
    const extra = (r: LogsRequest) => lines('web-new-a1', [NEW_ERROR], 12, r.start, r.end);
    const half = { start: T0, end: new Date(T0.getTime() + 150_000) };
    const interim = (await verify(config, half, metrics, { logSource: logSource(groupLines(extra), calls) })).result;
    expect(interim.logs).toBeUndefined();
    expect(calls).toHaveLength(0);
    const ended = (await verify(config, half, metrics, { logSource: logSource(groupLines(extra), calls), asClosed: true })).result;
    expect(ended.verdict).toBe('Unhealthy');
    expect(calls.map((c) => [c.group.podTemplateHash, c.start.getTime() - T0.getTime(), c.end.getTime() - T0.getTime()]).sort()).toEqual([
      ['new', 0, 150_000],
      ['old', -3_600_000, 0],
      ['old', 0, 150_000],
    ]);
  });

  it('does not count a template the stable pods logged in the hour before the window as new', async () => {
    const rare = 'ERROR nightly export {n} failed: disk quota';
    const plan = (request: LogsRequest) => {
      const before = request.end.getTime() <= T0.getTime();
      if (before) return lines('web-old-a1', [...HEALTHY, rare], 500, request.start, request.end);
      return groupLines((r) => lines('web-new-a1', [rare], 6, r.start, r.end))(request);
    };
    const result = (await verify(config, { start: T0, end: END }, metrics, { logSource: logSource(plan) })).result;
    const found = result.logs!.findings.find((f) => f.template.includes('nightly export'));
    expect(found).toMatchObject({ class: 'known', risk: false, baseline: 0, history: 100 });
    expect(found!.reason).toContain('100 of 500 before the window');
    expect(result.verdict).toBe('Healthy');
  });

  it("leaves out the canary's warm-up lines", async () => {
    const startup = 'ERROR connection pool not ready, retrying in {n}ms';
    const extra = (r: LogsRequest) => lines('web-new-a1', [startup], 20, r.start, new Date(r.start.getTime() + 50_000));
    const warm = { ...config, warmupMs: 60_000 };
    const result = (await verify(warm, { start: T0, end: END }, metrics, { logSource: logSource(groupLines(extra)) })).result;
    expect(result.logs!.findings.some((f) => f.template.includes('connection pool'))).toBe(false);
    expect(result.verdict).toBe('Healthy');
  });

  it('applies people\'s marks: a template marked "not a risk" no longer fails the canary', async () => {
    const extra = (r: LogsRequest) => lines('web-new-a1', [NEW_ERROR], 12, r.start, r.end);
    const feedback = new Map([['ERROR payment <NUM> failed: card processor returned <STR>', 'not-a-risk' as const]]);
    const result = (await verify(config, { start: T0, end: END }, metrics, { logSource: logSource(groupLines(extra)), feedback })).result;
    expect(result.logs!.findings[0]).toMatchObject({ class: 'unknown', risk: false, feedback: 'not-a-risk' });
    expect(result.verdict).toBe('Healthy');
  });

  it('says when the lines judged are a sample, without doubting a pass for it', async () => {
    const capped = { ...config, logs: { ...LOGS, maxLines: 300 } };
    const result = (await verify(capped, { start: T0, end: END }, metrics, { logSource: logSource(groupLines()) })).result;
    expect(result.logs).toMatchObject({ volumes: { canary: 300, baseline: 300 }, totals: { canary: 400, baseline: 1600 } });
    expect(result.logs!.warnings).toBeUndefined();
    expect(result.phase).toBe('Successful');
  });

  it('fails the look when a group\'s lines cannot be read, and judges without the history when only it cannot', async () => {
    const failing: LogSource = { description: 'fake logs', fetchLogs: async () => Promise.reject(new CollectError('logs', 'fake logs', 'HTTP 500', true)) };
    await expect(verify(config, { start: T0, end: END }, metrics, { logSource: failing })).rejects.toThrow(/fake logs: HTTP 500/);
    const errors: CollectError[] = [];
    const noHistory = logSource((request) => {
      if (request.end.getTime() <= T0.getTime()) throw new CollectError('logs', 'fake logs', 'history gone');
      return groupLines()(request);
    });
    const result = (await verify(config, { start: T0, end: END }, metrics, { logSource: noHistory, onHistoryError: (e) => errors.push(e) })).result;
    expect(result.verdict).toBe('Healthy');
    expect(errors.map((e) => e.causeText)).toEqual(['history gone']);
  });
});
