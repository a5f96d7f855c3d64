// What a PipelineRun says about itself, for people: its phase, its stages and steps with their phases, messages,
// outputs and durations, where it stands now, and what changed since an earlier look; with plain-text renderings of
// one run and of a list. Pure functions over the run as the API server returns it (no status yet: the controller
// has not picked it up), so every front (the CLI, the Slack bot's run thread) shows a run the same way.
import { formatDuration } from '../config/duration.js';
import { isRecord, stringAt } from '../kube/json.js';
import { clip } from '../text.js';
import { CANCEL_ANNOTATION, type PipelineRun } from './controller.js';
import { describeTrigger, type PipelineRunSpec } from './run.js';
import type { StepType } from './spec.js';
import { currentSteps, type RunPhase, type StagePhase, type StageRecord, type StepPhase, type StepRecord } from './status.js';

/** Pending: created, and not yet started by the pipelines controller. */
export type RunSummaryPhase = RunPhase | 'Pending';

export interface StepSummary {
  name: string;
  /** What kind of step: gitUpdate, verify, … */
  type?: StepType;
  /** The parallel group it runs in, if any. */
  group?: string;
  phase: StepPhase;
  message?: string;
  outputs: Record<string, string>;
  startedAt?: string;
  finishedAt?: string;
  /** From its start to its end, or to now while it runs. */
  durationMs?: number;
}

export interface StageSummary {
  name: string;
  phase: StagePhase;
  message?: string;
  startedAt?: string;
  finishedAt?: string;
  durationMs?: number;
  steps: StepSummary[];
  rollback: StepSummary[];
}

export interface RunSummary {
  name: string;
  namespace: string;
  pipeline: string;
  triggeredBy?: PipelineRunSpec['triggeredBy'];
  phase: RunSummaryPhase;
  /** The stage under way and the steps being worked on in it (several in a parallel group, rollback steps when rolling back). */
  current?: { stage: string; steps: string[]; rollingBack: boolean };
  /** The run's variables: as the run started with them (defaults filled in), else as it asks for them. */
  variables: Record<string, string>;
  createdAt?: string;
  startedAt?: string;
  finishedAt?: string;
  durationMs?: number;
  message?: string;
  /** Who asked to cancel it (the annotation), while that has not yet taken effect or since. */
  cancelRequestedBy?: string;
  stages: StageSummary[];
}

const RUN_PHASES: readonly RunPhase[] = ['Running', 'Succeeded', 'Failed'];

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
/** The objects of a list (records of stages or steps); anything else in it is left out. */
const list = <T>(value: unknown): T[] => (Array.isArray(value) ? (value.filter(isRecord) as T[]) : []);
const strings = (value: unknown): Record<string, string> =>
  isRecord(value) ? Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string')) : {};

function duration(startedAt: string | undefined, finishedAt: string | undefined, now: Date): number | undefined {
  const start = startedAt ? Date.parse(startedAt) : NaN;
  const end = finishedAt ? Date.parse(finishedAt) : now.getTime();
  return Number.isFinite(start) && Number.isFinite(end) ? Math.max(0, end - start) : undefined;
}

/** Fields present only when set, so that the JSON form stays short. */
function timing(record: { startedAt?: unknown; finishedAt?: unknown }, now: Date) {
  const startedAt = text(record.startedAt);
  const finishedAt = text(record.finishedAt);
  const durationMs = duration(startedAt, finishedAt, now);
  return { ...(startedAt && { startedAt }), ...(finishedAt && { finishedAt }), ...(durationMs !== undefined && { durationMs }) };
}

function stepSummary(record: StepRecord, now: Date): StepSummary {
  const message = text(record.message);
  const group = text(record.group);
  return { name: String(record.name), ...(typeof record.type === 'string' && { type: record.type }), ...(group && { group }), phase: record.phase, ...(message !== undefined && { message }), outputs: strings(record.outputs), ...timing(record, now) };
}

function stageSummary(record: StageRecord, now: Date): StageSummary {
  const message = text(record.message);
  return {
    name: String(record.name),
    phase: record.phase,
    ...(message !== undefined && { message }),
    ...timing(record, now),
    steps: list<StepRecord>(record.steps).map((step) => stepSummary(step, now)),
    rollback: list<StepRecord>(record.rollback).map((step) => stepSummary(step, now)),
  };
}

function triggerOf(spec: unknown): PipelineRunSpec['triggeredBy'] | undefined {
  const kind = stringAt(spec, 'triggeredBy', 'kind');
  const id = stringAt(spec, 'triggeredBy', 'id');
  const name = stringAt(spec, 'triggeredBy', 'name');
  if ((kind !== 'slack' && kind !== 'kubernetes') || !id) return undefined;
  return { kind, id, ...(name && { name }) };
}

/** The run as people follow it; `now` ends the durations of what is still under way. */
export function summariseRun(run: PipelineRun, now: Date): RunSummary {
  // read as the API server returns it: what a well-behaved controller writes, but checked field by field
  const status: Record<string, unknown> | undefined = isRecord(run.status) ? run.status : undefined;
  const stageRecords = list<StageRecord>(status?.stages);
  const stages = stageRecords.map((stage) => stageSummary(stage, now));
  const phase: RunSummaryPhase = RUN_PHASES.find((known) => known === status?.phase) ?? 'Pending';
  const triggeredBy = triggerOf(run.spec);
  const createdAt = text((run.metadata as { creationTimestamp?: unknown }).creationTimestamp);
  const message = text(status?.message);
  const cancelRequestedBy = run.metadata.annotations?.[CANCEL_ANNOTATION];
  const currentName = phase === 'Running' ? text(status?.currentStage) : undefined;
  const currentRecord = stageRecords.find((stage) => stage.name === currentName);
  const rollingBack = currentRecord?.phase === 'RollingBack';
  return {
    name: run.metadata.name,
    namespace: run.metadata.namespace,
    pipeline: stringAt(run.spec, 'pipelineRef', 'name'),
    ...(triggeredBy && { triggeredBy }),
    phase,
    ...(currentRecord && { current: { stage: currentRecord.name, steps: currentSteps(list<StepRecord>(rollingBack ? currentRecord.rollback : currentRecord.steps)).map((step) => step.name), rollingBack } }),
    variables: status && 'variables' in status ? strings(status.variables) : strings(isRecord(run.spec) ? run.spec.variables : undefined),
    ...(createdAt && { createdAt }),
    ...(status && timing(status, now)),
    ...(message !== undefined && { message }),
    ...(cancelRequestedBy && { cancelRequestedBy }),
    stages,
  };
}

/** Whether the run has ended (a cancel or anything else can no longer change it). */
export function hasEnded(summary: RunSummary): boolean {
  return summary.phase === 'Succeeded' || summary.phase === 'Failed';
}

/** Newest first (by creation time, then name), for lists of recent runs. */
export function newestFirst(a: RunSummary, b: RunSummary): number {
  return (b.createdAt ?? '').localeCompare(a.createdAt ?? '') || b.name.localeCompare(a.name);
}

// ---- plain text ----

/** Longest message, output or variable value shown in text (the JSON form has them whole). */
const TEXT_LIMIT = 300;

const NAMED_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * One line of text safe to print on a terminal: newlines, other control characters (which could move the cursor or
 * rewrite what is shown) and bidirectional overrides (which could reorder it) appear as escapes, and long text is cut.
 */
export function printable(value: string, limit = TEXT_LIMIT): string {
  const escaped = value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (ch) => NAMED_ESCAPES[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return clip(escaped, limit);
}

/** Go-style, in whole seconds: "4m2s", "0s". */
export function durationText(ms: number): string {
  return ms < 1000 ? '0s' : formatDuration(Math.floor(ms / 1000) * 1000);
}

/** How long ago, as kubectl's AGE column: "45s", "5m30s", "2h", "3d4h". */
export function ageText(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const [m, h, d] = [Math.floor(s / 60), Math.floor(s / 3600), Math.floor(s / 86_400)];
  if (s < 120) return `${s}s`;
  if (m < 10) return s % 60 ? `${m}m${s % 60}s` : `${m}m`;
  if (h < 3) return `${m}m`;
  if (h < 8) return m % 60 ? `${h}h${m % 60}m` : `${h}h`;
  if (h < 48) return `${h}h`;
  if (d < 8) return h % 24 ? `${d}d${h % 24}h` : `${d}d`;
  return `${d}d`;
}

/** Columns padded to their widest cell; the last column is not padded. */
function table(rows: string[][]): string[] {
  const widths = rows.reduce<number[]>((max, row) => row.map((cell, i) => Math.max(max[i] ?? 0, cell.length)), []);
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd());
}

const outputsText = (outputs: Record<string, string>) =>
  Object.entries(outputs)
    .map(([name, value]) => `${printable(name, 63)}=${printable(value, 100)}`)
    .join(', ');

function whoText(trigger: PipelineRunSpec['triggeredBy'] | undefined): string {
  return trigger ? printable(describeTrigger(trigger)) : 'unknown';
}

function whereText(summary: RunSummary): string | undefined {
  if (!summary.current) return undefined;
  const steps = summary.current.steps.map((step) => printable(step, 63));
  const what = steps.length === 0 ? '' : `, ${summary.current.rollingBack ? 'rolling back: ' : ''}step${steps.length > 1 ? 's' : ''} ${steps.join(', ')}`;
  return `stage ${printable(summary.current.stage, 63)}${what}`;
}

function stepRows(steps: StepSummary[], prefix: string): string[][] {
  return steps.flatMap((step) => {
    const row = [`  ${prefix}${printable(step.name, 63)}`, printable(step.phase, 32), step.durationMs === undefined ? '' : durationText(step.durationMs), step.message === undefined ? '' : printable(step.message)];
    const outputs = outputsText(step.outputs);
    return outputs ? [row, ['', '', '', `outputs: ${outputs}`]] : [row];
  });
}

/** One run in full: its header, then a table of stages and their steps. */
export function renderRun(summary: RunSummary): string {
  const where = whereText(summary);
  const variables = Object.entries(summary.variables).map(([name, value]) => `${printable(name, 63)}=${printable(value, 100)}`);
  const header = [
    ['PipelineRun:', `${summary.namespace}/${printable(summary.name, 253)}`],
    ['Pipeline:', printable(summary.pipeline, 253)],
    ['Phase:', `${summary.phase}${summary.durationMs === undefined ? '' : ` (${durationText(summary.durationMs)})`}`],
    ...(where ? [['Now:', where]] : []),
    ...(summary.message !== undefined ? [['Message:', printable(summary.message)]] : []),
    ['Started by:', whoText(summary.triggeredBy)],
    ...(summary.startedAt ? [['Started:', summary.startedAt]] : summary.createdAt ? [['Created:', summary.createdAt]] : []),
    ...(summary.finishedAt ? [['Finished:', summary.finishedAt]] : []),
    ...(summary.cancelRequestedBy ? [['Cancel:', `requested by ${printable(summary.cancelRequestedBy)}`]] : []),
    ['Variables:', variables.length ? variables.join(', ') : 'none'],
  ];
  const lines = table(header);
  if (summary.phase === 'Pending') lines.push('', 'Waiting for the pipelines controller to start it.');
  if (summary.stages.length > 0) {
    const rows = [['STAGE / STEP', 'PHASE', 'DURATION', 'MESSAGE']];
    for (const stage of summary.stages) {
      rows.push([printable(stage.name, 63), printable(stage.phase, 32), stage.durationMs === undefined ? '' : durationText(stage.durationMs), stage.message === undefined ? '' : printable(stage.message)]);
      rows.push(...stepRows(stage.steps, ''));
      // Rollback steps matter once the stage has started rolling back.
      if (stage.rollback.some((step) => step.phase !== 'Pending')) rows.push(...stepRows(stage.rollback, 'rollback: '));
    }
    lines.push('', ...table(rows));
  }
  return `${lines.join('\n')}\n`;
}

/** Runs as a table: name, pipeline, phase, current stage, who started it, age (against `now`). */
export function renderRunList(summaries: readonly RunSummary[], now: Date): string {
  const rows = [['NAME', 'PIPELINE', 'PHASE', 'STAGE', 'BY', 'AGE']];
  for (const run of summaries) {
    const created = run.createdAt ? Date.parse(run.createdAt) : NaN;
    rows.push([
      printable(run.name, 253),
      printable(run.pipeline, 253),
      run.phase,
      run.current ? printable(run.current.stage, 63) : '',
      run.triggeredBy ? printable(run.triggeredBy.id, 100) : '',
      Number.isFinite(created) ? ageText(now.getTime() - created) : '',
    ]);
  }
  return `${table(rows).join('\n')}\n`;
}

function stepChange(stage: string, before: StepSummary | undefined, after: StepSummary, rollback: boolean): string | undefined {
  const phaseChanged = before?.phase !== after.phase;
  if (!phaseChanged && before?.message === after.message) return undefined;
  if (!before && after.phase === 'Pending') return undefined;
  const finished = after.phase !== 'Pending' && after.phase !== 'Running';
  const took = finished && after.durationMs !== undefined ? ` (${durationText(after.durationMs)})` : '';
  const outputs = finished ? outputsText(after.outputs) : '';
  return `${printable(stage, 63)}/${rollback ? 'rollback/' : ''}${printable(after.name, 63)}: ${printable(after.phase, 32)}${took}${after.message === undefined ? '' : ` - ${printable(after.message)}`}${outputs ? ` [${outputs}]` : ''}`;
}

function stepChanges(stage: string, before: StepSummary[], after: StepSummary[], rollback: boolean): string[] {
  return after.flatMap((step) => stepChange(stage, before.find((s) => s.name === step.name), step, rollback) ?? []);
}

/**
 * What changed from `before` (an earlier look at the same run; undefined for the first) to `after`, one line per
 * change in the order it happened: the run starting, stages and steps changing phase or message, a cancel asked
 * for, the run ending.
 */
export function runChanges(before: RunSummary | undefined, after: RunSummary): string[] {
  const lines: string[] = [];
  if (after.cancelRequestedBy && after.cancelRequestedBy !== before?.cancelRequestedBy) lines.push(`cancel requested by ${printable(after.cancelRequestedBy)}`);
  if (before?.phase !== after.phase && !hasEnded(after)) {
    lines.push(after.phase === 'Pending' ? 'run Pending: waiting for the pipelines controller to start it' : `run ${after.phase}`);
  }
  for (const stage of after.stages) {
    const earlier = before?.stages.find((s) => s.name === stage.name);
    const steps = stepChanges(stage.name, earlier?.steps ?? [], stage.steps, false);
    const rollback = stepChanges(stage.name, earlier?.rollback ?? [], stage.rollback, true);
    const changed = earlier?.phase !== stage.phase && (earlier !== undefined || stage.phase !== 'Pending');
    const took = changed && (stage.phase === 'Succeeded' || stage.phase === 'Failed') && stage.durationMs !== undefined ? ` (${durationText(stage.durationMs)})` : '';
    const stageLine = changed ? [`stage ${printable(stage.name, 63)}: ${printable(stage.phase, 32)}${took}${stage.message === undefined || stage.phase === 'Running' ? '' : ` - ${printable(stage.message)}`}`] : [];
    if (stage.phase === 'Running') lines.push(...stageLine, ...steps, ...rollback);
    else if (stage.phase === 'RollingBack') lines.push(...steps, ...stageLine, ...rollback);
    else lines.push(...steps, ...rollback, ...stageLine);
  }
  if (before?.phase !== after.phase && hasEnded(after)) {
    const took = after.durationMs === undefined ? '' : ` (${durationText(after.durationMs)})`;
    lines.push(`run ${after.phase}${took}${after.message === undefined ? '' : `: ${printable(after.message)}`}`);
  }
  return lines;
}
