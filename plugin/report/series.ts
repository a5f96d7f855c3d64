// What a report draws of one group's data: each pod's series and the group's aggregate, as the judge sees them.
// A ratio is drawn as its rate per step (events / requests), its aggregate pooled over the pods (as the judge
// pools them); a level's aggregate is the median across pods at each step (the judge's per-step reference).
import { median } from 'simple-statistics';
import type { Sample } from '../collect/source.js';
import { isRatioGroup, type GroupData } from '../judge/types.js';

/** [epoch ms, value]. */
export type Point = [number, number];

export interface PodSeries {
  pod: string;
  points: Point[];
}

export interface GroupSeries {
  pods: PodSeries[];
  aggregate: Point[];
}

const byTime = (a: Point, b: Point) => a[0] - b[0];

/** Per pod, the rate of each step with requests; pooled per step over the pods. */
function ratioSeries(numerator: Map<string, Sample[]>, denominator: Map<string, Sample[]>): GroupSeries {
  const pooled = new Map<number, { events: number; exposure: number }>();
  const pods: PodSeries[] = [];
  for (const [pod, steps] of denominator) {
    const events = new Map(numerator.get(pod) ?? []);
    const points: Point[] = [];
    for (const [t, requests] of steps) {
      if (!(requests > 0) || !Number.isFinite(requests)) continue;
      const errors = events.get(t) ?? 0;
      if (!(errors >= 0) || !Number.isFinite(errors)) continue;
      points.push([t * 1000, errors / requests]);
      const step = pooled.get(t) ?? { events: 0, exposure: 0 };
      step.events += errors;
      step.exposure += requests;
      pooled.set(t, step);
    }
    if (points.length) pods.push({ pod, points });
  }
  const aggregate = [...pooled].map(([t, { events, exposure }]): Point => [t * 1000, events / exposure]).sort(byTime);
  return { pods, aggregate };
}

/** Per pod, its samples; the median across pods at each time. */
function levelSeries(series: Map<string, Sample[]>): GroupSeries {
  const atTime = new Map<number, number[]>();
  const pods: PodSeries[] = [];
  for (const [pod, samples] of series) {
    const points = samples.filter(([, value]) => Number.isFinite(value)).map(([t, value]): Point => [t * 1000, value]);
    for (const [t, value] of points) {
      const values = atTime.get(t);
      if (values) values.push(value);
      else atTime.set(t, [value]);
    }
    if (points.length) pods.push({ pod, points });
  }
  const aggregate = [...atTime].map(([t, values]): Point => [t, median(values)]).sort(byTime);
  return { pods, aggregate };
}

/** The series a chart draws of `data`, pods in name order. */
export function groupSeries(data: GroupData): GroupSeries {
  const drawn = isRatioGroup(data) ? ratioSeries(data.numerator, data.denominator) : levelSeries(data);
  drawn.pods.sort((a, b) => a.pod.localeCompare(b.pod));
  return drawn;
}

/**
 * At most about `max` points of a series for drawing: in as many runs of consecutive points as `max / 2`, the lowest
 * and the highest of each, in time order, so that a spike a chart should show is kept. A chart is about a thousand
 * pixels wide; an hour at one-second steps drawn point by point over fifty pods makes pages of many megabytes and
 * images that take seconds to render. The judge and the data tables use every point.
 */
export function thinned(points: readonly Point[], max: number): Point[] {
  const runs = Math.max(1, Math.floor(max / 2));
  if (points.length <= max) return [...points];
  const kept: Point[] = [];
  for (let run = 0; run < runs; run += 1) {
    const from = Math.floor((run * points.length) / runs);
    const to = Math.floor(((run + 1) * points.length) / runs);
    let low = from;
    let high = from;
    for (let i = from + 1; i < to; i += 1) {
      if (points[i]![1] < points[low]![1]) low = i;
      if (points[i]![1] > points[high]![1]) high = i;
    }
    for (const i of low === high ? [low] : [Math.min(low, high), Math.max(low, high)]) kept.push(points[i]!);
  }
  return kept;
}
