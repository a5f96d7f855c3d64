// People's marks reach the log judge through the metric plugin's calls: stored as LogTemplateFeedbacks in the fake
// API server, read by the real store for the AnalysisRun's Rollout, applied when the window closes.
import { CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { feedbackTarget, newFeedback, type FeedbackMark } from '../../shared/logs-feedback/feedback.js';
import { LogTemplateFeedbackStore } from '../../shared/logs-feedback/store.js';
import { createLogger } from '../../shared/log.js';
import { decodeSummary } from '../../shared/verdicts/summary.js';
import { type FakeKubeApi, startFakeKubeApi } from '../../test/helpers/fake-kube-api.js';
import { failure, type KubeObject, objectStore } from '../../test/helpers/fake-kube-store.js';
import { METRICS_NEUTRAL_CONFIG } from '../../test/helpers/metrics-neutral-config.js';
import type { HealthSource, LogLine, LogSource, LogsRequest } from '../collect/source.js';
import { gateRun } from '../gate/gate.js';
import type { EngineContext } from './context.js';
import { nameOfRollout, rolloutOfRun } from './feedback.js';
import { metricResume, metricRun, metricTerminate } from './metric.js';

const T0 = new Date('2026-01-01T00:00:00Z');
const END = new Date(T0.getTime() + 300_000);
const FEEDBACKS = { group: 'rollouts-cv.io', plural: 'logtemplatefeedbacks' };
const NEW_ERROR = 'ERROR payment {n} failed: card processor returned "declined"';
const NEW_ERROR_TEMPLATE = 'ERROR payment <NUM> failed: card processor returned <STR>';
// (an error both groups log at one rate is known: no risk by the test)
const HEALTHY = ['GET /api/orders/{n} 200 in {n}ms', 'cache refresh took {n}ms', 'ERROR upstream connection reset, retrying in {n}ms'];

const METRIC = {
  name: 'verify',
  provider: {
    plugin: {
      'rollouts-cv/verify': {
        ...METRICS_NEUTRAL_CONFIG,
        logs: { source: { loki: { address: 'http://loki:3100' } }, query: '{app="web"}', history: '0s' },
      },
    },
  },
};
const owner = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: 'web', uid: 'web-uid', controller: true, blockOwnerDeletion: true };
const RUN = { metadata: { namespace: 'shop', name: 'web-6f9c8d7b5-2', uid: 'run-uid', ownerReferences: [owner] } };

const metrics: HealthSource = {
  description: 'fake metrics',
  async fetchSeries() {
    return { series: new Map(), warnings: [] };
  },
};

/** `count` lines spread evenly over (start, end], drawn in turn from `templates`. */
function lines(pod: string, templates: string[], count: number, start: Date, end: Date): LogLine[] {
  const span = end.getTime() - start.getTime();
  return Array.from({ length: count }, (_, i) => ({ time: start.getTime() + Math.round(((i + 1) * span) / count), instance: pod, message: templates[i % templates.length]!.replaceAll('{n}', String((i * 7919) % 1000)) }));
}

/** The canary logs a new error 12 times beside what both groups log. */
const logs: LogSource = {
  description: 'fake logs',
  async fetchLogs(request: LogsRequest) {
    const { podTemplateHash: hash } = request.group;
    const all = [...lines(`web-${hash}-a1`, HEALTHY, hash === 'new' ? 400 : 1600, request.start, request.end), ...(hash === 'new' ? lines('web-new-a1', [NEW_ERROR], 12, request.start, request.end) : [])];
    return { lines: all, total: all.length, warnings: [] };
  },
};

let store: ReturnType<typeof objectStore>;
let kube: FakeKubeApi;
const warnings: Record<string, unknown>[] = [];

beforeAll(async () => {
  store = objectStore();
  kube = await startFakeKubeApi(store.respond);
});
afterAll(() => kube.close());
beforeEach(() => {
  warnings.length = 0;
  for (const o of store.list(FEEDBACKS)) store.delete({ ...FEEDBACKS, namespace: o.metadata.namespace, name: o.metadata.name });
});

function context(now: Date, feedback: EngineContext['feedback'] = new LogTemplateFeedbackStore(kube.kubeConfig().makeApiClient(CustomObjectsApi))): EngineContext {
  const log = createLogger({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line) as Record<string, unknown>) });
  return { now: () => now, log, createSource: () => metrics, createLogSource: () => logs, feedback };
}

function mark(namespace: string, rollout: string, template: string, mark: FeedbackMark): void {
  store.seed(FEEDBACKS, newFeedback(feedbackTarget(namespace, rollout, template), { mark, markedBy: 'U0ALICE001', markedAt: T0.toISOString() }) as unknown as KubeObject);
}

/** The verification started at T0 and looked at when its window has closed. */
async function verdict(run: unknown = RUN, ctx: EngineContext = context(END)) {
  const started = await metricRun(run, METRIC, context(T0));
  const measurement = await metricResume(run, METRIC, started, ctx);
  return { phase: measurement.phase, message: measurement.message, summary: decodeSummary(measurement.value) };
}

const listed = (from: number) => kube.requests.slice(from).filter((r) => r.path.endsWith('/logtemplatefeedbacks'));

describe("people's marks in a verification", () => {
  it('a stored not-a-risk mark on the new error turns the failing log verdict into a pass', async () => {
    const unmarked = await verdict();
    expect(unmarked).toMatchObject({ phase: 'Failed', summary: { verdict: 'Unhealthy' } });
    expect(unmarked.summary?.templates?.[0]).toEqual({ template: NEW_ERROR_TEMPLATE, risk: true });

    mark('shop', 'web', NEW_ERROR_TEMPLATE, 'not-a-risk');
    const from = kube.requests.length;
    const marked = await verdict();
    expect(marked).toMatchObject({ phase: 'Successful', summary: { verdict: 'Healthy' } });
    expect(marked.summary?.templates).toContainEqual({ template: NEW_ERROR_TEMPLATE, risk: false });
    expect(listed(from).map((r) => [r.path, r.query.get('labelSelector')])).toEqual([['/apis/rollouts-cv.io/v1alpha1/namespaces/shop/logtemplatefeedbacks', 'rollouts-cv.io/rollout=web']]);
    expect(warnings).toEqual([]);
  });

  it('applies only the marks of the same service in the same namespace (environment)', async () => {
    mark('staging', 'web', NEW_ERROR_TEMPLATE, 'not-a-risk');
    mark('shop', 'api', NEW_ERROR_TEMPLATE, 'not-a-risk');
    expect((await verdict()).phase).toBe('Failed');
  });

  it('a raise-risk mark makes a risk of a template both groups log alike', async () => {
    mark('shop', 'web', NEW_ERROR_TEMPLATE, 'not-a-risk');
    expect((await verdict()).phase).toBe('Successful');
    mark('shop', 'web', 'ERROR upstream connection reset, retrying in <DUR>', 'raise-risk');
    const raised = await verdict();
    expect(raised.phase).toBe('Failed');
    expect(raised.summary?.reasons[0]).toMatch(/^logs: error template marked a risk in canary: "ERROR upstream connection reset, retrying in <DUR>"/);
  });

  it('reads no marks before the window closes, and reads them when the verification is ended early', async () => {
    mark('shop', 'web', NEW_ERROR_TEMPLATE, 'not-a-risk');
    const started = await metricRun(RUN, METRIC, context(T0));
    const from = kube.requests.length;
    const middle = new Date(T0.getTime() + 120_000);
    expect((await metricResume(RUN, METRIC, started, context(middle))).phase).toBe('Running');
    expect(listed(from)).toEqual([]);
    const ended = await metricTerminate(RUN, METRIC, started, context(middle));
    expect(ended.phase).toBe('Successful');
    expect(listed(from)).toHaveLength(1);
  });

  it('judges without marks, and warns, when they cannot be read: never an error, never a pass for it', async () => {
    mark('shop', 'web', NEW_ERROR_TEMPLATE, 'not-a-risk');
    const stop = store.intercept((r) => (r.path.endsWith('/logtemplatefeedbacks') ? failure(403, 'Forbidden', 'logtemplatefeedbacks.rollouts-cv.io is forbidden') : undefined));
    try {
      expect((await verdict()).phase).toBe('Failed');
    } finally {
      stop();
    }
    const noKubeconfig = context(END, undefined);
    Object.defineProperty(noKubeconfig, 'feedback', {
      get() {
        throw new Error('no kubeconfig');
      },
    });
    expect((await verdict(RUN, noKubeconfig)).phase).toBe('Failed');
    expect(warnings.map((w) => [w.msg, w.rollout, (w.err as { message: string }).message])).toEqual([
      ["people's marks on log templates could not be read: the logs are judged without them", 'shop/web', 'cannot list logtemplatefeedbacks of rollout web in shop: HTTP 403: logtemplatefeedbacks.rollouts-cv.io is forbidden'],
      ["people's marks on log templates could not be read: the logs are judged without them", 'shop/web', 'no kubeconfig'],
    ]);
  });

  it('reads nothing for a run no Rollout owns, and never widens the selector with an owner name that is no Rollout name', async () => {
    mark('shop', 'web', NEW_ERROR_TEMPLATE, 'not-a-risk');
    const from = kube.requests.length;
    expect((await verdict({ metadata: { namespace: 'shop', name: 'by-hand' } })).phase).toBe('Failed');
    expect(listed(from)).toEqual([]);
    const forged = { metadata: { namespace: 'shop', name: 'x', ownerReferences: [{ ...owner, name: 'web,rollouts-cv.io/rollout!=web' }] } };
    expect((await verdict(forged)).phase).toBe('Failed');
    expect(listed(from)).toEqual([]);
    expect(warnings.at(-1)).toMatchObject({ rollout: 'shop/web,rollouts-cv.io/rollout!=web', err: { message: expect.stringMatching(/^rollout: expected the name of a Rollout/) } });
  });
});

describe("people's marks in a verify gate", () => {
  it("apply to the step's Rollout", async () => {
    const { canary: _c, baseline: _b, ...settings } = METRIC.provider.plugin['rollouts-cv/verify'];
    const rollout = { metadata: { uid: 'web-uid', namespace: 'shop', name: 'web' }, status: { currentPodHash: 'new', stableRS: 'old' } };
    const call = (status?: unknown) => ({ pluginName: 'rollouts-cv/gate', config: { verify: settings }, status });
    const first = await gateRun(rollout, call(), context(T0));
    expect((await gateRun(rollout, call(first.status), context(END))).phase).toBe('Failed');
    mark('shop', 'web', NEW_ERROR_TEMPLATE, 'not-a-risk');
    expect((await gateRun(rollout, call(first.status), context(END))).phase).toBe('Successful');
  });
});

describe('the service of a verification', () => {
  it("is the AnalysisRun's controlling Rollout in the run's namespace", () => {
    const other = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-6f9c8d7b5', uid: 'rs' };
    expect(rolloutOfRun(RUN)).toEqual({ namespace: 'shop', name: 'web' });
    expect(rolloutOfRun({ metadata: { namespace: 'shop', ownerReferences: [other, { ...owner, name: 'old', controller: false }, owner] } })).toEqual({ namespace: 'shop', name: 'web' });
    expect(rolloutOfRun({ metadata: { namespace: 'shop', ownerReferences: [other, { ...owner, apiVersion: 'example.com/v1' }] } })).toBeUndefined();
    for (const run of [undefined, null, 'x', { metadata: { ownerReferences: [owner] } }, { metadata: { namespace: 'shop', ownerReferences: 'web' } }]) expect(rolloutOfRun(run)).toBeUndefined();
  });

  it("is the step plugin's Rollout", () => {
    expect(nameOfRollout({ metadata: { namespace: 'shop', name: 'web' } })).toEqual({ namespace: 'shop', name: 'web' });
    expect(nameOfRollout({ metadata: { name: 'web' } })).toBeUndefined();
  });
});
