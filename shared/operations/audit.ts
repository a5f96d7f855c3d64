// The audit record of what people and controllers do to the cluster: a core/v1 Event on the object acted on (visible
// with `kubectl get events` / `kubectl describe`) plus one structured log line. An Event named after an idempotency
// key is also the once-only lock for an action: the API server creates a name once, so the same click or command
// handled twice (a Slack retry, a double click, two replicas) runs once. The lock lasts as long as the Event, i.e.
// the API server's --event-ttl (1 h by default).
import { createHash } from 'node:crypto';
import { V1MicroTime, type CoreV1Api, type CoreV1Event } from '@kubernetes/client-node';
import { isApiStatus } from '../kube/api-errors.js';
import type { Logger } from '../log.js';

export const ANNOTATIONS = {
  slackUser: 'rollouts-cv.io/slack-user',
  kubernetesUser: 'rollouts-cv.io/kubernetes-user',
  action: 'rollouts-cv.io/action',
  key: 'rollouts-cv.io/key',
} as const;
const MESSAGE_MAX_BYTES = 1024;

/** The kinds of identity that act, and the annotation naming each on its Events. */
const USER_ANNOTATION = { 'Slack user': ANNOTATIONS.slackUser, 'Kubernetes user': ANNOTATIONS.kubernetesUser } as const;

/** Who acted. */
export interface AuditUser {
  /** A Slack user ID, or a Kubernetes user name (a kubeconfig's user, a controller's service account). */
  id: string;
  /** The display name, when known. */
  name?: string;
  /** Which kind of identity `id` is; a Slack user when not said (the bot's people). */
  kind?: keyof typeof USER_ANNOTATION;
}

export interface AuditTarget {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  uid?: string;
}

export interface AuditEntry {
  target: AuditTarget;
  user: AuditUser;
  /** What was done, e.g. `promote` (at most 128 characters). */
  action: string;
  /** CamelCase Event reason, e.g. `SlackPromote`. */
  reason: string;
  /** What happened, for people; the module adds who did it. */
  message: string;
}

export type ClaimResult = { claimed: true; event: CoreV1Event } | { claimed: false; existing: CoreV1Event };

export interface Audit {
  /** Records the action under `key`, once: `claimed: false` (with the Event written then) if it was already claimed. */
  claim(key: string, entry: AuditEntry): Promise<ClaimResult>;
  /** Records an outcome (`failed` and `refused` as Warning Events). */
  record(entry: AuditEntry & { outcome: 'succeeded' | 'failed' | 'refused' }): Promise<CoreV1Event>;
}

export function createAudit(options: {
  api: CoreV1Api;
  log: Logger;
  /** Who writes the Events (`source.component`, `reportingComponent`), e.g. `rollouts-cv-bot`. */
  component: string;
  /** This replica (the Pod name), at most 128 characters. */
  instance: string;
  now?: () => Date;
}): Audit {
  const { api, log, component, instance } = options;
  const now = options.now ?? (() => new Date());

  const event = (entry: AuditEntry, type: 'Normal' | 'Warning', metadata: { name?: string; generateName?: string }, key?: string): CoreV1Event => {
    const at = now();
    const { target, user } = entry;
    const kind = user.kind ?? 'Slack user';
    return {
      metadata: {
        ...metadata,
        namespace: target.namespace,
        annotations: { [USER_ANNOTATION[kind]]: user.id, [ANNOTATIONS.action]: entry.action, ...(key === undefined ? {} : { [ANNOTATIONS.key]: key }) },
      },
      involvedObject: { apiVersion: target.apiVersion, kind: target.kind, name: target.name, namespace: target.namespace, uid: target.uid },
      reason: entry.reason,
      message: truncateUtf8(`${entry.message} (by ${kind} ${user.name ? `${user.name} ${user.id}` : user.id})`, MESSAGE_MAX_BYTES),
      type,
      source: { component },
      count: 1,
      firstTimestamp: at,
      lastTimestamp: at,
      // With eventTime set, the API server requires action, reportingController and reportingInstance too.
      eventTime: new V1MicroTime(at.getTime()),
      action: entry.action,
      reportingComponent: component,
      reportingInstance: instance,
    };
  };

  const audited = async <T>(entry: AuditEntry, fields: Record<string, unknown>, write: () => Promise<{ result: T; outcome: string; event?: string }>): Promise<T> => {
    const facts = { audit: true, user: entry.user, action: entry.action, object: objectName(entry.target), ...fields };
    try {
      const { result, outcome, event } = await write();
      log.info({ ...facts, outcome, event }, `audit: ${entry.action} ${facts.object}: ${outcome}`);
      return result;
    } catch (error) {
      log.error({ ...facts, outcome: 'error', err: error }, `audit: ${entry.action} ${facts.object}: could not write the Event`);
      throw error;
    }
  };

  return {
    claim: (key, entry) =>
      audited<ClaimResult>(entry, { key }, async () => {
        const body = event(entry, 'Normal', { name: claimEventName(entry.target.name, key) }, key);
        const namespace = entry.target.namespace;
        try {
          const created = await api.createNamespacedEvent({ namespace, body });
          return { result: { claimed: true, event: created }, outcome: 'claimed', event: created.metadata.name };
        } catch (error) {
          if (!isApiStatus(error, 409)) throw error;
          const existing = await api.readNamespacedEvent({ name: body.metadata.name!, namespace });
          return { result: { claimed: false, existing }, outcome: 'duplicate', event: existing.metadata.name };
        }
      }),
    record: (entry) =>
      audited(entry, {}, async () => {
        const body = event(entry, entry.outcome === 'succeeded' ? 'Normal' : 'Warning', { generateName: `${dnsPrefix(entry.target.name, 52)}.rcv-` });
        const created = await api.createNamespacedEvent({ namespace: entry.target.namespace, body });
        return { result: created, outcome: entry.outcome, event: created.metadata.name };
      }),
  };
}

/** `<object name>.rcv-<16 hex of sha256(key)>`: the same key always names the same Event (a DNS subdomain, ≤ 253). */
export function claimEventName(objectName: string, key: string): string {
  return `${dnsPrefix(objectName, 253 - 21)}.rcv-${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
}

/** The object name cut to `max` characters, ending in a letter or digit as each DNS label must. */
function dnsPrefix(name: string, max: number): string {
  return name.slice(0, max).replace(/[^a-z0-9]+$/, '') || 'object';
}

function objectName(target: AuditTarget): string {
  return `${target.kind}/${target.namespace}/${target.name}`;
}

function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  // a cut through a multi-byte character decodes as U+FFFD: drop it
  return `${Buffer.from(text).subarray(0, maxBytes - 3).toString('utf8').replace(/\uFFFD+$/, '')}…`;
}
