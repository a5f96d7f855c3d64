// `/rollouts pipeline run|status|cancel`: the Slack front of release pipelines. The bot only starts, shows and stops
// runs; the pipelines controller carries them. Starting needs `deploy` and cancelling `abort` in the environment of
// the run's namespace and in every environment the Pipeline's stages name (a Pipeline can only make this stricter:
// the operator's configuration maps namespaces to environments). Runs are created by the bot itself, naming the
// person as their trigger: only the bot may create runs for Slack users (the chart's admission policy), so this is
// not impersonated. Each command acts once (its trigger id names the run and keys the audit), and is recorded.
import { createHash } from 'node:crypto';
import type { PipelineRun } from '../../shared/pipelines/controller.js';
import { PIPELINE_RUNS } from '../../shared/pipelines/controller.js';
import { newestFirst, renderRun, renderRunList, summariseRun } from '../../shared/pipelines/summary.js';
import type { PipelineSpec } from '../../shared/pipelines/spec.js';
import { cancelRun, PipelineRunRefused, readPipeline, readRun, startRun } from '../../shared/operations/pipeline-runs.js';
import { failureReason, perform } from '../../shared/operations/perform.js';
import { permits } from '../auth/roles.js';
import type { Cluster } from '../cluster/clusters.js';
import { type BotContext, type Reply, actorOf, answered } from '../context.js';
import { type ActionOutcome, type CommandOutcome, commandOutcome, countAction } from '../metrics.js';
import { Mrkdwn, type Place, escape, mention, mrkdwn, plain } from '../slack/blocks.js';
import { type Command, PERMISSION_OF } from './parse.js';
import { place, roleRefusal } from './where.js';

type PipelineCommand<N extends string> = Extract<Command, { name: N }>;
/** Where a command acts (where.ts). */
type Located = ReturnType<typeof place>;

/** Annotation naming the channel a run was started from: its thread goes there. */
export const SLACK_CHANNEL_ANNOTATION = 'rollouts-cv.io/slack-channel';
/** Slack caps a code block's section like any text; the head of a long rendering is shown. */
const RENDER_MAX = 2800;

interface Invocation {
  userId: string;
  channelId: string;
  triggerId: string;
}

/** Text from the cluster in a code block: escaped, and unable to close the block early. */
const codeBlock = (text: string) => '```' + escape(text.length > RENDER_MAX ? `${text.slice(0, RENDER_MAX)}\n…` : text).replace(/```/g, "'''") + '```';

/** The environments the Pipeline's stages name that the operator's configuration knows, beyond the namespace's. */
async function stageRefusal(ctx: BotContext, userId: string, command: Command, pipeline: PipelineSpec, where: Place): Promise<string | undefined> {
  const actor = await actorOf(ctx, userId);
  const permission = PERMISSION_OF[command.name];
  const named = new Set(pipeline.stages.map((stage) => stage.environment).filter((name): name is string => name !== undefined && name !== where.environment));
  for (const environment of named) {
    if (!ctx.config.environments.some((e) => e.name === environment)) continue;
    if (!permits(ctx.config, actor, permission, environment)) {
      ctx.log.warn({ audit: true, user: userId, command: command.name, permission, ...where, stageEnvironment: environment, outcome: 'refused' }, 'not authorised');
      return `You are not allowed to ${permission} in environment ${environment}, which a stage of this pipeline deploys to. Nothing was changed.`;
    }
  }
  return undefined;
}

const runTarget = (namespace: string, name: string) => ({ apiVersion: `${PIPELINE_RUNS.group}/${PIPELINE_RUNS.version}`, kind: PIPELINE_RUNS.kind, name, namespace });

/** `<pipeline>-<8 hex of the trigger id>`: a replayed command finds the run it started. */
function runName(pipeline: string, triggerId: string): string {
  return `${pipeline.slice(0, 50).replace(/[-.]+$/, '')}-${createHash('sha256').update(triggerId).digest('hex').slice(0, 8)}`;
}

export async function runPipeline(ctx: BotContext, command: PipelineCommand<'pipeline-run'>, invocation: Invocation, reply: Reply): Promise<CommandOutcome> {
  const at = place(ctx, command.pipeline, invocation.channelId);
  return commandOutcome(await countAction(ctx.metrics, 'pipeline-run', () => startPipelineRun(ctx, command, invocation, at, reply)));
}

async function startPipelineRun(ctx: BotContext, command: PipelineCommand<'pipeline-run'>, invocation: Invocation, at: Located, reply: Reply): Promise<ActionOutcome> {
  const { cluster, namespace, place: where } = at;
  const refused = await roleRefusal(ctx, invocation.userId, command, where);
  if (refused) return answered(reply(plain(refused), 'ephemeral'), 'refused');
  const pipelineName = command.pipeline.name;
  const name = runName(pipelineName, invocation.triggerId);
  const result = await perform({
    authorise: async () => stageRefusal(ctx, invocation.userId, command, await readPipeline(cluster.objects, namespace, pipelineName), where),
    key: `command:${invocation.triggerId}`,
    entry: { target: runTarget(namespace, name), user: { id: invocation.userId }, action: 'pipeline-run', reason: 'SlackPipelineRun', message: `start a run of pipeline ${namespace}/${pipelineName}` },
    audit: cluster.audit,
    act: async () => {
      const started = await startRun(cluster.objects, {
        namespace,
        pipeline: pipelineName,
        variables: command.variables,
        triggeredBy: { kind: 'slack', id: invocation.userId },
        name,
        annotations: { [SLACK_CHANNEL_ANNOTATION]: invocation.channelId },
      });
      return `${started.created ? 'started' : 'had already started'} run ${namespace}/${started.run.metadata.name} of pipeline ${pipelineName}`;
    },
  }).catch((error: unknown) => {
    // Reading the Pipeline for the check: what is wrong with it is the answer.
    if (error instanceof PipelineRunRefused) return { kind: 'refused' as const, reason: error.message };
    throw error;
  });
  return answer(result, reply, where, invocation.userId, 'Not started');
}

export async function cancelPipelineRun(ctx: BotContext, command: PipelineCommand<'pipeline-cancel'>, invocation: Invocation, reply: Reply): Promise<CommandOutcome> {
  const at = place(ctx, command.run, invocation.channelId);
  return commandOutcome(await countAction(ctx.metrics, 'pipeline-cancel', () => cancelRunOnce(ctx, command, invocation, at, reply)));
}

async function cancelRunOnce(ctx: BotContext, command: PipelineCommand<'pipeline-cancel'>, invocation: Invocation, at: Located, reply: Reply): Promise<ActionOutcome> {
  const { cluster, namespace, place: where } = at;
  const refused = await roleRefusal(ctx, invocation.userId, command, where);
  if (refused) return answered(reply(plain(refused), 'ephemeral'), 'refused');
  const { name } = command.run;
  const result = await perform({
    authorise: async () => {
      const run = await readRun(cluster.objects, namespace, name);
      const spec = run.status && 'pipeline' in run.status ? run.status.pipeline.spec : undefined;
      return spec ? stageRefusal(ctx, invocation.userId, command, spec, where) : undefined;
    },
    key: `command:${invocation.triggerId}`,
    entry: { target: runTarget(namespace, name), user: { id: invocation.userId }, action: 'pipeline-cancel', reason: 'SlackPipelineCancel', message: `cancel pipeline run ${namespace}/${name}` },
    audit: cluster.audit,
    act: async () => {
      const cancel = await cancelRun(cluster.objects, namespace, name, `Slack user ${invocation.userId}`);
      if (cancel.kind === 'ended') throw new PipelineRunRefused(`pipeline run ${namespace}/${name} has already ended (${cancel.run.status?.phase})`);
      if (cancel.kind === 'already') return `pipeline run ${namespace}/${name}: cancel was already asked by ${cancel.by}`;
      return `asked pipeline run ${namespace}/${name} to stop before its next step`;
    },
  }).catch((error: unknown) => {
    if (error instanceof PipelineRunRefused) return { kind: 'refused' as const, reason: error.message };
    throw error;
  });
  return answer(result, reply, where, invocation.userId, 'Not cancelled');
}

/** Tells the person the result; resolves to its outcome. */
async function answer(result: Awaited<ReturnType<typeof perform>>, reply: Reply, where: Place, userId: string, not: string): Promise<ActionOutcome> {
  switch (result.kind) {
    case 'refused':
      return answered(reply(plain(`${not}: ${result.reason}`, where), 'ephemeral'), result.kind);
    case 'duplicate':
      return answered(reply(plain('Already done: this request was handled before, so nothing more was changed.'), 'ephemeral'), result.kind);
    case 'failed':
      return answered(reply(plain(`${not}: ${result.reason}`, where), 'ephemeral'), result.kind);
    case 'done':
      return answered(reply(plain(mrkdwn`${mention(userId)}: ${result.message}`, where), 'in_channel'), result.kind);
  }
}

/** One run, in the channel; or the namespace's recent runs, to the person. */
export async function pipelineStatus(ctx: BotContext, command: PipelineCommand<'pipeline-status'>, invocation: Invocation, reply: Reply): Promise<CommandOutcome> {
  const { cluster, namespace, place: where } = place(ctx, command.run ?? { cluster: command.cluster, namespace: command.namespace }, invocation.channelId);
  const refused = await roleRefusal(ctx, invocation.userId, command, where);
  if (refused) return answered(reply(plain(refused), 'ephemeral'), 'refused');
  const now = ctx.now();
  try {
    if (command.run) {
      const run = await readRun(cluster.objects, namespace, command.run.name);
      return answered(reply(plain(new Mrkdwn(codeBlock(renderRun(summariseRun(run, now)))), where), 'in_channel'), 'ok');
    }
    const runs = (await listRuns(cluster, namespace)).map((run) => summariseRun(run, now)).sort(newestFirst).slice(0, 15);
    if (runs.length === 0) return answered(reply(plain(`No pipeline runs in namespace ${namespace}.`, where), 'ephemeral'), 'ok');
    return answered(reply(plain(new Mrkdwn(codeBlock(renderRunList(runs, now))), where), 'ephemeral'), 'ok');
  } catch (error) {
    return answered(reply(plain(`Cannot show pipeline runs: ${failureReason(error)}`, where), 'ephemeral'), 'error');
  }
}

async function listRuns(cluster: Cluster, namespace: string): Promise<PipelineRun[]> {
  return ((await cluster.objects.listNamespacedCustomObject({ ...PIPELINE_RUNS, namespace })) as { items: PipelineRun[] }).items;
}
