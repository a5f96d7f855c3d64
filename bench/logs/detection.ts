// Detection: does the log judgement flag a canary that brings a new error, or logs a known warning or error three
// times as often, and leave a healthy canary alone? Each trial is a verification window of one generated service:
// history (earlier stable pods), baseline and canary lines clustered by one miner (or grouped by exact masked line,
// the naive method), counted per template and judged by judgeLogs at medium sensitivity.
import { judgeLogs, type LogJudgement, type TemplateCounts } from '../../plugin/judge/logs/compare.js';
import { levelOf, worseLevel, type LogLevel } from '../../plugin/judge/logs/levels.js';
import { TemplateMiner } from '../../plugin/judge/logs/drain.js';
import { createRandom, deriveSeed, type Random } from '../scenarios/random.js';
import { interval95, round4, type Interval } from '../summary.js';
import { generateLines, generateService, NOVEL_ERRORS, novelTemplate, type Service, type Template } from './generate.js';

export const TRIAL_KINDS = ['healthy', 'new-template', 'frequency-jump'] as const;
export type TrialKind = (typeof TRIAL_KINDS)[number];

/** The window's sizes and the faults, drawn per trial. */
export const WINDOW = {
  baselineLines: [20_000, 50_000],
  /** The canary's share of the traffic: it logs share / (1 − share) lines per baseline line. */
  canaryShare: [0.1, 0.5],
  /** History lines per baseline line (the stable pods of an earlier window). */
  historyPerBaseline: 1,
  /** A new error's share of the canary's lines (log-uniform): a fault on 0.2–2 % of what it does. */
  novelShare: [0.002, 0.02],
  /** A frequency jump multiplies a warn or error template's rate by this. */
  jump: 3,
  /** …of a template the canary would log at least this many times at the baseline's rate. */
  jumpMinExpected: 10,
} as const;

export interface TrialSpec {
  kind: TrialKind;
  seed: number;
  service: Service;
  baselineLines: number;
  canaryLines: number;
  historyLines: number;
  /** The canary's templates: the service's, with the fault. */
  canaryTemplates: Template[];
  /** The fault's template: the new one, or the one whose rate jumps. */
  faultId?: string;
}

/** The `index`-th trial of `kind`: its own service, sizes and fault, all from `seed`. */
export function trialSpec(seed: number, kind: TrialKind, index: number): TrialSpec {
  const trialSeed = deriveSeed(seed, index * TRIAL_KINDS.length + TRIAL_KINDS.indexOf(kind));
  const random = createRandom(trialSeed);
  const service = generateService(deriveSeed(trialSeed, 1));
  const baselineLines = random.integer(WINDOW.baselineLines[0], WINDOW.baselineLines[1]);
  const share = random.between(WINDOW.canaryShare[0], WINDOW.canaryShare[1]);
  const canaryLines = Math.round((baselineLines * share) / (1 - share));
  const spec: TrialSpec = { kind, seed: trialSeed, service, baselineLines, canaryLines, historyLines: baselineLines * WINDOW.historyPerBaseline, canaryTemplates: service.templates };
  if (kind === 'new-template') {
    const weight = random.logBetween(WINDOW.novelShare[0], WINDOW.novelShare[1]);
    const novel = novelTemplate(random.integer(0, NOVEL_ERRORS.length - 1), random.pick(service.templates).logger, weight / (1 - weight));
    spec.canaryTemplates = [...service.templates, novel];
    spec.faultId = novel.id;
  } else if (kind === 'frequency-jump') {
    const jumped = jumpTarget(service, canaryLines, random);
    spec.canaryTemplates = service.templates.map((t) => (t === jumped ? { ...t, weight: t.weight * WINDOW.jump } : t));
    spec.faultId = jumped.id;
  }
  return spec;
}

/** A warn or error template the canary would log at least jumpMinExpected times; else the most frequent of them. */
function jumpTarget(service: Service, canaryLines: number, random: Random): Template {
  const candidates = service.templates.filter((t) => t.message.level !== 'info');
  if (candidates.length === 0) throw new Error(`service ${service.seed} has no warn or error template`);
  const frequent = candidates.filter((t) => t.weight * canaryLines >= WINDOW.jumpMinExpected);
  return frequent.length > 0 ? random.pick(frequent) : candidates.reduce((a, b) => (b.weight > a.weight ? b : a));
}

type Group = 'history' | 'baseline' | 'canary';

interface Tally {
  template: string;
  history: number;
  baseline: number;
  canary: number;
  level: LogLevel;
  samples: string[];
}

/** Counts per group and key, with the worst level and up to three masked samples. */
class Tallies {
  readonly byKey = new Map<string, Tally>();

  add(key: string, group: Group, level: LogLevel, masked: string): void {
    let tally = this.byKey.get(key);
    if (!tally) this.byKey.set(key, (tally = { template: key, history: 0, baseline: 0, canary: 0, level, samples: [] }));
    tally[group]++;
    tally.level = worseLevel(tally.level, level);
    if (tally.samples.length < 3) tally.samples.push(masked);
  }

  counts(template: (key: string) => string): TemplateCounts[] {
    return [...this.byKey].map(([key, t]) => ({ id: key, template: template(key), canary: t.canary, baseline: t.baseline, history: t.history, level: t.level, samples: t.samples }));
  }
}

export interface TrialOutcome {
  kind: TrialKind;
  miner: LogJudgement['classification'];
  naive: LogJudgement['classification'];
}

/** Runs one trial: the lines of each group through the miner (and, from the same masking, the naive grouping). */
export function runTrial(spec: TrialSpec): TrialOutcome {
  const miner = new TemplateMiner();
  const mined = new Tallies();
  const naive = new Tallies();
  const groups: [Group, number, readonly Template[]][] = [
    ['history', spec.historyLines, spec.service.templates],
    ['baseline', spec.baselineLines, spec.service.templates],
    ['canary', spec.canaryLines, spec.canaryTemplates],
  ];
  groups.forEach(([group, count, templates], g) => {
    for (const { line } of generateLines(spec.service, count, deriveSeed(spec.seed, 10 + g), templates)) {
      const { id, masked } = miner.add(line);
      const level = levelOf(line);
      mined.add(id, group, level, masked);
      naive.add(masked, group, level, masked);
    }
  });
  const volumes = { history: spec.historyLines, baseline: spec.baselineLines, canary: spec.canaryLines };
  const judge = (templates: TemplateCounts[]) => judgeLogs({ templates, volumes, sensitivity: 'medium' }).classification;
  return { kind: spec.kind, miner: judge(mined.counts((id) => miner.template(id))), naive: judge(naive.counts((masked) => masked)) };
}

/** Flagged: the judgement is not a pass (fail, or marginal: a warn-level risk). */
export const isFlagged = (classification: LogJudgement['classification']) => classification === 'fail' || classification === 'marginal';

export interface KindSummary {
  trials: number;
  flagged: number;
  /** Flagged / trials, with its exact 95% interval. */
  rate: number;
  ci95: Interval;
  /** The share judged fail alone. */
  fail_rate: number;
  classifications: Partial<Record<LogJudgement['classification'], number>>;
}

export type MethodSummary = Record<TrialKind, KindSummary>;

export interface DetectionSummary {
  miner: MethodSummary;
  naive: MethodSummary;
}

/** Each method's flagged rate per kind of trial. */
export function summarizeDetection(outcomes: readonly TrialOutcome[]): DetectionSummary {
  const summary = (method: 'miner' | 'naive'): MethodSummary =>
    Object.fromEntries(
      TRIAL_KINDS.map((kind) => {
        const classes = outcomes.filter((o) => o.kind === kind).map((o) => o[method]);
        const flagged = classes.filter(isFlagged).length;
        const classifications: KindSummary['classifications'] = {};
        for (const c of classes) classifications[c] = (classifications[c] ?? 0) + 1;
        return [
          kind,
          {
            trials: classes.length,
            flagged,
            rate: classes.length ? round4(flagged / classes.length) : 0,
            ci95: interval95(flagged, classes.length),
            fail_rate: classes.length ? round4((classifications.fail ?? 0) / classes.length) : 0,
            classifications,
          },
        ];
      }),
    ) as MethodSummary;
  return { miner: summary('miner'), naive: summary('naive') };
}
