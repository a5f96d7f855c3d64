// The pipelines controller's pass over PipelineRuns: a new run gets its status (the Pipeline as it is now, the
// variables) or a failure that names what is wrong; a running one advances (advance.ts) and its status is written
// with the resourceVersion read, so that of two writers only one wins and the other looks again. Each run on its
// own: one that fails to advance is logged and looked at again later, and the others go on.
import type { CustomObjectsApi } from '@kubernetes/client-node';
import { ConfigError } from '../config/errors.js';
import { describeApiError, isApiStatus } from '../kube/api-errors.js';
import type { Logger } from '../log.js';
import { advanceRun, type Executors, type PassResult } from './advance.js';
import { describeTrigger, parsePipelineRunSpec, runVariables } from './run.js';
import { parsePipelineSpec } from './spec.js';
import { initialStatus, type PipelineRunStatus } from './status.js';

export const PIPELINES = { group: 'rollouts-cv.io', version: 'v1alpha1', plural: 'pipelines', kind: 'Pipeline' } as const;
export const PIPELINE_RUNS = { group: 'rollouts-cv.io', version: 'v1alpha1', plural: 'pipelineruns', kind: 'PipelineRun' } as const;
/** Set on a PipelineRun to stop it: who asked (`kubectl annotate`, `/rollouts pipeline cancel`, the CLI). */
export const CANCEL_ANNOTATION = 'rollouts-cv.io/cancel-requested-by';

export interface PipelineRun {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace: string; uid?: string; resourceVersion?: string; annotations?: Record<string, string> };
  spec: unknown;
  status?: PipelineRunStatus | { phase: 'Failed'; message: string; startedAt: string; finishedAt: string };
}

export interface ControllerDeps {
  objects: CustomObjectsApi;
  executors: Executors;
  log: Logger;
  now: () => Date;
  /** Where people follow a run (the Slack thread, a dashboard), for ${{ run.url }}; empty when there is none. */
  runUrl?: (run: PipelineRun) => string;
  /** Aborted when this replica stops leading: no step starts after that, and no status is written. */
  signal?: AbortSignal;
  /** After a run's end is written: withdraw what it still asks people (its pending ApprovalRequests). */
  onEnded?: (run: PipelineRun, reason: string) => Promise<void>;
}

/** What a pass did with one run: when to look at it again (null: it has ended), and whether it wrote its status. */
export type RunPass = { recheckAfterMs: number | null; wrote: boolean };

const failed = (message: string, now: Date) => ({ phase: 'Failed' as const, message, startedAt: now.toISOString(), finishedAt: now.toISOString() });

/** A new run's first status: started, or failed with what keeps it from starting. */
async function startingStatus(deps: ControllerDeps, run: PipelineRun): Promise<PipelineRun['status']> {
  const now = deps.now();
  const { namespace } = run.metadata;
  try {
    const spec = parsePipelineRunSpec(run.spec);
    let pipeline: { metadata: { generation?: number }; spec: unknown };
    try {
      pipeline = (await deps.objects.getNamespacedCustomObject({ ...PIPELINES, namespace, name: spec.pipelineRef.name })) as typeof pipeline;
    } catch (error) {
      if (isApiStatus(error, 404)) return failed(`Pipeline ${namespace}/${spec.pipelineRef.name} does not exist`, now);
      throw error;
    }
    const parsed = parsePipelineSpec(pipeline.spec);
    return initialStatus({ name: spec.pipelineRef.name, generation: pipeline.metadata.generation, spec: parsed }, runVariables(parsed, spec), now);
  } catch (error) {
    if (error instanceof ConfigError) return failed(`cannot start: ${error.message}`, now);
    throw error;
  }
}

async function writeStatus(deps: ControllerDeps, run: PipelineRun, status: PipelineRun['status']): Promise<void> {
  const { namespace, name } = run.metadata;
  await deps.objects.replaceNamespacedCustomObjectStatus({ ...PIPELINE_RUNS, namespace, name, body: { ...run, status } });
}

/** One pass over one run. Throws on a failure to read or write (the caller looks again later). */
export async function reconcileRun(deps: ControllerDeps, run: PipelineRun): Promise<RunPass> {
  if (!run.status) {
    const status = await startingStatus(deps, run);
    await writeStatus(deps, run, status);
    deps.log.info({ run: `${run.metadata.namespace}/${run.metadata.name}`, phase: status!.phase, message: status!.message }, 'pipeline run started');
    return { recheckAfterMs: status!.phase === 'Running' ? 0 : null, wrote: true };
  }
  if (run.status.phase !== 'Running' || !('stages' in run.status)) return { recheckAfterMs: null, wrote: false };
  const status = run.status;
  const cancelledBy = run.metadata.annotations?.[CANCEL_ANNOTATION];
  let result: PassResult;
  if (cancelledBy) {
    const at = deps.now().toISOString();
    const { currentStage, ...rest } = status;
    result = { status: { ...rest, phase: 'Failed', finishedAt: at, message: `cancelled by ${cancelledBy}${currentStage ? ` during stage ${currentStage}` : ''}` }, recheckAfterMs: null };
  } else {
    const spec = parsePipelineRunSpec(run.spec);
    const ref = { namespace: run.metadata.namespace, name: run.metadata.name, uid: run.metadata.uid ?? run.metadata.name, triggeredBy: { kind: spec.triggeredBy.kind, id: spec.triggeredBy.id } };
    result = await advanceRun(status, ref, { triggeredBy: describeTrigger(spec.triggeredBy), url: deps.runUrl?.(run) ?? '' }, deps.executors, deps.now(), deps.signal);
  }
  // No longer leading: the new leader carries the run on from its status; this replica writes nothing more.
  if (deps.signal?.aborted) return { recheckAfterMs: null, wrote: false };
  const wrote = JSON.stringify(result.status) !== JSON.stringify(status);
  if (wrote) await writeStatus(deps, run, result.status);
  if (result.status.phase !== 'Running') {
    deps.log.info({ run: `${run.metadata.namespace}/${run.metadata.name}`, phase: result.status.phase, message: result.status.message }, 'pipeline run ended');
    // Nobody should decide a question the run no longer asks (a cancel while an approval waits).
    await deps.onEnded?.(run, `the pipeline run ended: ${result.status.message ?? result.status.phase}`).catch((error: unknown) =>
      deps.log.warn({ run: `${run.metadata.namespace}/${run.metadata.name}`, err: describeApiError(error) }, 'cannot withdraw what the ended run still asked people'),
    );
  }
  return { recheckAfterMs: result.recheckAfterMs, wrote };
}

/** Delay before a run whose pass failed is looked at again: doubles from 1 s up to 5 min per consecutive failure. */
function retryDelayMs(failures: number): number {
  return Math.min(300_000, 1000 * 2 ** Math.min(failures - 1, 16));
}

/** How long a run whose status was just written waits for the cache to show that write before it is looked at anyway. */
const CATCH_UP_MS = 30_000;

interface Due {
  /** When its pass said to look again (epoch ms; Infinity: it has ended). */
  at: number;
  /** The resourceVersion the pass read. */
  version: string | undefined;
  /** When the pass wrote the status: until the cache shows a newer version, its copy is stale. */
  wroteAt?: number;
  failures: number;
}

/**
 * The runs to look at and when: a run is due the first time it is seen, when it changes, and when its last pass
 * said (later after a failure). A run whose status was just written waits for the cache to show the write, so that a
 * pass never works from the copy it has just replaced. Kept in memory: a new leader looks at every running run at
 * once, which is safe because steps are idempotent.
 */
export class RunScheduler {
  private readonly due = new Map<string, Due>();

  constructor(
    private readonly deps: ControllerDeps,
    private readonly runOne: (deps: ControllerDeps, run: PipelineRun) => Promise<RunPass> = reconcileRun,
  ) {}

  private static when(entry: Due): number {
    return entry.wroteAt === undefined ? entry.at : Math.max(entry.at, entry.wroteAt + CATCH_UP_MS);
  }

  /** Passes over the runs that are due; returns in how long the next one is due (Infinity: none is). */
  async pass(runs: readonly PipelineRun[]): Promise<number> {
    const now = this.deps.now().getTime();
    const seen = new Set<string>();
    for (const run of runs) {
      const id = run.metadata.uid ?? `${run.metadata.namespace}/${run.metadata.name}`;
      seen.add(id);
      const entry = this.due.get(id);
      const changed = entry === undefined || entry.version !== run.metadata.resourceVersion;
      if (!changed && RunScheduler.when(entry) > now) continue;
      const version = run.metadata.resourceVersion;
      try {
        const { recheckAfterMs, wrote } = await this.runOne(this.deps, run);
        this.due.set(id, { at: recheckAfterMs === null ? Infinity : now + recheckAfterMs, version, ...(wrote && { wroteAt: now }), failures: 0 });
      } catch (error) {
        // A conflict: the run changed since the cache's copy; its new version comes through the watch.
        const conflict = isApiStatus(error, 409);
        const failures = conflict ? 0 : (entry?.failures ?? 0) + 1;
        const retryInMs = conflict ? CATCH_UP_MS : retryDelayMs(failures);
        this.deps.log[conflict ? 'info' : 'warn']({ run: `${run.metadata.namespace}/${run.metadata.name}`, err: describeApiError(error), retryInMs }, conflict ? 'the run changed meanwhile; waiting for its new version' : 'cannot advance the pipeline run; trying again later');
        this.due.set(id, { at: now + retryInMs, version, failures });
      }
    }
    for (const id of this.due.keys()) if (!seen.has(id)) this.due.delete(id);
    return Math.max(0, Math.min(Infinity, ...[...this.due.values()].map((entry) => RunScheduler.when(entry) - now)));
  }
}
