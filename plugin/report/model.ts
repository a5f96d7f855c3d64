// A verification report: everything a person needs to see why a verdict was given, as plain data. Built from one
// look's result and the data it judged; the HTML page, the Slack image and the CLI's JSON all render this.
import { stringify } from 'yaml';
import { formatDuration } from '../../shared/config/duration.js';
import type { VerdictSummary } from '../../shared/verdicts/summary.js';
import type { MetricConfig, VerifyConfig } from '../config/schema.js';
import { CONFIDENCE } from '../judge/sensitivity.js';
import type { Classification, JudgeResult, LogsJudgement, MetricJudgement, MetricInput, Sensitivity } from '../judge/types.js';
import { verdictSentence } from '../verify/measurement.js';
import type { VerificationWindow } from '../verify/window.js';
import { groupSeries, type GroupSeries } from './series.js';

/** A horizontal line on a metric's chart, in the metric's own unit (a rate for a ratio). */
export interface Limit {
  label: string;
  value: number;
  kind: 'marginal' | 'fail' | 'fail-fast' | 'ignore-below';
}

export interface ReportMetric {
  judgement: MetricJudgement;
  /** How this kind is tested, in a sentence. */
  test: string;
  canary: GroupSeries;
  baseline: GroupSeries;
  limits: Limit[];
}

export interface ReportLink {
  label: string;
  href: string;
}

export interface Report {
  /** What was verified, e.g. "AnalysisRun shop/web-7f5c9-2, metric verify". */
  subject: string;
  verificationId?: string;
  generatedAt: string;
  window: { start: string; end: string };
  /** The part of the window judged (all of it once closed; up to the last look while open). */
  judged: { start: string; end: string };
  groups: { canary: string; baseline: string };
  final: boolean;
  verdict: JudgeResult['verdict'];
  phase: JudgeResult['phase'];
  score: number | null;
  /** The verdict in a sentence, as the Measurement's message gives it. */
  sentence: string;
  sensitivity: Sensitivity;
  sensitivityMeaning: string;
  metrics: ReportMetric[];
  logs?: LogsJudgement;
  /** What the verification recorded when it decided (its Measurement), when known: the report recomputes. */
  recorded?: { phase?: string; message?: string; summary?: VerdictSummary };
  /** Things a reader must know: the data is partial or gone, the recomputed verdict differs from the recorded one. */
  notes: string[];
  /** The config as written, in YAML. */
  config: string;
  links: ReportLink[];
  /** Commands that show the objects behind the report (the Rollout, the AnalysisRun). */
  commands: string[];
}

export interface ReportInput {
  subject: string;
  verificationId?: string;
  config: VerifyConfig;
  /** The config as it was written (an AnalysisTemplate's plugin entry, a gate's `verify`); the parsed one otherwise. */
  rawConfig?: unknown;
  window: VerificationWindow;
  judged: VerificationWindow;
  result: JudgeResult;
  inputs: MetricInput[];
  recorded?: Report['recorded'];
  links?: ReportLink[];
  commands?: string[];
  now: Date;
}

const MEANING: Record<Sensitivity, string> = {
  high: 'the smallest changes count, and a Medium Healthy verdict (a marginal change) fails the verification',
  medium: 'the smallest changes count; a marginal change gives Medium Healthy, which passes',
  low: 'only larger changes count; a marginal change gives Medium Healthy, which passes',
};

const RATIO_TEST = "the canary's events against what its requests would give at the baseline's rate: a negative binomial test allowing for how much pods differ";
const LEVEL_TEST = "the canary pods' levels against the baseline's median at each step: a t test over pods (on a log scale when every value is positive), and a shift test for a change that began inside the window";

const testOf = (kind: MetricConfig['kind']): string => (kind === 'ratio' ? RATIO_TEST : LEVEL_TEST);

/** The thresholds and bounds in the metric's unit, around the baseline's value, on the side(s) tested. */
export function limitsOf(judgement: MetricJudgement, metric: MetricConfig): Limit[] {
  const limits: Limit[] = [];
  const { baseline, threshold, direction } = judgement;
  if (baseline !== null && threshold && baseline > 0) {
    for (const [effect, kind] of [[threshold.marginal, 'marginal'], [threshold.fail, 'fail']] as const) {
      const percent = `${Math.round(effect * 100)}%`;
      if (direction !== 'lower-is-bad') limits.push({ label: `${kind === 'fail' ? 'fails' : 'marginal'} above (+${percent})`, value: baseline * (1 + effect), kind });
      if (direction !== 'higher-is-bad') limits.push({ label: `${kind === 'fail' ? 'fails' : 'marginal'} below (−${percent} factor)`, value: baseline / (1 + effect), kind });
    }
  }
  if (metric.failFast?.above !== undefined) limits.push({ label: 'fail-fast above', value: metric.failFast.above, kind: 'fail-fast' });
  if (metric.failFast?.below !== undefined) limits.push({ label: 'fail-fast below', value: metric.failFast.below, kind: 'fail-fast' });
  if (metric.ignoreBelow !== undefined) limits.push({ label: 'rises ignored below', value: metric.ignoreBelow, kind: 'ignore-below' });
  return limits;
}

/** What a sensitivity means, for people choosing one. */
export function sensitivityMeaning(sensitivity: Sensitivity): string {
  return `${sensitivity}: ${MEANING[sensitivity]}. A change counts only when it is shown with ${CONFIDENCE * 100}% confidence over the whole verification (every metric and every look share the 1% false-alarm budget).`;
}

/** RFC 3339, whole seconds as Kubernetes keeps them, with milliseconds only when there are some. */
const iso = (date: Date) => date.toISOString().replace(/\.000Z$/, 'Z');

/** The notes a reader must see before trusting the charts. */
function notesOf(input: ReportInput, metrics: ReportMetric[]): string[] {
  const notes: string[] = [];
  const { result, recorded } = input;
  const empty = metrics.filter((m) => m.canary.pods.length === 0 && m.baseline.pods.length === 0).map((m) => m.judgement.name);
  if (empty.length === metrics.length && metrics.length) {
    notes.push(`The source returned no data for this window (${empty.join(', ')}): it may have expired it (retention) or it was never collected. The recomputed verdict below rests on nothing; trust the recorded one.`);
  } else if (empty.length) {
    notes.push(`The source returned no data for ${empty.join(', ')} in this window: expired (retention), or never collected.`);
  }
  const warned = result.metrics.filter((m) => m.warnings?.length).map((m) => m.name);
  if (warned.length) notes.push(`The source warned that its answer may be partial for ${warned.join(', ')}.`);
  const recordedVerdict = recorded?.summary?.verdict;
  if (recorded?.summary && recordedVerdict && (recordedVerdict !== result.verdict || recorded.summary.score !== result.score)) {
    notes.push(`Recomputed now, the verdict is ${result.verdict ?? 'undecided'} (score ${result.score ?? '–'}), but the verification recorded ${recordedVerdict} (score ${recorded.summary.score ?? '–'}) when it decided: the source's data has changed since (late samples, retention, downsampling). The recorded verdict is the one that acted.`);
  }
  if (!result.final) notes.push('The verification is still running: this is the latest look, not a verdict.');
  return notes;
}

export function buildReport(input: ReportInput): Report {
  const { config, result } = input;
  const byName = new Map(input.inputs.map((entry) => [entry.metric.name, entry]));
  const configOf = new Map(config.metrics.map((metric) => [metric.name, metric]));
  const metrics = result.metrics.flatMap((judgement): ReportMetric[] => {
    const data = byName.get(judgement.name);
    const metric = configOf.get(judgement.name);
    if (!data || !metric) return [];
    return [{ judgement, test: testOf(metric.kind), canary: groupSeries(data.canary), baseline: groupSeries(data.baseline), limits: limitsOf(judgement, metric) }];
  });
  return {
    subject: input.subject,
    ...(input.verificationId && { verificationId: input.verificationId }),
    generatedAt: iso(input.now),
    window: { start: iso(input.window.start), end: iso(input.window.end) },
    judged: { start: iso(input.judged.start), end: iso(input.judged.end) },
    groups: { canary: config.canary.podTemplateHash, baseline: config.baseline.podTemplateHash },
    final: result.final,
    verdict: result.verdict,
    phase: result.phase,
    score: result.score,
    sentence: verdictSentence(result),
    sensitivity: config.sensitivity,
    sensitivityMeaning: sensitivityMeaning(config.sensitivity),
    metrics,
    ...(result.logs && { logs: result.logs }),
    ...(input.recorded && { recorded: input.recorded }),
    notes: notesOf(input, metrics),
    config: stringify(input.rawConfig ?? config),
    links: input.links ?? [],
    commands: input.commands ?? [],
  };
}

/** "5m window from 2026-12-05T10:00:00Z". */
export function describeWindow(report: Pick<Report, 'window'>): string {
  const ms = Date.parse(report.window.end) - Date.parse(report.window.start);
  return `${formatDuration(ms)} from ${report.window.start}`;
}

/** The metrics most decisive for the verdict: those not passing, worst first; when all pass, the first `count`. */
export function decisiveMetrics(report: Report, count: number): ReportMetric[] {
  const order: Classification[] = ['fail', 'marginal', 'inconclusive', 'nodata'];
  const failing = report.metrics.filter((m) => order.includes(m.judgement.classification));
  return (failing.length ? failing : report.metrics).slice(0, count);
}
