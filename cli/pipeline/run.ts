// `rollouts-cv pipeline run`: starts a PipelineRun as the Kubernetes user the kubeconfig names, after checking its
// variables against the Pipeline (shared/operations/pipeline-runs.ts: a missing or misspelt variable is refused
// before anything is created), and with --wait follows it to its end.
import { startRun as start } from '../../shared/operations/pipeline-runs.js';
import { type Cluster, whoAmI } from './cluster.js';
import { followRun } from './follow.js';
import type { Output } from './output.js';

export interface RunOptions {
  pipeline: string;
  variables: Record<string, string>;
  /** The run's name; `<pipeline>-<random suffix>` without it. */
  name?: string;
  wait: boolean;
}

/** Resolves with the exit code: 0 created (with --wait: and Succeeded), 1 refused or Failed. */
export async function startRun(cluster: Cluster, options: RunOptions, output: Output): Promise<number> {
  const user = await whoAmI(cluster);
  const started = await start(cluster.objects, { namespace: cluster.namespace, pipeline: options.pipeline, variables: options.variables, triggeredBy: { kind: 'kubernetes', id: user }, ...(options.name && { name: options.name }) });
  const { namespace, name } = started.run.metadata;
  if (!started.created) {
    output.err(`PipelineRun ${namespace}/${name} already exists; nothing was started`);
    return 1;
  }
  output.out(name);
  output.err(`PipelineRun ${namespace}/${name} of Pipeline ${options.pipeline} created, triggered by ${user}`);
  if (!options.wait) {
    output.err(`follow it with: rollouts-cv pipeline status ${name} -n ${namespace}`);
    return 0;
  }
  const end = await followRun(cluster, name, output.out);
  return end.phase === 'Succeeded' ? 0 : 1;
}
