// `/rollouts <command> [arguments]` text to a command. Pure: the channel's defaults and permissions are applied
// by the caller. A rollout is written `name`, `namespace/name` or `cluster:namespace/name`; `-n`/`--namespace`
// and `--cluster` say the same.
import type { Permission } from '../config.js';
import { DNS_LABEL, DNS_SUBDOMAIN } from '../../shared/kube/names.js';

export interface RolloutTarget {
  cluster?: string;
  namespace?: string;
  name: string;
}

export type Command =
  | { name: 'help' }
  | { name: 'list'; cluster?: string; namespace?: string }
  | { name: 'status'; target: RolloutTarget }
  | { name: 'promote'; target: RolloutTarget; full: boolean }
  | { name: 'abort' | 'retry' | 'pause' | 'resume' | 'restart'; target: RolloutTarget }
  | { name: 'undo'; target: RolloutTarget; toRevision?: number }
  | { name: 'deploy'; target: RolloutTarget; images: string[] }
  | { name: 'approve' | 'reject'; request: RolloutTarget; comment?: string }
  | { name: 'pipeline-run'; pipeline: RolloutTarget; variables: Record<string, string> }
  | { name: 'pipeline-status'; run?: RolloutTarget; cluster?: string; namespace?: string }
  | { name: 'pipeline-cancel'; run: RolloutTarget };

export type CommandName = Command['name'];

/** The permission each command needs. */
export const PERMISSION_OF: Record<CommandName, Permission> = {
  help: 'view',
  list: 'view',
  status: 'view',
  promote: 'promote',
  abort: 'abort',
  retry: 'retry',
  pause: 'pause',
  resume: 'resume',
  restart: 'restart',
  undo: 'undo',
  deploy: 'deploy',
  approve: 'approve',
  reject: 'approve',
  // A release deploys, and stopping one aborts it.
  'pipeline-run': 'deploy',
  'pipeline-status': 'view',
  'pipeline-cancel': 'abort',
};

export const USAGE: Record<CommandName, string> = {
  help: 'help',
  list: 'list [namespace] [--cluster <cluster>]',
  status: 'status <rollout>',
  promote: 'promote <rollout> [--full]',
  abort: 'abort <rollout>',
  retry: 'retry <rollout>',
  undo: 'undo <rollout> [--to-revision <n>]',
  pause: 'pause <rollout>',
  resume: 'resume <rollout>',
  restart: 'restart <rollout>',
  deploy: 'deploy <rollout> <container>=<image> [<container>=<image> …]',
  approve: 'approve <request> [comment]',
  reject: 'reject <request> [comment]',
  'pipeline-run': 'pipeline run <pipeline> [<variable>=<value> …]',
  'pipeline-status': 'pipeline status [<run>]',
  'pipeline-cancel': 'pipeline cancel <run>',
};

export class UsageError extends Error {
  override name = 'UsageError';
}

const IMAGE = /^[A-Za-z0-9_.-]+=[^\s=]+$/;
/** A pipeline variable as the Pipeline declares it (shared/pipelines/spec.ts), and its value's limit there. */
const VARIABLE = /^([A-Za-z_][A-Za-z0-9_-]{0,62})=([\s\S]*)$/;
const VARIABLE_VALUE_MAX = 4096;

/** Splits on whitespace, keeping "double-quoted text" (Slack may send typographic quotes) together. */
function words(text: string): string[] {
  const normalised = text.replace(/[“”]/g, '"');
  return [...normalised.matchAll(/"([^"]*)"|(\S+)/g)].map((match) => match[1] ?? match[2]!);
}

interface Options {
  positional: string[];
  flags: Map<string, string | true>;
}

const VALUE_FLAGS = new Set(['--namespace', '--cluster', '--to-revision']);
const BOOLEAN_FLAGS = new Set(['--full']);
const SHORT: Record<string, string> = { '-n': '--namespace' };

function options(args: string[], allowed: readonly string[], command: CommandName): Options {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('-') || arg === '-') {
      positional.push(arg);
      continue;
    }
    const [rawFlag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const flag = SHORT[rawFlag] ?? rawFlag;
    if (!allowed.includes(flag)) throw new UsageError(`\`${command}\` has no option ${rawFlag}. Usage: \`/rollouts ${USAGE[command]}\``);
    if (BOOLEAN_FLAGS.has(flag)) {
      flags.set(flag, true);
    } else if (VALUE_FLAGS.has(flag)) {
      const value = inline ?? args[++i];
      if (value === undefined || value === '') throw new UsageError(`${rawFlag} needs a value. Usage: \`/rollouts ${USAGE[command]}\``);
      flags.set(flag, value);
    }
  }
  return { positional, flags };
}

/** `name`, `namespace/name` or `cluster:namespace/name`, with -n and --cluster filling what is left out. */
function target(text: string | undefined, opts: Options, command: CommandName, what = 'rollout'): RolloutTarget {
  if (!text) throw new UsageError(`\`${command}\` needs a ${what}. Usage: \`/rollouts ${USAGE[command]}\``);
  const match = /^(?:([a-z0-9-]+):)?(?:([^/:]+)\/)?([^/:]+)$/.exec(text);
  if (!match) throw new UsageError(`"${text}" is not a ${what}: expected name, namespace/name or cluster:namespace/name`);
  const [, cluster, namespace, name] = match;
  const flagNamespace = opts.flags.get('--namespace');
  const flagCluster = opts.flags.get('--cluster');
  if (namespace && typeof flagNamespace === 'string' && flagNamespace !== namespace) throw new UsageError(`the namespace is given twice: ${namespace}/ and -n ${flagNamespace}`);
  const result: RolloutTarget = {
    name: name!,
    namespace: namespace ?? (typeof flagNamespace === 'string' ? flagNamespace : undefined),
    cluster: cluster ?? (typeof flagCluster === 'string' ? flagCluster : undefined),
  };
  if (!DNS_SUBDOMAIN.test(result.name)) throw new UsageError(`"${result.name}" is not a valid ${what} name (lowercase letters, digits, "-" and ".")`);
  if (result.namespace && !DNS_LABEL.test(result.namespace)) throw new UsageError(`"${result.namespace}" is not a valid namespace name`);
  return result;
}

function noMore(opts: Options, used: number, command: CommandName): void {
  if (opts.positional.length > used) throw new UsageError(`unexpected "${opts.positional[used]}". Usage: \`/rollouts ${USAGE[command]}\``);
}

/** The first word of every command: `pipeline` for the pipeline commands. */
export const COMMAND_WORDS: ReadonlySet<string> = new Set(Object.values(USAGE).map((usage) => usage.split(' ')[0]!));

/** The word a command's text starts with, as parseCommand reads it (no text is `help`). */
export function commandWord(text: string): string {
  return (words(text.trim())[0] ?? 'help').toLowerCase();
}

export function parseCommand(text: string): Command {
  const [first, ...args] = words(text.trim());
  const name = commandWord(text);
  switch (name) {
    case 'help':
      return { name: 'help' };
    case 'list': {
      const opts = options(args, ['--namespace', '--cluster'], 'list');
      noMore(opts, 1, 'list');
      const namespace = opts.positional[0] ?? opts.flags.get('--namespace');
      const cluster = opts.flags.get('--cluster');
      if (typeof namespace === 'string' && !DNS_LABEL.test(namespace)) throw new UsageError(`"${namespace}" is not a valid namespace name`);
      return { name: 'list', namespace: typeof namespace === 'string' ? namespace : undefined, cluster: typeof cluster === 'string' ? cluster : undefined };
    }
    case 'status':
    case 'abort':
    case 'retry':
    case 'pause':
    case 'resume':
    case 'restart': {
      const opts = options(args, ['--namespace', '--cluster'], name);
      noMore(opts, 1, name);
      return { name, target: target(opts.positional[0], opts, name) };
    }
    case 'promote': {
      const opts = options(args, ['--namespace', '--cluster', '--full'], name);
      noMore(opts, 1, name);
      return { name, target: target(opts.positional[0], opts, name), full: opts.flags.get('--full') === true };
    }
    case 'undo': {
      const opts = options(args, ['--namespace', '--cluster', '--to-revision'], name);
      noMore(opts, 1, name);
      const revision = opts.flags.get('--to-revision');
      if (revision !== undefined && (typeof revision !== 'string' || !/^[1-9]\d{0,8}$/.test(revision))) {
        throw new UsageError(`--to-revision expects a revision number such as 3; got "${String(revision)}"`);
      }
      return { name, target: target(opts.positional[0], opts, name), ...(typeof revision === 'string' && { toRevision: Number(revision) }) };
    }
    case 'deploy': {
      const opts = options(args, ['--namespace', '--cluster'], name);
      const [rollout, ...images] = opts.positional;
      if (images.length === 0) throw new UsageError(`\`deploy\` needs at least one <container>=<image>. Usage: \`/rollouts ${USAGE.deploy}\``);
      const bad = images.find((image) => !IMAGE.test(image));
      if (bad) throw new UsageError(`"${bad}" is not <container>=<image>, e.g. web=registry.example.com/web:1.4.2`);
      return { name, target: target(rollout, opts, name), images };
    }
    case 'approve':
    case 'reject': {
      const opts = options(args.slice(0, 1), [], name);
      const comment = args.slice(1).join(' ').trim();
      return { name, request: target(opts.positional[0], opts, name, 'request'), ...(comment && { comment: comment.slice(0, 500) }) };
    }
    case 'pipeline':
      return parsePipelineCommand(args);
    default:
      throw new UsageError(`unknown command "${first}". Try \`/rollouts help\``);
  }
}

/** `pipeline run|status|cancel …`: a release pipeline and its runs, written as rollouts are. */
function parsePipelineCommand(args: string[]): Command {
  const [verb, ...rest] = args;
  switch (verb?.toLowerCase()) {
    case 'run': {
      const opts = options(rest, ['--namespace', '--cluster'], 'pipeline-run');
      const [pipeline, ...assignments] = opts.positional;
      const variables: Record<string, string> = {};
      for (const assignment of assignments) {
        const match = VARIABLE.exec(assignment);
        if (!match) throw new UsageError(`"${clipText(assignment)}" is not <variable>=<value>, e.g. image=registry.example.com/loans-api:2.4.1`);
        const [, name, value] = match;
        if (Object.hasOwn(variables, name!)) throw new UsageError(`variable ${name} is given twice`);
        if (value!.length > VARIABLE_VALUE_MAX) throw new UsageError(`the value of ${name} is ${value!.length} characters long; at most ${VARIABLE_VALUE_MAX}`);
        variables[name!] = value!;
      }
      return { name: 'pipeline-run', pipeline: target(pipeline, opts, 'pipeline-run', 'pipeline'), variables };
    }
    case 'status': {
      const opts = options(rest, ['--namespace', '--cluster'], 'pipeline-status');
      noMore(opts, 1, 'pipeline-status');
      const run = opts.positional[0];
      if (run) return { name: 'pipeline-status', run: target(run, opts, 'pipeline-status', 'pipeline run') };
      const namespace = opts.flags.get('--namespace');
      const cluster = opts.flags.get('--cluster');
      if (typeof namespace === 'string' && !DNS_LABEL.test(namespace)) throw new UsageError(`"${namespace}" is not a valid namespace name`);
      return { name: 'pipeline-status', ...(typeof namespace === 'string' && { namespace }), ...(typeof cluster === 'string' && { cluster }) };
    }
    case 'cancel': {
      const opts = options(rest, ['--namespace', '--cluster'], 'pipeline-cancel');
      noMore(opts, 1, 'pipeline-cancel');
      return { name: 'pipeline-cancel', run: target(opts.positional[0], opts, 'pipeline-cancel', 'pipeline run') };
    }
    default:
      throw new UsageError(`\`pipeline\` needs run, status or cancel. Usage: \`/rollouts ${USAGE['pipeline-run']}\`, \`/rollouts ${USAGE['pipeline-status']}\` or \`/rollouts ${USAGE['pipeline-cancel']}\``);
  }
}

const clipText = (text: string) => (text.length > 80 ? `${text.slice(0, 80)}…` : text);

/** `cluster:namespace/name`, or as much of it as is known. */
function targetText(target: RolloutTarget): string {
  return `${target.cluster ? `${target.cluster}:` : ''}${target.namespace ? `${target.namespace}/` : ''}${target.name}`;
}

/** The text of a command that acts on a rollout, which parseCommand reads back as the same command. */
export function formatCommand(command: Extract<Command, { target: RolloutTarget }>): string {
  const target = targetText(command.target);
  switch (command.name) {
    case 'promote':
      return `promote ${target}${command.full ? ' --full' : ''}`;
    case 'undo':
      return `undo ${target}${command.toRevision ? ` --to-revision ${command.toRevision}` : ''}`;
    case 'deploy':
      return `deploy ${target} ${command.images.join(' ')}`;
    default:
      return `${command.name} ${target}`;
  }
}

export function helpText(): string {
  const lines = (Object.keys(USAGE) as CommandName[]).map((command) => `• \`/rollouts ${USAGE[command]}\``);
  return [
    '*rollouts-cv* — Argo Rollouts from Slack.',
    ...lines,
    'A rollout is `name`, `namespace/name` or `cluster:namespace/name` (or `-n <namespace>`, `--cluster <cluster>`); the channel may set defaults.',
  ].join('\n');
}
