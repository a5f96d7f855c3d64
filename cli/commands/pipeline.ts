// `rollouts-cv pipeline run|status|cancel`: start, follow and stop PipelineRuns from a terminal or a CI job, against
// the cluster of a kubeconfig and as its user, so that a release goes on without Slack. (`rollouts-cv pipelines` is
// the controller that carries the runs out.)
import { type Command, Option } from 'commander';
import { clip } from '../../shared/text.js';
import { countArgument, namespaceArgument, objectNameArgument, USAGE_ERROR } from '../arguments.js';
import { PipelineRunRefused } from '../../shared/operations/pipeline-runs.js';
import { type Cluster, CommandError, connect, type KubeOptions } from '../pipeline/cluster.js';
import { type Output, streamOutput } from '../pipeline/output.js';

function withKubeOptions(command: Command): Command {
  return command
    .option('--kubeconfig <file>', 'kubeconfig (default: KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context (default: the current one)')
    .option('-n, --namespace <namespace>', "namespace of the Pipeline and its runs (default: the context's, else default)", namespaceArgument);
}

/** `name=value` arguments as variables; a usage error names the first that is not one. */
function parseVariables(assignments: string[], command: Command): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const assignment of assignments) {
    const at = assignment.indexOf('=');
    const name = assignment.slice(0, at);
    if (at < 1) command.error(`error: expected variables as name=value (e.g. image=registry.example/app:1.2.0); got ${JSON.stringify(clip(assignment, 60))}`, { exitCode: USAGE_ERROR });
    if (Object.hasOwn(variables, name)) command.error(`error: variable ${JSON.stringify(clip(name, 60))} is given twice`, { exitCode: USAGE_ERROR });
    // defined, not assigned: a variable named __proto__ stays a variable (and is refused as undeclared)
    Object.defineProperty(variables, name, { value: assignment.slice(at + 1), enumerable: true, writable: true, configurable: true });
  }
  return variables;
}

/** Runs a subcommand against the cluster; a refusal (CommandError, PipelineRunRefused) is printed and exits 1. */
async function act(command: Command, options: KubeOptions, body: (cluster: Cluster, output: Output) => Promise<number>): Promise<void> {
  const output = streamOutput(process.stdout, process.stderr);
  try {
    process.exitCode = await body(connect(options), output);
  } catch (error) {
    if (!(error instanceof CommandError || error instanceof PipelineRunRefused)) throw error;
    output.err(`rollouts-cv pipeline ${command.name()}: ${error.message}`);
    process.exitCode = 1;
  }
}

export function registerPipeline(program: Command): void {
  const pipeline = program
    .command('pipeline')
    .description('start, follow, decide and cancel PipelineRuns as your Kubernetes user (kubeconfig), without Slack: run, status, approve, cancel');

  withKubeOptions(
    pipeline
      .command('run')
      .summary('start a run of a Pipeline; --wait follows it to its end')
      .description('start a run of <pipeline> with its variables checked first; prints the run\'s name; exit 1 when it cannot start (with --wait: when it fails)')
      .argument('<pipeline>', 'the Pipeline, in the namespace', objectNameArgument)
      .argument('[variables...]', 'the run\'s variables, as name=value (e.g. image=registry.example/loans-api:2.4.0)')
      .option('--name <run>', 'name the run (default: <pipeline>-<random suffix>)', objectNameArgument)
      .option('--wait', 'follow the run until it ends, printing each stage and step as it changes; exit 0 when it succeeds, 1 when it fails'),
  ).action(async (name: string, assignments: string[], options: KubeOptions & { name?: string; wait?: boolean }, command: Command) => {
    const variables = parseVariables(assignments, command);
    const { startRun } = await import('../pipeline/run.js');
    await act(command, options, (cluster, output) => startRun(cluster, { pipeline: name, variables, name: options.name, wait: options.wait === true }, output));
  });

  withKubeOptions(
    pipeline
      .command('status')
      .summary('show a run, or the recent runs of the namespace')
      .description('show a run (stages, steps, phases, messages, outputs, durations), or without one the recent runs of the namespace, newest first')
      .argument('[run]', 'the PipelineRun', objectNameArgument)
      .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
      .option('--limit <n>', 'most runs listed', countArgument, 20),
  ).action(async (run: string | undefined, options: KubeOptions & { output: 'text' | 'json'; limit: number }, command: Command) => {
    const { showStatus } = await import('../pipeline/status.js');
    await act(command, options, (cluster, output) => showStatus(cluster, { run, output: options.output, limit: options.limit }, output));
  });

  withKubeOptions(
    pipeline
      .command('cancel')
      .summary('ask the pipelines controller to stop a run')
      .description('ask the pipelines controller to stop a run before its next step (the rollouts-cv.io/cancel-requested-by annotation, set to your user name); exit 1 when the run has already ended')
      .argument('<run>', 'the PipelineRun', objectNameArgument),
  ).action(async (run: string, options: KubeOptions, command: Command) => {
    const { cancelRun } = await import('../pipeline/cancel.js');
    await act(command, options, (cluster, output) => cancelRun(cluster, run, output));
  });

  withKubeOptions(
    pipeline
      .command('approve')
      .summary('decide what a run waits on people for: an approval step, or a failed step')
      .description('approve (or --reject) the approval step a run waits at, or choose what to do about its failed step (--choice); recorded in the ApprovalRequest as your Kubernetes user, under the rules of a click in Slack')
      .argument('<run>', 'the PipelineRun', objectNameArgument)
      .option('--reject', 'reject the approval step (the stage rolls back or the run stops)')
      .addOption(new Option('--choice <choice>', 'for a failed step: retry it, ignore the failure, roll the stage back, or abort the run').choices(['retry', 'ignore', 'rollback', 'abort']))
      .option('--comment <text>', 'a comment recorded with the decision (at most 500 characters)'),
  ).action(async (run: string, options: KubeOptions & { reject?: boolean; choice?: 'retry' | 'ignore' | 'rollback' | 'abort'; comment?: string }, command: Command) => {
    const { approveRun } = await import('../pipeline/approve.js');
    await act(command, options, (cluster, output) => approveRun(cluster, { run, reject: options.reject === true, choice: options.choice, comment: options.comment }, output));
  });
}
