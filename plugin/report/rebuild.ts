// A report rebuilt from what the cluster keeps: the AnalysisRun's config and window, judged again from the
// sources through the same core as the verification itself, beside what the verification recorded.
import type { EngineContext } from '../verify/context.js';
import { examine } from '../verify/look.js';
import { objectCommands, storedVerification, type ReportRef } from './analysis-run.js';
import { buildReport, type Report, type ReportLink } from './model.js';

/** Throws ReportError (the run lacks what `ref` names) or CollectError (the sources did not answer). */
export async function rebuildReport(run: unknown, ref: ReportRef, ctx: EngineContext, links: ReportLink[] = []): Promise<Report> {
  const stored = storedVerification(run, ref, ctx.now());
  const log = ctx.log.child({ report: `${ref.namespace}/${ref.analysisRun}/${ref.metric}`, ...(stored.id && { verificationId: stored.id }) });
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
    links,
    commands: objectCommands(ref, stored.rollout),
    now: ctx.now(),
  });
}
