// Who deployed a Rollout's current revision, for the self-approval ban. The bot writes the
// `rollouts-cv.io/deployed-by` annotation in the same request as every pod template it writes (deploy, undo), as
// `{"user":"U…","template":"<digest>"}`: the Slack user and the digest of that template (template-digest.ts). The
// gate trusts the user only for the template it was written with: after any other change of the template
// (`kubectl`, a pipeline, an undo outside Slack) the deployer is unknown. A value that cannot be trusted is never
// guessed at; the reason — which annotation on which Rollout, and the expected form — goes into the request.
import { z } from 'zod';
import { slackUserId } from '../slack-ids.js';
import { type ApprovalRequestSpec, DEPLOYED_BY_ANNOTATION } from './request.js';
import { templateDigest } from './template-digest.js';

export type Deployer = { user: string } | { unknown: string };

export interface DeployedRollout {
  namespace: string;
  name: string;
  /** The annotation's value, if the Rollout has one. */
  annotation?: string;
  /** `spec.template` as the controller sends it. */
  template: unknown;
}

const EXPECTED = '{"user":"<Slack user ID>","template":"<digest>"}, as the bot writes it';
const valueSchema = z.strictObject({ user: slackUserId, template: z.string().regex(/^[0-9a-f]{64}$/, { error: 'expected the template digest (64 hex digits)' }) });

/** The annotation's value binding `user` to the pod template being written. */
export function deployedBy(user: string, template: unknown): string {
  return JSON.stringify({ user, template: templateDigest(template) });
}

export function deployerOf(rollout: DeployedRollout): Deployer {
  const where = `Rollout ${rollout.namespace}/${rollout.name}`;
  if (rollout.annotation === undefined) return { unknown: `no ${DEPLOYED_BY_ANNOTATION} annotation on ${where} (not deployed from Slack)` };
  let raw: unknown;
  try {
    raw = JSON.parse(rollout.annotation);
  } catch {
    raw = undefined;
  }
  const parsed = valueSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const detail = raw === undefined || typeof raw !== 'object' ? `got ${JSON.stringify(rollout.annotation.slice(0, 64))}` : `${issue.path.join('.') || 'value'}: ${issue.message}`;
    return { unknown: `the annotation ${DEPLOYED_BY_ANNOTATION} on ${where} is not valid (expected ${EXPECTED}; ${detail})` };
  }
  if (parsed.data.template !== templateDigest(rollout.template)) {
    return { unknown: `the rollout's template changed after the last deploy from Slack (by ${parsed.data.user}; ${DEPLOYED_BY_ANNOTATION} on ${where} is for another template)` };
  }
  return { user: parsed.data.user };
}

/** A request's fields naming the deployer, or saying why none is named. */
export function deployerFields(deployer: Deployer): Pick<ApprovalRequestSpec, 'requestedBy' | 'deployerUnknown'> {
  return 'user' in deployer ? { requestedBy: deployer.user } : { deployerUnknown: deployer.unknown };
}
