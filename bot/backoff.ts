// Per-object retries for the leader's background work. An object whose work keeps failing (an ApprovalRequest the
// API server refuses, a rollout whose action fails) is tried again after 5 s, then 10 s, 20 s, … up to 10 minutes,
// while every other object is worked on as usual. Kept in memory: a new leader starts afresh.
import { ErrorCode } from '@slack/web-api';
import type { Logger } from '../shared/log.js';

export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
}

interface Failing {
  failures: number;
  retryAt: number;
}

export class Backoff {
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly failing = new Map<string, Failing>();

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 5_000;
    this.maxMs = options.maxMs ?? 600_000;
  }

  /** Objects currently backing off. */
  get size(): number {
    return this.failing.size;
  }

  /** Whether the object's work may run at `nowMs`. */
  due(key: string, nowMs: number): boolean {
    return (this.failing.get(key)?.retryAt ?? 0) <= nowMs;
  }

  /** Records a failure; returns how long the object now waits. */
  failed(key: string, nowMs: number): number {
    // An object due for longer than the longest wait was not tried since: it is gone.
    for (const [other, entry] of this.failing) if (entry.retryAt < nowMs - this.maxMs) this.failing.delete(other);
    const failures = (this.failing.get(key)?.failures ?? 0) + 1;
    const delay = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(failures - 1, 30));
    this.failing.set(key, { failures, retryAt: nowMs + delay });
    return delay;
  }

  succeeded(key: string): void {
    this.failing.delete(key);
  }
}

export interface IsolationContext {
  log: Logger;
  backoff: Backoff;
  now: number;
}

/** One kind of work on one object: its back-off key (the object by uid, and the work), and how logs name them. */
export interface Work {
  key: string;
  object: string;
  what: string;
}

/** `what` (e.g. "updating the rollout thread") done on one Kubernetes object of a cluster. */
export function workOn(what: string, cluster: string, kind: string, object: { metadata: { namespace?: string; name: string; uid?: string } }): Work {
  const { namespace, name, uid } = object.metadata;
  return { key: `${cluster}/${kind}/${namespace}/${name}/${uid}/${what}`, object: `${kind} ${namespace}/${name}`, what };
}

/**
 * Runs one object's work unless it is backing off. A failure is logged with the object and delays its next
 * attempt; it never reaches the caller, so the other objects are worked on. Slack's rate limit, which the leader's
 * Slack client (slack/paced-client.ts) reports at once until its Retry-After has passed, is the channel's or the
 * app's and not the object's: that work is tried again at a later pass, without a delay of its own.
 */
export async function isolated(ctx: IsolationContext, object: Work, work: () => Promise<void>): Promise<void> {
  if (!ctx.backoff.due(object.key, ctx.now)) return;
  try {
    await work();
    ctx.backoff.succeeded(object.key);
  } catch (error) {
    if ((error as { code?: unknown } | null)?.code === ErrorCode.RateLimitedError) {
      ctx.log.debug({ object: object.object }, `${object.what}: Slack's rate limit; a later pass tries again`);
      return;
    }
    const delay = ctx.backoff.failed(object.key, ctx.now);
    ctx.log.warn({ object: object.object, err: error instanceof Error ? error.message : String(error), retryInS: Math.round(delay / 1000) }, `${object.what} failed; retried with back-off`);
  }
}
