// `rollouts-cv bot`: reads the configuration and the Slack secrets from the environment, connects to each
// cluster, and runs the bot until SIGTERM/SIGINT.
import { hostname } from 'node:os';
import type { Logger } from '../shared/log.js';
import { waitForTermination } from '../shared/termination.js';
import { type RunningBot, type SlackSettings, startBot } from './app.js';
import { GroupDirectory } from './auth/groups.js';
import { connectClusters } from './cluster/clusters.js';
import { loadBotConfig } from './config.js';
import type { BotContext } from './context.js';
import { createBotMetrics } from './metrics.js';
import { MeteredWebClient } from './slack/metered-client.js';
import { PacedWebClient } from './slack/paced-client.js';

export interface BotCommandOptions {
  config: string;
  listen: string;
  metricsListen?: string;
  kubeconfig?: string;
  leaseNamespace: string;
  leaseName: string;
  identity?: string;
  defaultChannel?: string;
}

/** The Slack secrets, from the environment (a mounted Secret): never from flags, which show in `ps`. */
export function slackSettingsFromEnv(env: NodeJS.ProcessEnv): SlackSettings {
  const missing: string[] = [];
  if (!env.SLACK_BOT_TOKEN) missing.push('SLACK_BOT_TOKEN (the xoxb- bot token)');
  if (!env.SLACK_APP_TOKEN && !env.SLACK_SIGNING_SECRET) missing.push('SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (the xapp- token, Socket Mode)');
  if (env.SLACK_APP_TOKEN && !env.SLACK_APP_TOKEN.startsWith('xapp-')) missing.push('SLACK_APP_TOKEN must be an app-level token starting with xapp-');
  if (missing.length) throw new Error(`missing or invalid environment: ${missing.join('; ')}`);
  return {
    botToken: env.SLACK_BOT_TOKEN!,
    signingSecret: env.SLACK_SIGNING_SECRET ?? '',
    ...(env.SLACK_APP_TOKEN && { appToken: env.SLACK_APP_TOKEN }),
    ...(env.SLACK_API_URL && { apiUrl: env.SLACK_API_URL }),
  };
}

export function buildContext(options: { configFile: string; kubeconfig?: string; slack: SlackSettings; identity: string; log: Logger }): BotContext {
  const config = loadBotConfig(options.configFile);
  const clusters = connectClusters(config, options.kubeconfig ? { kubeconfig: options.kubeconfig } : {}, { log: options.log, instance: options.identity });
  const metrics = createBotMetrics();
  const client = { ...(options.slack.apiUrl && { slackApiUrl: options.slack.apiUrl }), retryConfig: { retries: 2 }, metrics };
  // Calls made for a person wait out a rate limit: a membership lookup that failed would refuse them (fail
  // closed), and a thread line about their action is posted after they got their answer.
  const patient = new MeteredWebClient(options.slack.botToken, client);
  return {
    config,
    slack: patient,
    // What the leader posts by itself is retried by a later pass, once Slack's Retry-After has passed.
    slackBackground: new PacedWebClient(options.slack.botToken, client),
    clusters,
    groups: new GroupDirectory(patient, config.groupCacheTtl, options.log.child({ component: 'groups' })),
    log: options.log,
    now: () => new Date(),
    metrics,
  };
}

export async function runBot(options: BotCommandOptions, log: Logger): Promise<void> {
  const slack = slackSettingsFromEnv(process.env);
  const identity = options.identity ?? process.env.POD_NAME ?? hostname();
  const ctx = buildContext({ configFile: options.config, kubeconfig: options.kubeconfig, slack, identity, log });
  const bot: RunningBot = await startBot({
    ctx,
    slack,
    listen: options.listen,
    ...(options.metricsListen && { metricsListen: options.metricsListen }),
    lease: { namespace: options.leaseNamespace, name: options.leaseName, identity },
    ...(options.defaultChannel && { defaultChannel: options.defaultChannel }),
  });
  log.info({ signal: await waitForTermination() }, 'shutting down');
  await bot.stop();
}
