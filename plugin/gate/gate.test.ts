import { CustomObjectsApi } from '@kubernetes/client-node';
import { describe, expect, it, onTestFinished } from 'vitest';
import { deployedBy } from '../../shared/approvals/deployer.js';
import { APPROVAL_REQUESTS, type ApprovalRequest, type Outcome, effectivePolicy, expire, statusOf } from '../../shared/approvals/request.js';
import { ApprovalRequestStore } from '../../shared/approvals/store.js';
import { createLogger } from '../../shared/log.js';
import { startFakeKubeApi } from '../../test/helpers/fake-kube-api.js';
import { failure, objectStore } from '../../test/helpers/fake-kube-store.js';
import { CollectError, type HealthSource, type InstanceSeries, type LogLine, type LogSource, type SeriesRequest } from '../collect/source.js';
import { gateAbort, gateRun, gateTerminate, type StepCall } from './gate.js';
import type { EngineContext } from '../verify/context.js';
import { StepRpcError } from '../verify/types.js';
import { reportPath, type ReportPath } from '../../shared/verdicts/report-path.js';

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
      return { series, warnings: [] };
    },
  };
}

const failingSource: HealthSource = {
  description: 'fake source',
  fetchSeries: async (request) => {
    throw new CollectError(request.metric.name, 'Prometheus at http://prometheus:9090', 'HTTP 503: overloaded');
  },
};

function context(now: Date, source: HealthSource, events: string[] = [], approvals?: ApprovalRequestStore, extra: Partial<EngineContext> = {}): EngineContext {
  return {
    ...extra,
    now: () => now,
    log: createLogger({ level: 'silent' }),
    createSource: () => source,
    ...(approvals && { approvals }),
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

  it('re-evaluates from the status while the window is open, on whole intervals', async () => {
    const config = { verify: verifyConfig({ warmup: '0s' }) };
    const first = await firstRun(config);
    const calls: SeriesRequest[] = [];
    // The Rollout has moved on; the step keeps comparing the pods it started with.
    const moved = { ...rollout, status: { currentPodHash: 'other', stableRS: 'stable1' } };
    const result = await gateRun(moved, step(config, first.status), context(at(90), fakeSource({ canary1: 1, stable1: 1 }, calls)));
    expect(result).toMatchObject({
      phase: 'Running',
      // The next whole interval: the look at 2m.
      requeueAfterMs: 30_000,
      status: { ...(first.status as object), verdict: null, score: null, reasons: [expect.stringMatching(/^latency-p95: canary 1 vs baseline 1/)] },
    });
    expect(result.message).toMatch(/^in progress, 1m of the 5m window \(20%\) covered; undecided, no conclusive regression; latency-p95: /);
    // At 1m30s with an interval of 1m, the look is the one at 1m (the service's history is read up to the start).
    const windowCalls = calls.filter((c) => c.end.getTime() > T0.getTime());
    expect(windowCalls.map((c) => [c.group.podTemplateHash, c.end])).toEqual([
      ['canary1', at(60)],
      ['stable1', at(60)],
    ]);
  });

  it('fails early, at an interim look, once a regression is conclusive', async () => {
    const config = { verify: verifyConfig({ warmup: '0s' }) };
    const first = await firstRun(config);
    const events: string[] = [];
    const result = await gateRun(rollout, step(config, first.status), context(at(90), fakeSource({ canary1: 5, stable1: 1 }), events));
    expect(events).toEqual(['finished gate Unhealthy Failed early=true']);
    expect(result.phase).toBe('Failed');
    expect(result.requeueAfterMs).toBeUndefined();
    expect(result.message).toMatch(/^decided early, after 1m of the 5m window \(20%\): Unhealthy, score 0\/100: latency-p95: canary 5 vs baseline 1 \(\+400%\)/);
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

  it('in shadow mode (onUnhealthy: record) passes an unhealthy canary, keeping the verdict in its message and status', async () => {
    const config = { verify: verifyConfig({ onUnhealthy: 'record' }) };
    const first = await firstRun(config);
    const early = await gateRun(rollout, step(config, first.status), context(at(60), fakeSource({ canary1: 5, stable1: 1 })));
    expect(early.phase).toBe('Successful');
    expect(early.message).toMatch(/^shadow mode \(onUnhealthy: record\), not acted on: decided early, after 1m of the 5m window \(20%\): Unhealthy, score 0\/100: latency-p95: /);
    expect(early.status).toMatchObject({ kind: 'verify', verdict: 'Unhealthy', score: 0 });
    const healthy = await gateRun(rollout, step(config, first.status), context(at(300), fakeSource({ canary1: 1, stable1: 1 })));
    expect([healthy.phase, healthy.message]).toEqual(['Successful', expect.stringMatching(/^Healthy, score 100\/100/)]);
  });

  it('links its report when the engine serves reports: in the status from the first call, and in the decided message', async () => {
    const reports = { reportUrl: (path: ReportPath, query?: Record<string, string>) => `https://cv.example.com${reportPath(path)}?${new URLSearchParams(query)}` };
    const atStep = { ...rollout, status: { ...rollout.status, currentStepIndex: 2 } };
    const call = (seconds: number, source: HealthSource, status?: unknown) => gateRun(atStep, step({ verify: verifyConfig() }, status), context(at(seconds), source, [], undefined, reports));
    const first = await call(0, fakeSource({}));
    const { verificationId } = first.status as { verificationId: string };
    const link = `https://cv.example.com/reports/shop/rollouts/web/steps/2?verification=${verificationId}`;
    expect(first.status).toMatchObject({ report: link });
    expect(first.message).not.toContain(link);
    const running = await call(90, fakeSource({ canary1: 1, stable1: 1 }), first.status);
    expect([running.phase, running.status]).toEqual(['Running', expect.objectContaining({ report: link, judgedUntil: '2026-01-01T00:01:00Z' })]);
    // Decided early: the status keeps the range the verdict judged, for the report to judge it again.
    const early = await call(130, fakeSource({ canary1: 5, stable1: 1 }), first.status);
    expect(early.phase).toBe('Failed');
    expect(early.message?.endsWith(`; report: ${link}`)).toBe(true);
    expect(early.status).toMatchObject({ verdict: 'Unhealthy', judgedUntil: '2026-01-01T00:02:00Z', report: link });
    const passed = await call(300, fakeSource({ canary1: 1, stable1: 1 }), first.status);
    expect([passed.phase, passed.message?.endsWith(`; report: ${link}`), (passed.status as { judgedUntil: string }).judgedUntil]).toEqual(['Successful', true, '2026-01-01T00:05:00Z']);
    // Without report pages, no link anywhere.
    const plain = await gateRun(atStep, step({ verify: verifyConfig() }, first.status), context(at(300), fakeSource({ canary1: 5, stable1: 1 })));
    expect(plain.message).not.toContain('report');
    expect(plain.status).not.toHaveProperty('report');
    const fresh = await firstRun();
    expect(fresh.status).not.toHaveProperty('report');
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

describe('gateRun (verify) with logs', () => {
  // The service's lines: the stable pods log 1,200 of a healthy mix, the canary 300 (and maybe a new error).
  function logSource(canaryError: boolean): LogSource {
    const mix = ['GET /api/orders/{n} 200 in {n}ms', 'user {n} logged in', 'WARN slow query: {n}ms'];
    const lines = (pod: string, templates: string[], count: number, start: Date, end: Date): LogLine[] =>
      Array.from({ length: count }, (_, i) => ({
        time: start.getTime() + Math.round(((i + 1) * (end.getTime() - start.getTime())) / count),
        instance: pod,
        message: templates[i % templates.length]!.replaceAll('{n}', String((i * 37) % 500)),
      }));
    return {
      description: 'fake logs',
      async fetchLogs({ group, start, end }) {
        const canary = group.podTemplateHash === 'canary1';
        const healthy = lines(`web-${group.podTemplateHash}-a`, mix, canary ? 300 : 1200, start, end);
        const extra = canary && canaryError ? lines('web-canary1-a', ['ERROR payment {n} declined by processor'], 10, start, end) : [];
        return { lines: [...healthy, ...extra], warnings: [] };
      },
    };
  }

  const config = { verify: verifyConfig({ warmup: '0s', logs: { source: { loki: { address: 'http://loki:3100' } }, query: '{app="web"}', history: '0s' } }) };

  it.each([
    [false, 'Successful', /^Healthy/],
    [true, 'Failed', /logs: new error template in canary: "ERROR payment <NUM> declined by processor" 10 lines/],
  ])('judges the canary’s logs at the end of the window (new error: %s)', async (canaryError, phase, message) => {
    const first = await firstRun(config);
    const ctx = { ...context(at(300), fakeSource({ canary1: 1, stable1: 1 })), createLogSource: () => logSource(canaryError) };
    const result = await gateRun(rollout, step(config, first.status), ctx);
    expect(result.phase).toBe(phase);
    expect(result.message).toMatch(message);
    if (canaryError) expect(result.status).toMatchObject({ verdict: 'Unhealthy', templates: expect.arrayContaining([{ template: 'ERROR payment <NUM> declined by processor', risk: true }]) });
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

describe('gateRun (verify): the wait and progressDeadlineSeconds', () => {
  it("fails at its first call when the window plus the time to ask does not fit in the Rollout's progressDeadlineSeconds", async () => {
    const asking = { verify: verifyConfig({ onUnhealthy: 'ask', ask: { timeout: '30m' } }) };
    const failed = await gateRun(rollout, step(asking), context(T0, failingSource));
    expect(failed).toEqual({
      phase: 'Failed',
      message: expect.stringMatching(/^the verification \(5m\) and the time to ask people \(30m\) does not fit in the Rollout's spec\.progressDeadlineSeconds \(600, the default\): .* Set spec\.progressDeadlineSeconds to at least 2160/),
    });
    // Without asking, a 5m window fits the default; with a deadline long enough, asking does too.
    expect((await gateRun(rollout, step({ verify: verifyConfig() }), context(T0, failingSource))).phase).toBe('Running');
    const server = await startFakeKubeApi(objectStore().respond);
    onTestFinished(() => server.close());
    const store = new ApprovalRequestStore(server.kubeConfig().makeApiClient(CustomObjectsApi));
    expect((await gateRun({ ...rollout, spec: { progressDeadlineSeconds: 2160 } }, step(asking), context(T0, failingSource, [], store))).phase).toBe('Running');
  });
});

describe('gateRun (verify, onUnhealthy: ask)', () => {
  const askRollout = {
    metadata: { ...rollout.metadata, annotations: { 'rollout.argoproj.io/revision': '3', 'rollouts-cv.io/deployed-by': deployedBy('UDEPLOYER', { spec: { containers: [{ name: 'app', image: 'web:2' }] } }) } },
    spec: { progressDeadlineSeconds: 7200, template: { metadata: { creationTimestamp: null }, spec: { containers: [{ name: 'app', image: 'web:2', resources: {} }] } } },
    status: { ...rollout.status, currentStepIndex: 4 },
  };
  const askConfig = (ask: Record<string, unknown> = { environment: 'production', approvers: { groups: ['SRELEASE'] } }, overrides: Record<string, unknown> = {}) => ({
    verify: verifyConfig({ onUnhealthy: 'ask', ask, ...overrides }),
  });
  const unhealthy = fakeSource({ canary1: 5, stable1: 1 });
  const healthy = fakeSource({ canary1: 1, stable1: 1 });
  const FINDING = /^Unhealthy, score 0\/100: latency-p95: canary 5 vs baseline 1 \(\+400%\)/;

  /** The requests' store through the real client, over HTTP, against the fake API server's objects. */
  async function setup(config = askConfig(), ending: HealthSource = unhealthy, extra: Partial<EngineContext> = {}) {
    const fake = objectStore();
    const server = await startFakeKubeApi(fake.respond);
    onTestFinished(() => server.close());
    const store = new ApprovalRequestStore(server.kubeConfig().makeApiClient(CustomObjectsApi));
    const requests = () => fake.list(APPROVAL_REQUESTS) as unknown as ApprovalRequest[];
    const call = (seconds: number, status: unknown, source: HealthSource = failingSource) =>
      gateRun(askRollout, step(config, status), context(at(seconds), source, [], store, extra));
    const first = await call(0, undefined);
    // The window ends Unhealthy at 5m and the step asks.
    const asked = await call(300, first.status, ending);
    const name = (asked.status as { asked: { request: string } }).asked.request;
    const decide = (user: string, action: Outcome, comment?: string) =>
      store.decide('shop', name, { id: `${user}-${action}`, user, action, at: at(310).toISOString(), ...(comment && { comment }) }, at(310), undefined, policy(name));
    const policy = (request: string) => effectivePolicy(requests().find((r) => r.metadata.name === request)!.spec, { environment: 'production', protected: false, minApprovals: 1 });
    return { fake, store, requests, call, first, asked, name, decide };
  }

  it('asks with an Intervention request holding the evidence, then waits on it without verifying again', async () => {
    const { requests, call, first, asked, name } = await setup();
    const { verificationId } = first.status as { verificationId: string };
    expect(name).toBe(`web-canary1-s4-${verificationId}`);
    expect(asked).toMatchObject({ phase: 'Running', requeueAfterMs: 15_000 });
    expect(asked.message).toMatch(FINDING);
    expect(asked.message).toContain(`; asking on ApprovalRequest ${name} whether to promote anyway, verify again or roll back; rollback at 2026-01-01T00:35:00.000Z if nobody decides`);
    expect(asked.status).toMatchObject({ ...(first.status as object), verdict: 'Unhealthy', score: 0, asked: { request: name, finding: expect.stringMatching(FINDING) } });

    expect(requests()).toHaveLength(1);
    const [request] = requests();
    expect(request!.metadata.labels).toMatchObject({ 'rollouts-cv.io/rollout-uid': 'r-uid', 'rollouts-cv.io/step-index': '4', 'rollouts-cv.io/type': 'Intervention' });
    expect(request!.spec).toEqual({
      type: 'Intervention',
      rollout: { name: 'web', uid: 'r-uid', revision: '3', podTemplateHash: 'canary1' },
      stepIndex: 4,
      environment: 'production',
      message: 'The verification of canary canary1 against baseline stable1 failed. Promote anyway, verify again from now, or roll back?',
      requestedBy: 'UDEPLOYER',
      policy: { approvers: { groups: ['SRELEASE'] }, minApprovals: 1, allowSelfApproval: true },
      expiresAt: '2026-01-01T00:35:00.000Z',
      onTimeout: 'rollback',
      actions: ['promote', 'retry', 'rollback'],
      evidence: { verdict: 'Unhealthy', score: 0, reasons: [expect.stringMatching(/^latency-p95: canary 5 vs baseline 1/)], verificationId },
    });
    expect(statusOf(request!).state).toBe('Pending');

    // Later calls only read the request (the failing source would throw if asked).
    expect(await call(320, asked.status)).toEqual({ ...asked, requeueAfterMs: 15_000 });
    // A call repeated after a lost result finds the request it made.
    expect((await call(330, first.status, unhealthy)).status).toEqual(asked.status);
    expect(requests()).toHaveLength(1);
  });

  it("links the verification's report in the request's evidence, for the Slack message to show it", async () => {
    const reportUrl = (path: ReportPath, query?: Record<string, string>) => `http://localhost:8082${reportPath(path)}?${new URLSearchParams(query)}`;
    const { requests, first } = await setup(askConfig(), unhealthy, { reportUrl });
    const { verificationId } = first.status as { verificationId: string };
    expect(requests()[0]!.spec.evidence).toMatchObject({ verificationId, report: `http://localhost:8082/reports/shop/rollouts/web/steps/4?verification=${verificationId}` });
  });

  it('asks on an Inconclusive end too', async () => {
    const { asked, requests } = await setup(askConfig({}, { unhealthyPhase: 'Inconclusive' }));
    expect(asked.phase).toBe('Running');
    expect(requests()[0]!.spec).toMatchObject({ evidence: { verdict: 'Unhealthy' }, expiresAt: '2026-01-01T00:35:00.000Z', onTimeout: 'rollback' });
  });

  it('says so when the verification could not rule out a regression (Inconclusive) rather than failed', async () => {
    // 30% slower, but without history three pods a side cannot show it for sure, and a failing change is likely.
    const { asked, requests } = await setup(askConfig(undefined, { history: { lookback: '0s' } }), fakeSource({ canary1: 1.3, stable1: 1 }));
    expect(asked.phase).toBe('Running');
    expect(requests()[0]!.spec).toMatchObject({
      message: 'The verification of canary canary1 against baseline stable1 could not rule out a regression (Inconclusive). Promote anyway, verify again from now, or roll back?',
      evidence: { verdict: 'Inconclusive' },
    });
  });

  it('succeeds when someone promotes anyway, keeping the verification in the status', async () => {
    const { call, asked, name, decide } = await setup();
    await decide('UALICE', 'promote');
    const result = await call(330, asked.status);
    expect(result).toMatchObject({ phase: 'Successful', status: asked.status });
    expect(result.message).toMatch(new RegExp(`^promoted anyway by UALICE on ApprovalRequest ${name}: Unhealthy, score 0/100: latency-p95: `));
  });

  it('fails, which aborts the rollout, when someone rolls back', async () => {
    const { call, asked, name, decide } = await setup();
    await decide('UBOB', 'rollback', 'errors up');
    const result = await call(330, asked.status);
    expect(result.phase).toBe('Failed');
    expect(result.message).toMatch(new RegExp(`^rolled back by UBOB \\("errors up"\\) on ApprovalRequest ${name}: Unhealthy, score 0/100`));
  });

  it('verifies again from now on retry, and asks anew if that fails too, keeping the first request as the record', async () => {
    const { call, first, asked, name, decide, requests } = await setup();
    await decide('UCAROL', 'retry');
    const retried = await call(400, asked.status);
    expect(retried).toMatchObject({
      phase: 'Running',
      message: `retry chosen by UCAROL on ApprovalRequest ${name}; verifying canary canary1 against baseline stable1 on 1 metric(s) over 5m`,
      status: { kind: 'verify', windowStart: '2026-01-01T00:06:40Z', windowEnd: '2026-01-01T00:11:40Z', canary: 'canary1', baseline: 'stable1' },
    });
    const retriedStatus = retried.status as { verificationId: string; asked?: unknown };
    expect(retriedStatus.verificationId).not.toBe((first.status as { verificationId: string }).verificationId);
    expect(retriedStatus.asked).toBeUndefined();

    expect((await call(700, retried.status, healthy)).phase).toBe('Successful');
    const again = await call(700, retried.status, unhealthy);
    expect((again.status as { asked: { request: string } }).asked.request).toBe(`web-canary1-s4-${retriedStatus.verificationId}`);
    expect(requests().map((r) => [r.metadata.name, statusOf(r).state])).toEqual(
      [
        [name, 'Decided'],
        [`web-canary1-s4-${retriedStatus.verificationId}`, 'Pending'],
      ].sort(),
    );
  });

  it('applies the timeout outcome when nobody decided: rollback by default, or promote', async () => {
    const rolledBack = await setup();
    const late = await rolledBack.call(300 + 1800, rolledBack.asked.status);
    expect(late.phase).toBe('Failed');
    expect(late.message).toMatch(new RegExp(`^rolled back on timeout \\(nobody decided by 2026-01-01T00:35:00.000Z\\) on ApprovalRequest ${rolledBack.name}: Unhealthy`));
    expect(statusOf(rolledBack.requests()[0]!)).toMatchObject({ state: 'Expired', outcome: 'rollback' });

    // A go-ahead on timeout is the bot's to apply, under the policy of the environment; the step waits for it.
    const promoted = await setup(askConfig({ timeout: '1h', onTimeout: 'promote' }));
    expect((await promoted.call(300 + 1800, promoted.asked.status)).phase).toBe('Running');
    const waiting = await promoted.call(300 + 3600, promoted.asked.status);
    expect(waiting).toMatchObject({ phase: 'Running', message: expect.stringContaining('waiting for the Slack bot to apply the default on timeout (promote)') });
    const bot = effectivePolicy(promoted.requests()[0]!.spec, { environment: 'production', protected: false, minApprovals: 1 });
    await promoted.store.updateStatus('shop', promoted.name, (current) => ({ status: expire(current, at(300 + 3600), bot), result: undefined }));
    const end = await promoted.call(300 + 3610, promoted.asked.status);
    expect(end.phase).toBe('Successful');
    expect(end.message).toMatch(/^promoted anyway on timeout \(nobody decided by 2026-01-01T01:05:00.000Z\)/);
  });

  it('withdraws the request when the rollout is aborted or promoted past it, and then fails', async () => {
    const { call, asked, name, store, requests } = await setup();
    const ctx = context(at(320), failingSource, [], store);
    expect(await gateAbort(askRollout, step(askConfig(), asked.status), ctx)).toEqual({
      phase: 'Successful',
      message: `ApprovalRequest ${name} cancelled: the rollout was aborted`,
      status: asked.status,
    });
    expect(statusOf(requests()[0]!)).toMatchObject({ state: 'Cancelled', message: 'the rollout was aborted' });
    expect((await gateTerminate(askRollout, step(askConfig(), asked.status), ctx)).message).toBe(`ApprovalRequest ${name} had already ended`);
    const result = await call(330, asked.status);
    expect(result.phase).toBe('Failed');
    expect(result.message).toMatch(new RegExp(`^ApprovalRequest ${name} was cancelled \\(the rollout was aborted\\) before anyone decided: Unhealthy`));
  });

  it('fails when its request was deleted, and retries API failures as RpcErrors', async () => {
    const { fake, call, first, asked, name } = await setup();
    fake.delete({ ...APPROVAL_REQUESTS, namespace: 'shop', name });
    const result = await call(330, asked.status);
    expect(result.phase).toBe('Failed');
    expect(result.message).toMatch(new RegExp(`^ApprovalRequest shop/${name} was deleted before anyone decided; retry the rollout to verify again. Unhealthy`));

    fake.intercept(() => failure(503, 'InternalError', 'injected failure 503'));
    const ask = call(340, first.status, unhealthy);
    await expect(ask).rejects.toThrow(StepRpcError);
    await expect(ask).rejects.toThrow(`verify gate: cannot create approvalrequests shop/web-canary1-s4-${(first.status as { verificationId: string }).verificationId}: HTTP 503: injected failure 503`);
  });

  it('says at the first call that asking needs Kubernetes access', async () => {
    const call = gateRun(askRollout, step(askConfig()), context(T0, failingSource));
    await expect(call).rejects.toThrow(StepRpcError);
    await expect(call).rejects.toThrow('verify gates with onUnhealthy: ask need Kubernetes access and the engine has none');
  });

  it('reports every invalid field of the verification and of ask at once', async () => {
    const result = await firstRun(
      askConfig({ timeout: '10s', onTimeout: 'x', approvers: { users: ['alice'] }, channel: '#ops' }, { onUnhealthy: 'maybe', sensitivity: 'extreme' }),
    );
    expect(result.phase).toBe('Failed');
    expect(result.message).toMatch(/^invalid config: /);
    for (const issue of [
      'config.verify.sensitivity: expected one of high, medium, low; got "extreme"',
      'config.verify.onUnhealthy: expected one of fail, ask, record; got "maybe"',
      'config.verify.ask: unknown key "channel"; allowed keys: timeout, onTimeout, approvers, environment, message',
      'config.verify.ask.timeout: expected at least 1m; got "10s"',
      'config.verify.ask.onTimeout: expected one of rollback, promote; got "x"',
      'config.verify.ask.approvers.users[0]: expected a Slack user ID such as U0123ABCD; got "alice"',
    ]) {
      expect(result.message).toContain(issue);
    }
  });

  it('refuses ask without onUnhealthy: ask, and keeps failing with onUnhealthy: fail', async () => {
    const stray = await firstRun({ verify: verifyConfig({ ask: { timeout: '1h' } }) });
    expect(stray).toEqual({
      phase: 'Failed',
      message: 'invalid config: config.verify.ask: applies only with onUnhealthy: ask (onUnhealthy is "fail"); set onUnhealthy: ask, or remove ask',
    });
    const config = { verify: verifyConfig({ onUnhealthy: 'fail' }) };
    const first = await firstRun(config);
    const result = await gateRun(rollout, step(config, first.status), context(at(300), unhealthy));
    expect(result.phase).toBe('Failed');
    expect(result.message).toMatch(FINDING);
  });
});
