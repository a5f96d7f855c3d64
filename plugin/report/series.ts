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
