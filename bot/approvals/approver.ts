// Whether a person may act as an approver on a namespace's requests now, checked before any request is read, so
// that someone without the permission learns nothing about which requests exist: the namespace must be in an
// environment of the bot's configuration, the person must have the approve permission there (from what the operator
// configured, never from a message), and, with impersonation on, a Kubernetes identity to act as.
import { permits } from '../auth/roles.js';
import { type Cluster, NotMappedError } from '../cluster/clusters.js';
import { type EnvironmentConfig, environmentOf } from '../config.js';
import { type BotContext, actorOf } from '../context.js';

/** The namespace's environment, and when the person may not act, why not: for the audit log (`why`) and for them (`answer`). */
export type ApproverCheck = { environment: EnvironmentConfig; refusal?: undefined } | { environment: EnvironmentConfig | undefined; refusal: { why: string; answer: string } };

/** How the refusals a caller shows are worded. */
export interface RefusalWording {
  noEnvironment: string;
  noPermission: (environment: string) => string;
}

export async function checkApprover(ctx: BotContext, cluster: Cluster, namespace: string, userId: string, wording: RefusalWording): Promise<ApproverCheck> {
  const environment = environmentOf(ctx.config, cluster.name, namespace);
  if (!environment) return { environment, refusal: { why: 'no environment', answer: wording.noEnvironment } };
  if (!permits(ctx.config, await actorOf(ctx, userId), 'approve', environment.name)) {
    return { environment, refusal: { why: 'no approve permission', answer: wording.noPermission(environment.name) } };
  }
  try {
    cluster.actingAs(userId);
  } catch (error) {
    if (!(error instanceof NotMappedError)) throw error;
    return { environment, refusal: { why: 'not mapped', answer: error.message } };
  }
  return { environment };
}
