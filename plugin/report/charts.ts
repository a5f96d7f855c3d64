// One chart per metric, as an Apache ECharts option: plain data (no functions), so the same option is drawn in
// the browser and rendered to SVG on the server (Slack's image). Canary against baseline over the window: each
// pod's series faint, each group's aggregate bold, the thresholds and bounds as lines.
import type { EChartsOption, LineSeriesOption } from 'echarts';
import { extent } from 'simple-statistics';
import { formatChange, formatMetricValue } from '../judge/explain.js';
import { thinned, type Point } from './series.js';
import type { Limit, ReportMetric } from './model.js';

/**
 * Okabe–Ito, safe for the common colour-vision deficiencies; each series also differs by line style or symbol,
 * so nothing is told by colour alone.
 */
export const PALETTE = { canary: '#D55E00', baseline: '#0072B2', marginal: '#E69F00', fail: '#CC79A7', bound: '#000000', text: '#1a1a1a', grid: '#d0d0d0' };

// Labels of lines close together would overlap: each kind labels at its own end of the line.
const LIMIT_STYLE: Record<Limit['kind'], { color: string; type: 'dashed' | 'solid' | 'dotted'; label: 'insideStartTop' | 'insideEndTop' | 'insideMiddleTop' | 'insideMiddleBottom' }> = {
  marginal: { color: PALETTE.marginal, type: 'dashed', label: 'insideStartTop' },
  fail: { color: PALETTE.fail, type: 'solid', label: 'insideEndTop' },
  'fail-fast': { color: PALETTE.bound, type: 'dotted', label: 'insideMiddleTop' },
  'ignore-below': { color: '#777777', type: 'dotted', label: 'insideMiddleBottom' },
};

export interface ChartOptions {
  width?: number;
  height?: number;
  /** Off for server-side rendering (one frame) and screenshots. */
  animation?: boolean;
  /** A title on the chart itself (the image posted to Slack has no page around it). */
  title?: boolean;
  /** Points drawn per series at most; MAX_DRAWN_POINTS by default. */
  maxPoints?: number;
}

/** A ratio is drawn in percent; other kinds in their own unit. */
const isPercent = (metric: ReportMetric) => metric.judgement.kind === 'ratio';

/** Points drawn per series at most on a page (see thinned): two for every three pixels of a wide chart. */
export const MAX_DRAWN_POINTS = 600;

/** For drawing: thinned, in the chart's unit, to 4 significant digits (what a tooltip shows). */
function scaled(points: Point[], factor: number, maxPoints: number): Point[] {
  return thinned(points, maxPoints).map(([t, v]): Point => [t, Number((v * factor).toPrecision(4))]);
}

export function metricChartOption(metric: ReportMetric, options: ChartOptions = {}): EChartsOption {
  const percent = isPercent(metric);
  const factor = percent ? 100 : 1;
  const maxPoints = options.maxPoints ?? MAX_DRAWN_POINTS;
  const name = metric.judgement.name;
  const pods = (group: 'canary' | 'baseline'): LineSeriesOption[] =>
    metric[group].pods.map((pod) => ({
      type: 'line',
      name: `${group} pod ${pod.pod}`,
      data: scaled(pod.points, factor, maxPoints),
      showSymbol: false,
      lineStyle: { width: 1, opacity: 0.45, color: PALETTE[group], type: group === 'baseline' ? 'dashed' : 'solid' },
      itemStyle: { color: PALETTE[group] },
      emphasis: { disabled: true },
      z: 1,
    }));
  const aggregateName = (group: 'canary' | 'baseline') => `${group} (${percent ? 'pooled' : 'median of pods'})`;
  const aggregate = (group: 'canary' | 'baseline'): LineSeriesOption => ({
    type: 'line',
    name: aggregateName(group),
    data: scaled(metric[group].aggregate, factor, maxPoints),
    symbol: group === 'canary' ? 'triangle' : 'circle',
    symbolSize: 6,
    lineStyle: { width: 3, color: PALETTE[group], type: group === 'baseline' ? 'dashed' : 'solid' },
    itemStyle: { color: PALETTE[group] },
    z: 3,
  });
  const limits: LineSeriesOption = {
    type: 'line',
    name: 'thresholds',
    data: [],
    markLine: {
      silent: true,
      symbol: 'none',
      label: { color: PALETTE.text, fontSize: 11 },
      data: metric.limits.map((limit) => ({
        name: limit.label,
        yAxis: limit.value * factor,
        label: { position: LIMIT_STYLE[limit.kind].label, formatter: `${limit.label}: ${formatMetricValue(limit.value, metric.judgement.kind)}` },
        lineStyle: { color: LIMIT_STYLE[limit.kind].color, type: LIMIT_STYLE[limit.kind].type, width: limit.kind === 'fail' ? 2 : 1.5 },
      })),
    },
  };
  const legend = [aggregateName('canary'), aggregateName('baseline')];
  return {
    animation: options.animation ?? true,
    backgroundColor: '#ffffff',
    color: [PALETTE.canary, PALETTE.baseline],
    textStyle: { fontFamily: 'DejaVu Sans, Liberation Sans, Arial, sans-serif', color: PALETTE.text },
    ...(options.title && { title: { text: name, subtext: summaryLine(metric), left: 8, top: 4, textStyle: { fontSize: 15 }, subtextStyle: { fontSize: 12, color: '#444' } } }),
    aria: { enabled: true, label: { description: chartDescription(metric) } },
    legend: { data: legend, bottom: 0, itemGap: 24, textStyle: { color: PALETTE.text } },
    tooltip: { trigger: 'axis' },
    grid: { left: 64, right: 24, top: options.title ? 72 : 32, bottom: 56 },
    xAxis: { type: 'time', axisLabel: { color: PALETTE.text, hideOverlap: true }, splitLine: { show: false } },
    yAxis: {
      type: 'value',
      scale: true,
      ...valueRange(metric, factor),
      // A titled chart names the metric in its title.
      name: percent ? '%' : options.title ? '' : name,
      // The bounds are not round numbers (valueRange): only the ticks between them are labelled.
      axisLabel: { color: PALETTE.text, showMinLabel: false, showMaxLabel: false },
      splitLine: { lineStyle: { color: PALETTE.grid } },
    },
    series: [...pods('baseline'), ...pods('canary'), aggregate('baseline'), aggregate('canary'), limits],
  };
}

/**
 * The value axis' bounds: the data and every line drawn, so that a threshold far from a healthy canary is still
 * on the chart (ECharts fits the data alone). Rounded to 3 significant digits; never below 0 for data that is not.
 */
function valueRange(metric: ReportMetric, factor: number): { min?: number; max?: number } {
  const values = [...(['canary', 'baseline'] as const).flatMap((group) => metric[group].pods.flatMap((pod) => pod.points.map(([, v]) => v))), ...metric.limits.map((l) => l.value)].map((v) => v * factor);
  if (!values.length) return {};
  // A loop, not Math.min(...values): a long window at a fine step has more points than a call takes arguments.
  const [low, high] = extent(values);
  const pad = (high - low) * 0.05 || Math.abs(high) * 0.05 || 1;
  const min = Number((low - pad).toPrecision(3));
  return { min: low >= 0 ? Math.max(0, min) : min, max: Number((high + pad).toPrecision(3)) };
}

/** "fail: canary 4.87% vs baseline 1.02% (+378%)": a titled chart's second line. */
function summaryLine(metric: ReportMetric): string {
  const { judgement: j } = metric;
  const value = (v: number | null) => (v === null ? 'no data' : formatMetricValue(v, j.kind));
  return `${j.classification}: canary ${value(j.canary)} vs baseline ${value(j.baseline)}${j.change === null ? '' : ` (${formatChange(j.change)})`}`;
}

/** The chart in words: the text alternative of the figure, and ECharts' own aria description. */
export function chartDescription(metric: ReportMetric): string {
  const { judgement } = metric;
  const value = (v: number | null) => (v === null ? 'no data' : formatMetricValue(v, judgement.kind));
  const pods = (group: 'canary' | 'baseline') => `${metric[group].pods.length} ${group} pod${metric[group].pods.length === 1 ? '' : 's'}`;
  const limits = metric.limits.map((l) => `${l.label} ${formatMetricValue(l.value, judgement.kind)}`).join('; ');
  return `${judgement.name} over the window, ${pods('canary')} against ${pods('baseline')}: canary ${value(judgement.canary)}, baseline ${value(judgement.baseline)}. ${judgement.classification}.${limits ? ` Lines: ${limits}.` : ''}`;
}
