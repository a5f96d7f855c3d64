// The Slack bot's own Prometheus metrics: slash commands and the actions people take, Slack Web API calls that
// failed or were rate limited, and whether this replica leads. Each bot has its own registry, so several bots in one
// process (tests) never mix counts. Every label value comes from a fixed set: what people type, or what a forged
// payload carries, is never one, so it cannot make new series.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { registerBuildInfo } from '../shared/metrics-http.js';
import { COMMAND_WORDS, commandWord } from './commands/parse.js';

/** usage: the text is not a command as written; error: the bot could not carry it out. */
export type CommandOutcome = 'ok' | 'refused' | 'usage' | 'error';
/** refused: not authorised (nothing was done); duplicate: the same request was handled before. */
export type ActionOutcome = 'done' | 'refused' | 'duplicate' | 'failed';

/** What people do, by the names the operations layer records them under. */
const ACTIONS = [
  'approve', 'reject', 'promote', 'rollback', 'retry', 'ignore', 'abort', 'pause', 'resume', 'restart', 'undo', 'deploy',
  'pipeline-run', 'pipeline-cancel', 'mark-not-a-risk', 'mark-raise-risk',
] as const;
export type ActionName = (typeof ACTIONS)[number];
const ACTION_NAMES: ReadonlySet<string> = new Set(ACTIONS);

/** A Web API method name (chat.postMessage) and an error code as Slack writes them (channel_not_found, http_503). */
const SLACK_METHOD = /^[a-z]+(\.[A-Za-z]+){1,3}$/;
const SLACK_ERROR = /^[a-z0-9_]{1,64}$/;
const OTHER = 'other';

export interface BotMetrics {
  registry: Registry;
  /** A slash command, counted under its first word: `other` when that names no command. */
  command(text: string, outcome: CommandOutcome): void;
  /** An action whose outcome is final; `other` for a name the bot does not offer. */
  action(action: ActionName, outcome: ActionOutcome): void;
  /** A Web API call that failed: Slack's error code, `http_<status>`, or `request` (Slack not reached). */
  slackApiError(method: string, error: string): void;
  /** Slack answered 429. */
  slackRateLimited(method: string): void;
  /** This replica started or stopped leading. */
  leading(leads: boolean): void;
}

export function createBotMetrics(): BotMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  registerBuildInfo(registry, 'Slack bot');
  const commands = new Counter({
    name: 'rollouts_cv_bot_commands_total',
    help: 'Slash commands received, by command (its first word; other when it names none) and outcome (ok, refused, usage, error).',
    labelNames: ['command', 'outcome'],
    registers: [registry],
  });
  const actions = new Counter({
    name: 'rollouts_cv_bot_actions_total',
    help: 'Actions people took with buttons and commands, by action and outcome (done, refused, duplicate, failed).',
    labelNames: ['action', 'outcome'],
    registers: [registry],
  });
  const apiErrors = new Counter({
    name: 'rollouts_cv_bot_slack_api_errors_total',
    help: "Slack Web API calls that failed, by method and error (Slack's error code, http_<status>, or request when Slack was not reached); rate limits are counted apart.",
    labelNames: ['method', 'error'],
    registers: [registry],
  });
  const rateLimited = new Counter({
    name: 'rollouts_cv_bot_slack_rate_limited_total',
    help: 'Slack Web API calls Slack answered with 429 (rate limited), by method.',
    labelNames: ['method'],
    registers: [registry],
  });
  const leader = new Gauge({ name: 'rollouts_cv_bot_leader', help: '1 while this replica holds the Lease and does the background work, else 0.', registers: [registry] });
  leader.set(0);

  const bounded = (value: string, allowed: (value: string) => boolean) => (allowed(value) ? value : OTHER);
  return {
    registry,
    command: (text, outcome) => quietly(() => commands.inc({ command: bounded(commandWord(text), (word) => COMMAND_WORDS.has(word)), outcome })),
    action: (action, outcome) => quietly(() => actions.inc({ action: bounded(action, (name) => ACTION_NAMES.has(name)), outcome })),
    slackApiError: (method, error) => quietly(() => apiErrors.inc({ method: bounded(method, (m) => SLACK_METHOD.test(m)), error: bounded(error, (e) => SLACK_ERROR.test(e)) })),
    slackRateLimited: (method) => quietly(() => rateLimited.inc({ method: bounded(method, (m) => SLACK_METHOD.test(m)) })),
    leading: (leads) => quietly(() => leader.set(leads ? 1 : 0)),
  };
}

/** Counting never fails what it counts. */
function quietly(count: () => void): void {
  try {
    count();
  } catch {
    // a count lost, never an answer
  }
}

/** Runs an action and counts its outcome once: what it resolves to, or `failed` when it throws (rethrown). */
export function countAction(metrics: BotMetrics | undefined, action: ActionName, work: () => Promise<ActionOutcome>): Promise<ActionOutcome> {
  return counted((outcome: ActionOutcome) => metrics?.action(action, outcome), 'failed', work);
}

/** Runs a slash command and counts its outcome once: what it resolves to, or `error` when it throws (rethrown). */
export function countCommand(metrics: BotMetrics | undefined, text: string, work: () => Promise<CommandOutcome>): Promise<CommandOutcome> {
  return counted((outcome: CommandOutcome) => metrics?.command(text, outcome), 'error', work);
}

async function counted<T>(count: (outcome: T) => void, thrown: T, work: () => Promise<T>): Promise<T> {
  let outcome: T;
  try {
    outcome = await work();
  } catch (error) {
    count(thrown);
    throw error;
  }
  count(outcome);
  return outcome;
}

/** What a command that acts counts as, given its action's outcome. */
export function commandOutcome(action: ActionOutcome): CommandOutcome {
  switch (action) {
    case 'done':
    case 'duplicate':
      return 'ok';
    case 'refused':
      return 'refused';
    case 'failed':
      return 'error';
  }
}
