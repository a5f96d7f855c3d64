#!/usr/bin/env node
// rollouts-cv: one command, one subcommand per process kind. Each subcommand loads its modules when it runs, so
// `rollouts-cv judge` starts without the gRPC server or the demo.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { pino } from 'pino';
import { parseGoDuration } from './config/duration.js';
import { DEFAULT_QUEUE_LIMITS } from '../plugin/collect/request-queue.js';
import { DEFAULT_LISTEN_ADDRESS, DEFAULT_SHUTDOWN_GRACE_MS } from '../plugin/server/defaults.js';
import { splitHostPort } from './listen.js';
import { createLogger } from './log.js';
import { packageVersion } from './package-files.js';
import { waitForTermination } from './termination.js';

const USAGE_ERROR = 2;
const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

function durationArgument(text: string): number {
  const ms = parseGoDuration(text);
  if (ms === null) throw new InvalidArgumentError('expected a duration such as "10s" or "1m30s".');
  return ms;
}

function wholeSecondsArgument(text: string): number {
  const ms = parseGoDuration(text);
  if (ms === null || ms < 1000 || ms % 1000 !== 0) throw new InvalidArgumentError('expected whole seconds such as "30s" or "1m".');
  return ms / 1000;
}

function authorArgument(text: string): { name: string; email: string } {
  const match = /^\s*([^<>]+?)\s*<([^<>\s]+@[^<>\s]+)>\s*$/.exec(text);
  if (!match) throw new InvalidArgumentError('expected "Name <email>", e.g. "Release Bot <release@example.com>".');
  return { name: match[1]!, email: match[2]! };
}

function listenArgument(text: string): string {
  try {
    splitHostPort(text);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
  return text;
}

function countArgument(text: string): number {
  const count = Number(text);
  if (!/^\d+$/.test(text) || count < 1) throw new InvalidArgumentError('expected a whole number of at least 1.');
  return count;
}

function portArgument(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65_535) throw new InvalidArgumentError('expected a port number from 0 (any free port) to 65535.');
  return port;
}

/** `a,b,c`: Kubernetes namespace names (DNS labels). */
function namespacesArgument(text: string): string[] {
  const names = text.split(',').map((name) => name.trim());
  const bad = names.filter((name) => !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name));
  if (bad.length > 0) throw new InvalidArgumentError(`expected namespace names separated by commas (e.g. "shop,payments"), got ${bad.map((name) => JSON.stringify(name)).join(', ')}.`);
  return names;
}

function buildProgram(): Command {
  const program = new Command('rollouts-cv')
    .description('Continuous Verification for Argo Rollouts')
    .version(packageVersion())
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');

  program
    .command('engine')
    .description('serve the engine the rollouts-cv bridge calls over gRPC (with grpc.health.v1)')
    .option('--listen <address>', 'host:port to listen on', listenArgument, DEFAULT_LISTEN_ADDRESS)
    .option('--tls-cert <file>', 'PEM server certificate (serves TLS; needs --tls-key)')
    .option('--tls-key <file>', 'PEM private key of --tls-cert')
    .option('--tls-client-ca <file>', 'PEM CA that client certificates must chain to (mutual TLS)')
    .option('--metrics-listen <address>', 'host:port serving Prometheus metrics at /metrics (off when absent), e.g. 0.0.0.0:8080', process.env.ROLLOUTS_CV_METRICS_LISTEN)
    .option('--credentials-dir <dir>', 'folder of mounted credential Secrets that configs may name', process.env.ROLLOUTS_CV_CREDENTIALS_DIR)
    .option('--auth-token-file <file>', 'file holding the token every call but health checks must carry (authorization: Bearer); the bridge sends it with --engine-token-file')
    .option('--approval-namespaces <list>', 'the only namespaces approval gates may create ApprovalRequests in, separated by commas (default: all but kube-system, kube-public and kube-node-lease)', namespacesArgument)
    .addOption(new Option('--log-level <level>', 'minimum log level').choices(LOG_LEVELS).default(process.env.LOG_LEVEL ?? 'info'))
    .option('--shutdown-grace <duration>', 'time in-flight calls get to finish on SIGTERM/SIGINT', durationArgument, DEFAULT_SHUTDOWN_GRACE_MS)
    .option('--source-concurrency <n>', 'queries in flight at once to each metrics source (e.g. one Prometheus)', countArgument, DEFAULT_QUEUE_LIMITS.concurrency)
    .option('--source-queue <n>', 'queries waiting for their turn, over all sources; beyond it a look is retried later', countArgument, DEFAULT_QUEUE_LIMITS.maxPending)
    .action(async (options: { listen: string; tlsCert?: string; tlsKey?: string; tlsClientCa?: string; credentialsDir?: string; metricsListen?: string; authTokenFile?: string; approvalNamespaces?: string[]; logLevel: string; shutdownGrace: number; sourceConcurrency: number; sourceQueue: number }, command: Command) => {
      if ((options.tlsCert === undefined) !== (options.tlsKey === undefined)) command.error('error: --tls-cert and --tls-key go together', { exitCode: USAGE_ERROR });
      if (options.tlsClientCa !== undefined && options.tlsCert === undefined) command.error('error: --tls-client-ca needs --tls-cert and --tls-key', { exitCode: USAGE_ERROR });
      const log = createLogger({ level: options.logLevel, name: 'rollouts-cv-engine' });
      const { startEngine } = await import('../plugin/server/engine.js');
      const engine = await startEngine({
        listen: options.listen,
        tls: options.tlsCert && options.tlsKey ? { certFile: options.tlsCert, keyFile: options.tlsKey, clientCaFile: options.tlsClientCa } : undefined,
        shutdownGraceMs: options.shutdownGrace,
        credentialsDir: options.credentialsDir,
        metricsListen: options.metricsListen,
        authTokenFile: options.authTokenFile,
        approvalNamespaces: options.approvalNamespaces,
        sourceLimits: { concurrency: options.sourceConcurrency, maxPending: options.sourceQueue },
        log,
      });
      log.info({ signal: await waitForTermination() }, 'shutting down');
      await engine.stop();
    });

  program
    .command('bot')
    .description('run the Slack bot: /rollouts commands, approval requests, audit (Slack secrets from SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET or SLACK_APP_TOKEN)')
    .requiredOption('--config <file>', 'bot configuration (YAML): clusters, environments, channels, roles', process.env.ROLLOUTS_CV_BOT_CONFIG)
    .option('--listen <address>', 'host:port for Slack requests (HTTP mode) and /healthz, /readyz', listenArgument, '0.0.0.0:3000')
    .option('--kubeconfig <file>', 'kubeconfig (default: the in-cluster service account, else KUBECONFIG or ~/.kube/config)')
    .option('--lease-namespace <namespace>', 'namespace of the Lease that elects the replica running background work', process.env.POD_NAMESPACE ?? 'default')
    .option('--lease-name <name>', 'name of that Lease', 'rollouts-cv-bot')
    .option('--identity <name>', "this replica's name in the Lease and in audit Events (default: $POD_NAME or the host name)")
    .option('--default-channel <id>', 'channel for approval requests of environments that name none')
    .addOption(new Option('--log-level <level>', 'minimum log level').choices(LOG_LEVELS).default(process.env.LOG_LEVEL ?? 'info'))
    .action(async (options: { config: string; listen: string; kubeconfig?: string; leaseNamespace: string; leaseName: string; identity?: string; defaultChannel?: string; logLevel: string }) => {
      const log = createLogger({ level: options.logLevel, name: 'rollouts-cv-bot' });
      const { runBot } = await import('../bot/main.js');
      await runBot(options, log);
    });

  program
    .command('pipelines')
    .description('run the pipelines controller: carries PipelineRuns (release pipelines across environments) through their stages; no Slack')
    .option('--listen <address>', 'host:port for /healthz and /readyz', listenArgument, '0.0.0.0:8081')
    .option('--kubeconfig <file>', 'kubeconfig (default: the in-cluster service account, else KUBECONFIG or ~/.kube/config)')
    .option('--lease-namespace <namespace>', 'namespace of the Lease that elects the replica doing the work', process.env.POD_NAMESPACE ?? 'default')
    .option('--lease-name <name>', 'name of that Lease', 'rollouts-cv-pipelines')
    .option('--identity <name>', "this replica's name in the Lease (default: $POD_NAME or the host name)")
    .option('--commit-author <author>', 'author of release-repository commits, as "Name <email>"', authorArgument, { name: 'rollouts-cv', email: 'rollouts-cv@localhost' })
    .addOption(new Option('--log-level <level>', 'minimum log level').choices(LOG_LEVELS).default(process.env.LOG_LEVEL ?? 'info'))
    .action(async (options: { listen: string; kubeconfig?: string; leaseNamespace: string; leaseName: string; identity?: string; commitAuthor: { name: string; email: string }; logLevel: string }) => {
      const log = createLogger({ level: options.logLevel, name: 'rollouts-cv-pipelines' });
      const { hostname } = await import('node:os');
      const { loadKubeConfig } = await import('./kube/client.js');
      const { startPipelinesController } = await import('./pipelines/service.js');
      const controller = await startPipelinesController({
        kubeConfig: loadKubeConfig(options.kubeconfig ? { kubeconfig: options.kubeconfig } : {}),
        lease: { namespace: options.leaseNamespace, name: options.leaseName, identity: options.identity ?? process.env.POD_NAME ?? hostname() },
        listen: options.listen,
        author: options.commitAuthor,
        log,
      });
      log.info({ signal: await waitForTermination() }, 'shutting down');
      await controller.stop();
    });

  program
    .command('sandbox')
    .description('run a local Prometheus scraping the synthetic app; prints their URLs as one JSON line; stops on SIGTERM, SIGINT or end of stdin')
    .option('--prometheus-port <port>', 'Prometheus port (0: any free port)', portArgument, 0)
    .option('--app-port <port>', 'synthetic app port (0: any free port)', portArgument, 0)
    .option('--scrape-interval <duration>', "how often Prometheus scrapes the app, in whole seconds (e.g. 30s)", wholeSecondsArgument, 1)
    .action(async (options: { prometheusPort: number; appPort: number; scrapeInterval: number }) => {
      const log = createLogger({ name: 'rollouts-cv-sandbox' }, pino.destination(2));
      const { startSandbox } = await import('../plugin/demo/sandbox.js');
      const sandbox = await startSandbox({ prometheusPort: options.prometheusPort, appPort: options.appPort, scrapeIntervalSeconds: options.scrapeInterval });
      process.stdout.write(`${JSON.stringify({ prometheus: sandbox.prometheus, app: sandbox.app })}\n`);
      log.info({ prometheus: sandbox.prometheus, app: sandbox.app }, 'sandbox running');
      log.info({ reason: await waitForTermination({ stdinEof: true }) }, 'stopping sandbox');
      await sandbox.stop();
    });

  program
    .command('demo')
    .description('verify a healthy and a regressed canary through the bridge, the engine and a local Prometheus')
    .option('--json', 'end the output with one JSON line of verdicts and phases')
    .action(async (options: { json?: boolean }) => {
      const { runDemo } = await import('../plugin/demo/demo.js');
      process.exitCode = await runDemo({ json: options.json === true });
    });

  program
    .command('judge')
    .description('judge a verification offline: a JSON input (config, window, series) in, one JSON verdict line out; see docs/judge.md')
    .option('--input <file>', 'read the input from this file instead of stdin')
    .option('--jsonl', 'one input per line, one output line per input, in order; invalid lines answer {"error": ...} and exit 2 at the end')
    .action(async (options: { input?: string; jsonl?: boolean }) => {
      const { runJudgeCommand } = await import('../plugin/offline/run.js');
      process.exitCode = await runJudgeCommand({
        inputFile: options.input,
        jsonl: options.jsonl === true,
        stdin: process.stdin,
        stdout: process.stdout,
        stderr: process.stderr,
      });
    });

  program
    .command('check')
    .description('run every query of a verification for the canary and stable pods over a recent window and say, per metric, whether there is enough data to judge; exit 1 when some metric could not be judged')
    .argument('<file>', 'YAML or JSON: an AnalysisTemplate, a Rollout with verify gate steps, or a gate or verify config')
    .option('--rollout <name>', 'read the canary and stable pod-template hashes from this Rollout (status.currentPodHash, status.stableRS)')
    .option('-n, --namespace <namespace>', "the Rollout's namespace (default: the kubeconfig context's, else default)")
    .option('--kubeconfig <file>', 'kubeconfig (default: KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context (default: the current one)')
    .option('--canary-hash <hash>', 'the canary pods, instead of --rollout')
    .option('--stable-hash <hash>', 'the stable pods, instead of --rollout; alone, only they are checked')
    .option('--arg <name=value>', 'a template arg, for {{args.<name>}}; repeatable', (value: string, previous: string[]) => [...previous, value], [] as string[])
    .option('--window <duration>', 'how far back to look', durationArgument, 600_000)
    .option('--credentials-dir <dir>', 'folder of credentials the config may name (as the engine mounts them)', process.env.ROLLOUTS_CV_CREDENTIALS_DIR)
    .option('--json', 'print one JSON object instead of the report')
    .action(async (file: string, options: { rollout?: string; namespace?: string; kubeconfig?: string; context?: string; canaryHash?: string; stableHash?: string; arg: string[]; window: number; credentialsDir?: string; json?: boolean }) => {
      const { runCheckCommand } = await import('../plugin/check/command.js');
      process.exitCode = await runCheckCommand({ ...options, file, args: options.arg, windowMs: options.window, json: options.json === true }, process.stdout, process.stderr);
    });

  program
    .command('deployed-by')
    .description('print the rollouts-cv.io/deployed-by annotation value naming <user> (a Slack user ID) as the deployer of a manifest\'s pod template, for pipelines (see docs/slack.md)')
    .argument('<user>', 'Slack user ID, e.g. U0123ABCD')
    .option('--file <manifest>', 'the Rollout or Deployment (YAML or JSON) about to be applied; default: stdin')
    .action(async (user: string, options: { file?: string }) => {
      const { readFile } = await import('node:fs/promises');
      const { text } = await import('node:stream/consumers');
      const { deployedByForManifest } = await import('./approvals/deployed-by-command.js');
      const manifest = options.file ? await readFile(options.file, 'utf8') : await text(process.stdin);
      process.stdout.write(`${deployedByForManifest(user, manifest, options.file ?? 'stdin')}\n`);
    });

  return program;
}

async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are successful exits; every other parse problem is a usage error (already printed).
      process.exit(error.exitCode === 0 ? 0 : USAGE_ERROR);
    }
    process.stderr.write(`rollouts-cv: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}

await main(process.argv);
