// Following a PipelineRun until it ends, its changes printed as they happen: a watch of the run, started again from
// a fresh read whenever it ends (the server's timeout, a dropped connection, a version too old to resume from).
// Passing trouble with the API server is waited out; a refusal (unauthorised, forbidden, the run gone) ends it.
import { setTimeout as sleep } from 'node:timers/promises';
import { describeApiError } from '../../shared/kube/api-errors.js';
import type { PipelineRun } from '../../shared/pipelines/controller.js';
import { hasEnded, runChanges, type RunSummary, summariseRun } from '../../shared/pipelines/summary.js';
import { PipelineRunRefused } from '../../shared/operations/pipeline-runs.js';
import { type Cluster, CommandError, readRun, watchRun } from './cluster.js';

export interface FollowOptions {
  /** Delay after a failed read or watch: doubles from `firstMs` up to `maxMs`; `attempts` failures in a row end it. */
  retry?: { firstMs: number; maxMs: number; attempts: number };
}

/** About five minutes of consecutive failures before giving up. */
const RETRY = { firstMs: 1000, maxMs: 30_000, attempts: 14 };

/** The HTTP status of a failed request, from client-node's ApiException (`code`) or its watch errors (`statusCode`). */
function statusOf(error: unknown): number | undefined {
  const { statusCode, code } = (error ?? {}) as { statusCode?: unknown; code?: unknown };
  const status = statusCode ?? code;
  return typeof status === 'number' ? status : undefined;
}

/** Worth trying again: no answer, a server error, too many requests, or a watch too old to resume (410). */
function passing(error: unknown): boolean {
  const status = statusOf(error instanceof CommandError || error instanceof PipelineRunRefused ? error.cause : error);
  return status === undefined || status >= 500 || status === 429 || status === 410;
}

/** Prints each change of the run (runChanges) until it ends; resolves with its last summary. */
export async function followRun(cluster: Cluster, name: string, print: (line: string) => void, options: FollowOptions = {}): Promise<RunSummary> {
  const retry = options.retry ?? RETRY;
  let shown: RunSummary | undefined;
  const show = (next: PipelineRun): RunSummary => {
    const summary = summariseRun(next, new Date());
    for (const line of runChanges(shown, summary)) print(line);
    shown = summary;
    return summary;
  };
  /** Waits before the next try after a passing failure; gives up on too many in a row. */
  let failures = 0;
  const backOff = async (error: unknown) => {
    if (++failures >= retry.attempts) throw error instanceof CommandError ? error : new CommandError(`cannot follow PipelineRun ${cluster.namespace}/${name}: ${describeApiError(error)}`);
    await sleep(Math.min(retry.firstMs * 2 ** (failures - 1), retry.maxMs));
  };
  let run = await readRun(cluster, name);
  let summary = show(run);
  while (!hasEnded(summary)) {
    const watched = await watchRun(cluster, run, (next) => {
      run = next;
      summary = show(next);
      return hasEnded(summary);
    });
    if (watched.deleted) throw new CommandError(`PipelineRun ${cluster.namespace}/${name} was deleted before it ended`);
    if (hasEnded(summary)) break;
    const { error } = watched;
    if (error !== undefined && !passing(error)) throw new CommandError(`cannot watch PipelineRun ${cluster.namespace}/${name}: ${describeApiError(error)}`);
    // A watch that failed before any news is tried again later; one that ended otherwise, after a fresh read.
    if (error !== undefined && watched.received === 0 && statusOf(error) !== 410) {
      await backOff(error);
      continue;
    }
    try {
      run = await readRun(cluster, name);
    } catch (error) {
      if (!passing(error)) throw error;
      await backOff(error);
      continue;
    }
    summary = show(run);
    failures = 0;
  }
  return summary;
}
