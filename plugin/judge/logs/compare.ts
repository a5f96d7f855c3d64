// The canary's log templates against the baseline's. Each template the canary logged is
// - unknown: never seen in the baseline, nor in the baseline's history when it was read;
// - unexpected frequency: logged by the canary more often than the baseline's rate explains, by a count test and
//   by at least the sensitivity's minimum effect;
// - known: the rest.
// A finding is a risk when its level counts for its class at the sensitivity and the test holds; people's
// feedback overrides the test either way. The canary fails on an error-level risk and is marginal on any other.
//
// The count test. Groups log different volumes (a canary at 10 % of the traffic logs about a tenth of the
// lines), so counts are compared at the groups' volumes V_c and V_b: the canary's expected count of a template is
// its baseline count × V_c / V_b. Given the n = c + b lines of a template in both groups, if the canary logged it
// at the baseline's rate its count c would be Binomial(n, π), π = V_c / (V_c + V_b) (the conditional exact test
// of two Poisson rates); the one-sided p-value is P(X ≥ c). A template the baseline never logged gets the same
// test: P(X ≥ c) = π^c, small only when c lines in the canary are unlikely by chance.
//
// Many templates are tested at once, so the p-values are adjusted by Holm's step-down method, within one family
// per level (all templates of that level with lines in either group, those the canary did not log included, or
// picking templates by the canary's lines would flatter the rest). Holm holds the chance of any false risk in a
// family within α however the templates' counts are correlated (they are: they share one volume); the verdict
// rests on the smallest p-value of a family, which Holm and Benjamini–Hochberg treat alike, so the latter's
// extra power would only lengthen the list. One family per level keeps many info templates from hiding a new
// error. Lines are not independent (one failure often logs several lines, a retry loop many), which makes the
// test's p-values too small: the minimum effect and the 3-line floor absorb part of that.
//
// | sensitivity | α per level family | least rate ratio (unexpected frequency) | unknown is a risk at | unexpected frequency is a risk at |
// |---|---|---|---|---|
// | high   | 0.01  | 1.5 | error, warn, info | error, warn |
// | medium | 0.005 | 2   | error, warn       | error, warn |
// | low    | 0.001 | 3   | error, warn       | error       |
//
// Every row flags a subset of the row above it. Either class also needs at least MIN_EXCESS_EVENTS (3) lines
// more than expected. A canary no worse than the baseline is found worse (marginal or fail) with a chance of at
// most α for each level that counts: 1 % at medium, 3 % at high. Documented in docs/judge.md; change both together.
import negativeBinomialCdf from '@stdlib/stats-base-dists-negative-binomial-cdf';
import { FEEDBACK_MARKS, type FeedbackMark } from '../../../shared/logs-feedback/feedback.js';
import { clip } from '../../../shared/text.js';
import { normalTail } from '../distributions.js';
import { MIN_EXCESS_EVENTS } from '../ratio.js';
import { SENSITIVITIES, type Classification, type Sensitivity, type Severity } from '../types.js';
import type { LogClass, LogFinding, LogVolumes, TemplateCounts } from './findings.js';
import { levelRank, type LogLevel } from './levels.js';

export type { LogLevel } from './levels.js';

/** People's mark on a template (shared/logs-feedback/): never a risk, or a risk whenever the canary logs it. */
export type { FeedbackMark };
export type { LogClass, LogFinding, LogVolumes, TemplateCounts } from './findings.js';

export interface LogJudgeInput {
  templates: TemplateCounts[];
  volumes: LogVolumes;
  sensitivity: Sensitivity;
  /** By template id, already matched by the caller. */
  feedback?: ReadonlyMap<string, FeedbackMark>;
}

export interface LogJudgement {
  classification: Classification;
  severity: Severity;
  /** Risky first (error before warn before info), then by p-value; at most MAX_FINDINGS. */
  findings: LogFinding[];
  /** Findings left out of `findings` by the cap. */
  more: number;
  reason: string;
}

export interface LogRule {
  /** Chance of any false risk allowed within one level's family of templates. */
  alpha: number;
  /** Least canary rate / baseline rate for an unexpected frequency. */
  minRatio: number;
  /** Levels at which a new template is a risk. */
  unknownLevels: readonly LogLevel[];
  /** Levels at which an unexpectedly frequent template is a risk. */
  frequencyLevels: readonly LogLevel[];
}

export const LOG_RULES: Readonly<Record<Sensitivity, Readonly<LogRule>>> = {
  high: { alpha: 0.01, minRatio: 1.5, unknownLevels: ['error', 'warn', 'info'], frequencyLevels: ['error', 'warn'] },
  medium: { alpha: 0.005, minRatio: 2, unknownLevels: ['error', 'warn'], frequencyLevels: ['error', 'warn'] },
  low: { alpha: 0.001, minRatio: 3, unknownLevels: ['error', 'warn'], frequencyLevels: ['error'] },
};

/**
 * Fewer lines than this in a group over the window say too little to pass: the canary may hardly have served, or
 * its logs may not have been collected. Below it the logs can still fail, else they are inconclusive.
 */
export const MIN_LINES = 100;
export const MAX_FINDINGS = 20;

const LEVELS: readonly LogLevel[] = ['error', 'warn', 'info'];
// Characters of a template quoted in a reason, so that its counts still fit in the sentence.
const QUOTED_CHARS = 80;
const REASON_CHARS = 200;

/**
 * From this variance on, stdlib's incomplete beta loses digits near a binomial's centre (0.44 for 0.50 at
 * n = 2·10⁹), while the continuity-corrected normal is there within 10⁻⁴; the tails stay exact to 10⁻⁷.
 */
const NORMAL_CENTRE_FROM = 1e7;

/**
 * P(X ≥ k) for X ~ Binomial(n, p): the regularised incomplete beta I_p(k, n − k + 1), which is also the
 * negative binomial's distribution function at n − k failures before the k-th success (the k-th success comes
 * within n trials). Computed directly, so a tiny tail keeps its relative precision.
 */
export function binomialUpperTail(k: number, n: number, p: number): number {
  if (k <= 0 || p >= 1) return k <= n ? 1 : 0;
  if (k > n || p <= 0) return 0;
  const mean = n * p;
  const variance = mean * (1 - p);
  if (variance >= NORMAL_CENTRE_FROM && Math.abs(k - mean) <= Math.sqrt(variance)) return normalTail((k - 0.5 - mean) / Math.sqrt(variance));
  return negativeBinomialCdf(n - k, k, p);
}

/** Holm's step-down adjusted p-values, in the order given: the i-th smallest × (m − i + 1), never decreasing, at most 1. */
export function holmAdjusted(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((_, i) => i).sort((a, b) => pValues[a]! - pValues[b]!);
  const adjusted = new Array<number>(m);
  let running = 0;
  order.forEach((index, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * pValues[index]!));
    adjusted[index] = running;
  });
  return adjusted;
}

function shown(value: unknown): string {
  if (typeof value === 'string') return clip(JSON.stringify(value), 60);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  return Array.isArray(value) ? 'a list' : typeof value;
}

function fail(path: string, expected: string, got: unknown): never {
  throw new Error(`${path}: expected ${expected}; got ${shown(got)}`);
}

function lineCount(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) fail(path, 'a whole number of lines ≥ 0', value);
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const LINES = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const EXPECTED = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 3 });

function lines(count: number): string {
  return `${LINES.format(count)} ${count === 1 ? 'line' : 'lines'}`;
}

function checkTotal(templates: readonly TemplateCounts[], group: 'canary' | 'baseline' | 'history', volume: number): void {
  const sum = templates.reduce((total, t) => total + (t[group] ?? 0), 0);
  if (sum > volume) throw new Error(`templates: their ${group} lines add up to ${LINES.format(sum)}, more than volumes.${group} (${LINES.format(volume)}); a volume counts all the group's lines`);
}

/** The input, checked: an Error names the first field that is not as the interface says. */
function validated(input: unknown): LogJudgeInput {
  if (!isObject(input)) fail('log judge input', 'an object with templates, volumes and sensitivity', input);
  const { templates, volumes, sensitivity, feedback } = input;
  if (!SENSITIVITIES.includes(sensitivity as Sensitivity)) fail('sensitivity', `one of ${SENSITIVITIES.join(', ')}`, sensitivity);
  if (!isObject(volumes)) fail('volumes', 'an object {canary, baseline, history?} of line counts', volumes);
  lineCount(volumes.canary, 'volumes.canary');
  lineCount(volumes.baseline, 'volumes.baseline');
  if (volumes.history !== undefined) lineCount(volumes.history, 'volumes.history');
  if (!Array.isArray(templates)) fail('templates', 'a list of template counts', templates);
  const seen = new Map<string, number>();
  templates.forEach((t: unknown, i) => {
    const at = `templates[${i}]`;
    if (!isObject(t)) fail(at, 'an object {id, template, canary, baseline, history?, level, samples}', t);
    if (typeof t.id !== 'string' || t.id === '') fail(`${at}.id`, 'a non-empty string', t.id);
    const first = seen.get(t.id);
    if (first !== undefined) throw new Error(`${at}.id: ${shown(t.id)} is also templates[${first}]'s; template ids must be unique`);
    seen.set(t.id, i);
    if (typeof t.template !== 'string') fail(`${at}.template`, 'a string', t.template);
    lineCount(t.canary, `${at}.canary`);
    lineCount(t.baseline, `${at}.baseline`);
    if (t.history !== undefined) lineCount(t.history, `${at}.history`);
    if (!LEVELS.includes(t.level as LogLevel)) fail(`${at}.level`, `one of ${LEVELS.join(', ')}`, t.level);
    if (!Array.isArray(t.samples) || !t.samples.every((s) => typeof s === 'string')) fail(`${at}.samples`, 'a list of strings', t.samples);
  });
  const counted = templates as TemplateCounts[];
  const groups = volumes as unknown as LogVolumes;
  checkTotal(counted, 'canary', groups.canary);
  checkTotal(counted, 'baseline', groups.baseline);
  if (groups.history !== undefined) checkTotal(counted, 'history', groups.history);
  if (feedback !== undefined) {
    if (!(feedback instanceof Map)) fail('feedback', 'a Map from template id to not-a-risk or raise-risk', feedback);
    for (const [id, mark] of feedback) if (!FEEDBACK_MARKS.includes(mark)) fail(`feedback[${shown(id)}]`, FEEDBACK_MARKS.join(' or '), mark);
  }
  return { templates: counted, volumes: groups, sensitivity: sensitivity as Sensitivity, feedback: feedback as LogJudgeInput['feedback'] };
}

/** A template with its test, before the sensitivity is applied. */
interface Tested {
  counts: TemplateCounts;
  expected: number;
  pValue: number | null;
  adjusted: number | null;
}

/** Holm's adjustment within each level's family: the templates with lines in either group. */
function adjustByLevel(tested: Tested[]): void {
  for (const level of LEVELS) {
    const family = tested.filter((t) => t.pValue !== null && t.counts.level === level);
    const adjusted = holmAdjusted(family.map((t) => t.pValue!));
    family.forEach((t, i) => (t.adjusted = adjusted[i]!));
  }
}

const isUnknown = (t: TemplateCounts): boolean => t.canary > 0 && t.baseline === 0 && (t.history ?? 0) === 0;

/** The template's class, and whether the test makes it a risk, under `rule`. */
function assess(t: Tested, rule: LogRule): { cls: LogClass; risk: boolean } {
  const { counts, expected, adjusted } = t;
  const shown = adjusted !== null && adjusted <= rule.alpha && counts.canary - expected >= MIN_EXCESS_EVENTS;
  if (isUnknown(counts)) return { cls: 'unknown', risk: shown && rule.unknownLevels.includes(counts.level) };
  if (shown && counts.canary >= rule.minRatio * expected) return { cls: 'unexpected-frequency', risk: rule.frequencyLevels.includes(counts.level) };
  return { cls: 'known', risk: false };
}

function quoted(template: string): string {
  return `"${clip(template, QUOTED_CHARS)}"`;
}

type Unexplained = Omit<LogFinding, 'reason'>;

/** The baseline's lines before the window, when they were read: "; 5 of 2,000 before the window". */
function before(f: Unexplained, volumes: LogVolumes): string {
  return volumes.history === undefined ? '' : `; ${LINES.format(f.history ?? 0)} of ${LINES.format(volumes.history)} before the window`;
}

function findingReason(f: Unexplained, volumes: LogVolumes): string {
  const test = f.pValue === null ? '' : ` (p = ${f.pValue.toPrecision(2)})`;
  const counts =
    f.class === 'unknown'
      ? `new: ${lines(f.canary)} in the canary, none in the baseline's ${LINES.format(volumes.baseline)}`
      : `${lines(f.canary)} in the canary, ${EXPECTED.format(f.expected)} expected at the baseline's rate (baseline ${LINES.format(f.baseline)} of ${LINES.format(volumes.baseline)}${before(f, volumes)})`;
  const marked = f.feedback === 'not-a-risk' ? '; marked not a risk' : f.feedback === 'raise-risk' ? '; marked a risk' : '';
  return `${counts}${test}${marked}`;
}

function finding(t: Tested, rule: LogRule, mark: FeedbackMark | undefined): Unexplained {
  const { cls, risk } = assess(t, rule);
  const { id, template, level, canary, baseline, history, samples } = t.counts;
  return {
    id,
    template,
    class: cls,
    level,
    canary,
    baseline,
    ...(history !== undefined && { history }),
    expected: t.expected,
    pValue: t.pValue,
    adjustedPValue: t.adjusted,
    risk: mark === 'raise-risk' || (risk && mark !== 'not-a-risk'),
    ...(mark ? { feedback: mark } : {}),
    samples: samples.slice(0, 3),
  };
}

function byRiskThenSurprise(a: Unexplained, b: Unexplained): number {
  if (a.risk !== b.risk) return a.risk ? -1 : 1;
  if (a.risk && a.level !== b.level) return levelRank(b.level) - levelRank(a.level);
  return (a.pValue ?? 1) - (b.pValue ?? 1) || b.canary - a.canary || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** The sentence for a risky finding: what it is, its counts and the expected count. */
function riskSentence(f: Unexplained, volumes: LogVolumes): string {
  const of = `(baseline ${LINES.format(f.baseline)} of ${lines(volumes.baseline)}${before(f, volumes)})`;
  if (f.feedback === 'raise-risk') return `${f.level} template marked a risk in canary: ${quoted(f.template)} ${lines(f.canary)}, ${EXPECTED.format(f.expected)} expected ${of}`;
  if (f.class === 'unknown') return `new ${f.level} template in canary: ${quoted(f.template)} ${lines(f.canary)} ${of}`;
  return `${f.level} template more frequent in canary: ${quoted(f.template)} ${lines(f.canary)}, ${EXPECTED.format(f.expected)} expected at the baseline's rate ${of}`;
}

function judgementReason(classification: Classification, findings: readonly Unexplained[], volumes: LogVolumes): string {
  const risky = findings.filter((f) => f.risk);
  const worst = findings[0];
  const totals = `canary ${lines(volumes.canary)}, baseline ${LINES.format(volumes.baseline)}`;
  let sentence: string;
  if (classification === 'nodata') sentence = 'no log lines from the canary or the baseline over the window';
  else if (worst && risky.length > 0 && classification !== 'inconclusive') {
    const others = risky.length > 1 ? `; ${risky.length - 1} more risky ${risky.length === 2 ? 'template' : 'templates'}` : '';
    sentence = `${riskSentence(worst, volumes)}${others}`;
  } else if (classification === 'inconclusive') sentence = `too few log lines to judge: ${totals} (at least ${MIN_LINES} each needed)`;
  else {
    const most = worst && worst.expected < worst.canary ? `; most unexpected: ${quoted(worst.template)} ${lines(worst.canary)}, ${EXPECTED.format(worst.expected)} expected (baseline ${LINES.format(worst.baseline)})` : '';
    sentence = `no risky log template in the canary (${totals})${most}`;
  }
  return clip(sentence, REASON_CHARS);
}

/** How the canary's log templates compare with the baseline's: see the header. Throws on invalid input, naming the field. */
export function judgeLogs(input: LogJudgeInput): LogJudgement {
  const { templates, volumes, sensitivity, feedback } = validated(input);
  if (volumes.canary === 0 && volumes.baseline === 0) {
    return { classification: 'nodata', severity: 'none', findings: [], more: 0, reason: judgementReason('nodata', [], volumes) };
  }
  // The baseline's rate is its lines in the window and, when read, the same pods' lines before it: a template the
  // stable pods log in bursts is then not "more frequent" for missing from the window alone.
  const referenceVolume = volumes.baseline + (volumes.history ?? 0);
  const comparable = volumes.canary > 0 && volumes.baseline > 0;
  const share = volumes.canary / (volumes.canary + referenceVolume);
  const tested: Tested[] = templates.map((counts) => {
    const reference = counts.baseline + (volumes.history !== undefined ? (counts.history ?? 0) : 0);
    const n = counts.canary + reference;
    const pValue = comparable && n > 0 ? binomialUpperTail(counts.canary, n, share) : null;
    return { counts, expected: referenceVolume > 0 ? (reference * volumes.canary) / referenceVolume : 0, pValue, adjusted: null };
  });
  adjustByLevel(tested);

  const rule = LOG_RULES[sensitivity];
  // Templates the canary did not log are no finding: they can only make it look better.
  const canaryTemplates = tested.filter((t) => t.counts.canary > 0);
  const all = canaryTemplates.map((t) => finding(t, rule, feedback?.get(t.counts.id))).sort(byRiskThenSurprise);
  const risky = all.filter((f) => f.risk);

  let classification: Classification = risky.some((f) => f.level === 'error') ? 'fail' : risky.length > 0 ? 'marginal' : 'pass';
  if (classification !== 'fail' && (volumes.canary < MIN_LINES || volumes.baseline < MIN_LINES)) classification = 'inconclusive';

  let severity: Severity = classification === 'fail' ? 'moderate' : classification === 'marginal' ? 'minor' : 'none';
  if (classification === 'fail') {
    // Critical when even low sensitivity would fail it, as for metrics.
    const low = LOG_RULES.low;
    const byId = new Map(canaryTemplates.map((t) => [t.counts.id, t]));
    const lowRisk = (f: Unexplained) => f.feedback === 'raise-risk' || (f.feedback !== 'not-a-risk' && assess(byId.get(f.id)!, low).risk);
    if (risky.some((f) => f.level === 'error' && lowRisk(f))) severity = 'critical';
  }
  // Sentences only for the findings listed: there may be many thousands.
  const findings = all.slice(0, MAX_FINDINGS).map((f) => ({ ...f, reason: findingReason(f, volumes) }));
  return { classification, severity, findings, more: all.length - findings.length, reason: judgementReason(classification, all, volumes) };
}
