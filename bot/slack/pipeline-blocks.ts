// The Slack messages of a PipelineRun's thread: the head message, updated in place as the run moves — its pipeline,
// who started it and when, its variables, its phase, each stage with its steps, the messages of the steps under way
// or failed (a verify step's message is its evidence), and the outputs people follow (commit, AnalysisRun, report,
// ApprovalRequest, issue) — and the replies when a stage or the run ends, a stage's with its verifications' reports.
// Pure. Everything read from the cluster is escaped and cut, so no status, name or message can mention anyone or
// format the message; and a head that would not pass Slack's limits (3000 characters a section, 50 blocks, and the
// ~13,000 characters of blocks beyond which Slack refuses a message) shows finished stages as one line each, then
// only the steps under way, then fewer stages.
import type { types } from '@slack/bolt';
import { describeTrigger } from '../../shared/pipelines/run.js';
import { type RunSummary, type StageSummary, type StepSummary, durationText } from '../../shared/pipelines/summary.js';
import { slackUserId } from '../../shared/slack-ids.js';
import { reportLinkOf } from '../../shared/verdicts/evidence.js';
import { type Message, type Place, describePlace, escape, mention } from './blocks.js';

type KnownBlock = types.KnownBlock;

const SECTION_TEXT = 3000;
const MAX_BLOCKS = 50;
/** Slack refuses messages whose blocks are much over 13,000 characters of JSON: the head stays well below. */
const BLOCKS_BUDGET = 12_000;
const NAME_MAX = 63;
const PHASE_MAX = 32;
const MESSAGE_MAX = 300;
const VALUE_MAX = 100;
const VARIABLES_MAX = 1000;
/** How a step's line is set in under its stage's. */
const INDENT = '\u2003';

/**
 * Text from the cluster as one line of mrkdwn: whitespace folded, `&`, `<` and `>` escaped (no mention, link or
 * command can be written), and at most `limit` characters once escaped, ending in "…" when cut.
 */
export function shown(value: unknown, limit: number): string {
  const raw = String(value);
  // Only the beginning of a long text can be shown: the rest is neither folded nor escaped.
  const read = limit * 8;
  const flat = raw.slice(0, read).replace(/\s+/g, ' ').trim();
  const whole = escape(flat);
  if (whole.length <= limit && raw.length <= read) return whole;
  let cut = '';
  for (const ch of flat) {
    const piece = ch === '&' || ch === '<' || ch === '>' ? escape(ch) : ch;
    if (cut.length + piece.length > limit - 1) break;
    cut += piece;
  }
  return `${cut}…`;
}

/** Text from the cluster as inline code, which a backtick in it cannot end early. */
const code = (value: unknown, limit: number) => `\`${shown(String(value).replace(/`/g, "'"), limit)}\``;

const ICONS = new Map([
  ['Pending', ':white_circle:'],
  ['Running', ':arrows_counterclockwise:'],
  ['Succeeded', ':white_check_mark:'],
  ['Failed', ':x:'],
  ['Intervening', ':raising_hand:'],
  ['Ignored', ':heavy_minus_sign:'],
  ['RollingBack', ':rewind:'],
]);
const icon = (phase: unknown) => ICONS.get(String(phase)) ?? ':grey_question:';
const phaseText = (phase: unknown) => shown(phase, PHASE_MAX);

/** Characters that would end a Slack link early, or let it write another. */
const ENDS_LINK = /[\s|<>]/;

/** An http(s) address that can stand in a Slack link (no `|`, `<`, `>` or whitespace in it), escaped; else undefined. */
function linkTarget(url: string | undefined): string | undefined {
  if (!url || url.length > 1000) return undefined;
  let href: string;
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return undefined;
    href = parsed.href;
  } catch {
    return undefined;
  }
  return ENDS_LINK.test(href) ? undefined : escape(href);
}

const ended = (phase: string) => phase === 'Succeeded' || phase === 'Failed';

/**
 * The report page of a verify step that ended with one (its `report` output), when people may be sent there: an
 * absolute http(s) link without credentials, at most 2048 characters (reportLinkOf), that can stand in a Slack link.
 */
export function stepReport(step: StepSummary): string | undefined {
  if (step.type !== 'verify' || !ended(step.phase)) return undefined;
  const link = reportLinkOf(step.outputs.report);
  return link && !ENDS_LINK.test(link) ? link : undefined;
}

const reportLink = (link: string) => `<${escape(link)}|report>`;

/** The outputs people follow, as code or links: the commit, the AnalysisRun and its report, the ApprovalRequest, the issue. */
function outputsShown(step: StepSummary): string[] {
  const { outputs } = step;
  const shownOutputs: string[] = [];
  if (outputs.commit) shownOutputs.push(`commit ${code(outputs.commit.slice(0, 12), 12)}`);
  if (outputs.analysisRun) shownOutputs.push(`AnalysisRun ${code(outputs.analysisRun, NAME_MAX * 2)}`);
  const report = stepReport(step);
  if (report) shownOutputs.push(reportLink(report));
  if (outputs.request) shownOutputs.push(`ApprovalRequest ${code(outputs.request, NAME_MAX * 2)}`);
  if (outputs.key) {
    const href = linkTarget(outputs.url);
    shownOutputs.push(`issue ${href ? `<${href}|${shown(outputs.key, VALUE_MAX)}>` : code(outputs.key, VALUE_MAX)}`);
  }
  return shownOutputs;
}

/** Steps whose message is shown: under way, failed, or waiting for people. */
const TOLD = new Set(['Running', 'Failed', 'Intervening']);
/** Steps left out first when a stage has too many to show: done, or not started. */
const QUIET = new Set(['Succeeded', 'Pending']);

function stepLine(step: StepSummary): string {
  const said = TOLD.has(step.phase) && step.message ? `: ${shown(step.message, MESSAGE_MAX)}` : '';
  const line = `${icon(step.phase)} ${shown(step.name, NAME_MAX)}${step.type ? ` ${code(step.type, PHASE_MAX)}` : ''} ${phaseText(step.phase)}${said}`;
  return `${INDENT}${[line, ...outputsShown(step)].join(' · ')}`;
}

const took = (phase: string, durationMs: number | undefined) => (ended(phase) && durationMs !== undefined ? ` (${durationText(durationMs)})` : '');
const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

function stageHead(stage: StageSummary): string {
  const why = (stage.phase === 'Failed' || stage.phase === 'RollingBack') && stage.message ? `: ${shown(stage.message, MESSAGE_MAX)}` : '';
  return `${icon(stage.phase)} *${shown(stage.name, NAME_MAX)}* ${phaseText(stage.phase)}${took(stage.phase, stage.durationMs)}${why}`;
}

/** full: every step; active: the steps that are neither done nor pending, and how many others; line: the stage alone. */
type Detail = 'full' | 'active' | 'line';

/** A stage as mrkdwn, at most one section's worth; step lines are made only while they fit. */
function stageText(stage: StageSummary, detail: Detail): string {
  const head = stageHead(stage);
  if (detail === 'line') {
    const outputs = [...new Set(stage.steps.flatMap((step) => outputsShown(step)))].slice(0, 4);
    return [`${head} · ${count(stage.steps.length, 'step')}`, ...outputs].join(' · ');
  }
  // Rollback steps matter once the stage has started rolling back.
  const rollingBack = stage.rollback.some((step) => step.phase !== 'Pending');
  const entries = [...stage.steps.map((step) => ({ step, rollback: false })), ...(rollingBack ? stage.rollback.map((step) => ({ step, rollback: true })) : [])];
  const kept = detail === 'full' ? entries : entries.filter(({ step }) => !QUIET.has(step.phase));
  const firstBack = kept.findIndex(({ rollback }) => rollback);
  // room for the line that says how many steps are not shown
  const room = SECTION_TEXT - (detail === 'full' ? 0 : 80);
  let text = head;
  let lines = 0;
  for (const [i, { step }] of kept.entries()) {
    const line = `${i === firstBack ? `\n${INDENT}_rolling back:_` : ''}\n${stepLine(step)}`;
    if (text.length + line.length > room) break;
    text += line;
    lines++;
  }
  if (lines < kept.length && detail === 'full') return stageText(stage, 'active');
  const left = entries.length - lines;
  if (left === 0) return text;
  return `${text}\n${INDENT}… ${count(left, 'more step')}${lines === kept.length ? ', done or not started' : ' not shown'}`;
}

const section = (text: string): KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text } });

/** Texts of at most a section each, as sections: one each while they fit in a message's blocks, else packed. */
function sections(texts: readonly string[], room: number): KnownBlock[] {
  if (texts.length <= room) return texts.map(section);
  const packed: string[] = [];
  for (const text of texts) {
    const last = packed.at(-1);
    if (last !== undefined && last.length + 1 + text.length <= SECTION_TEXT) packed[packed.length - 1] = `${last}\n${text}`;
    else packed.push(text);
  }
  return packed.map(section);
}

const fits = (blocks: readonly KnownBlock[]) => blocks.length <= MAX_BLOCKS && JSON.stringify(blocks).length <= BLOCKS_BUDGET;

function variablesText(variables: Record<string, string>): string {
  const entries = Object.entries(variables).map(([name, value]) => `${shown(name, NAME_MAX)}=${code(value, VALUE_MAX)}`);
  let text = '';
  let used = 0;
  for (const entry of entries) {
    if (text.length + 2 + entry.length > VARIABLES_MAX) break;
    text = text ? `${text}, ${entry}` : entry;
    used++;
  }
  return used < entries.length ? `${text}${text ? ', ' : ''}… ${entries.length - used} more` : text;
}

function startedBy(trigger: RunSummary['triggeredBy']): string {
  if (!trigger) return 'someone unknown (the run names no trigger)';
  // Only the bot creates Slack-triggered runs (the chart's admission policy): its ID is a person to mention.
  if (trigger.kind === 'slack' && slackUserId.safeParse(trigger.id).success) return mention(trigger.id).text;
  return shown(describeTrigger(trigger), 300);
}

/** A time from the cluster as Slack shows dates in the reader's time zone, with the ISO form as the fallback. */
function at(iso: string | undefined): string {
  const ms = iso === undefined ? NaN : Date.parse(iso);
  return Number.isFinite(ms) ? ` <!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${new Date(ms).toISOString()}>` : '';
}

function headText(summary: RunSummary): string {
  const lines = [
    `${icon(summary.phase)} Pipeline *${shown(summary.pipeline || '(unnamed)', NAME_MAX * 2)}* · run *${shown(summary.name, NAME_MAX * 2)}* — *${phaseText(summary.phase)}*${took(summary.phase, summary.durationMs)}`,
    `started by ${startedBy(summary.triggeredBy)}${at(summary.startedAt ?? summary.createdAt)}`,
  ];
  const variables = variablesText(summary.variables);
  if (variables) lines.push(`variables: ${variables}`);
  if (summary.phase === 'Pending') lines.push('_waiting for the pipelines controller to start it_');
  if (summary.message !== undefined) lines.push(shown(summary.message, MESSAGE_MAX * 2));
  if (summary.cancelRequestedBy) lines.push(`_cancel requested by ${shown(summary.cancelRequestedBy, NAME_MAX * 2)}_`);
  return lines.join('\n');
}

const underWay = (stage: StageSummary) => stage.phase === 'Running' || stage.phase === 'RollingBack';

/** How much of each stage the head shows, from most to least: the first whose message fits is used. */
const PLANS: ((stage: StageSummary) => Detail)[] = [
  () => 'full',
  (stage) => (stage.phase === 'Succeeded' ? 'line' : 'full'),
  (stage) => (underWay(stage) ? 'full' : 'line'),
  (stage) => (underWay(stage) ? 'active' : 'line'),
];

/** The head message of a run's thread. */
export function pipelineRunMessage(summary: RunSummary, place: Place): Message {
  const where = `${summary.namespace}/${summary.name}`;
  const text = `Pipeline ${shown(summary.pipeline || '(unnamed)', NAME_MAX * 2)} run ${shown(where, NAME_MAX * 4)}: ${phaseText(summary.phase)}`;
  const head = section(headText(summary));
  const foot: KnownBlock = { type: 'context', elements: [{ type: 'mrkdwn', text: `${describePlace(place)} · PipelineRun ${code(summary.name, NAME_MAX * 4)}` }] };
  const room = MAX_BLOCKS - 2;
  let texts: string[] = [];
  for (const plan of PLANS) {
    texts = summary.stages.map((stage) => stageText(stage, plan(stage)));
    const blocks = [head, ...sections(texts, room), foot];
    if (fits(blocks)) return { text, blocks };
  }
  // Still too large (a status of very many stages): the stages that fit, and how many more there are.
  const budget = BLOCKS_BUDGET - JSON.stringify([head, foot]).length - 500;
  const kept: string[] = [];
  let used = 0;
  for (const stageLine of texts) {
    const cost = JSON.stringify(stageLine).length;
    if (used + cost > budget) break;
    kept.push(stageLine);
    used += cost;
  }
  return { text, blocks: [head, ...sections([...kept, `… ${count(texts.length - kept.length, 'more stage')} not shown`], 0), foot] };
}

const ENDED = new Map([
  ['Succeeded', 'succeeded'],
  ['Failed', 'failed'],
]);

function reply(line: string): Message {
  return { text: line, blocks: [section(line)] };
}

/** The reply when a stage ended (Succeeded or Failed), with its message and the reports of its verify steps that fit. */
export function stageEndMessage(summary: RunSummary, stage: StageSummary): Message {
  const why = stage.message ? `: ${shown(stage.message, 1000)}` : '';
  let text = `${icon(stage.phase)} Stage *${shown(stage.name, NAME_MAX)}* of run *${shown(summary.name, NAME_MAX * 2)}* ${ENDED.get(stage.phase) ?? phaseText(stage.phase)}${took(stage.phase, stage.durationMs)}${why}`;
  for (const step of [...stage.steps, ...stage.rollback]) {
    const report = stepReport(step);
    // A link cannot be cut: one that does not fit in the section is left out.
    const line = report && `\n${INDENT}:bar_chart: ${shown(step.name, NAME_MAX)}: ${reportLink(report)}`;
    if (line && text.length + line.length <= SECTION_TEXT) text += line;
  }
  return reply(text);
}

/** The reply when the run ended, with its message. */
export function runEndMessage(summary: RunSummary): Message {
  const why = summary.message ? `: ${shown(summary.message, 1000)}` : '';
  return reply(
    `${icon(summary.phase)} Run *${shown(summary.name, NAME_MAX * 2)}* of pipeline *${shown(summary.pipeline || '(unnamed)', NAME_MAX * 2)}* ${ENDED.get(summary.phase) ?? phaseText(summary.phase)}${took(summary.phase, summary.durationMs)}${why}`,
  );
}
