// Reproduces every test vector taken from Spinnaker Kayenta's own test suites (test/fixtures).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classifyMannWhitney, type MetricOptions } from './classifier.js';
import { cles, cohenD, meanRatio } from './effect-sizes.js';
import { mannWhitneyShift, shiftRange, wilcoxonDiff } from './mann-whitney.js';
import { classifyMeanInequality } from './mean-inequality.js';
import { normalQuantile } from './normal-quantile.js';
import { iqrDetector, kSigmaDetector, type OutlierDetector } from './outliers.js';
import { removeNaNs, removeOutliers, replaceNaNs } from './preprocessing.js';
import { didPassThresholds, scoreMetrics, type ScorableMetric } from './scoring.js';
import { percentile, summarize } from './stats.js';
import type { Direction, EffectSizeMeasure } from './types.js';

type Vector = { name: string; kind: string; control: number[] | null; experiment: number[] | null; config: any; expected: any; input?: any };

// The fixture spells NaN as the string "NaN" (JSON has no NaN).
const vectors: Vector[] = JSON.parse(
  readFileSync(new URL('../../../test/fixtures/kayenta-vectors.json', import.meta.url), 'utf8'),
  (_key, value) => (value === 'NaN' ? Number.NaN : value),
);

/** Vectors that do not apply to a judge port, by name, with the reason. Every vector currently applies. */
const NOT_APPLICABLE: Record<string, string> = {};

/**
 * Compares with the vector's absolute tolerance when it gives one; otherwise the source asserted exact
 * equality (or printed a value to full precision), so only floating-point noise is allowed.
 */
function expectNumber(actual: number, expected: number, absTolerance?: number): void {
  if (Number.isNaN(expected)) {
    expect(actual).toBeNaN();
    return;
  }
  const tolerance = absTolerance ?? Math.max(1e-12, Math.abs(expected) * 1e-9);
  expect(Math.abs(actual - expected), `${actual} vs ${expected} (±${tolerance})`).toBeLessThanOrEqual(tolerance);
}

function detectorFor(config: any): OutlierDetector {
  if (config.detector === 'IQRDetector') return iqrDetector(config.factor, config.reduceSensitivity ?? false);
  if (config.detector === 'KSigmaDetector') return kSigmaDetector(config.k);
  throw new Error(`unknown detector ${config.detector}`);
}

function checkMetricClassification(v: Vector): void {
  const canary = v.config.canary;
  const options: MetricOptions = {
    name: 'test-metric',
    direction: canary.direction as Direction,
    nanStrategy: canary.nanStrategy,
    critical: canary.critical,
    mustHaveData: canary.mustHaveData,
  };
  const control = v.control ?? [];
  const experiment = v.experiment ?? [];
  let result;
  if (v.config.classifier === 'MannWhitneyClassifier') {
    const effect = canary.effectSize;
    result = classifyMannWhitney(control, experiment, options, {
      tolerance: v.config.tolerance,
      confidenceLevel: v.config.confLevel,
      effectSize: {
        measure: effect.measure as EffectSizeMeasure,
        allowedIncrease: effect.allowedIncrease,
        allowedDecrease: effect.allowedDecrease,
        criticalIncrease: effect.criticalIncrease,
        criticalDecrease: effect.criticalDecrease,
      },
    });
  } else if (v.config.classifier === 'MeanInequalityClassifier') {
    result = classifyMeanInequality(control, experiment, options);
  } else {
    throw new Error(`unknown classifier ${v.config.classifier}`);
  }
  const e = v.expected;
  if ('classification' in e) expect(result.classification).toBe(e.classification);
  if ('critical' in e) expect(result.critical).toBe(e.critical);
  if ('reasonNonEmpty' in e) expect((result.reason ?? '').length > 0).toBe(e.reasonNonEmpty);
  if ('deviationIsNaN' in e) expect(Number.isNaN(result.deviation)).toBe(e.deviationIsNaN);
  if ('deviation' in e) expectNumber(result.deviation, e.deviation);
}

function checkMannWhitneyInterval(v: Vector): void {
  const x = v.experiment as number[];
  const y = v.control as number[];
  const e = v.expected;
  const result = mannWhitneyShift(x, y, v.config.confidenceLevel);
  expectNumber(result.lower, e.confidenceInterval[0], e.absTolerance);
  expectNumber(result.upper, e.confidenceInterval[1], e.absTolerance);
  expectNumber(result.estimate, e.estimate, e.estimateAbsTolerance ?? e.absTolerance);
  if ('muMin' in e) {
    // Intermediate values of the interval computation.
    const { muMin, muMax } = shiftRange(x, y);
    const zq = -normalQuantile((1 - v.config.confidenceLevel) / 2);
    expectNumber(muMin, e.muMin, e.absTolerance);
    expectNumber(muMax, e.muMax, e.absTolerance);
    expectNumber(zq, e.zqLower, e.absTolerance);
    expectNumber(-zq, e.zqUpper, e.absTolerance);
    expectNumber(wilcoxonDiff(muMin, zq, x, y), e.fLowerAtZqLower, e.absTolerance);
    expectNumber(wilcoxonDiff(muMax, zq, x, y), e.fUpperAtZqLower, e.absTolerance);
    expectNumber(wilcoxonDiff(muMin, -zq, x, y), e.fLowerAtZqUpper, e.absTolerance);
    expectNumber(wilcoxonDiff(muMax, -zq, x, y), e.fUpperAtZqUpper, e.absTolerance);
  }
}

function checkTransform(v: Vector): void {
  const data: number[] = v.input.data;
  const c = v.config;
  const output =
    c.transform === 'removeNaNs' ? removeNaNs(data)
    : c.transform === 'replaceNaNs' ? replaceNaNs(data, c.value)
    : c.transform === 'removeOutliers' ? removeOutliers(data, detectorFor(c))
    : undefined;
  if (output === undefined) throw new Error(`unknown transform ${c.transform}`);
  expect(output).toEqual(v.expected.output);
}

function checkEffectSize(v: Vector): void {
  const control = v.control as number[];
  const experiment = v.experiment as number[];
  const measure = v.config.measure;
  const value =
    measure === 'meanRatio' ? meanRatio(control, experiment)
    : measure === 'cohenD' ? cohenD(control, experiment)
    : measure === 'cles' ? cles(control, experiment)
    : undefined;
  if (value === undefined) throw new Error(`unknown measure ${measure}`);
  expectNumber(value, v.expected.value, v.expected.absTolerance);
}

const checks: Record<string, (v: Vector) => void> = {
  'metric-classification': checkMetricClassification,
  'mann-whitney-ci': checkMannWhitneyInterval,
  'wilcoxon-diff': (v) => {
    v.config.calls.forEach((call: { mu: number; quantile: number }, i: number) => {
      const value = wilcoxonDiff(call.mu, call.quantile, v.experiment as number[], v.control as number[]);
      expectNumber(value, v.expected.values[i], v.expected.absTolerance);
    });
  },
  'normal-quantile': (v) => expectNumber(normalQuantile(v.config.p), v.expected.value, v.expected.absTolerance),
  'weighted-sum-score': (v) => {
    const metrics: ScorableMetric[] = v.input.metricResults;
    const result = scoreMetrics(metrics, v.config.classifier.groupWeights);
    expectNumber(result.summaryScore, v.expected.summaryScore);
    if ('groupScoresSorted' in v.expected) {
      expect(result.groupScores.map((g) => g.score).sort((a, b) => a - b)).toEqual(v.expected.groupScoresSorted);
    }
  },
  'aggregated-judgement': (v) => {
    const { marginal, pass } = v.config.thresholds;
    expect(didPassThresholds(v.input.finalCanaryScore, marginal, pass)).toBe(v.expected.didPassThresholds);
  },
  'outlier-detection': (v) => expect(detectorFor(v.config)(v.input.data)).toEqual(v.expected.isOutlier),
  transform: checkTransform,
  'summary-statistics': (v) => {
    const s = summarize(v.input.data);
    const e = v.expected;
    expectNumber(s.min, e.min);
    expectNumber(s.max, e.max);
    expectNumber(s.mean, e.mean);
    expectNumber(s.std, e.std, e.stdAbsTolerance);
    expect(s.count).toBe(e.count);
  },
  percentile: (v) => {
    expect(v.config.estimation).toBe('R-7');
    for (const p of v.expected.percentiles) expectNumber(percentile(v.input.data, p.p), p.value, p.absTolerance);
  },
  'effect-size': checkEffectSize,
};

describe('Kayenta test vectors', () => {
  it('has the 91 vectors of the fixture', () => {
    expect(vectors).toHaveLength(91);
  });

  it('skips exactly the vectors listed as not applicable', () => {
    const skipped = vectors.filter((v) => !(v.kind in checks)).map((v) => v.name);
    expect(skipped.sort()).toEqual(Object.keys(NOT_APPLICABLE).sort());
  });

  for (const v of vectors) {
    if (v.name in NOT_APPLICABLE) continue;
    it(`${v.kind}: ${v.name}`, () => {
      const check = checks[v.kind];
      if (!check) throw new Error(`no check for kind ${v.kind}`);
      check(v);
    });
  }
});
