import { formatPercent } from '../judge/explain.js';
import type { LineSeriesOption } from 'echarts';
import { describe, expect, it } from 'vitest';
import type { MetricJudgement } from '../judge/types.js';
import { MAX_DRAWN_POINTS, chartDescription, metricChartOption } from './charts.js';
import type { ReportMetric } from './model.js';

const T = 1_700_000_000_000;

function errorsMetric(overrides: Partial<ReportMetric> = {}): ReportMetric {
  const judgement: MetricJudgement = {
    name: 'errors',
    kind: 'ratio',
    direction: 'higher-is-bad',
    critical: true,
    weight: 1,
    mustHaveData: true,
    classification: 'fail',
    severity: 'critical',
    reason: 'errors: canary 5% vs baseline 1% (+400%)',
    canary: 0.05,
    baseline: 0.01,
    change: 4,
    confidence: 0.9999,
    regression: 4,
    threshold: { marginal: 0.4, fail: 0.75, confidence: 0.996, passBelow: 0.75, inconclusiveFrom: 0.66, sensitivity: 'medium' },
  };
  return {
    judgement,
    test: 'a negative binomial test',
    canary: {
      pods: [
        { pod: 'web-new-a', points: [[T, 0.0512345], [T + 30_000, 0.048]] },
        { pod: 'web-new-b', points: [[T, 0.05]] },
      ],
      aggregate: [[T, 0.0506], [T + 30_000, 0.048]],
    },
    baseline: { pods: [{ pod: 'web-old-a', points: [[T, 0.01]] }], aggregate: [[T, 0.01]] },
    limits: [
      { label: 'marginal above (+40%)', value: 0.014, kind: 'marginal' },
      { label: 'fails above (+75%)', value: 0.0175, kind: 'fail' },
      { label: 'fail-fast above', value: 0.1, kind: 'fail-fast' },
      { label: 'rises ignored below', value: 0.001, kind: 'ignore-below' },
    ],
    ...overrides,
  };
}

function latencyMetric(): ReportMetric {
  const base = errorsMetric();
  return {
    ...base,
    judgement: { ...base.judgement, name: 'latency', kind: 'latency', canary: 0.25, baseline: 0.2, classification: 'pass' },
    canary: { pods: [{ pod: 'web-new-a', points: [[T, 0.25]] }], aggregate: [[T, 0.25]] },
    baseline: { pods: [{ pod: 'web-old-a', points: [[T, 0.2]] }], aggregate: [[T, 0.2]] },
    limits: [{ label: 'fails above (+20%)', value: 0.24, kind: 'fail' }],
  };
}

const seriesOf = (option: ReturnType<typeof metricChartOption>) => option.series as LineSeriesOption[];
const named = (option: ReturnType<typeof metricChartOption>, name: string) => seriesOf(option).find((s) => s.name === name)!;

// Okabe & Ito (2008): the eight colours distinguishable with the common colour-vision deficiencies.
const OKABE_ITO = new Set(['#E69F00', '#56B4E9', '#009E73', '#F0E442', '#0072B2', '#D55E00', '#CC79A7', '#000000']);

/** Every string in `value` that is a colour ("#rgb" or "#rrggbb"), wherever it is nested. */
function colours(value: unknown): string[] {
  if (typeof value === 'string') return /^#([0-9a-f]{3}){1,2}$/i.test(value) ? [value] : [];
  if (Array.isArray(value)) return value.flatMap(colours);
  if (value && typeof value === 'object') return Object.values(value).flatMap(colours);
  return [];
}

/** A grey (text, grid, background) carries no hue, so it needs no place in the palette. */
function isGrey(colour: string): boolean {
  const hex = colour.length === 4 ? [...colour.slice(1)].map((c) => c + c).join('') : colour.slice(1);
  return hex.slice(0, 2) === hex.slice(2, 4) && hex.slice(2, 4) === hex.slice(4, 6);
}

describe('metricChartOption', () => {
  it('keeps every line on the chart: the value axis spans the data and the thresholds, from 0 for data that is never negative', () => {
    const healthy = latencyMetric();
    const farAbove = { ...healthy, limits: [{ label: 'fails above (+20%)', value: 0.9, kind: 'fail' as const }] };
    expect(metricChartOption(farAbove).yAxis).toMatchObject({ min: 0.165, max: 0.935 });
    // A ratio's axis is in percent: the fail-fast bound at 10% is inside it.
    const axis = metricChartOption(errorsMetric()).yAxis as { min: number; max: number };
    expect(axis.min).toBe(0);
    expect(axis.max).toBeGreaterThanOrEqual(10);
    expect(metricChartOption({ ...healthy, canary: { pods: [], aggregate: [] }, baseline: { pods: [], aggregate: [] }, limits: [] }).yAxis).not.toHaveProperty('max');
  });

  it('spans a window with more points than a function call takes arguments (an hour at 1 s over many pods)', () => {
    // 300,000 points from 0.1 to 0.4, the extremes in the middle of the series.
    const points = Array.from({ length: 300_000 }, (_, i): [number, number] => [T + i * 1000, 0.2 + (i % 1000) / 10_000]);
    points[150_000] = [points[150_000]![0], 0.1];
    points[150_001] = [points[150_001]![0], 0.4];
    const long = { ...latencyMetric(), canary: { pods: [{ pod: 'web-new-a', points }], aggregate: [] }, limits: [] };
    // 0.1 to 0.4, padded by 5% of the span.
    expect(metricChartOption(long).yAxis).toMatchObject({ min: 0.085, max: 0.415 });
    // Drawn thinned, its extremes kept.
    const drawn = named(metricChartOption(long), 'canary pod web-new-a').data as [number, number][];
    expect(drawn.length).toBeLessThanOrEqual(MAX_DRAWN_POINTS);
    expect(drawn).toContainEqual([points[150_000]![0], 0.1]);
    expect(drawn).toContainEqual([points[150_001]![0], 0.4]);
  });

  it('draws a ratio in percent: every point ×100, to 4 significant digits', () => {
    const option = metricChartOption(errorsMetric());
    expect(named(option, 'canary pod web-new-a').data).toEqual([[T, 5.123], [T + 30_000, 4.8]]);
    expect(named(option, 'canary (pooled)').data).toEqual([[T, 5.06], [T + 30_000, 4.8]]);
    expect(named(option, 'baseline (pooled)').data).toEqual([[T, 1]]);
    expect(option.yAxis).toMatchObject({ name: '%' });
  });

  it('draws other kinds in their own unit, the aggregate as the median of pods', () => {
    const option = metricChartOption(latencyMetric());
    expect(named(option, 'canary (median of pods)').data).toEqual([[T, 0.25]]);
    expect(named(option, 'canary pod web-new-a').data).toEqual([[T, 0.25]]);
    expect(option.yAxis).toMatchObject({ name: 'latency' });
    const lines = named(option, 'thresholds').markLine!.data as { yAxis: number }[];
    expect(lines.map((l) => l.yAxis)).toEqual([0.24]);
  });

  it('draws the limits as mark lines at their values, in the chart’s unit, labelled', () => {
    const lines = named(metricChartOption(errorsMetric()), 'thresholds').markLine!.data as { name: string; yAxis: number; label: { formatter: string } }[];
    expect(lines.map((l) => [l.name, l.yAxis])).toEqual([
      ['marginal above (+40%)', expect.closeTo(1.4, 10)],
      ['fails above (+75%)', expect.closeTo(1.75, 10)],
      ['fail-fast above', expect.closeTo(10, 10)],
      ['rises ignored below', expect.closeTo(0.1, 10)],
    ]);
    expect(lines[1]!.label.formatter).toMatch(/^fails above \(\+75%\): 1\.75%$/);
  });

  it('draws each pod faint and thin, each group’s aggregate bold and on top; the legend names only the aggregates', () => {
    const option = metricChartOption(errorsMetric());
    const series = seriesOf(option);
    expect(series.map((s) => s.name)).toEqual(['baseline pod web-old-a', 'canary pod web-new-a', 'canary pod web-new-b', 'baseline (pooled)', 'canary (pooled)', 'thresholds']);
    const pods = series.filter((s) => String(s.name).includes(' pod '));
    const aggregates = series.filter((s) => /\((pooled|median of pods)\)$/.test(String(s.name)));
    for (const pod of pods) {
      expect(pod.lineStyle).toMatchObject({ width: 1, opacity: expect.any(Number) });
      expect(pod.lineStyle!.opacity).toBeLessThan(0.6);
    }
    for (const aggregate of aggregates) {
      expect(aggregate.lineStyle!.width).toBeGreaterThanOrEqual(3);
      expect(aggregate.lineStyle).not.toHaveProperty('opacity');
      expect(aggregate.z).toBeGreaterThan(pods[0]!.z!);
    }
    // Told apart by more than colour: the baseline dashed, and different symbols.
    expect(named(option, 'baseline (pooled)').lineStyle!.type).toBe('dashed');
    expect(named(option, 'canary (pooled)').lineStyle!.type).toBe('solid');
    expect(named(option, 'canary (pooled)').symbol).not.toBe(named(option, 'baseline (pooled)').symbol);
    expect(option.legend).toMatchObject({ data: ['canary (pooled)', 'baseline (pooled)'] });
  });

  it('is plain JSON: no functions or undefined, the same after a round trip (the server renders it to SVG)', () => {
    for (const option of [metricChartOption(errorsMetric()), metricChartOption(latencyMetric(), { title: true, animation: false, width: 800, height: 400 })]) {
      expect(JSON.parse(JSON.stringify(option))).toStrictEqual(option);
    }
  });

  it('uses the Okabe–Ito palette for every colour that has a hue', () => {
    const used = colours(metricChartOption(errorsMetric(), { title: true }));
    expect(used.length).toBeGreaterThan(5);
    const hued = used.filter((c) => !isGrey(c)).map((c) => c.toUpperCase());
    expect(hued.length).toBeGreaterThan(0);
    expect(hued.filter((c) => !OKABE_ITO.has(c))).toEqual([]);
  });

  it('titles the chart with the metric and its figures only when asked, and animates unless told not to', () => {
    const metric = errorsMetric();
    const plainOption = metricChartOption(metric);
    expect(plainOption).not.toHaveProperty('title');
    expect(plainOption.animation).toBe(true);
    const titled = metricChartOption(metric, { title: true, animation: false });
    const { classification, canary, baseline } = metric.judgement;
    expect(titled.title).toMatchObject({ text: 'errors', subtext: expect.stringMatching(new RegExp(`^${classification}: canary ${formatPercent(canary!)} vs baseline ${formatPercent(baseline!)} \\([+−]`)) });
    expect(titled.animation).toBe(false);
  });

  it('describes itself for screen readers', () => {
    const option = metricChartOption(errorsMetric());
    expect(option.aria).toEqual({ enabled: true, label: { description: chartDescription(errorsMetric()) } });
  });
});

describe('chartDescription', () => {
  it('says what the chart shows: pods per group, both values, the result and the lines', () => {
    expect(chartDescription(errorsMetric())).toBe(
      'errors over the window, 2 canary pods against 1 baseline pod: canary 5%, baseline 1%. fail. Lines: marginal above (+40%) 1.4%; fails above (+75%) 1.75%; fail-fast above 10%; rises ignored below 0.1%.',
    );
  });

  it('without data or lines', () => {
    const metric = errorsMetric({ limits: [], canary: { pods: [], aggregate: [] }, baseline: { pods: [], aggregate: [] } });
    metric.judgement = { ...metric.judgement, canary: null, baseline: null, classification: 'nodata' };
    expect(chartDescription(metric)).toBe('errors over the window, 0 canary pods against 0 baseline pods: canary no data, baseline no data. nodata.');
  });
});
