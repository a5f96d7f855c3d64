import { describe, expect, it } from 'vitest';
import type { InstanceSeries } from '../collect/source.js';
import { formatChange, formatConfidence, formatPercent, formatValue } from './explain.js';
import { judgeMetric, sidesOf } from './metric.js';
import { alphaAt, ruleFor, SHIFT_SHARE } from './sensitivity.js';
import { FINAL, fixedCounts, levelSeries, lookAt, metric, normalQuantiles, ratioGroup, seededRandom } from './synthetic.test-helpers.js';
import type { JudgedMetric, MetricInput, MetricJudgement, RatioGroup, Sensitivity } from './types.js';

// 9 baseline pods within ~1% of each other, a little step noise: a regression of a given size is easy to see.
const tight = (spread = 0.01) => normalQuantiles(9).map((z) => spread * z);
const BASELINE = levelSeries(seededRandom(41), { pods: 9, level: 0.1, podOffsets: tight(), noise: 0.01, prefix: 'stable' });

/** A latency canary `change` above (or below) the baseline. */
function canaryAt(change: number, seed = 42, level = 0.1): InstanceSeries {
  return levelSeries(seededRandom(seed), { pods: 1, level: level * (1 + change), podOffsets: [0], noise: 0.01, prefix: 'canary' });
}

// The service's history: periods of nine pods as alike as the tests' baseline pods, so the pods' spread is known.
const LEVEL_HISTORY = [1, 2, 3].map((i) => levelSeries(seededRandom(900 + i), { pods: 9, level: 0.1, podOffsets: tight(), noise: 0.01, prefix: `old${i}` }));
const RATIO_HISTORY = [1, 2, 3].map((i) => ratioGroup(seededRandom(910 + i), { pods: 9, requests: 3000, rate: 0.01, prefix: `old${i}` }));

/** Judges with the service's history (unless the input brings its own), as the only metric, without warm-up. */
function judgeAt(input: MetricInput, sensitivity: Sensitivity = 'high', look = FINAL, tests = sidesOf(input.metric.direction).length): MetricJudgement {
  const history = input.history ?? (input.metric.kind === 'ratio' ? RATIO_HISTORY : LEVEL_HISTORY);
  return judgeMetric({ ...input, history }, { sensitivity, look, tests, warmupMs: 0 });
}

function judge(change: number, overrides: Partial<JudgedMetric> = {}, sensitivity: Sensitivity = 'high', look = FINAL): MetricJudgement {
  return judgeAt({ metric: metric(overrides), canary: canaryAt(change), baseline: BASELINE }, sensitivity, look);
}

describe('judgeMetric: missing and insufficient data', () => {
  it('is nodata naming the canary when the canary has no samples', () => {
    for (const canary of [new Map(), new Map([['canary-0', []]])] as InstanceSeries[]) {
      const j = judgeAt({ metric: metric(), canary, baseline: BASELINE }, 'high', FINAL);
      expect(j.classification).toBe('nodata');
      expect(j.severity).toBe('none');
      expect(j.reason).toMatch(/no data for the canary/);
      expect(j.reason).not.toMatch(/baseline/);
      expect(j).toMatchObject({ canary: null, baseline: null, change: null, confidence: null, threshold: null, regression: null });
    }
  });

  it('names both groups when neither has data', () => {
    const j = judgeAt({ metric: metric(), canary: new Map(), baseline: new Map() }, 'high', FINAL);
    expect(j.reason).toMatch(/canary and baseline/);
  });

  it('is nodata when the groups never overlap in time', () => {
    const shifted = new Map([...canaryAt(0)].map(([pod, s]) => [pod, s.map(([t, v]) => [t + 7, v] as const)]));
    const j = judgeAt({ metric: metric(), canary: shifted, baseline: BASELINE }, 'high', FINAL);
    expect(j.classification).toBe('nodata');
    expect(j.reason).toMatch(/nothing to compare/);
  });

  it('reports the evidence it weighed per group, judged or too little', () => {
    const random = seededRandom(43);
    const baseline = ratioGroup(random, { pods: 9, requests: 300, rate: 0.01 });
    const ratio = metric({ name: 'errors', kind: 'ratio' });
    expect(judgeAt({ metric: ratio, canary: fixedCounts([[3, 150]], 'canary'), baseline }, 'high', FINAL).evidence).toEqual({ canary: 150, baseline: expect.any(Number) });
    expect(judgeAt({ metric: ratio, canary: fixedCounts([[3, 3000]], 'canary'), baseline }, 'high', FINAL).evidence?.canary).toBe(3000);
    expect(judgeAt({ metric: metric(), canary: new Map(), baseline: BASELINE }, 'high', FINAL).evidence).toBeUndefined();
  });

  it('is nodata naming the counts when a ratio has too few requests', () => {
    const random = seededRandom(43);
    const baseline = ratioGroup(random, { pods: 9, requests: 300, rate: 0.01 });
    // 10 steps of exactly 15 requests: 150 < 200.
    const canary = fixedCounts([[3, 150]], 'canary');
    const j = judgeAt({ metric: metric({ name: 'errors', kind: 'ratio' }), canary, baseline }, 'high', FINAL);
    expect(j.classification).toBe('nodata');
    expect(j.reason).toMatch(/too little data/);
    expect(j.reason).toContain('canary 150');
    expect(j.reason).toContain('200');
    expect(j.reason).toContain('requests');
    expect(j.reason).not.toMatch(/baseline \d/);
    // With enough requests it is judged.
    const enough = judgeAt({ metric: metric({ name: 'errors', kind: 'ratio' }), canary: fixedCounts([[3, 300]], 'canary'), baseline }, 'high', FINAL);
    expect(enough.classification).not.toBe('nodata');
  });

  it('judges too little data anyway when it already shows a conclusive failure', () => {
    const random = seededRandom(43);
    const baseline = ratioGroup(random, { pods: 9, requests: 300, rate: 0.01 });
    // 150 requests, 40 of them errors against a 1% baseline: too few requests, but an unmistakable regression.
    const j = judgeAt({ metric: metric({ name: 'errors', kind: 'ratio' }), canary: fixedCounts([[40, 150]], 'canary'), baseline }, 'high', FINAL);
    expect(j.classification).toBe('fail');
    expect(j.change).toBeGreaterThan(10);
  });

  it('does not fail fast on too little data', () => {
    const two = new Map([...canaryAt(0, 42, 0.5)].map(([pod, s]) => [pod, s.slice(0, 2)]));
    const baseline = levelSeries(seededRandom(46), { pods: 9, level: 0.5, podOffsets: tight(), noise: 0.01 });
    const j = judgeAt({ metric: metric({ failFast: { above: 0.3 } }), canary: two, baseline }, 'high', FINAL);
    expect(j.classification).toBe('nodata');
    expect(j.failedFast).toBeUndefined();
  });

  it('counts samples for other kinds and honours minEvidence', () => {
    const two = new Map([...canaryAt(0)].map(([pod, s]) => [pod, s.slice(0, 2)]));
    const few = judgeAt({ metric: metric(), canary: two, baseline: BASELINE }, 'high', FINAL);
    expect(few.classification).toBe('nodata');
    expect(few.reason).toMatch(/canary 2 samples, at least 3/);

    const strict = judge(0, { minEvidence: 20 });
    expect(strict.classification).toBe('nodata');
    expect(strict.reason).toContain('canary 10');
    expect(judge(0, { minEvidence: 10 }).classification).toBe('pass');
  });
});

describe('judgeMetric: a ratio whose numerator series is missing in a whole group', () => {
  const ratio = metric({ name: 'errors', kind: 'ratio' });
  const baseline = fixedCounts(Array.from({ length: 9 }, () => [150, 3000] as const), 'stable'); // 5%
  /** The group without any numerator series, as when its error counter is missing or renamed. */
  const withoutNumerator = (group: RatioGroup): RatioGroup => ({ numerator: new Map(), denominator: group.denominator });

  it('is nodata, saying the counter may be missing or renamed, when the other group makes zero events implausible', () => {
    // 0% against 5%: 1000 canary requests would have had about 50 errors.
    const canary = withoutNumerator(fixedCounts([[0, 1000]], 'canary'));
    const j = judgeAt({ metric: ratio, canary, baseline }, 'medium', FINAL);
    expect(j.classification).toBe('nodata');
    expect(j.reason).toBe(
      "errors: the canary has no numerator series at all, yet at the baseline's rate (5%) its 1000 requests would have had about 50: the numerator's counter may be missing or renamed in the canary",
    );
  });

  it('names the baseline when it is the group without the series', () => {
    const canary = fixedCounts([[150, 3000], [150, 3000], [150, 3000]], 'canary');
    const j = judgeAt({ metric: ratio, canary, baseline: withoutNumerator(baseline) }, 'medium', FINAL);
    expect(j.classification).toBe('nodata');
    expect(j.reason).toMatch(/the baseline has no numerator series at all.*missing or renamed in the baseline$/);
  });

  it('counts 0 events when so few were expected that none is plausible', () => {
    // 200 requests at 1%: about 2 errors expected, none is likely enough.
    const low = fixedCounts(Array.from({ length: 9 }, () => [30, 3000] as const), 'stable');
    const j = judgeAt({ metric: ratio, canary: withoutNumerator(fixedCounts([[0, 200]], 'canary')), baseline: low }, 'medium', FINAL);
    expect(j.classification).toBe('pass');
    expect(j.canary).toBe(0);
  });

  it('keeps 0 events for a pod without the series when its group has it', () => {
    const canary = fixedCounts([[50, 1000], [0, 1000]], 'canary');
    canary.numerator.delete('canary-1');
    const j = judgeAt({ metric: ratio, canary, baseline }, 'medium', FINAL);
    expect(j.classification).toBe('pass');
    expect(j.canary).toBeCloseTo(0.025);
  });

  it('passes 0 against 0 when neither group has the series, and says so', () => {
    const j = judgeAt({ metric: ratio, canary: withoutNumerator(fixedCounts([[0, 1000]], 'canary')), baseline: withoutNumerator(baseline) }, 'medium', FINAL);
    expect(j.classification).toBe('pass');
    expect(j.reason).toContain('no numerator series in either group (0 events): check that the counter exists');
  });
});

describe('judgeMetric: classification', () => {
  // Latency at high sensitivity: marginal from +12%, failing from +20% (read from the rules, not hard-coded).
  const HIGH = ruleFor('high', 'latency');
  const LOW = ruleFor('low', 'latency');

  it('passes a canary like the baseline', () => {
    const j = judge(0);
    expect(j.classification).toBe('pass');
    expect(j.severity).toBe('none');
    expect(Math.abs(j.change!)).toBeLessThan(0.03);
  });

  it('fails a clear rise past the failing effect with tight pods', () => {
    const j = judge(HIGH.fail + 0.1);
    expect(j.classification).toBe('fail');
    expect(j.change).toBeGreaterThan(HIGH.fail);
    expect(j.regression).toBeCloseTo(j.change!, 12);
    expect(j.confidence).toBeGreaterThan(0.9999);
    expect(j.failedFast).toBeUndefined();
    expect(j.reason).toMatch(/higher/);
    expect(j.reason).toContain(`${formatPercent(HIGH.fail)} that fails`);
  });

  it('calls a significant rise between the marginal and the failing effect marginal', () => {
    const j = judge((HIGH.marginal + HIGH.fail) / 2);
    expect(j.classification).toBe('marginal');
    expect(j.severity).toBe('minor');
    expect(j.change).toBeGreaterThanOrEqual(HIGH.marginal);
    expect(j.change).toBeLessThan(HIGH.fail);
    expect(j.confidence).toBeGreaterThan(j.threshold!.confidence);
    expect(j.reason).toContain(`${formatPercent(HIGH.marginal)} that is marginal`);
  });

  it('passes a small but significant change below the marginal effect, saying it is less than what matters', () => {
    const j = judge(HIGH.marginal * 0.7);
    expect(j.classification).toBe('pass');
    expect(j.change).toBeLessThan(HIGH.marginal);
    expect(j.confidence).toBeGreaterThan(j.threshold!.confidence);
    expect(j.reason).toMatch(new RegExp(`less than the ${formatPercent(HIGH.marginal)} that matters`));
  });

  it('is inconclusive about a large change that is not significant, saying what would settle it', () => {
    // Pods that differ by ~15%: one canary pod 45% higher is within what the spread explains, but a failing change is likely.
    const wide = levelSeries(seededRandom(44), { pods: 9, level: 0.1, podOffsets: tight(0.15), noise: 0.02 });
    const j = judgeAt({ metric: metric(), canary: canaryAt(0.45), baseline: wide }, 'high', FINAL);
    expect(j.change).toBeGreaterThan(HIGH.fail);
    expect(j.classification).toBe('inconclusive');
    expect(j.severity).toBe('none');
    expect(j.confidence).toBeLessThan(j.threshold!.confidence);
    expect(j.chance).toBeGreaterThanOrEqual(HIGH.inconclusiveFrom);
    expect(j.reason).toMatch(/not conclusively higher/);
    expect(j.reason).toContain(`${formatConfidence(j.threshold!.confidence)} needed`);
    expect(j.reason).toMatch(/inconclusive; needs more canary pods/);
  });

  it('passes a change when one that fails the verification is unlikely, saying how likely', () => {
    const j = judge(0.05);
    expect(j.classification).toBe('pass');
    expect(j.chance).toBeLessThan(HIGH.inconclusiveFrom);
    expect(j.threshold).toMatchObject({ passBelow: HIGH.passBelow, inconclusiveFrom: HIGH.inconclusiveFrom });
    expect(j.reason).toContain(`a change of ${formatPercent(HIGH.passBelow)} higher or more is`);
    // Pods so spread that nothing is significant: the pass rests on the chance alone.
    const spread = levelSeries(seededRandom(45), { pods: 9, level: 0.1, podOffsets: tight(0.03), noise: 0.02 });
    const loose = judgeAt({ metric: metric(), canary: canaryAt(0.02), baseline: spread });
    expect(loose.classification).toBe('pass');
    expect(loose.reason).toContain(`below the ${formatPercent(HIGH.inconclusiveFrom)} that holds it up`);
  });

  it('at high sensitivity, asks a pass to make the marginal change unlikely (Medium Healthy fails there); at medium, the failing one', () => {
    expect(HIGH.passBelow).toBe(HIGH.marginal);
    expect(ruleFor('medium', 'latency').passBelow).toBe(ruleFor('medium', 'latency').fail);
    // The same data, not significant: a change of 12% or more is likelier than one of 20% or more.
    const spread = levelSeries(seededRandom(46), { pods: 9, level: 0.1, podOffsets: tight(0.08), noise: 0.02 });
    const input = { metric: metric(), canary: canaryAt(0.15), baseline: spread };
    const [high, medium] = [judgeAt(input, 'high', FINAL), judgeAt(input, 'medium', FINAL)];
    expect(high.threshold).toMatchObject({ passBelow: HIGH.marginal });
    expect(medium.threshold).toMatchObject({ passBelow: ruleFor('medium', 'latency').fail });
    expect(high.chance!).toBeGreaterThan(medium.chance! + 0.1);
  });

  it('is critical for a critical metric, or for a change even low sensitivity would fail', () => {
    expect(judge(HIGH.fail + 0.05, { critical: true })).toMatchObject({ classification: 'fail', severity: 'critical', critical: true });
    expect(judge(HIGH.fail + 0.05)).toMatchObject({ classification: 'fail', severity: 'moderate' });
    expect(judge(LOW.fail + 0.05)).toMatchObject({ classification: 'fail', severity: 'critical' });
    expect(judge((HIGH.marginal + HIGH.fail) / 2, { critical: true })).toMatchObject({ classification: 'marginal', severity: 'minor' });
  });

  it('asks for larger changes at low sensitivity', () => {
    const between = (HIGH.fail + LOW.fail) / 2;
    expect(judge(between, {}, 'high').classification).toBe('fail');
    expect(judge(between, {}, 'medium').classification).toBe('fail');
    expect(judge(between, {}, 'low').classification).toBe(between >= LOW.marginal ? 'marginal' : 'pass');
    expect(judge(LOW.fail + 0.1, {}, 'low').classification).toBe('fail');
    expect(judge((HIGH.marginal + HIGH.fail) / 2, {}, 'low').classification).not.toBe('fail');
  });

  it('applies a per-metric sensitivity over the verification’s', () => {
    const change = (HIGH.fail + LOW.fail) / 2;
    const own = judge(change, { sensitivity: 'low' }, 'high');
    expect(own.threshold).toMatchObject({ marginal: LOW.marginal, fail: LOW.fail, sensitivity: 'low' });
    expect(own.classification).not.toBe('fail');
    expect(own.reason).toMatch(/low sensitivity/);
    const inherited = judge(change, {}, 'high');
    expect(inherited.threshold).toMatchObject({ marginal: HIGH.marginal, fail: HIGH.fail, sensitivity: 'high' });
    expect(inherited.classification).toBe('fail');
    expect(judge(change, { sensitivity: 'high' }, 'low').classification).toBe('fail');
  });
});

describe('judgeMetric: direction', () => {
  it.each([
    ['higher-is-bad', 0.3, 'fail'],
    ['higher-is-bad', -0.3, 'pass'],
    ['lower-is-bad', 0.3, 'pass'],
    ['lower-is-bad', -0.3, 'fail'],
    ['either', 0.3, 'fail'],
    ['either', -0.3, 'fail'],
    ['either', 0, 'pass'],
  ] as const)('%s with a change of %s → %s', (direction, change, classification) => {
    const j = judge(change, { direction, kind: 'throughput' });
    expect(j.classification).toBe(classification);
    // regression is the change in the bad direction (the worse side for `either`).
    if (classification === 'fail') expect(j.regression).toBeGreaterThan(0.2);
    // Symmetric factors: 30% lower is the baseline 1.43 times the canary.
    const down = -j.change! / (1 + j.change!);
    if (direction === 'higher-is-bad') expect(j.regression).toBeCloseTo(j.change!, 12);
    else if (direction === 'lower-is-bad') expect(j.regression).toBeCloseTo(down, 12);
    else expect(j.regression).toBeCloseTo(j.change! >= 0 ? j.change! : down, 12);
  });

  it('says lower for a lower-is-bad regression', () => {
    const j = judge(-0.3, { direction: 'lower-is-bad', kind: 'throughput' });
    expect(j.reason).toMatch(/lower/);
    expect(j.change).toBeLessThan(0);
  });

  it('reports the same two-sided confidence required for either as one-sided for the others (each side gets half)', () => {
    const one = judge(0, { direction: 'higher-is-bad' }).threshold!.confidence;
    const two = judge(0, { direction: 'either' }).threshold!.confidence;
    expect(two).toBeCloseTo(one, 12);
  });

  it('fails a 30% drop of an either metric even under its ignore floor (the floor only excuses rises)', () => {
    const j = judge(-0.3, { direction: 'either', kind: 'throughput', ignoreBelow: 1e9 });
    expect(j.classification).toBe('fail');
  });
});

describe('judgeMetric: absolute bounds', () => {
  it('fails fast, critically, above the bound even without a relative regression', () => {
    const canary = canaryAt(0, 45, 0.5);
    const baseline = levelSeries(seededRandom(46), { pods: 9, level: 0.5, podOffsets: tight(), noise: 0.01 });
    const j = judgeAt({ metric: metric({ failFast: { above: 0.3 } }), canary, baseline }, 'low', FINAL);
    expect(j).toMatchObject({ classification: 'fail', severity: 'critical', failedFast: true, regression: Infinity, confidence: null });
    expect(j.reason).toMatch(/above the fail-fast bound 0\.3/);
    expect(j.threshold).not.toBeNull();
  });

  it('fails fast below the bound, also before the window closes', () => {
    const canary = levelSeries(seededRandom(47), { pods: 1, level: 5, podOffsets: [0], prefix: 'canary' });
    const baseline = levelSeries(seededRandom(48), { pods: 9, level: 5, podOffsets: tight() });
    const j = judgeAt({ metric: metric({ kind: 'throughput', direction: 'lower-is-bad', failFast: { below: 10 } }), canary, baseline }, 'medium', lookAt(60));
    expect(j).toMatchObject({ classification: 'fail', severity: 'critical', failedFast: true });
    expect(j.reason).toMatch(/below the fail-fast bound/);
  });

  it('does not fail fast inside the bounds', () => {
    const j = judge(0, { failFast: { above: 0.3, below: 0.01 } });
    expect(j.classification).toBe('pass');
    expect(j.failedFast).toBeUndefined();
  });

  it('passes a regression of a canary under the ignore floor, and says why', () => {
    // 3 ms against 1 ms: tripled, but below a 5 ms floor.
    const baseline = levelSeries(seededRandom(49), { pods: 9, level: 1, podOffsets: tight(), noise: 0.01 });
    const canary = canaryAt(2, 50, 1);
    const floored = judgeAt({ metric: metric({ ignoreBelow: 5 }), canary, baseline }, 'high', FINAL);
    expect(floored.classification).toBe('pass');
    expect(floored.severity).toBe('none');
    expect(floored.change).toBeGreaterThan(1.5);
    expect(floored.reason).toMatch(/ignore floor 5/);
    // The same data without the floor fails, and with a floor below the canary too.
    expect(judgeAt({ metric: metric(), canary, baseline }, 'high', FINAL).classification).toBe('fail');
    expect(judgeAt({ metric: metric({ ignoreBelow: 2 }), canary, baseline }, 'high', FINAL).classification).toBe('fail');
  });

  it('lets a fail-fast bound win over the ignore floor', () => {
    const j = judge(0, { ignoreBelow: 1, failFast: { above: 0.05 } });
    expect(j).toMatchObject({ classification: 'fail', failedFast: true });
  });
});

describe('judgeMetric: thresholds and explanations', () => {
  it('requires more confidence at an interim look than at the end', () => {
    const interim = judge(0, {}, 'high', lookAt(150));
    const final = judge(0, {}, 'high', FINAL);
    expect(interim.threshold!.confidence).toBeGreaterThan(final.threshold!.confidence);
    // A continuous metric keeps SHIFT_SHARE of its budget for the shift test; the rest is the whole window's.
    const levelShare = 1 - SHIFT_SHARE;
    expect(final.threshold!.confidence).toBeCloseTo(1 - levelShare * alphaAt(ruleFor('high', 'latency').confidence, FINAL), 12);
    expect(interim.threshold!.confidence).toBeCloseTo(1 - levelShare * alphaAt(ruleFor('high', 'latency').confidence, lookAt(150)), 12);
  });

  it('acts at the end on a change it would not act on at an interim look', () => {
    // The same data, judged at the interim level (stricter) and at the final one.
    const wideish = levelSeries(seededRandom(51), { pods: 9, level: 0.1, podOffsets: tight(0.05), noise: 0.01 });
    const history = [1, 2, 3].map((i) => levelSeries(seededRandom(950 + i), { pods: 9, level: 0.1, podOffsets: tight(0.05), noise: 0.01, prefix: `old${i}` }));
    const canary = canaryAt(0.2);
    const at = (look = FINAL) => judgeAt({ metric: metric(), canary, baseline: wideish, history }, 'high', look);
    const final = at();
    const interim = at(lookAt(270));
    expect(final.confidence).toBe(interim.confidence);
    expect(final.confidence!).toBeGreaterThan(final.threshold!.confidence);
    expect(interim.confidence!).toBeLessThan(interim.threshold!.confidence);
    expect(final.classification).toBe('marginal');
    // Not significant at the interim level: no regression to act on yet (inconclusive decides nothing before the end).
    expect(interim.classification).toBe('inconclusive');
  });

  it('explains with the canary and baseline values, the change, the confidence and the rule', () => {
    const rule = ruleFor('high', 'latency');
    for (const change of [0, 0.08, 0.16, 0.3]) {
      const j = judge(change);
      expect(j.reason.startsWith('latency_p95: ')).toBe(true);
      expect(j.reason).toContain(`canary ${formatValue(j.canary!)}`);
      expect(j.reason).toContain(`baseline ${formatValue(j.baseline!)}`);
      expect(j.reason).toContain(formatChange(j.change!));
      expect(j.reason).toContain(formatConfidence(j.confidence!));
      expect(j.reason).toContain('high sensitivity');
      expect(j.reason).toContain(formatPercent(rule.marginal));
      expect(j.reason).toContain(formatPercent(rule.fail));
    }
  });

  it('shows ratio values as percentages and passes notes on', () => {
    const random = seededRandom(52);
    const healthy = ratioGroup(random, { pods: 8, requests: 300, rate: 0.01 });
    const broken = ratioGroup(random, { pods: 1, requests: 300, rate: 0.2, podSpread: 0, prefix: 'bad-node' });
    const baseline = { numerator: new Map([...healthy.numerator, ...broken.numerator]), denominator: new Map([...healthy.denominator, ...broken.denominator]) };
    const canary = ratioGroup(random, { pods: 1, requests: 300, rate: 0.01, prefix: 'canary' });
    const j = judgeAt({ metric: metric({ name: 'errors', kind: 'ratio' }), canary, baseline }, 'high', FINAL);
    expect(j.reason).toMatch(/canary \d+(\.\d+)?% vs baseline \d+(\.\d+)?%/);
    expect(j.reason).toContain('bad-node-0');
  });

  it('fails a ratio metric whose canary errs three times as often, and passes one that errs alike', () => {
    const random = seededRandom(53);
    const baseline = ratioGroup(random, { pods: 9, requests: 300, rate: 0.01 });
    const errors = metric({ name: 'errors', kind: 'ratio' });
    const worse = judgeAt({ metric: errors, canary: ratioGroup(random, { pods: 1, requests: 300, rate: 0.03, prefix: 'canary' }), baseline }, 'high', FINAL);
    expect(worse.classification).toBe('fail');
    expect(worse.threshold).toMatchObject({ marginal: ruleFor('high', 'ratio').marginal, fail: ruleFor('high', 'ratio').fail });
    const same = judgeAt({ metric: errors, canary: ratioGroup(random, { pods: 1, requests: 300, rate: 0.01, prefix: 'canary' }), baseline }, 'high', FINAL);
    expect(same.classification).toBe('pass');
  });

  it('throws a TypeError when a ratio metric gets plain series, or another kind gets counts', () => {
    expect(() => judgeAt({ metric: metric({ kind: 'ratio' }), canary: canaryAt(0), baseline: BASELINE }, 'high', FINAL)).toThrow(TypeError);
    const counts = fixedCounts([[3, 3000]]);
    expect(() => judgeAt({ metric: metric({ kind: 'latency' }), canary: counts, baseline: counts }, 'high', FINAL)).toThrow(TypeError);
    expect(() => judgeAt({ metric: metric({ kind: 'ratio', name: 'errs' }), canary: counts, baseline: BASELINE }, 'high', FINAL)).toThrow(/errs/);
  });
});

describe('judgeMetric: ignore floor and too little evidence', () => {
  it('says no data, not pass, when a conclusive rise on too little data is under the ignore floor', () => {
    const baseline = levelSeries(seededRandom(60), { pods: 9, level: 1, podOffsets: tight(), noise: 0.01 });
    const canary = canaryAt(2, 61, 1);
    const withFloor = judgeAt({ metric: metric({ ignoreBelow: 1000, minEvidence: 1000 }), canary, baseline }, 'high', FINAL);
    expect(withFloor.classification).toBe('nodata');
    expect(withFloor.reason).toMatch(/too little data/);
    const withoutFloor = judgeAt({ metric: metric({ minEvidence: 1000 }), canary, baseline }, 'high', FINAL);
    expect(withoutFloor.classification).toBe('fail');
  });
});
