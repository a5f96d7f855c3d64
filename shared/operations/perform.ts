// One write to the cluster on someone's behalf, whoever asks (the bot, the CLI, a controller): authorised, then
// claimed under its idempotency key so that it happens once (audit.ts: the same request handled twice — a retry, a
// double click, two replicas — acts once), then done, then recorded with its outcome. Nothing is claimed or changed
// unless the check passed, and a failure is recorded and returned as one, never as done.
import { RolloutActionError } from '../kube/rollout-actions.js';
import type { Audit, AuditEntry } from './audit.js';

export type PerformResult =
  /** Not allowed, or not now: nothing was claimed or changed. */
  | { kind: 'refused'; reason: string }
  /** The key was claimed before: done (or being done) already, nothing more was changed. */
  | { kind: 'duplicate' }
  | { kind: 'failed'; reason: string }
  | { kind: 'done'; message: string };

export interface PerformRequest {
  /**
   * Why this must not go ahead (the actor may not do it, or the target is not in a state that allows it), or
   * undefined when it may. None when the API server's own authorisation of the acting identity is the check.
   */
  authorise?: () => Promise<string | undefined>;
  /** The once-only key: unique per request, and the same when the request is handled again. */
  key: string;
  /** Who acts on which object; `message` says what is asked, e.g. "promote rollout shop/web". */
  entry: AuditEntry;
  audit: Audit;
  /** The change itself; resolves to what was done, in one line. */
  act: () => Promise<string>;
}

/** authorise → claim(key) → act → record. An Event that cannot be written throws (the audit has logged it). */
export async function perform(request: PerformRequest): Promise<PerformResult> {
  const { entry, audit } = request;
  const refusal = await request.authorise?.();
  if (refusal !== undefined) return { kind: 'refused', reason: refusal };
  const claim = await audit.claim(request.key, { ...entry, message: `asked to ${entry.message}` });
  if (!claim.claimed) return { kind: 'duplicate' };
  let message: string;
  try {
    message = await request.act();
  } catch (error) {
    const reason = failureReason(error);
    await audit.record({ ...entry, message: `${entry.message} failed: ${reason}`, outcome: 'failed' });
    return { kind: 'failed', reason };
  }
  await audit.record({ ...entry, message, outcome: 'succeeded' });
  return { kind: 'done', message };
}

/** Why an operation failed, for people: a rollout action's refusal as it is, any other error's first line. */
export function failureReason(error: unknown): string {
  if (error instanceof RolloutActionError) return error.message;
  return error instanceof Error ? error.message.split('\n')[0]! : String(error);
}
