// `rollouts-cv bot`: the Slack bot, until SIGTERM or SIGINT.
import type { Command } from 'commander';
import type { BotCommandOptions } from '../../bot/main.js';
import { createLogger } from '../../shared/log.js';
import { listenArgument, logLevelOption } from '../arguments.js';

type BotOptions = BotCommandOptions & { logLevel: string };

export function registerBot(program: Command): void {
  program
    .command('bot')
    .description('run the Slack bot: /rollouts commands, approval requests, audit (Slack secrets from SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET or SLACK_APP_TOKEN)')
    .requiredOption('--config <file>', 'bot configuration (YAML): clusters, environments, channels, roles', process.env.ROLLOUTS_CV_BOT_CONFIG)
    .option('--listen <address>', 'host:port for Slack requests (HTTP mode) and /healthz, /readyz', listenArgument, '0.0.0.0:3000')
    .option('--metrics-listen <address>', 'host:port serving Prometheus metrics at /metrics, apart from --listen (off when absent), e.g. 0.0.0.0:9091', listenArgument, process.env.ROLLOUTS_CV_METRICS_LISTEN)
    .option('--kubeconfig <file>', 'kubeconfig (default: the in-cluster service account, else KUBECONFIG or ~/.kube/config)')
    .option('--lease-namespace <namespace>', 'namespace of the Lease that elects the replica running background work', process.env.POD_NAMESPACE ?? 'default')
    .option('--lease-name <name>', 'name of that Lease', 'rollouts-cv-bot')
    .option('--identity <name>', "this replica's name in the Lease and in audit Events (default: $POD_NAME or the host name)")
    .option('--default-channel <id>', 'channel for approval requests of environments that name none')
    .addOption(logLevelOption())
    .action(async (options: BotOptions) => {
      const log = createLogger({ level: options.logLevel, name: 'rollouts-cv-bot' });
      const { runBot } = await import('../../bot/main.js');
      await runBot(options, log);
    });
}
