// One Slack thread per rollout revision (run by the leader). When a Rollout starts a new revision, a head message
// goes to its environment's channel and is updated in place as the revision moves: phase, step, weight, the step
// analysis and its verdict, the abort reason. Actions people take on the rollout are posted in the thread. Where
// the thread is lives in an annotation of the Rollout, so a new leader continues the same thread; anyone who may
// annotate the Rollout can write it too, so it is signed (slack/message-ref.ts) and used only if it verifies.
// A verify gate that fails gets its report's charts in the thread, once: the annotation records the images posted, so
// a new leader does not post them again.
import type { WebClient } from '@slack/web-api';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { isRecord } from '../../shared/kube/json.js';
import { type RolloutSummary, summarizeRollout, weightText } from '../../shared/kube/rollout-status.js';
import { REVISION_ANNOTATION, ROLLOUTS, type ReplicaSet, type Rollout } from '../../shared/kube/rollout-types.js';
import { reportPath } from '../../shared/verdicts/report-path.js';
import { type Backoff, isolated, workOn } from '../backoff.js';
import type { Cluster } from '../cluster/clusters.js';
import { environmentOf } from '../config.js';
import type { BotContext } from '../context.js';
import { type Message, type Place, describePlace, escape } from '../slack/blocks.js';
import { type RecordedRef, type RefSubject, type StoredRef, UNTRUSTED, checkRef, showMessage, tokenOf } from '../slack/message-ref.js';
import { postReportImage } from '../slack/report-image.js';

export const THREAD_ANNOTATION = 'rollouts-cv.io/slack-thread';
const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
/** A Rollout has a few verify gates: a status that claims more failed ones gets no more images than this. */
const MAX_GATE_IMAGES = 20;

/** The annotation's value: where the revision's head message is, what it shows, the bot's signature, and the images posted. */
interface ThreadRef extends RecordedRef {
  revision: string;
  /** Keys of the gate images posted in the thread (gateImagesDue). */
  posted: string[];
}

type StoredThread = StoredRef & { digest?: unknown; posted?: unknown };

/** The thread annotation of the rollout's current revision, as stored (unchecked). */
function storedThread(rollout: Rollout): StoredThread | undefined {
  try {
    const parsed = JSON.parse(rollout.metadata.annotations?.[THREAD_ANNOTATION] ?? '') as unknown;
    return isRecord(parsed) && parsed.revision === rollout.metadata.annotations?.[REVISION_ANNOTATION] ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** What a stored thread annotation (a rollout's or a pipeline run's) says was posted in it; only used once its reference verified. */
export function postedOf(stored: { posted?: unknown } | undefined): string[] {
  return Array.isArray(stored?.posted) ? stored.posted.filter((key): key is string => typeof key === 'string') : [];
}

/** A failed verify gate's report, whose image belongs in the thread. */
export interface GateImage {
  /** What the annotation records once the image was posted: `gate/<step>/<verificationId>`. */
  key: string;
  /** The report link of the gate's status. */
  link: string;
  verdict?: string;
}

/**
 * The reports of the rollout's failed verify gates (a Run entry of the step statuses, Failed, with a verify status and
 * a report link), and which of them are due in the thread: those whose key is not in `postedBefore`. `posted` is what
 * to record once the due ones were posted: the keys of every failed gate the status shows now, so that the record
 * stays as short as the status. A report link must name the gate's own step of this rollout: anyone who may write the
 * Rollout's status could name another namespace's report, whose charts would then show in this thread. Pure.
 */
export function gateImagesDue(rollout: Rollout, postedBefore: readonly string[]): { due: GateImage[]; posted: string[] } {
  const { namespace = '', name } = rollout.metadata;
  const entries = rollout.status?.canary?.stepPluginStatuses;
  const failed = new Map<string, GateImage>();
  for (const entry of Array.isArray(entries) ? entries : []) {
    if (failed.size === MAX_GATE_IMAGES) break;
    if (!isRecord(entry) || entry.operation !== 'Run' || entry.phase !== 'Failed' || !isRecord(entry.status) || entry.status.kind !== 'verify') continue;
    const { index } = entry;
    const { verificationId, report, verdict } = entry.status;
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || typeof verificationId !== 'string' || typeof report !== 'string') continue;
    if (!linksTo(report, reportPath({ kind: 'gate-step', namespace, rollout: name, step: index }))) continue;
    const key = `gate/${index}/${verificationId.slice(0, 64)}`;
    failed.set(key, { key, link: report, ...(typeof verdict === 'string' && { verdict }) });
  }
  const gates = [...failed.values()];
  return { due: gates.filter((gate) => !postedBefore.includes(gate.key)), posted: gates.map((gate) => gate.key) };
}

/** Whether `link`'s path is `path`, under whatever path prefix the engine is served at. */
function linksTo(link: string, path: string): boolean {
  try {
    return new URL(link).pathname.endsWith(path);
  } catch {
    return false;
  }
}

const subjectOf = (cluster: Cluster, rollout: Rollout, revision: string): RefSubject => ({
  kind: 'rollout-thread',
  cluster: cluster.name,
  namespace: rollout.metadata.namespace ?? '',
  name: rollout.metadata.name,
  uid: rollout.metadata.uid ?? '',
  revision,
});

/** The head message of a revision's thread. Pure. */
export function headMessage(summary: RolloutSummary, revision: string, place: Place): Message {
  const icon = summary.phase === 'Healthy' && summary.fullyPromoted ? ':white_check_mark:' : summary.phase === 'Degraded' ? ':x:' : summary.phase === 'Paused' ? ':double_vertical_bar:' : ':arrows_counterclockwise:';
  const parts = [`${icon} *${escape(summary.namespace)}/${escape(summary.name)}* revision ${escape(revision)} — *${summary.phase}*${summary.message ? `: ${escape(summary.message)}` : ''}`];
  const progress = [
    summary.step ? `step ${summary.step.index}/${summary.step.count}` : '',
    summary.setWeight !== undefined ? weightText(summary, '%') : '',
    summary.canaryHash && summary.canaryHash !== summary.stableHash ? `canary \`${summary.canaryHash}\`` : '',
    summary.stableHash ? `stable \`${summary.stableHash}\`` : '',
  ].filter(Boolean);
  if (progress.length) parts.push(progress.join(' · '));
  if (summary.analysisRun) parts.push(`analysis \`${escape(summary.analysisRun.name)}\` ${summary.analysisRun.status}${summary.analysisRun.message ? `: ${escape(summary.analysisRun.message)}` : ''}`);
  const text = parts.join('\n');
  return {
    text: `${summary.namespace}/${summary.name} revision ${revision}: ${summary.phase}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: text.slice(0, 3000) } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: describePlace(place) }] },
    ],
  };
}

export interface ThreadOptions {
  client: WebClient;
  /** Channel for rollouts of an environment that names none. */
  defaultChannel?: string;
  /** The leader's back-off: a rollout whose thread failed waits before it is tried again (a head is not posted each pass). */
  backoff: Backoff;
  /** A Rollout's ReplicaSets, for the actual weight of a canary without traffic routing (without, the head shows the set weight). */
  replicaSetsOf?: (rollout: Rollout) => readonly ReplicaSet[];
}

/**
 * Updates the threads of a cluster's Rollouts (as the pass found them). Each Rollout on its own: one whose thread
 * fails is logged and tried again later (back-off), and the others are worked on.
 */
export async function notifyRollouts(ctx: BotContext, options: ThreadOptions, cluster: Cluster, rollouts: readonly Rollout[]): Promise<void> {
  const { client, defaultChannel, backoff, replicaSetsOf } = options;
  for (const rollout of rollouts) {
    await isolated({ log: ctx.log, backoff, now: ctx.now().getTime() }, workOn('updating the rollout thread', cluster.name, 'Rollout', rollout), () =>
      notifyRollout(ctx, client, cluster, rollout, defaultChannel, replicaSetsOf?.(rollout)),
    );
  }
}

async function notifyRollout(ctx: BotContext, client: WebClient, cluster: Cluster, rollout: Rollout, defaultChannel?: string, replicaSets?: readonly ReplicaSet[]): Promise<void> {
  const namespace = rollout.metadata.namespace ?? '';
  const revision = rollout.metadata.annotations?.[REVISION_ANNOTATION] ?? '';
  // Threads only where an environment lists the namespace: elsewhere the bot is not responsible.
  const environment = environmentOf(ctx.config, cluster.name, namespace);
  const channel = environment?.channel ?? defaultChannel;
  if (!environment || !channel || !revision) return;
  const summary = summarizeRollout(rollout, replicaSets);
  const message = () => headMessage(summary, revision, { cluster: cluster.name, namespace, environment: environment.name });
  const subject = subjectOf(cluster, rollout, revision);
  const stored = storedThread(rollout);
  const check = checkRef(tokenOf(client), subject, stored, channel);
  const trusted = check && 'ref' in check ? check.ref : undefined;
  const object = `Rollout ${namespace}/${rollout.metadata.name}`;
  // A revision already settled when first seen (e.g. when the bot starts) gets no thread: nothing is happening.
  const head = await showMessage(client, ctx.log, { subject, stored, channel, object }, message, !(summary.fullyPromoted && summary.phase === 'Healthy'));
  const thread = head ?? (trusted && { ...trusted, digest: typeof stored?.digest === 'string' ? stored.digest : '', sig: String(stored?.sig) });
  if (!thread) return;

  // A new thread starts with no image posted: a gate that failed before it existed still gets its charts, which the
  // head does not show. Without the engine's address there are no images, and the record is kept as it is.
  const before = trusted ? postedOf(stored) : [];
  const engineUrl = ctx.config.reports?.engineUrl;
  const gates = gateImagesDue(rollout, before);
  const due = engineUrl ? gates.due.map(({ link, verdict }) => ({ engineUrl, link, verdict, channel: thread.channel, threadTs: thread.ts, object })) : [];
  if (!head && !due.length) return;
  // Recorded before the images are posted: an image is an extra, tried once (by one leader), never retried.
  const ref: ThreadRef = { revision, ...thread, posted: engineUrl ? gates.posted : before };
  // metadata only: the controller's generation and the rollout's spec are untouched
  const body = { metadata: { annotations: { [THREAD_ANNOTATION]: JSON.stringify(ref) } } };
  await cluster.objects.patchNamespacedCustomObject({ ...ROLLOUTS, namespace, name: rollout.metadata.name, body }, MERGE_PATCH);
  for (const image of due) await postReportImage(client, ctx.log, image);
}

/**
 * Posts a line in the thread of the rollout's current revision, if it has one (audit of what people did). A
 * failure is logged: the action itself already happened and was recorded as a Kubernetes Event.
 */
export async function postInThread(ctx: BotContext, client: WebClient, cluster: Cluster, namespace: string, name: string, text: string): Promise<void> {
  try {
    const rollout = (await cluster.objects.getNamespacedCustomObject({ ...ROLLOUTS, namespace, name })) as Rollout;
    const environment = environmentOf(ctx.config, cluster.name, namespace);
    const revision = rollout.metadata.annotations?.[REVISION_ANNOTATION];
    if (!environment || !revision) return;
    const check = checkRef(tokenOf(client), subjectOf(cluster, rollout, revision), storedThread(rollout), environment.channel);
    if (!check) return;
    if ('problem' in check) return ctx.log.warn({ object: `Rollout ${namespace}/${name}`, problem: check.problem }, `${UNTRUSTED}; not posting in it`);
    await client.chat.postMessage({ channel: check.ref.channel, thread_ts: check.ref.ts, text });
  } catch (error) {
    ctx.log.warn({ rollout: `${namespace}/${name}`, err: (error as Error).message }, 'cannot post in the rollout thread');
  }
}
