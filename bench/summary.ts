// The figures of one judge's run: the fpr, recall, time to detect and CPU, and the flagged and no-analysis rates
// of the classes without a regression.
import betaQuantile from '@stdlib/stats-base-dists-beta-quantile';
import { median } from 'simple-statistics';
import { isRegression } from './scenarios/classes.js';
import { CLASSES, type Scenario, type ScenarioClass } from './scenarios/types.js';
import type { BenchJudge } from './judges/bench-judge.js';
import type { JudgeRun, Outcome } from './run-judge.js';

export const REGRESSION_CLASSES = CLASSES.filter(isRegression);
export const OTHER_CLASSES = CLASSES.filter((label) => !isRegression(label));

/** What the figures need of a scenario: its class and the right answer. */
export type Labelled = Pick<Scenario, 'label' | 'expected'>;

export interface ResultRow {
  judge: BenchJudge['name'];
  sensitivity: BenchJudge['sensitivity'];
  calibrated?: boolean;
  variant?: string;
  settings: Record<string, unknown>;
  /** Flagged among the scenarios whose right answer is a pass (every healthy-type class). */
  fpr: number;
  /** The fpr's exact 95% interval: where the judge's true rate may be, given this sample. */
  fpr_ci95: Interval;
  recall: Record<string, number>;
  recall_ci95: Record<string, Interval>;
  /** Median seconds of data at the decision, among the detected; null when none was. */
  ttd_median_s: Record<string, number | null>;
  /** Share answered "no analysis", per class without a regression. */
  no_analysis: Record<string, number>;
  /** Share flagged, per class without a regression: for a class whose right answer is a pass, its own fpr. */
  flagged: Record<string, number>;
  flagged_ci95: Record<string, Interval>;
  cpu_ms_per_verification: number;
}

/** [low, high] bounds of a rate. */
export type Interval = [number, number];

/**
 * The exact 95% interval of a rate of `hits` in `n` (Clopper–Pearson, from the beta distribution): conservative —
 * it holds the true rate at least 95% of the time at every rate, also near 0 where false-positive rates are.
 */
export function interval95(hits: number, n: number): Interval {
  if (n === 0) return [0, 1];
  const low = hits === 0 ? 0 : betaQuantile(0.025, hits, n - hits + 1);
  const high = hits === n ? 1 : betaQuantile(0.975, hits + 1, n - hits);
  return [round4(low), round4(high)];
}

/** Four decimals: enough for rates over thousands of scenarios, short enough to read. */
export function round4(x: number): number {
  return Number(x.toFixed(4));
}

function outcomesOf(scenarios: readonly Labelled[], outcomes: readonly Outcome[], keep: (s: Labelled) => boolean): Outcome[] {
  return outcomes.filter((_, i) => keep(scenarios[i]!));
}

function share(outcomes: readonly Outcome[], counts: (o: Outcome) => boolean): number {
  return outcomes.length ? outcomes.filter(counts).length / outcomes.length : 0;
}

function flaggedInterval(outcomes: readonly Outcome[]): Interval {
  return interval95(outcomes.filter((o) => o.flagged).length, outcomes.length);
}

/**
 * The false-positive rate and mean recall of a judge's flags over `items`, each item's class resolved once:
 * calibration evaluates thousands of settings on the same items.
 */
export function rates(items: readonly Labelled[]): (flagged: (index: number) => boolean) => { fpr: number; meanRecall: number } {
  const regression = items.map((item) => REGRESSION_CLASSES.indexOf(item.label));
  const sizes = REGRESSION_CLASSES.map((label) => items.filter((item) => item.label === label).length);
  const healthy = items.filter((item) => item.expected === 'pass').length;
  return (flagged) => {
    let falsePositives = 0;
    const hits = sizes.map(() => 0);
    for (let i = 0; i < items.length; i++) {
      if (!flagged(i)) continue;
      if (items[i]!.expected === 'pass') falsePositives++;
      else if (regression[i]! >= 0) hits[regression[i]!]!++;
    }
    // Mean over the regression classes present.
    const recalls = sizes.flatMap((n, c) => (n ? [hits[c]! / n] : []));
    return {
      fpr: healthy ? falsePositives / healthy : 0,
      meanRecall: recalls.length ? recalls.reduce((sum, r) => sum + r, 0) / recalls.length : 0,
    };
  };
}

export function falsePositiveRate(scenarios: readonly Labelled[], flagged: readonly boolean[]): number {
  return rates(scenarios)((i) => flagged[i]!).fpr;
}

export function meanRecall(scenarios: readonly Labelled[], flagged: readonly boolean[]): number {
  return rates(scenarios)((i) => flagged[i]!).meanRecall;
}

function perClass<T>(labels: readonly ScenarioClass[], value: (label: ScenarioClass) => T): Record<string, T> {
  return Object.fromEntries(labels.map((label) => [label, value(label)]));
}

export function summarize(judge: BenchJudge, scenarios: readonly Labelled[], run: JudgeRun): ResultRow {
  const { outcomes } = run;
  const ofClass = (label: ScenarioClass) => outcomesOf(scenarios, outcomes, (s) => s.label === label);
  return {
    judge: judge.name,
    sensitivity: judge.sensitivity,
    ...(judge.calibrated ? { calibrated: true } : {}),
    ...(judge.variant ? { variant: judge.variant } : {}),
    settings: judge.settings,
    fpr: round4(falsePositiveRate(scenarios, outcomes.map((o) => o.flagged))),
    fpr_ci95: flaggedInterval(outcomesOf(scenarios, outcomes, (s) => s.expected === 'pass')),
    recall: perClass(REGRESSION_CLASSES, (label) => round4(share(ofClass(label), (o) => o.flagged))),
    recall_ci95: perClass(REGRESSION_CLASSES, (label) => flaggedInterval(ofClass(label))),
    ttd_median_s: perClass(REGRESSION_CLASSES, (label) => {
      const detected = ofClass(label).filter((o) => o.flagged);
      return detected.length ? median(detected.map((o) => o.decidedAtS)) : null;
    }),
    no_analysis: perClass(OTHER_CLASSES, (label) => round4(share(ofClass(label), (o) => o.noAnalysis))),
    flagged: perClass(OTHER_CLASSES, (label) => round4(share(ofClass(label), (o) => o.flagged))),
    flagged_ci95: perClass(OTHER_CLASSES, (label) => flaggedInterval(ofClass(label))),
    cpu_ms_per_verification: round4(run.cpuMs / Math.max(scenarios.length, 1)),
  };
}
