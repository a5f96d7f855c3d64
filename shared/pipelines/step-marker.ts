// The mark a step's key leaves outside Kubernetes, where the key itself does not fit or should not be shown: a Jira
// label and the last line of a Jira comment, so that a repeated look finds what the step made, and a webhook's
// Idempotency-Key, so that its receiver can.
import { createHash } from 'node:crypto';

/** `rollouts-cv-<16 hex digits of the key's SHA-256>`: a valid Jira label, the same for the same key on any replica. */
export function stepMarker(key: string): string {
  return `rollouts-cv-${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
}
