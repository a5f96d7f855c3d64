import { describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/log.js';
import { CollectError, type HealthSource, type InstanceSeries, type SeriesRequest } from '../collect/source.js';
import { gateAbort, gateRun, gateTerminate, type StepCall } from './gate.js';
import type { EngineContext } from '../verify/metric.js';
import { StepRpcError } from '../verify/types.js';

const T0 = new Date('2026-01-01T00:00:00Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

// Three pods per group that differ a little from each other, as pods do (geometric mean 1).
const POD_FACTORS = { a: 0.95, b: 1, c: 1 / 0.95 };

/** A level per pod template hash (times the pod's factor); samples every 15 s in the requested range (start, end]. */
function fakeSource(values: Record<string, number>, calls: SeriesRequest[] = []): HealthSource {
  return {
    description: 'fake source',
    async fetchSeries(request) {
      calls.push(request);
      const value = values[request.group.podTemplateHash];
      const series: InstanceSeries = new Map();
      for (const [pod, factor] of Object.entries(POD_FACTORS)) {
        const samples: [number, number][] = [];
        for (let t = Math.floor(request.start.getTime() / 15_000) * 15 + 15; value !== undefined && t * 1000 <= request.end.getTime(); t += 15) {
          samples.push([t, value * factor]);
        }
        series.set(`${request.group.podTemplateHash}-${pod}`, samples);
      }
      return series;
    },
  };
}

const failingSource: HealthSource = {
  description: 'fake source',
  fetchSeries: async (request) => {
    throw new CollectError(request.metric.name, 'Prometheus at http://prometheus:9090', 'HTTP 503: overloaded');
  },
};

function context(now: Date, source: HealthSource, events: string[] = []): EngineContext {
  return {
    now: () => now,
    log: createLogger({ level: 'silent' }),
    createSource: () => source,
    events: {
      finished: (event) => events.push(`finished ${event.plugin} ${event.verdict} ${event.phase} early=${event.early}`),
      collectionFailed: (plugin) => events.push(`collection failed ${plugin}`),
    },
  };
}

const rollout = { metadata: { uid: 'r-uid', namespace: 'shop', name: 'web' }, status: { currentPodHash: 'canary1', stableRS: 'stable1' } };

function verifyConfig(overrides: Record<string, unknown> = {}) {
  return {
    duration: '5m',
    interval: '1m',
    source: { prometheus: { address: 'http://prometheus:9090' } },
    metrics: [
      {
        name: 'latency-p95',
        kind: 'latency',
        query: 'histogram_quantile(0.95, sum by (pod, le) (rate(latency_seconds_bucket{${selector}}[1m])))',
      },
    ],
    ...overrides,
  };
}

function step(config: unknown, status?: unknown): StepCall {
  return { pluginName: 'rollouts-cv/gate', config, status };
}

async function firstRun(config: unknown = { verify: verifyConfig() }, r: unknown = rollout) {
  return gateRun(r, step(config), context(T0, fakeSource({})));
}

describe('gateRun (verify)', () => {
  it('starts a window from the Rollout’s hashes on the first call', async () => {
    const result = await firstRun();
    expect(result).toMatchObject({
      phase: 'Running',
      requeueAfterMs: 60_000,
      status: { kind: 'verify', windowStart: '2026-01-01T00:00:00Z', windowEnd: '2026-01-01T00:05:00Z', canary: 'canary1', baseline: 'stable1' },
    });
    expect(result.message).toBe('verifying canary canary1 against baseline stable1 on 1 metric(s) over 5m');
    expect((result.status as { verificationId: string }).verificationId).toMatch(/^v-[0-9a-f]{16}$/);
  });

  it('prefers the groups given in the config', async () => {
    const result = await firstRun({ verify: verifyConfig({ canary: { podTemplateHash: 'c9' }, baseline: { podTemplateHash: 'b9' } }) });
    expect(result.status).toMatchObject({ canary: 'c9', baseline: 'b9' });
  });

  it('fails when a group is neither given nor on the Rollout', async () => {
    const result = await firstRun(undefined, { metadata: {}, status: { currentPodHash: 'canary1' } });
    expect(result.phase).toBe('Failed');
    expect(result.message).toBe('invalid config: config.verify.baseline: not given and the Rollout has no status.stableRS (expected {"podTemplateHash": "<hash>"})');
  });

  it('fails when there is nothing to compare', async () => {
    const result = await firstRun(undefined, { status: { currentPodHash: 'same', stableRS: 'same' } });
    expect(result.phase).toBe('Failed');
    expect(result.message).toContain('canary and baseline are both "same"');
  });

  it('fails an invalid config naming the field', async () => {
    const result = await firstRun({ verify: verifyConfig({ sensitivity: 'extreme' }) });
    expect(result).toEqual({ phase: 'Failed', message: 'invalid config: config.verify.sensitivity: expected one of high, medium, low; got "extreme"' });
  });

  it('re-evaluates from the status while the window is open', async () => {
    const first = await firstRun();
    const calls: SeriesRequest[] = [];
    // The Rollout has moved on; the step keeps comparing the pods it started with.
    const moved = { ...rollout, status: { currentPodHash: 'other', stableRS: 'stable1' } };
    const result = await gateRun(moved, step({ verify: verifyConfig() }, first.status), context(at(90), fakeSource({ canary1: 1, stable1: 1 }, calls)));
    expect(result).toMatchObject({
      phase: 'Running',
      requeueAfterMs: 60_000,
      status: { ...(first.status as object), verdict: null, score: null, reasons: [expect.stringMatching(/^latency-p95: canary 1 vs baseline 1/)] },
    });
    expect(result.message).toMatch(/^in progress, 1m30s of the 5m window \(30%\) covered; undecided, no conclusive regression; latency-p95: /);
    expect(calls.map((c) => [c.group.podTemplateHash, c.end])).toEqual([
      ['canary1', at(90)],
      ['stable1', at(90)],
    ]);
  });

  it('fails early, at an interim look, once a regression is conclusive', async () => {
    const first = await firstRun();
    const events: string[] = [];
    const result = await gateRun(rollout, step({ verify: verifyConfig() }, first.status), context(at(90), fakeSource({ canary1: 5, stable1: 1 }), events));
    expect(events).toEqual(['finished gate Unhealthy Failed early=true']);
    expect(result.phase).toBe('Failed');
    expect(result.requeueAfterMs).toBeUndefined();
    expect(result.message).toMatch(/^decided early, after 1m30s of the 5m window \(30%\): Unhealthy, score 0\/100: latency-p95: canary 5 vs baseline 1 \(\+400%\)/);
    expect(result.status).toMatchObject({ verdict: 'Unhealthy', score: 0 });
  });

  it('requeues at the end of the window when it is closer than the interval', async () => {
    const first = await firstRun();
    const result = await gateRun(rollout, step({ verify: verifyConfig() }, first.status), context(at(270), fakeSource({ canary1: 1, stable1: 1 })));
    expect(result.requeueAfterMs).toBe(30_000);
  });

  it('succeeds a healthy canary at the end, with the verdict in the status', async () => {
    const first = await firstRun();
    const result = await gateRun(rollout, step({ verify: verifyConfig() }, first.status), context(at(300), fakeSource({ canary1: 1, stable1: 1 })));
    expect(result.phase).toBe('Successful');
    expect(result.requeueAfterMs).toBeUndefined();
    expect(result.status).toMatchObject({ verdict: 'Healthy', score: 100, reasons: [expect.stringContaining('latency-p95')] });
  });

  it('fails an unhealthy canary at the end', async () => {
    const first = await firstRun();
    const result = await gateRun(rollout, step({ verify: verifyConfig() }, first.status), context(at(300), fakeSource({ canary1: 5, stable1: 1 })));
    expect(result.phase).toBe('Failed');
    expect(result.message).toMatch(/^Unhealthy, score 0\/100: latency-p95: canary 5 vs baseline 1 \(\+400%\); /);
  });

  it('fails where a metric would be Inconclusive, and says so', async () => {
    const config = { verify: verifyConfig({ unhealthyPhase: 'Inconclusive' }) };
    const first = await firstRun(config);
    const result = await gateRun(rollout, step(config, first.status), context(at(300), fakeSource({ canary1: 5, stable1: 1 })));
    expect(result.phase).toBe('Failed');
    expect(result.message).toContain('(Inconclusive: a step cannot pause for a person, so it fails)');
  });

  it('is stateless: the same status gives the same result on a fresh context, later', async () => {
    const first = await firstRun();
    const values = { canary1: 1.05, stable1: 1 };
    const a = await gateRun(rollout, step({ verify: verifyConfig() }, first.status), context(at(300), fakeSource(values)));
    const b = await gateRun(rollout, step({ verify: verifyConfig() }, first.status), context(at(7200), fakeSource(values)));
    expect(b).toEqual(a);
    expect(a.phase).toBe('Successful');
  });

  it('throws StepRpcError when collection fails, so the controller retries', async () => {
    const first = await firstRun();
    const events: string[] = [];
    const call = gateRun(rollout, step({ verify: verifyConfig() }, first.status), context(at(120), failingSource, events));
    await expect(call).rejects.toThrow(StepRpcError);
    expect(events).toEqual(['collection failed gate']);
    await expect(call).rejects.toThrow(/collection failed: metric "latency-p95": Prometheus at http:\/\/prometheus:9090: HTTP 503: overloaded/);
  });

  it('fails on a status it did not write', async () => {
    const result = await gateRun(rollout, step({ verify: verifyConfig() }, { kind: 'approval' }), context(at(10), fakeSource({})));
    expect(result.phase).toBe('Failed');
    expect(result.message).toContain('the stored step status is not a verify status');
  });
});

describe('gate kinds', () => {
  it.each<[unknown, string]>([
    [{ approve: {} }, 'config: unknown gate kind "approve"; supported kinds: verify'],
    [{}, 'config: expected exactly one gate kind such as {"verify": {...}} (supported kinds: verify, approval); got an empty object'],
    [{ verify: {}, approval: {} }, 'got keys verify, approval'],
    [null, 'got null'],
    ['verify', 'got "verify"'],
  ])('refuses %j', async (config, message) => {
    const result = await gateRun(rollout, step(config), context(T0, fakeSource({})));
    expect(result.phase).toBe('Failed');
    expect(result.message).toContain(message);
  });
});

describe('gateTerminate and gateAbort', () => {
  it('succeed with nothing to clean up, keeping the status', async () => {
    const first = await firstRun();
    const ctx = context(at(60), failingSource);
    const terminated = await gateTerminate(rollout, step({ verify: verifyConfig() }, first.status), ctx);
    const aborted = await gateAbort(rollout, step({ verify: verifyConfig() }, first.status), ctx);
    expect(terminated).toEqual({ phase: 'Successful', message: 'verification terminated by promotion; nothing to clean up', status: first.status });
    expect(aborted).toEqual({ phase: 'Successful', message: 'verification aborted with the rollout; nothing to clean up', status: first.status });
  });

  it('refuse an unknown kind', async () => {
    expect((await gateAbort(rollout, step({ approve: {} }), context(T0, failingSource))).phase).toBe('Failed');
  });
});
