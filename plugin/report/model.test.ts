import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseVerifyConfig, type MetricConfig } from '../config/schema.js';
import { judgeVerification } from '../judge/judge.js';
import { DURATION_MS, FINAL, T0, levelSeries, lookAt, ratioGroup, seededRandom, upTo } from '../judge/synthetic.test-helpers.js';
import type { GroupData, Look, MetricInput, MetricJudgement } from '../judge/types.js';
import { verdictSentence } from '../verify/measurement.js';
import { judgeSettings } from '../verify/verification.js';
import { buildReport, decisiveMetrics, describeWindow, limitsOf, type ReportInput } from './model.js';
import { judgedReport } from './report.test-helpers.js';

const written = {
  duration: '5m',
  canary: { podTemplateHash: 'new' },
  baseline: { podTemplateHash: 'old' },
  source: { prometheus: { address: 'http://prometheus:9090' } },
  // Latency first: the judge puts the failing errors first, and the report must follow the judge.
  metrics: [
    { name: 'latency', kind: 'latency', query: 'latency_p95{${selector}}', failFast: { above: 1 } },
    { name: 'errors', kind: 'ratio', numerator: 'sum by (pod) (errors_total{${selector}})', denominator: 'sum by (pod) (requests_total{${selector}})', ignoreBelow: 0.001 },
  ],
};
const config = parseVerifyConfig(written);
const [latency, errors] = config.metrics as [MetricConfig, MetricConfig];

const window = { start: new Date(T0 * 1000), end: new Date(T0 * 1000 + DURATION_MS) };
const NOTHING: GroupData = new Map();
const NO_COUNTS: GroupData = { numerator: new Map(), denominator: new Map() };

interface Case {
  canaryErrorRate?: number;
  /** Metrics the source returned nothing for. */
  empty?: string[];
  warned?: string[];
  look?: Look;
}

/** The judge's inputs and result for 3 canary and 5 baseline pods; the canary's error rate as given (1% is the baseline's). */
function judged({ canaryErrorRate = 0.01, empty = [], warned = [], look = FINAL }: Case = {}) {
  const random = seededRandom(3);
  const seen = (data: GroupData) => upTo(data, look.elapsedMs / 1000);
  const data: MetricInput[] = [
    { metric: latency, canary: levelSeries(random, { pods: 3, level: 0.2, prefix: 'canary' }), baseline: levelSeries(random, { pods: 5, level: 0.2, prefix: 'stable' }) },
    {
      metric: errors,
      canary: ratioGroup(random, { pods: 3, requests: 1000, rate: canaryErrorRate, prefix: 'canary' }),
      baseline: ratioGroup(random, { pods: 5, requests: 1000, rate: 0.01, prefix: 'stable' }),
    },
  ];
  const inputs = data.map((input): MetricInput => {
    const none = input.metric.kind === 'ratio' ? NO_COUNTS : NOTHING;
    const gone = empty.includes(input.metric.name);
    return {
      ...input,
      canary: gone ? none : seen(input.canary),
      baseline: gone ? none : seen(input.baseline),
      ...(warned.includes(input.metric.name) && { warnings: ['PromQL warning: some stores were unavailable'] }),
    };
  });
  return { inputs, result: judgeVerification(judgeSettings(config), inputs, look) };
}

function reportOf(c: Case = {}, extra: Partial<ReportInput> = {}) {
  const { inputs, result } = judged(c);
  const now = new Date(window.end.getTime() + 1500);
  return { result, report: buildReport({ subject: 'AnalysisRun shop/web-1, metric verify', config, window, judged: window, result, inputs, now, ...extra }) };
}

/** A judgement of `latency` around a baseline of 0.2, marginal from +12%, failing from +20%. */
function judgement(overrides: Partial<MetricJudgement> = {}): MetricJudgement {
  return {
    name: 'latency',
    kind: 'latency',
    direction: 'higher-is-bad',
    critical: false,
    weight: 1,
    mustHaveData: true,
    classification: 'pass',
    severity: 'none',
    reason: 'latency: no change',
    canary: 0.2,
    baseline: 0.2,
    change: 0,
    confidence: 0.5,
    regression: 0,
    threshold: { marginal: 0.12, fail: 0.2, confidence: 0.997, passBelow: 0.2, inconclusiveFrom: 0.66, sensitivity: 'medium' },
    ...overrides,
  };
}

const plain = { ...latency, failFast: undefined, ignoreBelow: undefined };

describe('limitsOf', () => {
  it('higher-is-bad: the marginal and failing changes above the baseline, baseline × (1 + effect)', () => {
    expect(limitsOf(judgement(), plain)).toEqual([
      { label: 'marginal above (+12%)', value: expect.closeTo(0.224, 12), kind: 'marginal' },
      { label: 'fails above (+20%)', value: expect.closeTo(0.24, 12), kind: 'fail' },
    ]);
  });

  it('lower-is-bad: the same factors below, baseline / (1 + effect)', () => {
    expect(limitsOf(judgement({ direction: 'lower-is-bad' }), plain)).toEqual([
      { label: 'marginal below (−12% factor)', value: expect.closeTo(0.2 / 1.12, 12), kind: 'marginal' },
      { label: 'fails below (−20% factor)', value: expect.closeTo(0.2 / 1.2, 12), kind: 'fail' },
    ]);
  });

  it('either: both sides', () => {
    const limits = limitsOf(judgement({ direction: 'either' }), plain);
    expect(limits.map((l) => [l.kind, Number(l.value.toFixed(4))])).toEqual([
      ['marginal', 0.224],
      ['marginal', 0.1786],
      ['fail', 0.24],
      ['fail', 0.1667],
    ]);
  });

  it('the fail-fast bounds and the ignore floor as given, in the metric’s unit', () => {
    const metric = { ...plain, failFast: { above: 0.5, below: 0.01 }, ignoreBelow: 0.05 };
    expect(limitsOf(judgement(), metric).slice(2)).toEqual([
      { label: 'fail-fast above', value: 0.5, kind: 'fail-fast' },
      { label: 'fail-fast below', value: 0.01, kind: 'fail-fast' },
      { label: 'rises ignored below', value: 0.05, kind: 'ignore-below' },
    ]);
  });

  it('no relative lines without a baseline to draw them around (no data, a zero baseline, no threshold); absolute ones stay', () => {
    const metric = { ...plain, failFast: { above: 0.5 } };
    for (const missing of [{ baseline: null }, { baseline: 0 }, { threshold: null }]) {
      expect(limitsOf(judgement(missing), metric)).toEqual([{ label: 'fail-fast above', value: 0.5, kind: 'fail-fast' }]);
    }
  });
});

describe('buildReport', () => {
  it('keeps the judge’s verdict, score, sentence and metric order (worst first), with each metric’s judgement', () => {
    const { result, report } = reportOf({ canaryErrorRate: 0.05 });
    expect(result.verdict).toBe('Unhealthy');
    expect(report).toMatchObject({ final: true, verdict: 'Unhealthy', phase: 'Failed', score: result.score, sentence: verdictSentence(result) });
    expect(report.sentence).toMatch(/^Unhealthy, score \d+\/100: errors:/);
    expect(report.metrics.map((m) => m.judgement.name)).toEqual(['errors', 'latency']);
    expect(report.metrics.map((m) => m.judgement)).toEqual(result.metrics);
  });

  it('draws each metric’s pods and aggregate, the test it was given and its limits', () => {
    const { report } = reportOf({ canaryErrorRate: 0.05 });
    const [errorsMetric, latencyMetric] = report.metrics;
    expect(errorsMetric!.canary.pods.map((p) => p.pod)).toEqual(['canary-0', 'canary-1', 'canary-2']);
    expect(errorsMetric!.baseline.pods).toHaveLength(5);
    expect(errorsMetric!.canary.aggregate).toHaveLength(10);
    // A rate per step, in ms.
    expect(errorsMetric!.canary.aggregate[0]![0]).toBe((T0 + 30) * 1000);
    expect(errorsMetric!.canary.aggregate.every(([, rate]) => rate > 0.02 && rate < 0.1)).toBe(true);
    expect(errorsMetric!.test).toMatch(/negative binomial/);
    expect(latencyMetric!.test).toMatch(/t test/);
    expect(errorsMetric!.limits).toEqual(limitsOf(errorsMetric!.judgement, errors));
    expect(errorsMetric!.limits.map((l) => l.kind)).toEqual(['marginal', 'fail', 'ignore-below']);
    expect(latencyMetric!.limits.map((l) => l.kind)).toEqual(['marginal', 'fail', 'fail-fast']);
  });

  it('states the window, the part judged and the groups as RFC 3339, milliseconds only where there are some', () => {
    const judgedPart = { start: window.start, end: new Date(window.start.getTime() + 90_000) };
    const { report } = reportOf({}, { judged: judgedPart });
    expect(report.window).toEqual({ start: '2023-11-14T22:13:20Z', end: '2023-11-14T22:18:20Z' });
    expect(report.judged).toEqual({ start: '2023-11-14T22:13:20Z', end: '2023-11-14T22:14:50Z' });
    expect(report.generatedAt).toBe('2023-11-14T22:18:21.500Z');
    expect(report.groups).toEqual({ canary: 'new', baseline: 'old' });
    expect(describeWindow(report)).toBe('5m from 2023-11-14T22:13:20Z');
    expect(report.sensitivity).toBe('medium');
    expect(report.sensitivityMeaning).toMatch(/^medium: .*99% confidence/);
  });

  it('gives the config as written, in YAML (the parsed one when none was), its links, commands and recorded measurement', () => {
    const recorded = { phase: 'Successful', message: 'Healthy, score 100/100' };
    const { report } = reportOf({}, { rawConfig: written, links: [{ label: 'Rollout', href: 'https://example.test/r' }], commands: ['kubectl get analysisrun web-1 -n shop -o yaml'], recorded, verificationId: 'v-1' });
    expect(parse(report.config)).toEqual(written);
    expect(report).toMatchObject({ links: [{ label: 'Rollout', href: 'https://example.test/r' }], commands: ['kubectl get analysisrun web-1 -n shop -o yaml'], recorded, verificationId: 'v-1' });
    const bare = reportOf().report;
    expect(parse(bare.config)).toMatchObject({ durationMs: 300_000, canary: { podTemplateHash: 'new' } });
    expect(bare).toMatchObject({ links: [], commands: [] });
    expect(bare).not.toHaveProperty('recorded');
    expect(bare).not.toHaveProperty('verificationId');
    expect(bare).not.toHaveProperty('logs');
  });

  it('leaves out a judged metric the config or the data no longer has', () => {
    const { inputs, result } = judged();
    const report = buildReport({ subject: 's', config: { ...config, metrics: [latency] }, window, judged: window, result, inputs: inputs.slice(0, 1), now: window.end });
    expect(report.metrics.map((m) => m.judgement.name)).toEqual(['latency']);
  });
});

describe('buildReport notes', () => {
  it('none for a decided verdict on complete data', () => {
    expect(reportOf().report.notes).toEqual([]);
  });

  it('no data at all: the recomputed verdict rests on nothing, trust the recorded one', () => {
    const { report } = reportOf({ empty: ['latency', 'errors'] });
    expect(report.notes).toHaveLength(1);
    expect(report.notes[0]).toMatch(/^The source returned no data for this window \((latency, errors|errors, latency)\).*trust the recorded one\.$/);
  });

  it('no data for one metric: names it', () => {
    const { report } = reportOf({ empty: ['latency'] });
    expect(report.notes).toEqual(['The source returned no data for latency in this window: expired (retention), or never collected.']);
  });

  it('the source’s warnings: the data may be partial', () => {
    expect(reportOf({ warned: ['errors'] }).report.notes).toContain('The source warned that its answer may be partial for errors.');
  });

  it('a recorded verdict or score that differs from the recomputed one, and only then', () => {
    const { result } = judged();
    expect(result.verdict).toBe('Healthy');
    const recordedAs = (verdict: 'Healthy' | 'Unhealthy', score: number | null) => reportOf({}, { recorded: { phase: 'Failed', summary: { verdict, score, reasons: [] } } }).report.notes;
    const differs = recordedAs('Unhealthy', 0);
    expect(differs).toHaveLength(1);
    expect(differs[0]).toContain(`Recomputed now, the verdict is Healthy (score ${result.score}), but the verification recorded Unhealthy (score 0)`);
    expect(recordedAs('Healthy', 0)).toHaveLength(1);
    expect(recordedAs('Healthy', result.score)).toEqual([]);
    // Recorded without a verdict summary (another provider's value, or none yet): nothing to compare.
    expect(reportOf({}, { recorded: { phase: 'Running' } }).report.notes).toEqual([]);
  });

  it('still running: the latest look, not a verdict', () => {
    const { result, report } = reportOf({ look: lookAt(90) });
    expect(result.final).toBe(false);
    expect(report).toMatchObject({ final: false, verdict: null, phase: 'Running' });
    expect(report.sentence).toMatch(/^undecided, no conclusive regression/);
    expect(report.notes).toEqual(['The verification is still running: this is the latest look, not a verdict.']);
  });
});

describe('decisiveMetrics', () => {
  it('the metrics not passing, in the judge’s order (worst first), at most `count`', () => {
    const report = judgedReport({ canaryErrorRate: 0.05 });
    expect(decisiveMetrics(report, 3).map((m) => m.judgement.name)).toEqual(['errors']);
    const mixed = {
      ...report,
      metrics: (['fail', 'marginal', 'pass', 'nodata', 'inconclusive'] as const).map((classification, i) => ({ ...report.metrics[1]!, judgement: judgement({ name: `m${i}`, classification }) })),
    };
    expect(decisiveMetrics(mixed, 10).map((m) => m.judgement.name)).toEqual(['m0', 'm1', 'm3', 'm4']);
    expect(decisiveMetrics(mixed, 2).map((m) => m.judgement.name)).toEqual(['m0', 'm1']);
  });

  it('the first metric when every one passes; none from a report without metrics', () => {
    const report = judgedReport({ canaryErrorRate: 0.01 });
    expect(report.metrics.every((m) => m.judgement.classification === 'pass')).toBe(true);
    expect(decisiveMetrics(report, 1)).toEqual([report.metrics[0]]);
    expect(decisiveMetrics({ ...report, metrics: [] }, 3)).toEqual([]);
  });
});
