// `rollouts-cv logs feedback`: people's marks on a service's log templates (LogTemplateFeedbacks) from a terminal,
// as the kubeconfig's user, so that the cluster's RBAC decides who may mark: mark a template not a risk or a risk,
// clear its mark, or list the service's marks. A change is made as from Slack (shared/logs-feedback/mark.ts): the
// same mark again changes nothing, a change is claimed once and recorded as an Event on the LogTemplateFeedback.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { CoreV1Api } from '@kubernetes/client-node';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { describeApiError } from '../../shared/kube/api-errors.js';
import { createLogger } from '../../shared/log.js';
import { commentProblem, type FeedbackMark, rolloutProblem, sortMarks, templateProblem } from '../../shared/logs-feedback/feedback.js';
import { clearMark, markTemplate } from '../../shared/logs-feedback/mark.js';
import { LogTemplateFeedbackStore } from '../../shared/logs-feedback/store.js';
import { type Audit, createAudit } from '../../shared/operations/audit.js';
import { printable } from '../../shared/pipelines/summary.js';
import { namespaceArgument, USAGE_ERROR } from '../arguments.js';
import { type Cluster, CommandError, connect, type KubeOptions, whoAmI } from '../pipeline/cluster.js';
import { type Output, streamOutput } from '../pipeline/output.js';

/** What a command line asks for, once its options are checked. */
export type FeedbackAction = { kind: 'list' } | { kind: 'clear'; template: string } | { kind: 'mark'; mark: FeedbackMark; template: string; comment?: string };

interface FeedbackOptions extends KubeOptions {
  rollout: string;
  template?: string;
  notARisk?: boolean;
  raiseRisk?: boolean;
  clear?: boolean;
  list?: boolean;
  comment?: string;
  output: 'text' | 'json';
}

/** A commander argument parser from a shared rule ("field: expected …"), which says the form without the field. */
function parsed(problemOf: (value: string) => string | undefined) {
  return (value: string) => {
    const problem = problemOf(value);
    if (problem) throw new InvalidArgumentError(`${problem.replace(/^\w+: /, '')}.`);
    return value;
  };
}

/** The action the options ask for, or the usage error that says what to write instead. */
export function feedbackAction(options: Omit<FeedbackOptions, 'rollout' | 'output' | keyof KubeOptions>): FeedbackAction | { usage: string } {
  const chosen = (['notARisk', 'raiseRisk', 'clear', 'list'] as const).filter((key) => options[key] === true);
  const flags = { notARisk: '--not-a-risk', raiseRisk: '--raise-risk', clear: '--clear', list: '--list' };
  if (chosen.length !== 1) {
    return { usage: `give exactly one of --not-a-risk, --raise-risk, --clear or --list${chosen.length ? ` (got ${chosen.map((key) => flags[key]).join(' and ')})` : ''}` };
  }
  const [what] = chosen as [keyof typeof flags];
  if (what === 'list') return options.template === undefined && options.comment === undefined ? { kind: 'list' } : { usage: '--list takes neither --template nor --comment' };
  if (options.template === undefined) return { usage: `${flags[what]} needs --template <text>: the template as \`rollouts-cv logs templates\` or the verdict shows it` };
  if (what === 'clear') return options.comment === undefined ? { kind: 'clear', template: options.template } : { usage: '--clear takes no --comment' };
  return { kind: 'mark', mark: what === 'notARisk' ? 'not-a-risk' : 'raise-risk', template: options.template, ...(options.comment !== undefined && { comment: options.comment }) };
}

export function registerLogsFeedback(logs: Command): void {
  logs
    .command('feedback')
    .summary("mark a service's log template not a risk or a risk, clear its mark, or list its marks")
    .description(
      "mark a log template of a service (a Rollout; its namespace is its environment) not a risk (its findings never count against a canary) or a risk (any canary line of it is one), clear the mark, or list the service's marks; written as your Kubernetes user (kubeconfig), with an audit Event. The same mark again changes nothing. Exit 1 when the cluster refuses",
    )
    .requiredOption('--rollout <name>', 'the service: a Rollout in the namespace', parsed(rolloutProblem))
    .option('--template <text>', 'the template, as `rollouts-cv logs templates` or the verdict shows it (one line, at most 500 characters)', parsed(templateProblem))
    .option('--not-a-risk', 'mark the template not a risk')
    .option('--raise-risk', 'mark the template a risk')
    .option('--clear', "remove the template's mark")
    .option('--list', "list the service's marks")
    .option('--comment <text>', 'why, recorded with the mark (one line, at most 500 characters)', parsed(commentProblem))
    .addOption(new Option('-o, --output <format>', 'output format of --list').choices(['text', 'json']).default('text'))
    .option('--kubeconfig <file>', 'kubeconfig (default: KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context (default: the current one)')
    .option('-n, --namespace <namespace>', "the Rollout's namespace (default: the context's, else default)", namespaceArgument)
    .action(async (options: FeedbackOptions, command: Command) => {
      const action = feedbackAction(options);
      if ('usage' in action) command.error(`error: ${action.usage}`, { exitCode: USAGE_ERROR });
      const output = streamOutput(process.stdout, process.stderr);
      try {
        const cluster = connect(options);
        process.exitCode = action.kind === 'list' ? await listMarks(cluster, options.rollout, options.output, output) : await changeMark(cluster, options.rollout, action, output);
      } catch (error) {
        if (!(error instanceof CommandError)) throw error;
        output.err(`rollouts-cv logs feedback: ${error.message}`);
        process.exitCode = 1;
      }
    });
}

/** Marks or clears as the kubeconfig's user; resolves with the exit code (0 changed or already so). Throws CommandError. */
export async function changeMark(cluster: Cluster, rollout: string, action: Exclude<FeedbackAction, { kind: 'list' }>, output: Output, now = new Date()): Promise<number> {
  const user = await whoAmI(cluster);
  const request = {
    store: new LogTemplateFeedbackStore(cluster.objects),
    // The Event is the record; the command's output is its answer, so the audit's own log lines are not printed.
    audit: explained(createAudit({ api: cluster.kc.makeApiClient(CoreV1Api), log: createLogger({ level: 'silent' }), component: 'rollouts-cv-cli', instance: hostname().slice(0, 128) })),
    namespace: cluster.namespace,
    rollout,
    template: action.template,
    user: { id: user, kind: 'Kubernetes user' as const },
    origin: 'Cli' as const,
    key: `cli:${randomUUID()}`,
    now,
  };
  const result = await refusing(() => (action.kind === 'clear' ? clearMark(request) : markTemplate({ ...request, mark: action.mark, comment: action.comment })));
  switch (result.kind) {
    case 'done':
    case 'unchanged':
      output.out(`${result.message[0]!.toUpperCase()}${result.message.slice(1)}`);
      return 0;
    case 'refused':
    case 'failed':
      throw new CommandError(`not changed: ${result.reason}`);
    case 'duplicate':
      throw new CommandError('not changed: this request was handled before');
  }
}

/** Lists the service's marks; resolves with the exit code. Throws CommandError. */
export async function listMarks(cluster: Cluster, rollout: string, format: 'text' | 'json', output: Output): Promise<number> {
  const store = new LogTemplateFeedbackStore(cluster.objects);
  const { valid, ignored } = sortMarks(await refusing(() => store.list(cluster.namespace, rollout)), rollout);
  for (const why of ignored) output.err(`rollouts-cv logs feedback: left out, no valid mark: ${printable(why, 400)}`);
  const marks = valid.map(({ metadata, spec }) => ({ name: metadata.name, template: spec.template, mark: spec.mark, markedBy: spec.markedBy, markedAt: spec.markedAt, ...(spec.comment !== undefined && { comment: spec.comment }) }));
  marks.sort((a, b) => a.template.localeCompare(b.template));
  if (format === 'json') {
    output.out(JSON.stringify(marks, null, 2));
    return 0;
  }
  if (marks.length === 0) {
    output.out(`No marks on the log templates of rollout ${cluster.namespace}/${rollout}.`);
    return 0;
  }
  // The template, of any length, comes last; a comment goes on a line of its own under its mark.
  const rows = [['MARK', 'MARKED BY', 'MARKED AT', 'TEMPLATE'], ...marks.map((m) => [m.mark, printable(m.markedBy), printable(m.markedAt), m.template])];
  const widths = [0, 1, 2].map((column) => Math.max(...rows.map((row) => row[column]!.length)));
  rows.forEach((row, i) => {
    output.out(row.map((cell, column) => (column < 3 ? cell.padEnd(widths[column]!) : cell)).join('   '));
    const comment = i > 0 ? marks[i - 1]!.comment : undefined;
    if (comment !== undefined) output.out(`${' '.repeat(widths[0]! + 3)}# ${printable(comment)}`);
  });
  return 0;
}

/** Failures of the cluster (RBAC, the API server gone) are refusals to print, not crashes. */
async function refusing<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof CommandError) throw error;
    throw new CommandError((error as Error).message, { cause: error });
  }
}

/** The audit, its failures said as what they mean for the change: none made (the claim), or made but not recorded. */
function explained(audit: Audit): Audit {
  const failed = (what: string) => (error: unknown) => {
    throw new CommandError(`${what}: ${describeApiError(error)}`, { cause: error });
  };
  return {
    claim: (key, entry) => audit.claim(key, entry).catch(failed('cannot write the audit Event, so nothing was changed')),
    record: (entry) => audit.record(entry).catch(failed(entry.outcome === 'succeeded' ? 'the change was made, but its audit Event could not be written' : 'nothing was changed, and its audit Event could not be written')),
  };
}
