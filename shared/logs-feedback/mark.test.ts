// Marks written and read through the real client against the fake API server with state: the objects, the audit
// Events, and that a refusal, a repeat or a no-op writes nothing.
import { CoreV1Api, type CoreV1Event, CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeKubeApi, startFakeKubeApi } from '../../test/helpers/fake-kube-api.js';
import { failure, objectStore } from '../../test/helpers/fake-kube-store.js';
import { createLogger } from '../log.js';
import { type Audit, createAudit } from '../operations/audit.js';
import { FeedbackInputError, type LogTemplateFeedback, feedbackName } from './feedback.js';
import { type FeedbackRequest, clearMark, markTemplate } from './mark.js';
import { LogTemplateFeedbackStore } from './store.js';

const FEEDBACKS = { group: 'rollouts-cv.io', plural: 'logtemplatefeedbacks' };
const EVENTS = { plural: 'events' };
const TEMPLATE = 'ERROR payment <NUM> failed: card processor returned <STR>';
const NAME = feedbackName('web', TEMPLATE);
const AT = new Date('2026-03-01T10:00:00.000Z');

let kube: FakeKubeApi;
const store = objectStore();
let feedback: LogTemplateFeedbackStore;
let audit: Audit;
let keys = 0;

beforeAll(async () => {
  kube = await startFakeKubeApi(store.respond);
  feedback = new LogTemplateFeedbackStore(kube.kubeConfig().makeApiClient(CustomObjectsApi));
  audit = createAudit({ api: kube.kubeConfig().makeApiClient(CoreV1Api), log: createLogger({ level: 'silent' }), component: 'rollouts-cv-cli', instance: 'laptop' });
});
afterAll(() => kube.close());
beforeEach(() => {
  for (const resource of [FEEDBACKS, EVENTS]) for (const o of store.list(resource)) store.delete({ ...resource, namespace: o.metadata.namespace, name: o.metadata.name });
});

function request(fields: Partial<FeedbackRequest> = {}): FeedbackRequest {
  return { store: feedback, audit, namespace: 'shop', rollout: 'web', template: TEMPLATE, user: { id: 'alice@example.com', kind: 'Kubernetes user' }, origin: 'Cli', key: `cli:${++keys}`, now: AT, ...fields };
}

const stored = (name = NAME) => store.get({ ...FEEDBACKS, namespace: 'shop', name }) as unknown as LogTemplateFeedback | undefined;
/** The Events written, as "<type> <reason>: <message>", oldest first. */
const events = () => (store.list(EVENTS) as unknown as CoreV1Event[]).sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion)).map((e) => `${e.type} ${e.reason}: ${e.message}`);
const writes = (from: number) => kube.requests.slice(from).filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path.split('/').slice(-2).join('/')}`);

describe('markTemplate', () => {
  it('stores the mark under its one name, labelled for its service, and records it', async () => {
    const result = await markTemplate({ ...request(), mark: 'not-a-risk', comment: 'known noise of the card sandbox' });
    expect(result).toEqual({ kind: 'done', message: `marked "${TEMPLATE}" not a risk for shop/web` });
    expect(stored()).toMatchObject({
      apiVersion: 'rollouts-cv.io/v1alpha1',
      kind: 'LogTemplateFeedback',
      metadata: { name: NAME, namespace: 'shop', labels: { 'rollouts-cv.io/rollout': 'web' } },
      spec: { rollout: 'web', template: TEMPLATE, mark: 'not-a-risk', markedBy: 'alice@example.com', markedAt: '2026-03-01T10:00:00.000Z', comment: 'known noise of the card sandbox' },
    });
    expect(events()).toEqual([
      `Normal CliMarkNotARisk: asked to mark "${TEMPLATE}" not a risk for shop/web (by Kubernetes user alice@example.com)`,
      `Normal CliMarkNotARisk: marked "${TEMPLATE}" not a risk for shop/web (by Kubernetes user alice@example.com)`,
    ]);
    const event = (store.list(EVENTS) as unknown as CoreV1Event[])[0]!;
    expect(event.involvedObject).toMatchObject({ apiVersion: 'rollouts-cv.io/v1alpha1', kind: 'LogTemplateFeedback', name: NAME, namespace: 'shop' });
  });

  it('changes nothing for the same mark again, saying who made it when; a changed mark is a new record', async () => {
    await markTemplate({ ...request(), mark: 'not-a-risk' });
    const from = kube.requests.length;
    const again = await markTemplate({ ...request({ user: { id: 'bob@example.com', kind: 'Kubernetes user' }, template: `  ${TEMPLATE.replaceAll(' ', '  ')}` }), mark: 'not-a-risk' });
    expect(again).toEqual({ kind: 'unchanged', message: `"${TEMPLATE}" is already marked not a risk for shop/web by alice@example.com at 2026-03-01T10:00:00.000Z; nothing was changed` });
    expect(writes(from)).toEqual([]);

    const raised = await markTemplate({ ...request({ user: { id: 'bob@example.com', kind: 'Kubernetes user' }, now: new Date('2026-03-02T00:00:00Z') }), mark: 'raise-risk' });
    expect(raised).toEqual({ kind: 'done', message: `marked "${TEMPLATE}" a risk for shop/web (it was marked not a risk by alice@example.com at 2026-03-01T10:00:00.000Z)` });
    expect(stored()!.spec).toEqual({ rollout: 'web', template: TEMPLATE, mark: 'raise-risk', markedBy: 'bob@example.com', markedAt: '2026-03-02T00:00:00.000Z' });
    expect(writes(from)).toEqual(['POST shop/events', `PUT logtemplatefeedbacks/${NAME}`, 'POST shop/events']);
    expect(events().slice(2)).toEqual([expect.stringMatching(/^Normal CliMarkRaiseRisk: asked to mark/), expect.stringMatching(/^Normal CliMarkRaiseRisk: marked .* a risk for shop\/web \(it was marked not a risk/)]);
  });

  it('acts once per key: the same request handled twice changes the mark once', async () => {
    await markTemplate({ ...request({ key: 'click:1' }), mark: 'raise-risk' });
    store.modify({ ...FEEDBACKS, namespace: 'shop', name: NAME }, (o) => void ((o.spec as { mark: string }).mark = 'not-a-risk'));
    expect(await markTemplate({ ...request({ key: 'click:1' }), mark: 'raise-risk' })).toEqual({ kind: 'duplicate' });
    expect(stored()!.spec.mark).toBe('not-a-risk');
  });

  it('refuses hostile input before reading or writing anything', async () => {
    const from = kube.requests.length;
    const refusals = await Promise.all([
      markTemplate({ ...request({ template: 'ERROR x\nINFO all good' }), mark: 'not-a-risk' }),
      markTemplate({ ...request({ rollout: 'web,other' }), mark: 'not-a-risk' }),
      markTemplate({ ...request({ template: 'x'.repeat(100_000) }), mark: 'not-a-risk' }),
      markTemplate({ ...request(), mark: 'ignore' as never, comment: 'a\u202eb' }),
    ]);
    expect(refusals.map((r) => r.kind === 'refused' && r.reason)).toEqual([
      expect.stringMatching(/^template: expected one line of text without control characters/),
      expect.stringMatching(/^rollout: expected the name of a Rollout .* got "web,other"$/),
      'template: expected at most 500 characters, got 100000',
      expect.stringMatching(/^mark: expected not-a-risk or raise-risk, got "ignore"; comment: expected one line/),
    ]);
    expect(kube.requests.length).toBe(from);
  });

  it('never overwrites a mark changed meanwhile: the write fails, is recorded, and the other mark stays', async () => {
    await markTemplate({ ...request(), mark: 'not-a-risk' });
    store.once(
      (r) => r.method === 'PUT',
      () => void store.modify({ ...FEEDBACKS, namespace: 'shop', name: NAME }, (o) => void ((o.spec as { markedBy: string }).markedBy = 'carol@example.com')),
    );
    const result = await markTemplate({ ...request(), mark: 'raise-risk' });
    expect(result).toEqual({ kind: 'failed', reason: `someone else changed or removed this mark meanwhile (logtemplatefeedbacks shop/${NAME}); nothing was changed` });
    expect(stored()!.spec).toMatchObject({ mark: 'not-a-risk', markedBy: 'carol@example.com' });
    expect(events().at(-1)).toMatch(/^Warning CliMarkRaiseRisk: mark .* failed: someone else changed/);
  });

  it('refuses to touch an object of its name that holds another template', async () => {
    store.seed(FEEDBACKS, { apiVersion: 'rollouts-cv.io/v1alpha1', kind: 'LogTemplateFeedback', metadata: { name: NAME, namespace: 'shop' }, spec: { rollout: 'web', template: 'something else', mark: 'raise-risk' } });
    const result = await markTemplate({ ...request(), mark: 'not-a-risk' });
    expect(result).toEqual({ kind: 'refused', reason: `LogTemplateFeedback shop/${NAME} holds another template ("something else"); delete it to mark this one` });
    expect(stored()!.spec.template).toBe('something else');
  });
});

describe('clearMark', () => {
  it('deletes the mark as it was read and records it; no mark is a no-op', async () => {
    await markTemplate({ ...request(), mark: 'raise-risk' });
    const cleared = await clearMark(request({ user: { id: 'bob@example.com', kind: 'Kubernetes user' } }));
    expect(cleared).toEqual({ kind: 'done', message: `cleared the mark on "${TEMPLATE}" for shop/web (it was marked a risk by alice@example.com at 2026-03-01T10:00:00.000Z)` });
    expect(stored()).toBeUndefined();
    expect(events().at(-1)).toBe(`Normal CliClearMark: cleared the mark on "${TEMPLATE}" for shop/web (it was marked a risk by alice@example.com at 2026-03-01T10:00:00.000Z) (by Kubernetes user bob@example.com)`);
    const from = kube.requests.length;
    expect(await clearMark(request())).toEqual({ kind: 'unchanged', message: `"${TEMPLATE}" has no mark for shop/web; nothing was changed` });
    expect(writes(from)).toEqual([]);
  });

  it('removes nothing that changed since it was read', async () => {
    await markTemplate({ ...request(), mark: 'raise-risk' });
    store.once(
      (r) => r.method === 'DELETE',
      () => void store.modify({ ...FEEDBACKS, namespace: 'shop', name: NAME }, (o) => void ((o.spec as { mark: string }).mark = 'not-a-risk')),
    );
    expect(await clearMark(request())).toMatchObject({ kind: 'failed', reason: expect.stringMatching(/^someone else changed this mark meanwhile/) });
    expect(stored()!.spec.mark).toBe('not-a-risk');
  });
});

describe('readMarks', () => {
  it("reads the service's marks by its label, in its namespace only, and passes on what it leaves out", async () => {
    await markTemplate({ ...request(), mark: 'not-a-risk' });
    await markTemplate({ ...request({ template: 'WARN retrying <*>' }), mark: 'raise-risk' });
    await markTemplate({ ...request({ namespace: 'staging', template: 'WARN staging only' }), mark: 'not-a-risk' });
    await markTemplate({ ...request({ rollout: 'api', template: 'WARN another service' }), mark: 'not-a-risk' });
    store.seed(FEEDBACKS, { metadata: { name: 'forged', namespace: 'shop', labels: { 'rollouts-cv.io/rollout': 'web' } }, spec: { rollout: 'api', template: 'WARN forged', mark: 'not-a-risk' } });
    const ignored: string[][] = [];
    const marks = await feedback.readMarks('shop', 'web', (why) => void ignored.push(why));
    expect([...marks].sort()).toEqual([
      [TEMPLATE, 'not-a-risk'],
      ['WARN retrying <*>', 'raise-risk'],
    ]);
    expect(ignored).toEqual([['LogTemplateFeedback shop/forged: spec.rollout is "api", not "web" as its rollouts-cv.io/rollout label says']]);
    expect(kube.requests.at(-1)!.query.get('labelSelector')).toBe('rollouts-cv.io/rollout=web');
  });

  it('refuses a name that would widen the selector before asking, and says what the API server answered', async () => {
    const from = kube.requests.length;
    await expect(feedback.readMarks('shop', 'web,rollouts-cv.io/rollout!=web')).rejects.toThrow(FeedbackInputError);
    expect(kube.requests.length).toBe(from);
    const stop = store.intercept((r) => (r.path.endsWith('/logtemplatefeedbacks') ? failure(403, 'Forbidden', 'logtemplatefeedbacks.rollouts-cv.io is forbidden: User "engine" cannot list resource') : undefined));
    try {
      await expect(feedback.readMarks('shop', 'web')).rejects.toThrow('cannot list logtemplatefeedbacks of rollout web in shop: HTTP 403: logtemplatefeedbacks.rollouts-cv.io is forbidden: User "engine" cannot list resource');
    } finally {
      stop();
    }
  });
});
