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

/** When to look again: after `intervalMs`, but not past the end of the window. */
export function nextCheck(window: VerificationWindow, now: Date, intervalMs: number): Date {
  return new Date(Math.min(now.getTime() + intervalMs, window.end.getTime()));
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
