// Slack Block Kit messages the bot sends. Pure, and within Slack's limits: section text 3000 characters, button
// text 75, value 2000, at most 50 blocks — kept far smaller, since very large messages fail in practice.
import { createHash } from 'node:crypto';
import type { types } from '@slack/bolt';
import type { ApprovalRequest, EffectivePolicy } from '../../shared/approvals/request.js';
import { allowedActions, statusOf } from '../../shared/approvals/request.js';
import { type FeedbackMark, offeredMark } from '../../shared/logs-feedback/feedback.js';
import { type RolloutSummary, formatSummary, weightText } from '../../shared/kube/rollout-status.js';
import { reportLinkOf } from '../../shared/verdicts/evidence.js';
import { MAX_TEMPLATES } from '../../shared/verdicts/summary.js';
import { clip } from '../../shared/text.js';

type KnownBlock = types.KnownBlock;

const SECTION_TEXT = 3000;
const BUTTON_TEXT = 75;

export interface Message {
  text: string;
  blocks: KnownBlock[];
}

/** A short fingerprint of what a message shows, stored to update it only when that changes. */
export function messageDigest(message: Message): string {
  return createHash('sha256').update(JSON.stringify(message.blocks)).digest('hex').slice(0, 16);
}

/** Slack mrkdwn needs &, < and > escaped in text that is not meant as markup. */
export function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Slack mrkdwn meant as markup (a mention, the bot's own formatting), as opposed to text to be shown as written. */
export class Mrkdwn {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/**
 * mrkdwn`…`: the template's own parts are markup; interpolated strings (names, messages, anything people wrote)
 * are escaped, and interpolated Mrkdwn (a mention) is kept.
 */
export function mrkdwn(parts: TemplateStringsArray, ...values: (string | number | Mrkdwn)[]): Mrkdwn {
  return new Mrkdwn(parts.reduce((text, part, i) => text + part + (i < values.length ? markup(values[i]!) : ''), ''));
}

const markup = (value: string | number | Mrkdwn) => (value instanceof Mrkdwn ? value.text : escape(String(value)));

export const mention = (userId: string) => new Mrkdwn(`<@${userId}>`);

function section(text: string, accessory?: types.Button): KnownBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: clip(text, SECTION_TEXT) }, ...(accessory && { accessory }) };
}

function context(text: string): KnownBlock {
  return { type: 'context', elements: [{ type: 'mrkdwn', text: clip(text, SECTION_TEXT) }] };
}

interface ButtonSpec {
  actionId: string;
  text: string;
  value: string;
  style?: 'primary' | 'danger';
}

function buttons(blockId: string, specs: ButtonSpec[]): KnownBlock {
  return {
    type: 'actions',
    block_id: blockId,
    elements: specs.map((b) => ({
      type: 'button',
      action_id: b.actionId,
      text: { type: 'plain_text', text: clip(b.text, BUTTON_TEXT) },
      value: b.value,
      ...(b.style && { style: b.style }),
    })),
  };
}

/** Where an object lives, in every message: cluster, environment, namespace. */
export interface Place {
  cluster: string;
  environment?: string;
  namespace: string;
}

export function describePlace(place: Place): string {
  return `cluster *${place.cluster}*${place.environment ? ` · environment *${place.environment}*` : ''} · namespace *${place.namespace}*`;
}

/** A message of text shown as written, or of mrkdwn (see mrkdwn``) whose mentions render. */
export function plain(text: string | Mrkdwn, place?: Place): Message {
  const shown = text instanceof Mrkdwn ? text.text : escape(text);
  return { text: clip(String(text), SECTION_TEXT), blocks: [section(shown), ...(place ? [context(describePlace(place))] : [])] };
}

export function rolloutStatus(summary: RolloutSummary, place: Place, verification?: { verdict: string; reasons: string[] }): Message {
  const lines = [`*${escape(summary.namespace)}/${escape(summary.name)}* — *${summary.phase}*${summary.message ? `: ${escape(summary.message)}` : ''}`];
  if (summary.step) lines.push(`step ${summary.step.index}/${summary.step.count}`);
  if (summary.setWeight !== undefined) lines.push(weightText(summary, '%'));
  lines.push(`stable \`${summary.stableHash ?? '-'}\`${summary.canaryHash && summary.canaryHash !== summary.stableHash ? ` · canary \`${summary.canaryHash}\`` : ''}`);
  if (summary.analysisRun) lines.push(`analysis \`${summary.analysisRun.name}\` ${summary.analysisRun.status}${summary.analysisRun.message ? `: ${escape(summary.analysisRun.message)}` : ''}`);
  if (verification) {
    lines.push(`last verification: *${verification.verdict}*`);
    for (const reason of verification.reasons.slice(0, 3)) lines.push(`• ${escape(reason)}`);
  }
  return { text: formatSummary(summary), blocks: [section(lines.join('\n')), context(describePlace(place))] };
}

export function rolloutList(summaries: RolloutSummary[], place: Omit<Place, 'namespace'> & { namespace?: string }): Message {
  const where = `cluster *${place.cluster}*${place.namespace ? ` · namespace *${place.namespace}*` : ' · all namespaces'}`;
  if (summaries.length === 0) return { text: 'No rollouts.', blocks: [section('No rollouts.'), context(where)] };
  const lines = summaries.map((s) => `• ${escape(formatSummary(s))}`);
  // One section holds 3000 characters; a long list is cut with a count rather than split into many blocks.
  const text = lines.join('\n');
  const shown = text.length <= SECTION_TEXT ? text : `${clip(text, SECTION_TEXT - 40)}\n… ${summaries.length} rollouts in all`;
  return { text: `${summaries.length} rollouts`, blocks: [section(shown), context(where)] };
}

/** An ephemeral question before a destructive action; the buttons carry the pending action. */
export function confirmation(question: string, pending: string, place: Place): Message {
  return {
    text: question,
    blocks: [
      section(`:warning: ${question}`),
      context(describePlace(place)),
      buttons('rcv-confirm', [
        { actionId: 'rcv.confirm', text: 'Confirm', value: pending, style: 'danger' },
        { actionId: 'rcv.cancel', text: 'Cancel', value: 'cancel' },
      ]),
    ],
  };
}

const OUTCOME_TEXT: Record<string, { text: string; style?: 'primary' | 'danger' }> = {
  approve: { text: 'Approve', style: 'primary' },
  reject: { text: 'Reject', style: 'danger' },
  promote: { text: 'Promote anyway', style: 'primary' },
  retry: { text: 'Retry' },
  rollback: { text: 'Roll back', style: 'danger' },
  ignore: { text: 'Ignore and go on' },
  abort: { text: 'Abort the release', style: 'danger' },
};

/** The value approval buttons carry: which request, in which cluster. */
export function requestKey(cluster: string, request: ApprovalRequest): string {
  return JSON.stringify({ c: cluster, n: request.metadata.namespace, r: request.metadata.name });
}

export function parseRequestKey(value: string): { cluster: string; namespace: string; name: string } | undefined {
  try {
    const parsed = JSON.parse(value) as { c?: unknown; n?: unknown; r?: unknown };
    if (typeof parsed.c === 'string' && typeof parsed.n === 'string' && typeof parsed.r === 'string') return { cluster: parsed.c, namespace: parsed.n, name: parsed.r };
  } catch {
    // not ours
  }
  return undefined;
}

/** The action a template's button sends, per mark. */
export const TEMPLATE_ACTIONS: Record<FeedbackMark, string> = { 'not-a-risk': 'rcv.template.not-a-risk', 'raise-risk': 'rcv.template.raise-risk' };
const MARK_BUTTON_TEXT: Record<FeedbackMark, string> = { 'not-a-risk': 'Not a risk', 'raise-risk': 'Raise risk' };
// A template is shown cut to this many characters; the mark applies to the whole one the request holds.
const TEMPLATE_SHOWN = 300;

/** The value a template's button carries: which request, in which cluster, and which of its evidence's templates. */
export function templateKey(cluster: string, request: ApprovalRequest, index: number): string {
  return JSON.stringify({ c: cluster, n: request.metadata.namespace, r: request.metadata.name, t: index });
}

export function parseTemplateKey(value: string): { cluster: string; namespace: string; name: string; index: number } | undefined {
  const request = parseRequestKey(value);
  const index: unknown = request && (JSON.parse(value) as { t?: unknown }).t;
  if (!request || typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= MAX_TEMPLATES) return undefined;
  return { ...request, index };
}

/** Text in an inline code span: escaped, with backticks (which would end the span) shown as ˋ. */
export function codeSpan(text: string): Mrkdwn {
  return new Mrkdwn(`\`${escape(text).replaceAll('`', 'ˋ')}\``);
}

/**
 * The logs' top findings of a rollout's verification, each with the button that marks it the other way: people's
 * marks apply to later verifications of the same service in the same namespace.
 */
function templateBlocks(cluster: string, request: ApprovalRequest): KnownBlock[] {
  if (!request.spec.rollout) return [];
  return (request.spec.evidence?.templates ?? []).slice(0, MAX_TEMPLATES).map((note, index) => {
    const mark = offeredMark(note.risk);
    return {
      type: 'section',
      text: { type: 'mrkdwn', text: `${note.risk ? ':warning: log template, a risk' : 'log template, no risk'}: ${codeSpan(clip(note.template, TEMPLATE_SHOWN)).text}` },
      accessory: { type: 'button', action_id: TEMPLATE_ACTIONS[mark], text: { type: 'plain_text', text: MARK_BUTTON_TEXT[mark] }, value: templateKey(cluster, request, index) },
    };
  });
}

/** The action of the link button to a verification's report: Slack sends it too, and the bot only acknowledges it. */
export const REPORT_ACTION = 'rcv.report.open';

/**
 * A link button to the verification's report page, when the evidence has a link people may follow. The request is
 * anyone's to write, so the link is checked again here (reportLinkOf: http(s), no credentials, at most 2048
 * characters, within the 3000 a button's url may have); it goes in the button's url, never in mrkdwn.
 */
function reportButton(request: ApprovalRequest): types.Button | undefined {
  const url = reportLinkOf(request.spec.evidence?.report);
  return url === undefined ? undefined : { type: 'button', action_id: REPORT_ACTION, text: { type: 'plain_text', text: 'Open the report' }, url };
}

/**
 * An approval or intervention request, with buttons while it is pending and its outcome once it ended, under the
 * operator's policy for its environment.
 */
export function approvalRequestMessage(request: ApprovalRequest, place: Place, policy: EffectivePolicy): Message {
  const status = statusOf(request);
  const { spec } = request;
  const { allowSelfApproval, minApprovals: needed, onTimeout } = policy;
  const title = spec.type === 'Approval' ? 'Approval needed' : spec.pipelineRun ? 'A release step failed and needs a decision' : 'Verification needs a decision';
  const lines = [
    spec.rollout
      ? `*${title}*: rollout *${escape(request.metadata.namespace)}/${escape(spec.rollout.name)}*${spec.rollout.revision ? ` revision ${escape(spec.rollout.revision)}` : ''}, step ${spec.stepIndex}, canary \`${escape(spec.rollout.podTemplateHash)}\``
      : `*${title}*: pipeline run *${escape(request.metadata.namespace)}/${escape(spec.pipelineRun.name)}*, stage ${escape(spec.pipelineRun.stage)}, step ${escape(spec.pipelineRun.step)}`,
  ];
  if (spec.message) lines.push(escape(spec.message));
  if (spec.evidence?.verdict) {
    lines.push(`verdict *${escape(spec.evidence.verdict)}*${spec.evidence.score !== undefined && spec.evidence.score !== null ? `, score ${spec.evidence.score}/100` : ''}`);
    for (const reason of (spec.evidence.reasons ?? []).slice(0, 3)) lines.push(`• ${escape(clip(reason, 400))}`);
  }
  const templates = templateBlocks(place.cluster, request);
  if (templates.length && spec.rollout) lines.push(`_A mark on a log template below applies to the later verifications of ${escape(request.metadata.namespace)}/${escape(spec.rollout.name)}._`);
  if (spec.requestedBy) lines.push(`deployed by ${mention(spec.requestedBy)}${allowSelfApproval ? '' : ' (may not approve it)'}`);
  else if (spec.deployerUnknown) lines.push(`deployer unknown: ${escape(spec.deployerUnknown)}`);
  const approvers = [...(spec.policy.approvers?.users ?? []).map(mention), ...(spec.policy.approvers?.groups ?? []).map((g) => `<!subteam^${g}>`)];
  const within = approvers.length ? ` (who also need the approve permission in ${escape(policy.environment)})` : '';
  if (spec.type === 'Approval') lines.push(`${status.approvals}/${needed} approvals${approvers.length ? ` from ${approvers.join(', ')}${within}` : ''}`);
  else if (needed > 1) lines.push(`promoting anyway takes ${needed} people`);
  for (const note of policy.notes) lines.push(`_${escape(note)}_`);
  const decisions = status.decisions.map((d) => `${mention(d.user)} ${d.action}${d.comment ? `: _${escape(d.comment)}_` : ''}`);
  if (decisions.length) lines.push(`decisions: ${decisions.join('; ')}`);

  const blocks: KnownBlock[] = [section(lines.join('\n'), reportButton(request)), ...templates];
  if (status.state === 'Pending') {
    blocks.push(context(`${describePlace(place)} · request \`${request.metadata.name}\` · ${onTimeout} at <!date^${Math.floor(Date.parse(spec.expiresAt) / 1000)}^{date_short_pretty} {time}|${spec.expiresAt}> if nobody decides`));
    const key = requestKey(place.cluster, request);
    blocks.push(
      buttons('rcv-request', [
        ...allowedActions(spec).map((action) => ({ actionId: `rcv.request.${action}`, value: key, ...OUTCOME_TEXT[action]! })),
        { actionId: 'rcv.request.comment', text: 'Decide with a comment…', value: key },
      ]),
    );
  } else {
    const icon = status.outcome === 'approve' || status.outcome === 'promote' || status.outcome === 'ignore' ? ':white_check_mark:' : status.state === 'Cancelled' ? ':heavy_minus_sign:' : ':x:';
    blocks.push(section(`${icon} *${status.state}*${status.outcome ? ` (${status.outcome})` : ''}${status.message ? `: ${escape(status.message)}` : ''}`));
    blocks.push(context(`${describePlace(place)} · request \`${request.metadata.name}\``));
  }
  return { text: `${title}: ${request.metadata.namespace}/${(spec.rollout ?? spec.pipelineRun).name} (${status.state})`, blocks };
}

export const DECISION_VIEW = 'rcv.decide';

/** The modal of "Decide with a comment…": a choice among the request's outcomes and a comment. */
export function decisionModal(request: ApprovalRequest, key: string): types.ModalView {
  return {
    type: 'modal',
    callback_id: DECISION_VIEW,
    private_metadata: key,
    title: { type: 'plain_text', text: 'Decide' },
    submit: { type: 'plain_text', text: 'Record' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      section(`*${escape(request.metadata.namespace)}/${escape((request.spec.rollout ?? request.spec.pipelineRun).name)}*, request \`${escape(request.metadata.name)}\``),
      {
        type: 'input',
        block_id: 'outcome',
        label: { type: 'plain_text', text: 'Decision' },
        element: {
          type: 'radio_buttons',
          action_id: 'value',
          options: allowedActions(request.spec).map((action) => ({ text: { type: 'plain_text', text: OUTCOME_TEXT[action]!.text }, value: action })),
        },
      },
      {
        type: 'input',
        block_id: 'comment',
        label: { type: 'plain_text', text: 'Comment' },
        element: { type: 'plain_text_input', action_id: 'value', multiline: true, max_length: 500 },
      },
    ],
  };
}
