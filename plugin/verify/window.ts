import { formatDuration } from '../../shared/config/duration.js';
import type { InstanceSeries, Sample } from '../collect/source.js';
import { isRatioGroup, type GroupData } from '../judge/types.js';

/** The period a verification covers: fixed at the first call, `duration` long. */
export interface VerificationWindow {
  start: Date;
  end: Date;
}

/** Index of the first sample with time > t in a series sorted by time. */
function firstAfter(samples: readonly Sample[], t: number): number {
  let low = 0;
  let high = samples.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (samples[mid]![0] > t) high = mid;
    else low = mid + 1;
  }
  return low;
}

/**
 * Per instance, the samples of a window that starts at `fromS`: fromS < t ≤ untilS (unix seconds), from series
 * in time order as sources give them. A sample stamped at the start describes the time before it (a rate or a
 * quantile over the last minute, a counter's step), so it is not the window's.
 */
export function samplesWithin(series: InstanceSeries, fromS: number, untilS = Infinity): InstanceSeries {
  const result: InstanceSeries = new Map();
  for (const [instance, samples] of series) result.set(instance, samples.slice(firstAfter(samples, fromS), firstAfter(samples, untilS)));
  return result;
}

/** samplesWithin for a metric's data, a ratio's counts as well as a level's series. */
export function groupWithin(group: GroupData, fromS: number, untilS = Infinity): GroupData {
  return isRatioGroup(group)
    ? { numerator: samplesWithin(group.numerator, fromS, untilS), denominator: samplesWithin(group.denominator, fromS, untilS) }
    : samplesWithin(group, fromS, untilS);
}

export function windowFrom(start: Date, durationMs: number): VerificationWindow {
  return { start, end: new Date(start.getTime() + durationMs) };
}

export function isClosed(window: VerificationWindow, now: Date): boolean {
  return now.getTime() >= window.end.getTime();
}

/** The part of the window that has happened: [start, min(now, end)]. Once closed it no longer depends on now. */
export function elapsedRange(window: VerificationWindow, now: Date): VerificationWindow {
  const end = Math.max(window.start.getTime(), Math.min(now.getTime(), window.end.getTime()));
  return { start: window.start, end: new Date(end) };
}

/**
 * How far into the window a look judges: whole intervals only, or the whole window once it has closed. Looking
 * more often than every interval (a retried call, a script polling the offline judge) then repeats a look
 * instead of spending more of the false-alarm budget than the looks it was shared among.
 */
export function lookElapsedMs(elapsedMs: number, durationMs: number, intervalMs: number): number {
  if (elapsedMs >= durationMs) return durationMs;
  return Math.max(0, Math.floor(elapsedMs / intervalMs) * intervalMs);
}

/** The part of the window a look at `now` judges: [start, start + lookElapsedMs]. */
export function lookRange(window: VerificationWindow, now: Date, intervalMs: number): VerificationWindow {
  const durationMs = window.end.getTime() - window.start.getTime();
  return { start: window.start, end: new Date(window.start.getTime() + lookElapsedMs(now.getTime() - window.start.getTime(), durationMs, intervalMs)) };
}

/**
 * When to look again: the next whole interval into the window after `now` (looks judge whole intervals, see
 * lookElapsedMs), but not past the end of the window.
 */
export function nextCheck(window: VerificationWindow, now: Date, intervalMs: number): Date {
  const start = window.start.getTime();
  const next = start + (Math.floor((now.getTime() - start) / intervalMs) + 1) * intervalMs;
  return new Date(Math.min(next, window.end.getTime()));
}

/** "2m of the 5m window (40%)". */
export function describeCoverage(window: VerificationWindow, now: Date): string {
  const total = window.end.getTime() - window.start.getTime();
  const range = elapsedRange(window, now);
  const covered = range.end.getTime() - range.start.getTime();
  return `${formatDuration(covered)} of the ${formatDuration(total)} window (${Math.round((100 * covered) / total)}%)`;
}

/** A window start read back from stored state; null unless it is a valid RFC 3339 time. */
export function parseTimestamp(text: unknown): Date | null {
  if (typeof text !== 'string' || !/^\d{4}-\d{2}-\d{2}T/.test(text)) return null;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? null : date;
}
