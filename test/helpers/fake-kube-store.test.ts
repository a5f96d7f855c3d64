// The fake API server's semantics that the bot and gate tests rely on, through the real client over HTTP.
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeKubeApi, startFakeKubeApi } from './fake-kube-api.js';
import { failure, jsonPatch, mergePatch, type ObjectStore, objectStore } from './fake-kube-store.js';

const ROLLOUTS = { group: 'argoproj.io', version: 'v1alpha1', plural: 'rollouts' };
const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const STRATEGIC = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);

let store: ObjectStore;
let server: FakeKubeApi;
let api: CustomObjectsApi;
let core: CoreV1Api;

beforeAll(async () => {
  store = objectStore();
  server = await startFakeKubeApi(store.respond);
  api = server.kubeConfig().makeApiClient(CustomObjectsApi);
  core = server.kubeConfig().makeApiClient(CoreV1Api);
});
afterAll(() => server.close());

const rollout = (name: string, labels: Record<string, string> = {}) => ({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', metadata: { name, labels }, spec: { paused: false }, status: { phase: 'Healthy' } });
type Stored = { metadata: { resourceVersion: string; generation: number; uid: string; creationTimestamp: string }; spec: Record<string, unknown>; status?: Record<string, unknown> };

describe('fake Kubernetes API objects', () => {
  it('creates with the metadata the API server sets, drops status for a status subresource, and refuses a taken name', async () => {
    const created = (await api.createNamespacedCustomObject({ ...ROLLOUTS, namespace: 'a', body: rollout('one') })) as Stored;
    expect(created.metadata).toMatchObject({ generation: 1, resourceVersion: expect.stringMatching(/^\d+$/), uid: expect.any(String), creationTimestamp: expect.stringMatching(/Z$/) });
    expect(created.status).toBeUndefined();
    await expect(api.createNamespacedCustomObject({ ...ROLLOUTS, namespace: 'a', body: rollout('one') })).rejects.toMatchObject({ code: 409, body: expect.stringContaining('rollouts.argoproj.io \\"one\\" already exists') });
    await expect(api.getNamespacedCustomObject({ ...ROLLOUTS, namespace: 'a', name: 'two' })).rejects.toMatchObject({ code: 404 });
  });

  it('guards PUT with resourceVersion, keeps status and spec apart, and bumps the generation on spec changes only', async () => {
    const created = (await api.createNamespacedCustomObject({ ...ROLLOUTS, namespace: 'b', body: rollout('web') })) as Stored;
    const withStatus = (await api.replaceNamespacedCustomObjectStatus({ ...ROLLOUTS, namespace: 'b', name: 'web', body: { ...created, spec: { paused: true }, status: { phase: 'Paused' } } })) as Stored;
    expect(withStatus).toMatchObject({ spec: { paused: false }, status: { phase: 'Paused' }, metadata: { generation: 1 } });
    await expect(api.replaceNamespacedCustomObject({ ...ROLLOUTS, namespace: 'b', name: 'web', body: created })).rejects.toMatchObject({
      code: 409,
      body: expect.stringContaining('Operation cannot be fulfilled on rollouts.argoproj.io \\"web\\": the object has been modified; please apply your changes to the latest version and try again'),
    });
    const replaced = (await api.replaceNamespacedCustomObject({ ...ROLLOUTS, namespace: 'b', name: 'web', body: { ...withStatus, spec: { paused: true }, status: {} } })) as Stored;
    expect(replaced).toMatchObject({ spec: { paused: true }, status: { phase: 'Paused' }, metadata: { generation: 2 } });
    const patched = (await api.patchNamespacedCustomObjectStatus({ ...ROLLOUTS, namespace: 'b', name: 'web', body: { status: { phase: null, abort: true } } }, MERGE)) as Stored;
    expect(patched).toMatchObject({ status: { abort: true }, metadata: { generation: 2 } });
    expect(patched.status).not.toHaveProperty('phase');
    await expect(api.patchNamespacedCustomObject({ ...ROLLOUTS, namespace: 'b', name: 'web', body: { spec: {} } }, STRATEGIC)).rejects.toMatchObject({ code: 415 });
  });

  it('deletes only as the preconditions allow, and answers 404 once it is gone', async () => {
    const created = (await api.createNamespacedCustomObject({ ...ROLLOUTS, namespace: 'e', body: rollout('gone') })) as Stored;
    const stale = { preconditions: { resourceVersion: String(Number(created.metadata.resourceVersion) - 1) } };
    await expect(api.deleteNamespacedCustomObject({ ...ROLLOUTS, namespace: 'e', name: 'gone', body: stale })).rejects.toMatchObject({ code: 409, body: expect.stringContaining('Precondition failed: ResourceVersion') });
    await expect(api.deleteNamespacedCustomObject({ ...ROLLOUTS, namespace: 'e', name: 'gone', body: { preconditions: { uid: 'another' } } })).rejects.toMatchObject({ code: 409 });
    await api.deleteNamespacedCustomObject({ ...ROLLOUTS, namespace: 'e', name: 'gone', body: { preconditions: { resourceVersion: created.metadata.resourceVersion, uid: created.metadata.uid } } });
    expect(store.get({ ...ROLLOUTS, namespace: 'e', name: 'gone' })).toBeUndefined();
    await expect(api.deleteNamespacedCustomObject({ ...ROLLOUTS, namespace: 'e', name: 'gone' })).rejects.toMatchObject({ code: 404 });
  });

  it('lists by namespace or across namespaces, with label and field selectors', async () => {
    for (const [namespace, name, team] of [['c', 'x', 'red'], ['c', 'y', 'blue'], ['d', 'z', 'red']] as const) {
      await api.createNamespacedCustomObject({ ...ROLLOUTS, namespace, body: rollout(name, { team }) });
    }
    const names = (list: unknown) => (list as { items: { metadata: { name: string } }[] }).items.map((i) => i.metadata.name);
    expect(names(await api.listNamespacedCustomObject({ ...ROLLOUTS, namespace: 'c' }))).toEqual(['x', 'y']);
    expect(names(await api.listClusterCustomObject({ ...ROLLOUTS, labelSelector: 'team=red' }))).toEqual(['x', 'z']);
    expect(names(await api.listClusterCustomObject({ ...ROLLOUTS, labelSelector: 'team!=red' }))).toContain('y');
    await core.createNamespacedEvent({ namespace: 'c', body: { metadata: { generateName: 'x.' }, involvedObject: { name: 'x' }, reason: 'Test' } });
    const events = await core.listNamespacedEvent({ namespace: 'c', fieldSelector: 'involvedObject.name=x' });
    expect(events.items.map((e) => e.metadata.name)).toEqual([expect.stringMatching(/^x\.[a-z0-9]{5}$/)]);
    expect((await core.listNamespacedEvent({ namespace: 'c', fieldSelector: 'involvedObject.name=y' })).items).toEqual([]);
  });

  it('lets a test inject a failure or a write before a request', async () => {
    await api.createNamespacedCustomObject({ ...ROLLOUTS, namespace: 'e', body: rollout('web') });
    const stop = store.intercept(() => failure(503, 'ServiceUnavailable', 'injected'));
    await expect(api.getNamespacedCustomObject({ ...ROLLOUTS, namespace: 'e', name: 'web' })).rejects.toMatchObject({ code: 503 });
    stop();
    const read = (await api.getNamespacedCustomObject({ ...ROLLOUTS, namespace: 'e', name: 'web' })) as Stored;
    store.once(
      (request) => request.method === 'PUT',
      () => (store.modify({ ...ROLLOUTS, namespace: 'e', name: 'web' }, (o) => void (o.metadata.labels = { by: 'someone else' })), undefined),
    );
    await expect(api.replaceNamespacedCustomObject({ ...ROLLOUTS, namespace: 'e', name: 'web', body: read })).rejects.toMatchObject({ code: 409 });
    expect(store.get({ ...ROLLOUTS, namespace: 'e', name: 'web' })!.metadata.labels).toEqual({ by: 'someone else' });
  });
});

describe('fake Kubernetes API watches', () => {
  /** The events a watch from `resourceVersion` streams, until `count` have come. */
  async function watchEvents(query: string, count: number): Promise<{ type: string; name: string; rv: string }[]> {
    const response = await fetch(`${server.url}/apis/argoproj.io/v1alpha1/rollouts?watch=true&${query}`);
    const events: { type: string; name: string; rv: string }[] = [];
    let buffered = '';
    const decoder = new TextDecoder();
    for await (const chunk of response.body!) {
      buffered += decoder.decode(chunk as Uint8Array, { stream: true });
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const event = JSON.parse(buffered.slice(0, newline)) as { type: string; object: { metadata?: { name: string; resourceVersion: string }; code?: number } };
        buffered = buffered.slice(newline + 1);
        events.push({ type: event.type, name: event.object.metadata?.name ?? String(event.object.code), rv: event.object.metadata?.resourceVersion ?? '' });
        if (events.length >= count) return events;
      }
    }
    return events;
  }

  it('streams the changes after a resourceVersion (namespace, label selector with existence terms), then ends on timeoutSeconds', async () => {
    const list = (await api.listClusterCustomObject(ROLLOUTS)) as { metadata: { resourceVersion: string } };
    const from = list.metadata.resourceVersion;
    await api.createNamespacedCustomObject({ ...ROLLOUTS, namespace: 'w', body: rollout('one', { hash: 'a' }) });
    await api.createNamespacedCustomObject({ ...ROLLOUTS, namespace: 'w', body: rollout('other') });
    await api.patchNamespacedCustomObjectStatus({ ...ROLLOUTS, namespace: 'w', name: 'one', body: { status: { phase: 'Paused' } } }, MERGE);
    store.delete({ ...ROLLOUTS, namespace: 'w', name: 'one' });
    expect(await watchEvents(`resourceVersion=${from}&labelSelector=hash`, 3)).toEqual([
      { type: 'ADDED', name: 'one', rv: expect.any(String) },
      { type: 'MODIFIED', name: 'one', rv: expect.any(String) },
      { type: 'DELETED', name: 'one', rv: expect.any(String) },
    ]);
    expect((await watchEvents(`resourceVersion=${from}&labelSelector=!hash`, 1))[0]).toMatchObject({ type: 'ADDED', name: 'other' });
    // live events reach an open watch; timeoutSeconds ends it
    const live = watchEvents('resourceVersion=999999&timeoutSeconds=1', 5);
    // once the watch is open, however long the machine takes to open it
    while (store.openWatches === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await api.createNamespacedCustomObject({ ...ROLLOUTS, namespace: 'w', body: rollout('late') });
    expect(await live).toEqual([{ type: 'ADDED', name: 'late', rv: expect.any(String) }]);
    expect(store.openWatches).toBe(0);
  });

  it('answers a watch from a compacted resourceVersion with 410 Gone', async () => {
    const list = (await api.listClusterCustomObject(ROLLOUTS)) as { metadata: { resourceVersion: string } };
    await api.createNamespacedCustomObject({ ...ROLLOUTS, namespace: 'w', body: rollout('compacted') });
    store.compact();
    expect(await watchEvents(`resourceVersion=${list.metadata.resourceVersion}`, 1)).toEqual([{ type: 'ERROR', name: '410', rv: '' }]);
  });
});

describe('patch formats', () => {
  it('merge patch (RFC 7386): objects merge, null deletes, arrays replace', () => {
    expect(mergePatch({ a: { b: 1, c: 2 }, d: [1, 2] }, { a: { b: null, e: 3 }, d: [3] })).toEqual({ a: { c: 2, e: 3 }, d: [3] });
  });

  it('JSON patch (RFC 6902): add, replace, remove, test; a missing path is refused', () => {
    const doc = { spec: { list: [1, 2], name: 'a' } };
    expect(
      jsonPatch(structuredClone(doc), [
        { op: 'replace', path: '/spec/name', value: 'b' },
        { op: 'add', path: '/spec/list/-', value: 3 },
        { op: 'add', path: '/spec/list/0', value: 0 },
        { op: 'remove', path: '/spec/list/1' },
        { op: 'test', path: '/spec/name', value: 'b' },
        { op: 'add', path: '/spec/a~1b', value: true },
      ]),
    ).toEqual({ spec: { list: [0, 2, 3], name: 'b', 'a/b': true } });
    expect(() => jsonPatch(structuredClone(doc), [{ op: 'replace', path: '/spec/missing', value: 1 }])).toThrow('doc is missing path: "/spec/missing"');
  });
});
