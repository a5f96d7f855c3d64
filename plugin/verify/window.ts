import { formatDuration } from '../../shared/config/duration.js';

/** The period a verification covers: fixed at the first call, `duration` long. */
export interface VerificationWindow {
  start: Date;
  end: Date;
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
