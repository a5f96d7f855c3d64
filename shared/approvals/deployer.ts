// Who deployed a Rollout's current revision, for the self-approval ban: the `rollouts-cv.io/deployed-by`
// annotation the bot writes. A value that cannot be trusted is never guessed at: the deployer is then unknown, and
// the reason (which annotation on which Rollout, and the expected form) goes into the request for people to see.
import { slackUserId } from '../slack-ids.js';
import { DEPLOYED_BY_ANNOTATION } from './request.js';

export type Deployer = { user: string } | { unknown: string };

export interface DeployedRollout {
  namespace: string;
  name: string;
  /** The annotation's value, if the Rollout has one. */
  annotation?: string;
}

export function deployerOf(rollout: DeployedRollout): Deployer {
  const where = `Rollout ${rollout.namespace}/${rollout.name}`;
  if (rollout.annotation === undefined) return { unknown: `no ${DEPLOYED_BY_ANNOTATION} annotation on ${where} (not deployed from Slack)` };
  const user = slackUserId.safeParse(rollout.annotation);
  if (!user.success) return { unknown: `the annotation ${DEPLOYED_BY_ANNOTATION} on ${where} is not valid (${user.error.issues[0]!.message})` };
  return { user: user.data };
}
