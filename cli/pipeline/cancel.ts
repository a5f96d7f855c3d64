// `rollouts-cv pipeline cancel`: asks the pipelines controller to stop a run before its next step, by setting the
// cancel annotation to the user's name once (shared/operations/pipeline-runs.ts). A request already made stands (it
// says by whom), and a run that has ended cannot be cancelled.
import { cancelRun as cancel } from '../../shared/operations/pipeline-runs.js';
import { describeTrigger } from '../../shared/pipelines/run.js';
import { printable, summariseRun } from '../../shared/pipelines/summary.js';
import { type Cluster, whoAmI } from './cluster.js';
import type { Output } from './output.js';

/** Resolves with the exit code: 0 asked (now or before), 1 the run has already ended. */
export async function cancelRun(cluster: Cluster, name: string, output: Output): Promise<number> {
  const user = await whoAmI(cluster);
  const result = await cancel(cluster.objects, cluster.namespace, name, user);
  const summary = summariseRun(result.run, new Date());
  const what = `PipelineRun ${summary.namespace}/${summary.name}`;
  switch (result.kind) {
    case 'ended':
      output.err(`${what} has already ended (${summary.phase}${summary.message === undefined ? '' : `: ${printable(summary.message)}`}); nothing to cancel`);
      return 1;
    case 'already':
      output.out(`${what}: cancel was already requested by ${printable(result.by)}`);
      return 0;
    case 'requested': {
      const started = summary.triggeredBy ? `, started by ${printable(describeTrigger(summary.triggeredBy))}` : '';
      output.out(`${what}${started}: cancel requested by ${user}; it ends Failed before its next step`);
      return 0;
    }
  }
}
