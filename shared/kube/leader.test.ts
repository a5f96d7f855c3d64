import { CoordinationV1Api, type V1Lease } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../log.js';
import { startFakeKubeApi, status, type FakeKubeApi } from '../../test/helpers/fake-kube-api.js';
import { runLeaderElection, type LeaderElection, type LeaderElectionOptions } from './leader.js';

const NAMESPACE = 'bot';
const NAME = 'rollouts-cv-bot';
const LEASES = `/apis/coordination.k8s.io/v1/namespaces/${NAMESPACE}/leases`;
// Short periods: a 1 s Lease (leaseDurationSeconds is whole seconds) renewed every 100 ms, renew deadline 900 ms.
const TIMING = { leaseDurationMs: 1_000, renewEveryMs: 100 };

/** The Lease endpoints, with resourceVersion checks; `failing` answers 500 to everything. */
function leaseStore() {
  const store = { lease: undefined as V1Lease | undefined, version: 0, failing: false, writes: 0, beforeWrite: () => {} };
  const save = (body: V1Lease) => {
    store.writes++;
    store.lease = { ...body, metadata: { ...body.metadata, resourceVersion: String(++store.version) } };
    return store.lease;
  };
  const respond: Parameters<typeof startFakeKubeApi>[0] = (request) => {
    if (store.failing) return { status: 500, body: status(500, 'InternalError', 'etcd is down') };
    const body = request.body as V1Lease;
    if (request.method === 'GET' && request.path === `${LEASES}/${NAME}`) return store.lease && { body: store.lease };
    if (request.method === 'POST' && request.path === LEASES) {
      store.beforeWrite();
      if (store.lease) return { status: 409, body: status(409, 'AlreadyExists', `leases "${NAME}" already exists`) };
      return { status: 201, body: save(body) };
    }
    if (request.method === 'PUT' && request.path === `${LEASES}/${NAME}`) {
      store.beforeWrite();
      if (body.metadata?.resourceVersion !== store.lease?.metadata?.resourceVersion) {
        return { status: 409, body: status(409, 'Conflict', 'the object has been modified; please apply your changes to the latest version and try again') };
      }
      return { body: save(body) };
    }
    return undefined;
  };
  return { store, respond };
}

let fake: FakeKubeApi;
let store: ReturnType<typeof leaseStore>['store'];
let api: CoordinationV1Api;
const electors: LeaderElection[] = [];

beforeEach(async () => {
  const lease = leaseStore();
  store = lease.store;
  fake = await startFakeKubeApi(lease.respond);
  api = fake.kubeConfig().makeApiClient(CoordinationV1Api);
});

afterEach(async () => {
  await Promise.all(electors.splice(0).map((e) => e.stop()));
  await fake.close();
});

/** An elector with its leadership terms: each term's signal, and how many times it stopped leading. */
function elect(identity: string, overrides: Partial<LeaderElectionOptions> = {}) {
  const terms: AbortSignal[] = [];
  const stopped = { count: 0 };
  const elector = runLeaderElection({
    api,
    namespace: NAMESPACE,
    name: NAME,
    identity,
    ...TIMING,
    log: createLogger({ level: 'silent' }),
    onStartedLeading: (signal) => terms.push(signal),
    onStoppedLeading: () => stopped.count++,
    ...overrides,
  });
  electors.push(elector);
  return { elector, terms, stopped };
}

async function until(what: string, condition: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('runLeaderElection', () => {
  it('creates an absent Lease and leads, renewing it while acquireTime stays', async () => {
    const a = elect('bot-a');
    await until('bot-a to lead', () => a.elector.isLeader);
    expect(a.terms).toHaveLength(1);
    const first = store.lease!.spec!;
    expect(first).toMatchObject({ holderIdentity: 'bot-a', leaseDurationSeconds: 1, leaseTransitions: 0 });
    // MicroTime on the wire: six fractional digits
    expect(first.renewTime).toMatch(/\.\d{6}Z$/);
    expect(first.acquireTime).toBe(first.renewTime);

    const writes = store.writes;
    await until('two renewals', () => store.writes >= writes + 2);
    expect(store.lease!.spec).toMatchObject({ holderIdentity: 'bot-a', acquireTime: first.acquireTime, leaseTransitions: 0 });
    expect(new Date(store.lease!.spec!.renewTime!).getTime()).toBeGreaterThan(new Date(first.renewTime!).getTime());
    expect(a.terms[0]!.aborted).toBe(false);
  });

  it('lets exactly one of two candidates lead, and hands over at once when the leader stops', async () => {
    const a = elect('bot-a');
    const b = elect('bot-b');
    await until('a leader', () => a.elector.isLeader || b.elector.isLeader);
    await sleep(5 * TIMING.renewEveryMs);
    expect([a.elector.isLeader, b.elector.isLeader].filter(Boolean)).toHaveLength(1);
    const [leader, other] = a.elector.isLeader ? [a, b] : [b, a];
    expect(other.terms).toHaveLength(0);

    await leader.elector.stop();
    expect(leader.elector.isLeader).toBe(false);
    expect(leader.terms[0]!.aborted).toBe(true);
    expect(leader.stopped.count).toBe(1);
    await until('the other to lead', () => other.elector.isLeader, 2 * TIMING.renewEveryMs + 500);
    expect(store.lease!.spec).toMatchObject({ holderIdentity: other === a ? 'bot-a' : 'bot-b', leaseTransitions: 1 });
  });

  it('releases the Lease on stop: no holder, so that any candidate takes it', async () => {
    const a = elect('bot-a');
    await until('bot-a to lead', () => a.elector.isLeader);
    await a.elector.stop();
    expect(store.lease!.spec!.holderIdentity).toBeUndefined();
    await a.elector.stop(); // idempotent
  });

  it('waits while another holder renews, and takes over once the Lease has expired', async () => {
    const renewedAt = new Date();
    store.lease = lease('bot-old', renewedAt, 7);
    store.version = 1;
    // its clock: 500 ms after the renewal (still valid for 1 s), then 1.5 s after (expired)
    let offsetMs = 500;
    const b = elect('bot-b', { now: () => new Date(renewedAt.getTime() + offsetMs) });
    await sleep(3 * TIMING.renewEveryMs);
    expect(b.elector.isLeader).toBe(false);
    expect(store.lease.spec!.holderIdentity).toBe('bot-old');

    offsetMs = 1_500;
    await until('bot-b to take over', () => b.elector.isLeader);
    expect(store.lease.spec).toMatchObject({ holderIdentity: 'bot-b', leaseTransitions: 8 });
    expect(new Date(store.lease.spec!.acquireTime!).getTime()).toBe(renewedAt.getTime() + 1_500);
  });

  it('stops leading at once when another replica has taken the Lease', async () => {
    const a = elect('bot-a');
    await until('bot-a to lead', () => a.elector.isLeader);
    store.lease = { ...store.lease!, spec: { ...store.lease!.spec, holderIdentity: 'bot-b', renewTime: new Date().toISOString() as unknown as Date } };
    await until('bot-a to stop leading', () => !a.elector.isLeader, 2 * TIMING.renewEveryMs + 200);
    expect(a.terms[0]!.aborted).toBe(true);
    expect(a.stopped.count).toBe(1);
    await sleep(3 * TIMING.renewEveryMs);
    expect(a.elector.isLeader).toBe(false);
    expect(store.lease.spec!.holderIdentity).toBe('bot-b');
  });

  it('does not lead when its write loses the race (409)', async () => {
    store.lease = lease('bot-old', new Date(Date.now() - 10_000), 0);
    store.version = 1;
    // someone else writes between each read and write of ours
    store.beforeWrite = () => void (store.lease = { ...store.lease!, metadata: { ...store.lease!.metadata, resourceVersion: String(++store.version) } });
    const a = elect('bot-a');
    await until('a few attempts', () => fake.requests.filter((r) => r.method === 'PUT').length >= 3);
    expect(a.elector.isLeader).toBe(false);
    expect(a.terms).toHaveLength(0);
    expect(store.lease.spec!.holderIdentity).toBe('bot-old');
  });

  it('keeps leading through failed renewals until the renew deadline, then stops', async () => {
    const a = elect('bot-a');
    await until('bot-a to lead', () => a.elector.isLeader);
    const failedAt = Date.now();
    store.failing = true;
    await sleep(TIMING.leaseDurationMs - TIMING.renewEveryMs - 300);
    expect(a.elector.isLeader).toBe(true);
    await until('bot-a to stop leading', () => !a.elector.isLeader);
    // before anyone else may consider the Lease expired
    expect(Date.now() - failedAt).toBeLessThan(TIMING.leaseDurationMs);
    expect(a.terms[0]!.aborted).toBe(true);

    store.failing = false;
    await until('bot-a to lead again', () => a.elector.isLeader);
    expect(a.terms).toHaveLength(2);
    expect(store.lease!.spec).toMatchObject({ holderIdentity: 'bot-a', leaseTransitions: 0 });
  });

  it('refuses a renewal interval above half the lease duration', () => {
    expect(() => elect('bot-a', { leaseDurationMs: 1_000, renewEveryMs: 600 })).toThrow(RangeError);
  });
});

function lease(holder: string, renewTime: Date, transitions: number): V1Lease {
  const time = renewTime.toISOString().replace('Z', '000Z') as unknown as Date;
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: NAME, namespace: NAMESPACE, resourceVersion: '1' },
    spec: { holderIdentity: holder, leaseDurationSeconds: 1, acquireTime: time, renewTime: time, leaseTransitions: transitions },
  };
}
