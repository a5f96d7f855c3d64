// End to end: the bot's cluster state on the real kube-apiserver v1.34 of the harness. Leader election on a
// coordination.k8s.io/v1 Lease (one leader of two candidates, handover on stop and on expiry) and the audit
// Events (the once-only claim, also from two clients at once; accepted by the API server's Event validation and
// listed by kubectl on the Rollout). Short periods (3 s lease, 1 s renewal) keep it to seconds after start-up.
import { CoordinationV1Api, CoreV1Api, V1MicroTime, type ApiConstructor, type ApiType } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { createAudit, type AuditEntry } from '../../shared/operations/audit.js';
import { runLeaderElection, type LeaderElection } from '../../shared/kube/leader.js';
import { loadKubeConfig } from '../../shared/kube/client.js';
import { createLogger } from '../../shared/log.js';
import { clusterForFile } from './harness/suite.js';
import { sleep, waitFor } from './harness/processes.js';

const NAMESPACE = 'bot';
const LEASE_MS = 3_000;
const RENEW_MS = 1_000;
const log = createLogger({ level: 'warn', name: 'bot-kube-e2e' });
const { env: environment, scenario } = clusterForFile(NAMESPACE);

/** A client of its own per replica (own KubeConfig, own connections), as separate bot Pods would have. */
const client = <T extends ApiType>(type: ApiConstructor<T>): T => loadKubeConfig({ kubeconfig: environment().kubeconfig }).makeApiClient(type);

interface LeaseObject {
  metadata: { resourceVersion: string };
  spec: { holderIdentity?: string; leaseDurationSeconds?: number; leaseTransitions?: number; acquireTime?: string; renewTime?: string };
}
const getLease = (name: string) => environment().kubectl.json<LeaseObject>(['-n', NAMESPACE, 'get', 'lease', name]);

describe('leader election on a coordination.k8s.io/v1 Lease', () => {
  const electors: LeaderElection[] = [];
  const elect = (name: string, identity: string) => {
    const terms: AbortSignal[] = [];
    const elector = runLeaderElection({
      api: client(CoordinationV1Api),
      namespace: NAMESPACE,
      name,
      identity,
      leaseDurationMs: LEASE_MS,
      renewEveryMs: RENEW_MS,
      log: log.child({ identity }),
      onStartedLeading: (signal) => terms.push(signal),
      onStoppedLeading: () => {},
    });
    electors.push(elector);
    return { identity, elector, terms };
  };
  afterAll(() => Promise.all(electors.map((e) => e.stop())));

  scenario('of two candidates exactly one leads; stopping it hands over within a lease duration', async () => {
    const a = elect('handover', 'bot-a');
    const b = elect('handover', 'bot-b');
    await waitFor('a leader', async () => (a.elector.isLeader || b.elector.isLeader ? true : undefined), 10_000, undefined, 50);
    // through a few renewals (each one a read and a resourceVersion-guarded write by each candidate)
    await sleep(2.5 * RENEW_MS);
    expect([a, b].filter((c) => c.elector.isLeader)).toHaveLength(1);
    const [leader, other] = a.elector.isLeader ? [a, b] : [b, a];
    expect(other.terms).toHaveLength(0);
    const held = await getLease('handover');
    expect(held.spec).toMatchObject({ holderIdentity: leader.identity, leaseDurationSeconds: LEASE_MS / 1000, leaseTransitions: 0 });
    expect(held.spec.renewTime).toMatch(/\.\d{6}Z$/);

    const stoppedAt = performance.now();
    await leader.elector.stop();
    expect(leader.terms[0]!.aborted).toBe(true);
    await waitFor('the other candidate to lead', async () => (other.elector.isLeader ? true : undefined), LEASE_MS + 2_000, undefined, 20);
    const handoverMs = performance.now() - stoppedAt;
    console.log(`handover after stop: ${Math.round(handoverMs)} ms`);
    expect(handoverMs).toBeLessThan(LEASE_MS);
    expect((await getLease('handover')).spec).toMatchObject({ holderIdentity: other.identity, leaseTransitions: 1 });
  });

  scenario('takes over the Lease of a holder that died once it has expired, not before', async () => {
    // a holder that renewed just now and then stopped (crashed): no release
    const renewed = new V1MicroTime(Date.now());
    await client(CoordinationV1Api).createNamespacedLease({
      namespace: NAMESPACE,
      body: {
        metadata: { name: 'expiry', namespace: NAMESPACE },
        spec: { holderIdentity: 'bot-crashed', leaseDurationSeconds: LEASE_MS / 1000, acquireTime: renewed, renewTime: renewed, leaseTransitions: 4 },
      },
    });
    const c = elect('expiry', 'bot-c');
    await waitFor('bot-c to lead', async () => (c.elector.isLeader ? true : undefined), LEASE_MS + 3 * RENEW_MS, undefined, 20);
    const afterMs = Date.now() - renewed.getTime();
    console.log(`takeover of an expired Lease: ${afterMs} ms after its last renewal`);
    expect(afterMs).toBeGreaterThanOrEqual(LEASE_MS);
    expect(afterMs).toBeLessThan(LEASE_MS + 2 * RENEW_MS);
    expect((await getLease('expiry')).spec).toMatchObject({ holderIdentity: 'bot-c', leaseTransitions: 5 });
  });
});

describe('audit Events', () => {
  const replica = (instance: string) => createAudit({ api: client(CoreV1Api), log: log.child({ instance }), component: 'rollouts-cv-bot', instance });
  let entry: AuditEntry;

  beforeAll(async () => {
    await environment().kubectl.apply(rolloutYaml('checkout'));
    const uid = (await environment().kubectl.json<{ metadata: { uid: string } }>(['-n', NAMESPACE, 'get', 'rollout', 'checkout'])).metadata.uid;
    entry = {
      target: { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: 'checkout', namespace: NAMESPACE, uid },
      user: { id: 'U0123ABCD', name: 'alice' },
      action: 'promote',
      reason: 'SlackPromote',
      message: `promote requested for rollout '${NAMESPACE}/checkout'`,
    };
  });

  interface EventObject {
    metadata: { name: string; annotations?: Record<string, string> };
    involvedObject: { kind: string; name: string; uid?: string };
    reason: string;
    type: string;
    message: string;
    eventTime?: string;
    reportingComponent?: string;
    reportingInstance?: string;
  }
  const eventsOn = async (name: string) =>
    (await environment().kubectl.json<{ items: EventObject[] }>(['-n', NAMESPACE, 'get', 'events', '--field-selector', `involvedObject.name=${name}`])).items;

  scenario('claims a key once: again from the same replica, and from two replicas at the same moment', async () => {
    const [a, b] = [replica('bot-a'), replica('bot-b')];
    const first = await a.claim('slack:T1:C1:1764187200.000100:promote', entry);
    const again = await a.claim('slack:T1:C1:1764187200.000100:promote', entry);
    expect(first.claimed).toBe(true);
    expect(again).toMatchObject({ claimed: false, existing: { metadata: { name: first.claimed ? first.event.metadata.name : '' } } });

    for (let round = 0; round < 5; round++) {
      const key = `slack:T1:C1:1764187260.00020${round}:promote`;
      const results = await Promise.all([a.claim(key, entry), b.claim(key, { ...entry, user: { id: 'U0999ZZZZ', name: 'bob' } })]);
      expect(results.filter((r) => r.claimed), key).toHaveLength(1);
    }
    const claims = (await eventsOn('checkout')).filter((e) => e.metadata.annotations?.['rollouts-cv.io/key']);
    expect(claims).toHaveLength(6);
    expect(new Set(claims.map((e) => e.metadata.annotations!['rollouts-cv.io/key'])).size).toBe(6);
  });

  scenario('the API server accepts the Events; kubectl lists and describes them on the Rollout', async () => {
    const a = replica('bot-a');
    await a.claim('slack:T1:C1:1764187300.000100:promote', entry);
    await a.record({ ...entry, reason: 'SlackPromoted', message: `promoted: rollout '${NAMESPACE}/checkout'`, outcome: 'succeeded' });
    await a.record({ ...entry, reason: 'SlackPromoteFailed', message: 'failed: the rollout is not paused', outcome: 'failed' });

    const stored = await eventsOn('checkout');
    const byReason = (reason: string) => stored.find((e) => e.reason === reason);
    expect(byReason('SlackPromoted')).toMatchObject({
      involvedObject: { kind: 'Rollout', name: 'checkout', uid: entry.target.uid },
      type: 'Normal',
      message: `promoted: rollout '${NAMESPACE}/checkout' (by Slack user alice U0123ABCD)`,
      eventTime: expect.stringMatching(/\.\d{6}Z$/),
      reportingComponent: 'rollouts-cv-bot',
      reportingInstance: 'bot-a',
      metadata: { annotations: { 'rollouts-cv.io/slack-user': 'U0123ABCD', 'rollouts-cv.io/action': 'promote' } },
    });
    expect(byReason('SlackPromoteFailed')).toMatchObject({ type: 'Warning' });

    const listed = await environment().kubectl.run(['-n', NAMESPACE, 'get', 'events', '--field-selector', 'involvedObject.name=checkout']);
    expect(listed).toMatch(/Normal\s+SlackPromoted\s+rollout\/checkout\s+promoted: rollout 'bot\/checkout' \(by Slack user alice U0123ABCD\)/);
    expect(listed).toMatch(/Warning\s+SlackPromoteFailed\s+rollout\/checkout\s+failed: the rollout is not paused/);
    const described = await environment().kubectl.run(['-n', NAMESPACE, 'describe', 'rollout', 'checkout']);
    expect(described).toMatch(/Normal\s+SlackPromote\s+\S+\s+rollouts-cv-bot\s+promote requested/);
  });
});

/** A test whose failure keeps the harness's work folder (with the logs). */

function rolloutYaml(name: string): string {
  return `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: ${name}
  namespace: ${NAMESPACE}
spec:
  replicas: 1
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers: [{name: app, image: registry.invalid/e2e/app:1}]
  strategy:
    canary:
      steps: [{setWeight: 50}, {pause: {}}]
`;
}
