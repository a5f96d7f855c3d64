// A report rebuilt from what the cluster keeps (stored.ts): the verification's config and window, judged again from
// the sources through the same core as the verification itself, beside what the verification recorded.
import type { EngineContext } from '../verify/context.js';
import { examine } from '../verify/look.js';
import { buildReport, type Report } from './model.js';
import type { StoredVerification } from './stored.js';

/** Throws CollectError (the sources did not answer). */
export async function rebuildReport(stored: StoredVerification, ctx: EngineContext): Promise<Report> {
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
    commands: stored.commands,
    now: ctx.now(),
  });
}
