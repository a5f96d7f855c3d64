import { CoreV1Api, type CoreV1Event } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeKubeApi, status, type FakeKubeApi } from '../../test/helpers/fake-kube-api.js';
import { createLogger } from '../log.js';
import { ANNOTATIONS, claimEventName, createAudit, type Audit, type AuditEntry } from './audit.js';

const EVENTS = '/api/v1/namespaces/shop/events';
const AT = new Date('2026-11-26T20:00:00.123Z');
const ENTRY: AuditEntry = {
  target: { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: 'checkout', namespace: 'shop', uid: '6f1c0d2e-0000-4000-8000-000000000001' },
  user: { id: 'U0123ABCD', name: 'alice' },
  action: 'promote',
  reason: 'SlackPromote',
  message: "promote requested for rollout 'shop/checkout'",
};
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

let fake: FakeKubeApi;
let events: Map<string, CoreV1Event>;
let failing: boolean;
let logLines: Record<string, unknown>[];
let audit: Audit;

/** The Event endpoints: create (name or generateName; 409 AlreadyExists for a taken name) and read. */
beforeEach(async () => {
  events = new Map();
  failing = false;
  fake = await startFakeKubeApi((request) => {
    if (failing) return { status: 500, body: status(500, 'InternalError', 'etcd is down') };
    if (request.method === 'POST' && request.path === EVENTS) {
      const body = request.body as CoreV1Event;
      const name = body.metadata.name ?? `${body.metadata.generateName}${Math.random().toString(36).slice(2, 7)}`;
      if (events.has(name)) return { status: 409, body: status(409, 'AlreadyExists', `events "${name}" already exists`) };
      events.set(name, { ...body, metadata: { ...body.metadata, name, generateName: undefined, resourceVersion: String(events.size + 1) } });
      return { status: 201, body: events.get(name) };
    }
    const name = request.path.startsWith(`${EVENTS}/`) ? request.path.slice(EVENTS.length + 1) : undefined;
    if (request.method === 'GET' && name !== undefined) return events.has(name) ? { body: events.get(name) } : undefined;
    return undefined;
  });
  logLines = [];
  const log = createLogger({ level: 'info' }, { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) });
  audit = createAudit({ api: fake.kubeConfig().makeApiClient(CoreV1Api), log, component: 'rollouts-cv-bot', instance: 'rollouts-cv-bot-7d9f-abcde', now: () => AT });
});

afterEach(() => fake.close());

const posted = () => fake.requests.filter((r) => r.method === 'POST').map((r) => r.body as Record<string, unknown>);

describe('claim', () => {
  it('creates one Event named after the key, on the object, naming the user', async () => {
    const result = await audit.claim('slack:action:T1:1700000000.000100:promote', ENTRY);
    expect(result.claimed).toBe(true);
    const name = claimEventName('checkout', 'slack:action:T1:1700000000.000100:promote');
    expect(name).toMatch(/^checkout\.rcv-[0-9a-f]{16}$/);
    // as sent: MicroTime with six fractional digits, the other timestamps as RFC 3339
    expect(posted()).toEqual([
      {
        metadata: {
          name,
          namespace: 'shop',
          annotations: { [ANNOTATIONS.slackUser]: 'U0123ABCD', [ANNOTATIONS.action]: 'promote', [ANNOTATIONS.key]: 'slack:action:T1:1700000000.000100:promote' },
        },
        involvedObject: ENTRY.target,
        reason: 'SlackPromote',
        message: "promote requested for rollout 'shop/checkout' (by Slack user alice U0123ABCD)",
        type: 'Normal',
        source: { component: 'rollouts-cv-bot' },
        count: 1,
        firstTimestamp: '2026-11-26T20:00:00.123Z',
        lastTimestamp: '2026-11-26T20:00:00.123Z',
        eventTime: '2026-11-26T20:00:00.123000Z',
        action: 'promote',
        reportingComponent: 'rollouts-cv-bot',
        reportingInstance: 'rollouts-cv-bot-7d9f-abcde',
      },
    ]);
    expect(logLines).toEqual([
      expect.objectContaining({
        level: 'info',
        audit: true,
        user: { id: 'U0123ABCD', name: 'alice' },
        action: 'promote',
        object: 'Rollout/shop/checkout',
        key: 'slack:action:T1:1700000000.000100:promote',
        outcome: 'claimed',
        event: name,
      }),
    ]);
  });

  it('claims a key once: the second claim gets the Event of the first', async () => {
    const first = await audit.claim('k1', ENTRY);
    const again = await audit.claim('k1', { ...ENTRY, user: { id: 'U0999ZZZZ' } });
    expect(first.claimed).toBe(true);
    expect(again).toMatchObject({ claimed: false, existing: { metadata: { name: claimEventName('checkout', 'k1') }, message: expect.stringContaining('alice U0123ABCD') } });
    expect(events.size).toBe(1);
    expect(logLines.map((l) => [l.outcome, (l.user as { id: string }).id])).toEqual([
      ['claimed', 'U0123ABCD'],
      ['duplicate', 'U0999ZZZZ'],
    ]);
  });

  it('names Events apart per key and per object', () => {
    expect(claimEventName('checkout', 'k1')).toBe(claimEventName('checkout', 'k1'));
    expect(claimEventName('checkout', 'k1')).not.toBe(claimEventName('checkout', 'k2'));
    expect(claimEventName('checkout', 'k1').split('.rcv-')[1]).toBe(claimEventName('cart', 'k1').split('.rcv-')[1]);
  });

  it('keeps names of long objects a valid DNS subdomain of at most 253 characters', () => {
    for (const objectName of ['a'.repeat(253), `${'a'.repeat(231)}-b.c`, `${'a'.repeat(230)}.-bc`, 'web.v2']) {
      const name = claimEventName(objectName, 'k');
      expect(name.length, objectName).toBeLessThanOrEqual(253);
      expect(name, objectName).toMatch(DNS_SUBDOMAIN);
    }
  });

  it('cuts the message to 1 KiB without splitting a character', async () => {
    await audit.claim('k', { ...ENTRY, message: 'é'.repeat(2_000) });
    const message = posted()[0]!.message as string;
    expect(Buffer.byteLength(message)).toBeLessThanOrEqual(1024);
    expect(message).toMatch(/^é+…$/);
  });

  it('logs and throws when the API server fails', async () => {
    failing = true;
    await expect(audit.claim('k', ENTRY)).rejects.toMatchObject({ code: 500 });
    expect(logLines).toEqual([expect.objectContaining({ level: 'error', audit: true, action: 'promote', outcome: 'error' })]);
  });
});

describe('record', () => {
  it('writes a new Event per outcome, failures as Warning', async () => {
    const ok = await audit.record({ ...ENTRY, reason: 'SlackPromoted', message: "promoted: rollout 'shop/checkout'", outcome: 'succeeded' });
    const failed = await audit.record({ ...ENTRY, reason: 'SlackPromoteFailed', message: 'failed: conflict', outcome: 'failed' });
    expect(ok.metadata.name).toMatch(/^checkout\.rcv-[a-z0-9]{5}$/);
    expect(failed.metadata.name).not.toBe(ok.metadata.name);
    expect(posted()).toEqual([
      expect.objectContaining({ metadata: expect.objectContaining({ generateName: 'checkout.rcv-' }), type: 'Normal', reason: 'SlackPromoted' }),
      expect.objectContaining({ type: 'Warning', reason: 'SlackPromoteFailed', message: 'failed: conflict (by Slack user alice U0123ABCD)' }),
    ]);
    expect((posted()[0]!.metadata as { annotations: object }).annotations).toEqual({ [ANNOTATIONS.slackUser]: 'U0123ABCD', [ANNOTATIONS.action]: 'promote' });
    expect(logLines.map((l) => [l.audit, l.outcome, l.event])).toEqual([
      [true, 'succeeded', ok.metadata.name],
      [true, 'failed', failed.metadata.name],
    ]);
  });

  it('names a Kubernetes user as such, in the message and in its own annotation', async () => {
    await audit.record({ ...ENTRY, user: { id: 'system:serviceaccount:releases:rollouts-cv-pipelines', kind: 'Kubernetes user' }, message: 'aborted', outcome: 'succeeded' });
    expect(posted()[0]).toMatchObject({
      metadata: { annotations: { [ANNOTATIONS.kubernetesUser]: 'system:serviceaccount:releases:rollouts-cv-pipelines', [ANNOTATIONS.action]: 'promote' } },
      message: 'aborted (by Kubernetes user system:serviceaccount:releases:rollouts-cv-pipelines)',
    });
    expect(Object.keys((posted()[0]!.metadata as { annotations: object }).annotations)).not.toContain(ANNOTATIONS.slackUser);
  });
});
