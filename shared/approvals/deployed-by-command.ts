// `rollouts-cv deployed-by <user>`: the `rollouts-cv.io/deployed-by` value for a manifest a pipeline is about to
// apply (a Rollout, or the Deployment of a Rollout's workloadRef), so that its approval gates name that user as
// the deployer of this template — as they do for `/rollouts deploy`.
import { parse } from 'yaml';
import { ConfigError } from '../config/errors.js';
import { slackUserId } from '../slack-ids.js';
import { deployedBy } from './deployer.js';

export function deployedByForManifest(user: string, manifest: string, source: string): string {
  const id = slackUserId.safeParse(user);
  if (!id.success) throw new ConfigError([`user: ${id.error.issues[0]!.message}`]);
  let object: unknown;
  try {
    object = parse(manifest);
  } catch (error) {
    throw new ConfigError([`${source}: ${error instanceof Error ? error.message : String(error)}`]);
  }
  const template = (object as { spec?: { template?: unknown } } | null)?.spec?.template;
  if (typeof template !== 'object' || template === null) throw new ConfigError([`${source}: expected a Rollout or Deployment with spec.template`]);
  return deployedBy(id.data, template);
}
