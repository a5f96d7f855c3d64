// The leader's watched caches against the fake API server with watches (test/helpers/fake-kube-store.ts): one list
// then a watch; resumed from its resourceVersion after the server ends it; listed again after 410 Gone; a failing
// watch logged and restarted with growing delays; a dead connection aborted; and the cluster cache's wait for the
// pass's own writes.
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ROLLOUTS, type Rollout } from '../../shared/kube/rollout-types.js';
import { createLogger } from '../../shared/log.js';
import { type FakeKubeApi, startFakeKubeApi } from '../../test/helpers/fake-kube-api.js';
import { type KubeObject, type ObjectStore, failure, objectStore } from '../../test/helpers/fake-kube-store.js';
import { type ClusterCache, watchCluster } from './cluster-cache.js';
import { connectCluster } from './clusters.js';
import { type WatchedKind, compareResourceVersions, watchKind } from '../../shared/kube/watch.js';

const PATH = '/apis/argoproj.io/v1alpha1/rollouts';
let store: ObjectStore;
let kube: FakeKubeApi;
let api: CustomObjectsApi;
let logLines: Record<string, unknown>[];
const stops: (() => Promise<void>)[] = [];

beforeEach(async () => {
  store = objectStore();
  kube = await startFakeKubeApi(store.respond);
  api = kube.kubeConfig().makeApiClient(CustomObjectsApi);
  logLines = [];
});
afterEach(async () => {
  await Promise.all(stops.splice(0).map((stop) => stop()));
  await kube.close();
});

const log = () => createLogger({ level: 'info' }, { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) });
const seed = (namespace: string, name: string, extra: Partial<KubeObject> = {}) =>
  store.seed(ROLLOUTS, { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', metadata: { name, namespace }, spec: { replicas: 1 }, ...extra });
const requests = (kind: 'list' | 'watch') => kube.requests.filter((r) => r.method === 'GET' && r.path === PATH && (r.query.get('watch') === 'true') === (kind === 'watch'));

function watchRollouts(overrides: { watchSeconds?: number; transform?: (r: Rollout) => Rollout } = {}) {
  const changes = { count: 0 };
  const watched = watchKind<Rollout>({
    kc: kube.kubeConfig(),
    what: 'rollouts.argoproj.io',
    path: PATH,
    list: async () => (await api.listClusterCustomObject(ROLLOUTS)) as { items: Rollout[] },
    onChange: () => changes.count++,
    log: log(),
    backoff: { firstMs: 50, maxMs: 400 },
    ...overrides,
  });
  stops.push(() => watched.stop());
  return { watched, changes };
}

async function until<T>(what: string, check: () => T | undefined, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
const names = (watched: WatchedKind<Rollout>, namespace?: string) => watched.list(namespace).map((r) => `${r.metadata.namespace}/${r.metadata.name}`).sort();

describe('watchKind', () => {
  it('lists once, then follows adds, updates and deletes through the watch, keeping what transform keeps', async () => {
    seed('a', 'one', { metadata: { name: 'one', namespace: 'a', managedFields: [{ manager: 'kubectl' }] } });
    const { watched, changes } = watchRollouts({ transform: (r) => ({ ...r, metadata: { ...r.metadata, managedFields: undefined } }) });
    await until('the list', () => watched.live);
    expect(names(watched)).toEqual(['a/one']);
    expect(watched.list()[0]!.metadata.managedFields).toBeUndefined();
    seed('b', 'two');
    store.modify({ ...ROLLOUTS, namespace: 'a', name: 'one' }, (o) => void (o.status = { phase: 'Paused' }));
    await until('the update', () => watched.list('a')[0]?.status?.phase === 'Paused');
    store.delete({ ...ROLLOUTS, namespace: 'a', name: 'one' });
    await until('the delete', () => names(watched).join() === 'b/two');
    expect(changes.count).toBeGreaterThanOrEqual(4);
    expect(requests('list')).toHaveLength(1);
    // at the delete's resourceVersion, the newest there is
    expect(watched.resourceVersion()).toBe(((await api.listClusterCustomObject(ROLLOUTS)) as { metadata: { resourceVersion: string } }).metadata.resourceVersion);
    expect(requests('watch')[0]!.query.get('allowWatchBookmarks')).toBe('true');
    expect(requests('watch')[0]!.query.get('timeoutSeconds')).toBe('300');
  });

  it('resumes from its resourceVersion when the server ends the watch, without listing again', async () => {
    const { watched } = watchRollouts({ watchSeconds: 1 });
    await until('the list', () => watched.live);
    store.dropWatches();
    seed('a', 'missed'); // while no watch is open
    await until('the missed add', () => names(watched).includes('a/missed'));
    // and the server's own timeout
    await until('a third watch', () => requests('watch').length >= 3, 3_000);
    seed('a', 'later');
    await until('the later add', () => names(watched).includes('a/later'));
    expect(requests('list')).toHaveLength(1);
    expect(logLines.filter((l) => l.level === 'warn')).toEqual([]);
  });

  it('lists again when its resourceVersion is too old to resume from (410 Gone)', async () => {
    seed('a', 'one');
    const { watched } = watchRollouts();
    await until('the list', () => watched.live);
    const hold = store.intercept((request) => (request.query.get('watch') === 'true' ? failure(500, 'InternalError', 'down') : undefined));
    store.dropWatches();
    await until('the failure', () => !watched.live);
    store.delete({ ...ROLLOUTS, namespace: 'a', name: 'one' });
    seed('a', 'two');
    store.compact();
    hold();
    await until('the relist', () => requests('list').length === 2 && watched.live && names(watched).join() === 'a/two');
  });

  it('logs a failing watch and starts it again with growing delays, then follows again', async () => {
    const { watched } = watchRollouts();
    await until('the list', () => watched.live);
    const attempts: number[] = [];
    const hold = store.intercept((request) => {
      if (request.query.get('watch') !== 'true') return undefined;
      attempts.push(performance.now());
      return failure(403, 'Forbidden', 'rollouts.argoproj.io is forbidden: User "bot" cannot watch resource "rollouts"');
    });
    store.dropWatches();
    await until('four failed attempts', () => attempts.length >= 4);
    expect(watched.live).toBe(false);
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
    // 50, 100, 200 ms (±20 %)
    expect(gaps[0]).toBeGreaterThanOrEqual(35);
    expect(gaps[2]).toBeGreaterThan(gaps[0]! * 2);
    const warnings = logLines.filter((l) => l.level === 'warn');
    expect(warnings[0]).toMatchObject({ kind: 'rollouts.argoproj.io', err: expect.stringContaining('HTTP 403'), msg: 'the watch of rollouts.argoproj.io failed; starting it again' });
    seed('a', 'after');
    hold();
    await until('following again', () => watched.live && names(watched).includes('a/after'));
  });

  it('aborts a watch the server has not ended well after its timeout (a dead connection) and watches again', async () => {
    const { watched } = watchRollouts({ watchSeconds: 1 });
    await until('the list', () => watched.live);
    // the next watch is answered and then never ends, whatever its timeoutSeconds
    let silent = 0;
    const hold = store.intercept((request) => (request.query.get('watch') === 'true' && silent++ === 0 ? { watch: () => () => undefined } : undefined));
    store.dropWatches();
    await until('the dead watch to be given up', () => logLines.some((l) => String(l.err).includes('the connection is dead')), 4_000);
    hold();
    seed('a', 'after');
    await until('following again', () => watched.live && names(watched).includes('a/after'));
  });
});

describe('watchCluster', () => {
  let cache: ClusterCache;
  beforeEach(() => {
    const cluster = connectCluster('test', kube.kubeConfig(), undefined, { log: log(), instance: 'watch-test' });
    cache = watchCluster(cluster, { log: log(), onChange: () => undefined });
    stops.push(() => cache.stop());
  });

  it('is ready once listed, and not before the caches hold what the pass wrote', async () => {
    seed('a', 'web');
    // at once, without waiting: nothing is listed yet
    expect(await cache.ready(2_000)).toEqual({ ready: false, why: 'rollouts: not listed yet, or its watch is failing' });
    await until('the lists and watches', () => cache.rollouts.live && cache.approvals.live && store.openWatches === 4);
    expect(await cache.ready(0)).toEqual({ ready: true });
    // the rollouts watch is held up: it is open, but delivers nothing
    let endHeld = () => {};
    const hold = store.intercept((request) =>
      request.path === PATH && request.query.get('watch') === 'true'
        ? {
            watch: (_send, end) => {
              endHeld = end;
              return () => undefined;
            },
          }
        : undefined,
    );
    store.dropWatches();
    await until('the held watch', () => requests('watch').length >= 2);
    const body = { metadata: { annotations: { note: 'x' } } };
    const patched = (await cache.cluster.objects.patchNamespacedCustomObject({ ...ROLLOUTS, namespace: 'a', name: 'web', body }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch))) as Rollout;
    const state = await cache.ready(200);
    expect(state).toEqual({ ready: false, why: `rollouts: the cache is at ${cache.rollouts.resourceVersion()}, before our write ${patched.metadata.resourceVersion}` });
    hold();
    endHeld();
    expect(await cache.ready(2_000)).toEqual({ ready: true });
    expect(cache.rollouts.list()[0]!.metadata.annotations).toEqual({ note: 'x' });
    // writes through the cluster's own client (a person's command) are not waited for
    expect(await cache.ready(0)).toEqual({ ready: true });
  });

  it('keeps only what the actual weight reads of the ReplicaSets, those of Rollouts (with the pod template hash label)', async () => {
    const replicaSet = (name: string, labels: Record<string, string>) =>
      store.seed({ group: 'apps', plural: 'replicasets' }, {
        metadata: { name, namespace: 'a', labels, ownerReferences: [{ uid: 'u', controller: true }] as never },
        spec: { template: { spec: { containers: [{ name: 'app', image: 'x:1' }] } } },
        status: { replicas: 2, availableReplicas: 1 },
      });
    replicaSet('web-abc', { 'rollouts-pod-template-hash': 'abc' });
    replicaSet('plain-deployment-rs', { 'pod-template-hash': 'def' });
    await until('the ReplicaSets', () => cache.replicaSets.live);
    expect(cache.replicaSets.list()).toEqual([
      {
        metadata: { name: 'web-abc', namespace: 'a', uid: expect.any(String), resourceVersion: expect.any(String), labels: { 'rollouts-pod-template-hash': 'abc' }, ownerReferences: [{ uid: 'u', controller: true }] },
        status: { replicas: 2, availableReplicas: 1 },
      },
    ]);
  });
});

describe('compareResourceVersions', () => {
  it('orders the API server\'s integers, also past 2^53; anything else is not comparable', () => {
    expect(compareResourceVersions('9', '10')).toBe(-1);
    expect(compareResourceVersions('9007199254740993', '9007199254740992')).toBe(1);
    expect(compareResourceVersions('42', '42')).toBe(0);
    for (const [a, b] of [['', '1'], ['01', '1'], ['0', '1'], ['abc', '1'], ['1', '-1']]) expect(compareResourceVersions(a!, b!)).toBeUndefined();
  });
});
