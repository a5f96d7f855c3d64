// The command line's argument parsers and the options several commands share: each parser turns the text a user
// typed into a value, or refuses it with the form it expects (commander prints that and exits with USAGE_ERROR).
import { type Command, InvalidArgumentError, Option } from 'commander';
import { parseGoDuration } from '../shared/config/duration.js';
import { DNS_LABEL, DNS_SUBDOMAIN } from '../shared/kube/names.js';
import { splitHostPort } from '../shared/listen.js';

/** The exit code of a command line that cannot be run as typed. */
export const USAGE_ERROR = 2;

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

export function logLevelOption(): Option {
  return new Option('--log-level <level>', 'minimum log level').choices(LOG_LEVELS).default(process.env.LOG_LEVEL ?? 'info');
}

export function durationArgument(text: string): number {
  const ms = parseGoDuration(text);
  if (ms === null) throw new InvalidArgumentError('expected a duration such as "10s" or "1m30s".');
  return ms;
}

export function wholeSecondsArgument(text: string): number {
  const ms = parseGoDuration(text);
  if (ms === null || ms < 1000 || ms % 1000 !== 0) throw new InvalidArgumentError('expected whole seconds such as "30s" or "1m".');
  return ms / 1000;
}

export function authorArgument(text: string): { name: string; email: string } {
  const match = /^\s*([^<>]+?)\s*<([^<>\s]+@[^<>\s]+)>\s*$/.exec(text);
  if (!match) throw new InvalidArgumentError('expected "Name <email>", e.g. "Release Bot <release@example.com>".');
  return { name: match[1]!, email: match[2]! };
}

export function listenArgument(text: string): string {
  try {
    splitHostPort(text);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
  return text;
}

export function countArgument(text: string): number {
  const count = Number(text);
  if (!/^\d+$/.test(text) || count < 1) throw new InvalidArgumentError('expected a whole number of at least 1.');
  return count;
}

export function portArgument(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65_535) throw new InvalidArgumentError('expected a port number from 0 (any free port) to 65535.');
  return port;
}


/** An http(s) URL without credentials, query or fragment: links go to people, and carry no secrets. */
export function publicUrlArgument(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidArgumentError('expected an http(s) URL such as "https://rollouts-cv.example.com" or "http://localhost:8082".');
  }
  if (!/^https?:$/.test(url.protocol)) throw new InvalidArgumentError('expected an http or https URL.');
  if (url.username || url.password || url.search || url.hash) throw new InvalidArgumentError('the URL may not carry credentials, a query or a fragment: links are shown to everyone who sees the Rollout.');
  return text.replace(/\/+$/, '');
}

/** `a,b,c`: Kubernetes namespace names (DNS labels). */
export function namespacesArgument(text: string): string[] {
  const names = text.split(',').map((name) => name.trim());
  const bad = names.filter((name) => !DNS_LABEL.test(name));
  if (bad.length > 0) throw new InvalidArgumentError(`expected namespace names separated by commas (e.g. "shop,payments"), got ${bad.map((name) => JSON.stringify(name)).join(', ')}.`);
  return names;
}

export function namespaceArgument(text: string): string {
  if (!DNS_LABEL.test(text)) throw new InvalidArgumentError('expected a namespace name (lowercase letters, digits and "-", at most 63 characters), e.g. "releases".');
  return text;
}

/** A Kubernetes object name (DNS subdomain), e.g. of a Pipeline or a PipelineRun. */
export function objectNameArgument(text: string): string {
  if (!DNS_SUBDOMAIN.test(text)) throw new InvalidArgumentError('expected a Kubernetes object name (lowercase letters, digits, "-" and "."), e.g. "loans-api-release".');
  return text;
}

/** The file's verifications and the pods they compare, as `check` and `verify` take them. */
export interface TargetFlags {
  rollout?: string;
  namespace?: string;
  kubeconfig?: string;
  context?: string;
  canaryHash?: string;
  stableHash?: string;
  arg: string[];
  credentialsDir?: string;
}

/** Adds the flags of TargetFlags: the pods from a Rollout or given as hashes, template args, credentials. */
export function withTargetFlags(command: Command, stableAlone: string): Command {
  return withSourceAccessFlags(
    command
      .option('--rollout <name>', 'the canary and stable pods of this Rollout (status.currentPodHash, status.stableRS)')
      .option('-n, --namespace <namespace>', "the Rollout's namespace (default: the kubeconfig context's, else default)")
      .option('--canary-hash <hash>', 'the canary pods, instead of --rollout')
      .option('--stable-hash <hash>', `the stable pods, instead of --rollout; ${stableAlone}`)
      .option('--arg <name=value>', 'a template arg, for {{args.<name>}}; repeatable', (value: string, previous: string[]) => [...previous, value], [] as string[]),
  );
}

/** The cluster a command reads (--kubeconfig, --context) and the credentials its verifications' sources need. */
export function withSourceAccessFlags(command: Command): Command {
  return command
    .option('--kubeconfig <file>', 'kubeconfig (default: KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context (default: the current one)')
    .option('--credentials-dir <dir>', 'folder of credentials the config may name (as the engine mounts them)', process.env.ROLLOUTS_CV_CREDENTIALS_DIR);
}
