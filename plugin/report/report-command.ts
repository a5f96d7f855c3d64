// `rollouts-cv report <link>`: the report of a verification already made, rebuilt on this machine from the object
// the cluster keeps it in (an AnalysisRun, a Rollout's step status) and the sources it names, through the same core
// as the engine's page. The link is the one a Measurement, a gate's message or a Slack message gives; the object is
// read with your kubeconfig, so your own RBAC applies, and the engine's report pages need not be reachable.
import { CustomObjectsApi } from '@kubernetes/client-node';
import { loadKubeConfig } from '../../shared/kube/client.js';
import { createLogger } from '../../shared/log.js';
import { LogTemplateFeedbackStore } from '../../shared/logs-feedback/store.js';
import { UsageError } from '../check/inputs.js';
import { createHealthSource, createLogSource } from '../collect/registry.js';
import type { EngineContext } from '../verify/context.js';
import { type OutputOptions, writeReports } from './output.js';
import { kubeReportObjects, readStored } from './read-stored.js';
import { rebuildReport } from './rebuild.js';
import { observedSource } from './replay.js';
import { parseReportRequest } from './server.js';
import type { ReportRef } from './stored.js';

export interface ReportCommandOptions extends OutputOptions {
  /** A report link or path. */
  target: string;
  kubeconfig?: string;
  context?: string;
  credentialsDir?: string;
  /** The Argo Rollouts dashboard, for a link to the Rollout. */
  rolloutsDashboard?: string;
}

const FORMS = 'a report link or path such as http://localhost:8082/reports/<namespace>/<analysisrun>/<metric> or /reports/<namespace>/rollouts/<rollout>/steps/<index>';

/** The report a link or path names: its path from `/reports/` on, whatever address and prefix come before. */
export function reportRefOf(target: string): ReportRef {
  let url: URL;
  try {
    url = new URL(target, 'http://report.invalid');
  } catch {
    throw new UsageError(`${JSON.stringify(target)}: expected ${FORMS}`);
  }
  const { pathname } = url;
  let why = 'it has no /reports/ part';
  // A prefix the engine is served under may come first; a namespace may itself be called "reports".
  for (let at = pathname.indexOf('/reports/'); at >= 0; at = pathname.indexOf('/reports/', at + 1)) {
    const ref = parseReportRequest(pathname.slice(at), url.searchParams);
    if (typeof ref !== 'string') return ref;
    why = ref.replace(/^not found: /, '');
  }
  throw new UsageError(`${JSON.stringify(target)} names no report (${why}): expected ${FORMS}`);
}

function kubernetes({ kubeconfig, context }: ReportCommandOptions): CustomObjectsApi {
  try {
    return loadKubeConfig({ kubeconfig, context }).makeApiClient(CustomObjectsApi);
  } catch (error) {
    throw new Error(`cannot load the kubeconfig${kubeconfig ? ` ${kubeconfig}` : ''}: ${(error as Error).message}`);
  }
}

/** 0 once the report is shown, whatever its verdict; 1 when it cannot be built; 2 on a usage error. */
export async function runReportCommand(options: ReportCommandOptions, out: NodeJS.WritableStream, err: NodeJS.WritableStream, now = new Date()): Promise<number> {
  try {
    const ref = reportRefOf(options.target);
    const api = kubernetes(options);
    const stored = await readStored(kubeReportObjects(api), ref, now);
    if (!options.quiet) err.write(`${stored.subject}: collecting ${stored.judged.start.toISOString()} – ${stored.judged.end.toISOString()}\n`);
    const sourceOptions = { credentialsDir: options.credentialsDir };
    const progress = (name: string, ms: number) => err.write(`  read ${name} (${Math.round(ms)} ms)\n`);
    const ctx: EngineContext = {
      now: () => now,
      log: createLogger({ level: 'silent' }),
      createSource: (config) => (options.quiet ? createHealthSource(config, sourceOptions) : observedSource(createHealthSource(config, sourceOptions), progress)),
      createLogSource: (config) => createLogSource(config, sourceOptions),
      // People's marks on the Rollout's log templates apply, as they did for the verification.
      feedback: new LogTemplateFeedbackStore(api),
    };
    await writeReports([await rebuildReport(stored, ctx, { rolloutsDashboardUrl: options.rolloutsDashboard })], options, out, err);
    return 0;
  } catch (error) {
    err.write(`rollouts-cv report: ${(error as Error).message}\n`);
    return error instanceof UsageError ? 2 : 1;
  }
}
