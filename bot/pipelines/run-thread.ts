// One Slack thread per PipelineRun (run by the leader), for runs in namespaces an environment of the configuration
// covers: a head message posted when the bot first sees the run before it ended, updated in place as it moves
// (slack/pipeline-blocks.ts), a reply in the thread when a stage ends and one when the run ends — sent to the
// channel too when it failed — and, when the engine's reports are configured, the charts of each verify step that
// ended with a report link (slack/report-image.ts: fetched from the configured engine only). The thread goes to the
// channel a person started the run from in Slack, else to the environment's channel, else to the default one.
//
// Where the thread is, what its head shows and which replies were posted live in the run's thread annotation,
// signed as a rollout thread's is (slack/message-ref.ts), so that a new leader continues the same thread and posts no
// reply twice; a reference the bot did not record, or in another channel, is not used (a new thread is posted). The
// annotation is written after the posts, as the approval publisher records its message after posting it: if that
// write fails, the run backs off and its next attempt posts again what was not recorded. A write that meets the
// pipelines controller's status change since the pass read the run (a conflict) is made again on the newer object,
// unless the thread annotation changed meanwhile.
import type { WebClient } from '@slack/web-api';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { isApiStatus } from '../../shared/kube/api-errors.js';
import { PIPELINE_RUNS, type PipelineRun } from '../../shared/pipelines/controller.js';
import { type RunSummary, hasEnded, summariseRun } from '../../shared/pipelines/summary.js';
import { slackChannelId } from '../../shared/slack-ids.js';
import { type Backoff, isolated, workOn } from '../backoff.js';
import type { Cluster } from '../cluster/clusters.js';
import { managedObjects } from '../cluster/managed.js';
import { SLACK_CHANNEL_ANNOTATION } from '../commands/pipeline.js';
import type { EnvironmentConfig } from '../config.js';
import type { BotContext } from '../context.js';
import { THREAD_ANNOTATION, postedOf } from '../notifications/threads.js';
import type { Message } from '../slack/blocks.js';
import { type RecordedRef, type RefSubject, type StoredRef, checkRef, showMessage, tokenOf } from '../slack/message-ref.js';
import { pipelineRunMessage, runEndMessage, stageEndMessage, stepReport } from '../slack/pipeline-blocks.js';
import { postReportImage } from '../slack/report-image.js';

const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
/** A Pipeline has at most 20 stages: a status that claims more gets no more stage replies than that. */
const MAX_STAGE_REPLIES = 20;
/** A run's thread gets at most this many report images, however many verify steps its status claims. */
const MAX_REPORT_IMAGES = 20;

/** The annotation's value: where the head message is, what it shows, the bot's signature, and the replies posted. */
export interface RunThreadRef extends RecordedRef {
  posted: string[];
}

type StoredThread = StoredRef & { digest?: unknown; posted?: unknown };

export interface RunThreadOptions {
  client: WebClient;
  /** Channel for runs of an environment that names none. */
  defaultChannel?: string;
  /** The leader's back-off: a run whose thread failed waits before it is tried again (a head is not posted each pass). */
  backoff: Backoff;
}

/**
 * Brings the threads of a cluster's PipelineRuns (as the pass found them) in step. Each run on its own: one whose
 * thread fails is logged and tried again later (back-off), and the others are worked on.
 */
export async function threadPipelineRuns(ctx: BotContext, options: RunThreadOptions, cluster: Cluster, runs: readonly PipelineRun[]): Promise<void> {
  for (const { object: run, environment } of managedObjects(ctx, cluster, runs, { field: 'run', message: 'pipeline run in a namespace no environment of the configuration covers: no Slack thread' })) {
    await isolated({ log: ctx.log, backoff: options.backoff, now: ctx.now().getTime() }, workOn('updating the pipeline run thread', cluster.name, 'PipelineRun', run), () =>
      threadRun(ctx, options, cluster, run, environment),
    );
  }
}

/** The thread annotation as stored (unchecked). */
function storedThread(run: PipelineRun): StoredThread | undefined {
  try {
    const parsed = JSON.parse(run.metadata.annotations?.[THREAD_ANNOTATION] ?? '') as unknown;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as StoredThread) : undefined;
  } catch {
    return undefined;
  }
}

/** Where the run's thread goes: the channel a person started it from in Slack, else the environment's, else the default. */
function threadChannel(run: PipelineRun, summary: RunSummary, environment: EnvironmentConfig, defaultChannel: string | undefined): string | undefined {
  const from = run.metadata.annotations?.[SLACK_CHANNEL_ANNOTATION];
  // Only the bot creates Slack-triggered runs (the chart's admission policy), and it names the channel it was asked in.
  if (summary.triggeredBy?.kind === 'slack' && slackChannelId.safeParse(from).success) return from;
  return environment.channel ?? defaultChannel;
}

/** What the run's thread gets once: a reply when a stage ends or the run ends, a verify step's report image when it ends. */
export type Ending = { key: string } & (
  | {
      kind: 'reply';
      message: () => Message;
      /** Shown in the channel too. */
      broadcast: boolean;
    }
  | {
      kind: 'report-image';
      /** The step's report link (stepReport): only its path is used, on the configured engine. */
      link: string;
      /** `<stage>/<step>`, as log lines name it. */
      step: string;
    }
);

/** Everything that has ended in the run so far, in the order it happened: each stage's end, then its report images, then the run's end. */
function endings(summary: RunSummary): Ending[] {
  let images = 0;
  const stages = summary.stages.slice(0, MAX_STAGE_REPLIES).flatMap((stage): Ending[] => {
    const name = stage.name.slice(0, 63);
    const end: Ending[] = stage.phase === 'Succeeded' || stage.phase === 'Failed' ? [{ kind: 'reply', key: `stage/${name}/${stage.phase}`, message: () => stageEndMessage(summary, stage), broadcast: false }] : [];
    const reports = [...stage.steps, ...stage.rollback].flatMap((step): Ending[] => {
      const link = stepReport(step);
      return link ? [{ kind: 'report-image', key: `report/${name}/${step.name.slice(0, 63)}`, link, step: `${stage.name}/${step.name}` }] : [];
    });
    const kept = reports.slice(0, MAX_REPORT_IMAGES - images);
    images += kept.length;
    return [...end, ...kept];
  });
  const run: Ending[] = hasEnded(summary) ? [{ kind: 'reply', key: `run/${summary.phase}`, message: () => runEndMessage(summary), broadcast: summary.phase === 'Failed' }] : [];
  return [...stages, ...run];
}

/**
 * What the thread gets this pass — what has ended and was not posted, in order — and the keys of what is posted once
 * it has. `recorded` is the posted keys of a thread the bot recorded; undefined for a new thread, whose head already
 * shows what ended before it: nothing is due then. Pure.
 */
export function endingsDue(summary: RunSummary, recorded: readonly string[] | undefined): { due: Ending[]; posted: Set<string> } {
  const all = endings(summary);
  const keys = all.map((ending) => ending.key);
  const posted = new Set(recorded ? recorded.filter((key) => keys.includes(key)) : keys);
  return { due: all.filter((ending) => !posted.has(ending.key)), posted };
}

async function threadRun(ctx: BotContext, options: RunThreadOptions, cluster: Cluster, run: PipelineRun, environment: EnvironmentConfig): Promise<void> {
  const { client } = options;
  const { namespace, name } = run.metadata;
  const summary = summariseRun(run, ctx.now());
  const channel = threadChannel(run, summary, environment, options.defaultChannel);
  const subject: RefSubject = { kind: 'pipeline-run-thread', cluster: cluster.name, namespace, name, uid: run.metadata.uid ?? '' };
  const stored = storedThread(run);
  const check = checkRef(tokenOf(client), subject, stored, channel);
  const trusted = check && 'ref' in check ? check.ref : undefined;
  const place = { cluster: cluster.name, environment: environment.name, namespace };
  const message = () => pipelineRunMessage(summary, place);
  // A run that ended before the bot saw it gets no thread: nothing is left to follow.
  const head = await showMessage(client, ctx.log, { subject, stored, channel, object: `PipelineRun ${namespace}/${name}` }, message, !hasEnded(summary));
  const thread = head ?? (trusted && { ...trusted, digest: typeof stored?.digest === 'string' ? stored.digest : '', sig: String(stored?.sig) });
  if (!thread) return;

  const { due, posted } = endingsDue(summary, trusted ? postedOf(stored) : undefined);
  const engineUrl = ctx.config.reports?.engineUrl;
  let failure: unknown;
  for (const ending of due) {
    if (ending.kind === 'report-image') {
      // An image is an extra: a failure is logged and not retried. Without an engine the replies' link is all, and the
      // image still counts as posted, so that an engine configured later does not post those of everything that ended.
      if (engineUrl) await postReportImage(client, ctx.log, { engineUrl, link: ending.link, channel: thread.channel, threadTs: thread.ts, object: `PipelineRun ${namespace}/${name} step ${ending.step}` });
      posted.add(ending.key);
      continue;
    }
    const reply = ending.message();
    try {
      await client.chat.postMessage({ channel: thread.channel, thread_ts: thread.ts, text: reply.text, blocks: reply.blocks, reply_broadcast: ending.broadcast });
    } catch (error) {
      failure = error;
      break;
    }
    posted.add(ending.key);
  }
  // What was posted is recorded even when a later reply failed, so that it is not posted again.
  if (head || due.some((ending) => posted.has(ending.key))) await record(cluster, run, { ...thread, posted: [...posted] });
  if (failure) throw failure;
}

/** Writes the thread annotation, guarded by the resourceVersion the pass read (see the header on a conflict). */
async function record(cluster: Cluster, run: PipelineRun, ref: RunThreadRef): Promise<void> {
  const { namespace, name } = run.metadata;
  // metadata only: the run's spec and status are the pipelines controller's
  const patch = (resourceVersion: string | undefined) =>
    cluster.objects.patchNamespacedCustomObject({ ...PIPELINE_RUNS, namespace, name, body: { metadata: { resourceVersion, annotations: { [THREAD_ANNOTATION]: JSON.stringify(ref) } } } }, MERGE_PATCH);
  try {
    await patch(run.metadata.resourceVersion);
  } catch (error) {
    if (!isApiStatus(error, 409)) throw error;
    const now = (await cluster.objects.getNamespacedCustomObject({ ...PIPELINE_RUNS, namespace, name })) as PipelineRun;
    if (now.metadata.annotations?.[THREAD_ANNOTATION] !== run.metadata.annotations?.[THREAD_ANNOTATION]) {
      throw new Error(`the thread annotation of PipelineRun ${namespace}/${name} changed while this pass posted; not overwritten`, { cause: error });
    }
    await patch(now.metadata.resourceVersion);
  }
}
