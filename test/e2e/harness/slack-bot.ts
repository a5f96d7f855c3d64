// The Slack bot in the test process against an e2e cluster: Slack is played by the local fake (test/fakes/slack),
// every request into the bot is signed as Slack signs it, and the bot leads on a real Lease. Its configuration is
// written into the work folder and its log into the environment's logs (`slack-bot.log`, level E2E_BOT_LOG or
// info). People's commands and clicks go through the signed client; what the bot answered them is read back from
// the fake's journal.
import { createWriteStream, type WriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type RunningBot, startBot } from '../../../bot/app.js';
import { buildContext } from '../../../bot/main.js';
import { createLogger } from '../../../shared/log.js';
import { FakeSlack } from '../../fakes/slack/index.js';
import { type SlackHttpResponse, SlackRequestClient } from '../../helpers/slack-requests.js';
import type { Environment } from './environment.js';
import { waitFor } from './processes.js';

const SIGNING_SECRET = 'e2e-signing-secret';

export interface SlackBotOptions {
  channels: { id: string; name: string }[];
  /** Slack user IDs of the workspace (each named after its ID, lower-cased). */
  users: string[];
  usergroups?: { id: string; handle: string; users: string[] }[];
  /** The bot's configuration file (bot/config.ts), as YAML lines; its cluster is named `e2e`. */
  config: string[];
  /** Where the bot's Lease is. */
  leaseNamespace: string;
  /** Who sends and where, unless a call says otherwise. */
  from: { channelId: string; channelName: string; userId: string };
}

export interface SlackBot {
  fake: FakeSlack;
  bot: RunningBot;
  /** Signed requests into the bot, as `from` unless told otherwise. */
  slack: SlackRequestClient;
  /** `/rollouts <text>` as `userId`. */
  command(text: string, userId?: string): () => Promise<SlackHttpResponse>;
  /** Sends a request; the texts the bot answered through its response_url, in order (the listener finished first). */
  answers(send: () => Promise<SlackHttpResponse>): Promise<string[]>;
  /** The last of those; fails when the bot answered nothing. */
  lastAnswer(send: () => Promise<SlackHttpResponse>): Promise<string>;
  /** The same signed bytes again, as an attacker who captured them would send them. */
  replay(original: SlackHttpResponse): Promise<SlackHttpResponse>;
  stop(): Promise<void>;
}

/** The request options that send as `userId`. */
export const as = (userId: string) => ({ as: { userId, userName: userId.toLowerCase() } });

export async function startSlackBot(env: Environment, options: SlackBotOptions): Promise<SlackBot> {
  const fake = await FakeSlack.start({
    channels: options.channels,
    users: options.users.map((id) => ({ id, name: id.toLowerCase() })),
    usergroups: options.usergroups ?? [],
  });
  let log: WriteStream | undefined;
  let bot: RunningBot | undefined;
  const stop = async () => {
    await bot?.stop();
    await fake.close();
    await new Promise((resolve) => (log ? log.end(resolve) : resolve(undefined)));
  };
  try {
    const configFile = join(env.workdir, 'slack-bot.yaml');
    await writeFile(configFile, [...options.config, ''].join('\n'));
    log = createWriteStream(env.log('slack-bot'), { flags: 'a' });
    const logger = createLogger({ level: process.env.E2E_BOT_LOG ?? 'info', name: 'rollouts-cv-bot' }, log);
    const settings = { botToken: fake.botToken, signingSecret: SIGNING_SECRET, apiUrl: fake.apiUrl, botId: fake.workspace.botId, botUserId: fake.workspace.botUserId };
    const ctx = buildContext({ configFile, kubeconfig: env.kubeconfig, slack: settings, identity: 'bot-e2e-1', log: logger });
    bot = await startBot({
      ctx,
      slack: settings,
      listen: '127.0.0.1:0',
      lease: { namespace: options.leaseNamespace, name: 'rollouts-cv-bot', identity: 'bot-e2e-1', durationMs: 4_000 },
      pollIntervalMs: 500,
      processBeforeResponse: true,
    });
    const { channelId, channelName, userId } = options.from;
    const slack = new SlackRequestClient({ url: `http://${bot.address}/slack/events`, signingSecret: SIGNING_SECRET, issuer: fake, context: { channelId, channelName, userId, userName: userId.toLowerCase() } });
    const running = bot;
    await waitFor('the bot to lead', async () => (running.isLeader() ? true : undefined), 30_000);

    const answers = async (send: () => Promise<SlackHttpResponse>) => {
      const from = fake.journal.entries.length;
      const response = await send();
      if (response.status !== 200) throw new Error(`the bot answered ${response.status}: ${response.body}`);
      return fake.journal.entries
        .slice(from)
        .filter((entry) => entry.method === 'response_url' && entry.status === 200)
        .map((entry) => String(entry.args.text ?? ''));
    };
    return {
      fake,
      bot: running,
      slack,
      command: (text, user = userId) => () => slack.slashCommand({ command: '/rollouts', text }, as(user)),
      answers,
      lastAnswer: async (send) => {
        const texts = await answers(send);
        if (texts.length === 0) throw new Error('the bot answered nothing');
        return texts.at(-1)!;
      },
      replay: (original) => slack.send(original.request.body, { timestamp: Number(original.request.headers['x-slack-request-timestamp']) }),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
