// `rollouts-cv pipeline status`: one run in full (stages, steps, phases, messages, outputs, durations), or the
// namespace's recent runs newest first; as text or as the JSON of shared/pipelines/summary.ts.
import { newestFirst, renderRun, renderRunList, summariseRun } from '../../shared/pipelines/summary.js';
import { type Cluster, listRuns, readRun } from './cluster.js';
import type { Output } from './output.js';

export interface StatusOptions {
  /** One run; the namespace's recent runs without it. */
  run?: string;
  output: 'text' | 'json';
  /** Most runs listed. */
  limit: number;
  now?: () => Date;
}

export async function showStatus(cluster: Cluster, options: StatusOptions, output: Output): Promise<number> {
  const now = options.now?.() ?? new Date();
  if (options.run) {
    const summary = summariseRun(await readRun(cluster, options.run), now);
    output.out(options.output === 'json' ? JSON.stringify(summary, null, 2) : renderRun(summary).trimEnd());
    return 0;
  }
  const runs = (await listRuns(cluster)).map((run) => summariseRun(run, now)).sort(newestFirst);
  const shown = runs.slice(0, options.limit);
  if (options.output === 'json') {
    output.out(JSON.stringify(shown, null, 2));
    return 0;
  }
  if (runs.length === 0) {
    output.err(`no PipelineRuns in namespace ${cluster.namespace}`);
    return 0;
  }
  output.out(renderRunList(shown, now).trimEnd());
  if (runs.length > shown.length) output.err(`${runs.length - shown.length} older run(s) not shown (--limit)`);
  return 0;
}
