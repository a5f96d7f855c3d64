import { describe, expect, it } from 'vitest';
import type { BenchJudge } from './judges/bench-judge.js';
import { UNDECIDED } from './judges/bench-judge.js';
import type { Outcome } from './run-judge.js';
import { CLASS_SPECS, isRegression } from './scenarios/classes.js';
import { CLASSES } from './scenarios/types.js';
import { interval95, OTHER_CLASSES, REGRESSION_CLASSES, summarize, type Labelled } from './summary.js';
import { formatTables } from './table.js';

describe('interval95 (Clopper–Pearson)', () => {
  it('gives the exact bounds of a rate', () => {
    // 4 false alarms in 760 healthy canaries: 0.53%, somewhere between 0.14% and 1.34%.
    expect(interval95(4, 760)).toEqual([0.0014, 0.0134]);
    expect(interval95(50, 100)).toEqual([0.3983, 0.6017]);
  });

  it('is one-sided at none and at all: 1 − 0.025^(1/n)', () => {
    expect(interval95(0, 10)).toEqual([0, Number((1 - 0.025 ** (1 / 10)).toFixed(4))]);
    expect(interval95(10, 10)).toEqual([Number((0.025 ** (1 / 10)).toFixed(4)), 1]);
  });

  it('says nothing is known without scenarios', () => {
    expect(interval95(0, 0)).toEqual([0, 1]);
  });
});

describe('summarize per class', () => {
  // Class c has 10 + c scenarios, of which the first c are flagged and the next one answered "no analysis".
  const labelled: Labelled[] = CLASSES.flatMap((label, c) => Array.from({ length: 10 + c }, () => ({ label, expected: CLASS_SPECS[label].expected })));
  const outcomes: Outcome[] = CLASSES.flatMap((_, c) => Array.from({ length: 10 + c }, (_, i) => ({ flagged: i < c, noAnalysis: i === c, decidedAtS: 300 })));
  const judge: BenchJudge = { name: 'threshold', sensitivity: null, settings: {}, evaluate: () => UNDECIDED };
  const row = summarize(judge, labelled, { outcomes, cpuMs: 1 });

  it('splits the classes as CLASSES orders them: regressions, and the others', () => {
    expect(REGRESSION_CLASSES).toEqual(CLASSES.filter(isRegression));
    expect(OTHER_CLASSES).toEqual(CLASSES.filter((label) => !isRegression(label)));
    expect([...REGRESSION_CLASSES, ...OTHER_CLASSES].sort()).toEqual([...CLASSES].sort());
  });

  it("gives every class its flagged rate with its exact 95% interval: a pass class's own fpr, a regression's recall", () => {
    CLASSES.forEach((label, c) => {
      const [rate, interval] = isRegression(label) ? [row.recall[label], row.recall_ci95[label]] : [row.flagged[label], row.flagged_ci95[label]];
      expect(rate).toBeCloseTo(c / (10 + c), 4);
      expect(interval).toEqual(interval95(c, 10 + c));
      if (!isRegression(label)) expect(row.no_analysis[label]).toBeCloseTo(1 / (10 + c), 4);
    });
    const passes = CLASSES.map((label, c) => ({ label, c })).filter(({ label }) => CLASS_SPECS[label].expected === 'pass');
    const n = passes.reduce((sum, { c }) => sum + 10 + c, 0);
    const flagged = passes.reduce((sum, { c }) => sum + c, 0);
    expect(row.fpr_ci95).toEqual(interval95(flagged, n));
  });

  it('prints every class with its interval', () => {
    const tables = formatTables([row]);
    for (const label of CLASSES) expect(tables).toContain(label);
    expect(tables).toContain(`${(100 * row.recall['canary outlier pod']!).toFixed(1)}% (${row.recall_ci95['canary outlier pod']!.map((x) => (100 * x).toFixed(1)).join('–')})`);
    expect(tables).toContain(`${(100 * row.flagged['cold canary']!).toFixed(1)}% (${row.flagged_ci95['cold canary']!.map((x) => (100 * x).toFixed(1)).join('–')})`);
  });
});
