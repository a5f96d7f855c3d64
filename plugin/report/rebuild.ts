// A report rebuilt from what the cluster keeps (stored.ts): the verification's config and window, judged again from
// the sources through the same core as the verification itself, beside what the verification recorded.
import type { EngineContext } from '../verify/context.js';
import { examine } from '../verify/look.js';
import type { RolloutName } from '../verify/feedback.js';
import { buildReport, type Report, type ReportLink } from './model.js';
import type { StoredVerification } from './stored.js';

export interface LinkOptions {
  /** The Argo Rollouts dashboard as people open it (`kubectl argo rollouts dashboard`: http://localhost:3100/rollouts). */
  rolloutsDashboardUrl?: string;
}

/** The Rollout's page in the Argo Rollouts dashboard, when the operator said where it is. Pure. */
export function rolloutLinks(rollout: RolloutName | undefined, { rolloutsDashboardUrl }: LinkOptions): ReportLink[] {
  if (!rollout || !rolloutsDashboardUrl) return [];
  return [{ label: `Rollout ${rollout.namespace}/${rollout.name} in the Argo Rollouts dashboard`, href: `${rolloutsDashboardUrl.replace(/\/+$/, '')}/rollout/${rollout.namespace}/${rollout.name}` }];
}

/** Throws CollectError (the sources did not answer). */
export async function rebuildReport(stored: StoredVerification, ctx: EngineContext, links: LinkOptions = {}): Promise<Report> {
  const log = ctx.log.child({ report: stored.subject, ...(stored.id && { verificationId: stored.id }) });
  const { result, inputs } = await examine(stored.config, stored.judged, ctx, log, { asClosed: stored.asClosed, ...(stored.rollout && { rollout: stored.rollout }) });
  return buildReport({
    subject: stored.subject,
    ...(stored.id && { verificationId: stored.id }),
    config: stored.config,
    rawConfig: stored.written,
    window: stored.window,
    judged: stored.judged,
    result,
    inputs,
    recorded: stored.recorded,
    links: rolloutLinks(stored.rollout, links),
    commands: stored.commands,
    now: ctx.now(),
  });
}
