// Ratio metrics read cumulative counters (requests, errors), and the engine takes their increases itself: exact
// counts whatever the scrape interval and the query step, where increase() over a short range would find no
// sample, or extrapolate from too few and overstate the evidence.
import type { InstanceSeries, Sample } from './source.js';

/** How much a counter grew from `before` to `after`; after a reset (a decrease) the new value is the growth. */
function growth(before: number, after: number): number {
  return after >= before ? after - before : after;
}

/**
 * Per instance, the events (numerator) and exposure (denominator) counted in each step, from the counters'
 * values at the range's points, the first at `startSeconds`:
 * - a value at the start is the base the increases are taken from; a series that appears later (a pod started
 *   during the window, an error counter created by its first error) counts from 0;
 * - a counter that went down was reset (a restarted container) and counts its new value; a gap in a series is
 *   bridged, its increase counted at the step after it;
 * - the steps are the denominator's; where the numerator has no value the step has 0 events, and an instance
 *   without any numerator value gets no numerator series, so that a group without the counter shows as such.
 */
export function increasesPerStep(numerator: InstanceSeries, denominator: InstanceSeries, startSeconds: number): { numerator: InstanceSeries; denominator: InstanceSeries } {
  const events: InstanceSeries = new Map();
  const exposure: InstanceSeries = new Map();
  for (const [instance, totals] of denominator) {
    const counted = numerator.get(instance);
    const errorsAt = new Map(counted);
    const stepEvents: Sample[] = [];
    const stepExposure: Sample[] = [];
    let previousTotal: number | undefined;
    let previousErrors: number | undefined;
    for (const [t, total] of totals) {
      const errors = errorsAt.get(t);
      if (previousTotal !== undefined || t > startSeconds) {
        stepExposure.push([t, growth(previousTotal ?? 0, total)]);
        stepEvents.push([t, errors === undefined ? 0 : growth(previousErrors ?? 0, errors)]);
      }
      previousTotal = total;
      // A numerator missing at a step is bridged like the denominator: the next value grows from the last one.
      if (errors !== undefined) previousErrors = errors;
    }
    exposure.set(instance, stepExposure);
    if (counted?.length) events.set(instance, stepEvents);
  }
  return { numerator: events, denominator: exposure };
}
