// authorise → claim → act → record, with the real audit against the fake API server: what is written as Events,
// and that nothing is claimed or changed by a refusal or a repeat.
import { CoreV1Api, type CoreV1Event } from '@kubernetes/client-node';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startFakeKubeApi, type FakeKubeApi } from '../../test/helpers/fake-kube-api.js';
import { failure, objectStore } from '../../test/helpers/fake-kube-store.js';
import { RolloutActionError } from '../kube/rollout-actions.js';
import { createLogger } from '../log.js';
import { type Audit, type AuditEntry, createAudit } from './audit.js';
import { failureReason, perform } from './perform.js';

const EVENTS = { plural: 'events' };
const ENTRY: AuditEntry = {
  target: { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', namespace: 'shop', name: 'web' },
  user: { id: 'ana', kind: 'Kubernetes user' },
  action: 'abort',
  reason: 'CliAbort',
  message: 'abort rollout shop/web',
};

let kube: FakeKubeApi;
const store = objectStore();
let audit: Audit;

beforeAll(async () => {
  kube = await startFakeKubeApi(store.respond);
  audit = createAudit({ api: kube.kubeConfig().makeApiClient(CoreV1Api), log: createLogger({ level: 'silent' }), component: 'rollouts-cv-cli', instance: 'laptop' });
});
afterAll(() => kube.close());
beforeEach(() => {
  for (const event of store.list(EVENTS)) store.delete({ ...EVENTS, namespace: event.metadata.namespace, name: event.metadata.name });
});

/** The Events written, as "<type> <reason>: <message>", oldest first. */
const events = () => (store.list(EVENTS) as unknown as CoreV1Event[]).sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion)).map((e) => `${e.type} ${e.reason}: ${e.message}`);

describe('perform', () => {
  it('claims, acts once and records what was done', async () => {
    const act = vi.fn(async () => "rollout 'shop/web' aborted");
    expect(await perform({ authorise: async () => undefined, key: 'cli:1', entry: ENTRY, audit, act })).toEqual({ kind: 'done', message: "rollout 'shop/web' aborted" });
    expect(act).toHaveBeenCalledTimes(1);
    expect(events()).toEqual(['Normal CliAbort: asked to abort rollout shop/web (by Kubernetes user ana)', "Normal CliAbort: rollout 'shop/web' aborted (by Kubernetes user ana)"]);
  });

  it('claims and changes nothing when refused', async () => {
    const act = vi.fn(async () => 'done');
    const from = kube.requests.length;
    const result = await perform({ authorise: async () => 'you may not abort in production', key: 'cli:2', entry: ENTRY, audit, act });
    expect(result).toEqual({ kind: 'refused', reason: 'you may not abort in production' });
    expect(act).not.toHaveBeenCalled();
    expect(kube.requests.slice(from)).toEqual([]);
  });

  it('acts once per key: a repeat of the key is a duplicate and does not act', async () => {
    const act = vi.fn(async () => 'aborted');
    expect((await perform({ key: 'slack:T1', entry: ENTRY, audit, act })).kind).toBe('done');
    const again = await perform({ key: 'slack:T1', entry: { ...ENTRY, user: { id: 'U0OTHER01' } }, audit, act });
    expect(again).toEqual({ kind: 'duplicate' });
    expect(act).toHaveBeenCalledTimes(1);
    expect(events()).toHaveLength(2);
  });

  it('records a failure as failed and returns it as one, never as done', async () => {
    const act = vi.fn(async (): Promise<string> => {
      throw new RolloutActionError('NotApplicable', "rollout 'shop/web' is not progressing: nothing to abort");
    });
    expect(await perform({ key: 'cli:3', entry: ENTRY, audit, act })).toEqual({ kind: 'failed', reason: "rollout 'shop/web' is not progressing: nothing to abort" });
    expect(events()).toEqual([
      'Normal CliAbort: asked to abort rollout shop/web (by Kubernetes user ana)',
      "Warning CliAbort: abort rollout shop/web failed: rollout 'shop/web' is not progressing: nothing to abort (by Kubernetes user ana)",
    ]);
    // the key stays claimed: a retry of the same request does not act a second time
    expect(await perform({ key: 'cli:3', entry: ENTRY, audit, act })).toEqual({ kind: 'duplicate' });
    expect(act).toHaveBeenCalledTimes(1);
  });

  it('does not act when the claim cannot be written', async () => {
    const act = vi.fn(async () => 'aborted');
    const restore = store.intercept((r) => (r.method === 'POST' && r.path.endsWith('/events') ? failure(500, 'InternalError', 'etcdserver: request timed out') : undefined));
    try {
      await expect(perform({ key: 'cli:4', entry: ENTRY, audit, act })).rejects.toMatchObject({ code: 500 });
    } finally {
      restore();
    }
    expect(act).not.toHaveBeenCalled();
  });
});

describe('failureReason', () => {
  it("says a rollout action's refusal whole, any other error's first line, and whatever else was thrown", () => {
    expect(failureReason(new RolloutActionError('Invalid', 'one\ntwo'))).toBe('one\ntwo');
    expect(failureReason(new Error('connect ECONNREFUSED\n    at …'))).toBe('connect ECONNREFUSED');
    expect(failureReason('socket hang up')).toBe('socket hang up');
    expect(failureReason(undefined)).toBe('undefined');
  });
});
