// What the log judge compares and finds, per template: the counts it is given and the findings it answers with.
// Types only, apart from the judge itself, so that the judge's vocabulary (../types.ts) can name them.
import type { FeedbackMark } from '../../../shared/logs-feedback/feedback.js';
import type { LogLevel } from './levels.js';

export interface TemplateCounts {
  id: string;
  template: string;
  /** Lines of this template in each group over the window. */
  canary: number;
  baseline: number;
  /** Lines in the baseline's history window (earlier stable pods), if read. */
  history?: number;
  /** The worst level seen among its lines. */
  level: LogLevel;
  /** Up to 3 masked sample lines. */
  samples: string[];
}

/** All lines per group. */
export interface LogVolumes {
  canary: number;
  baseline: number;
  history?: number;
}

export type LogClass = 'known' | 'unexpected-frequency' | 'unknown';

export interface LogFinding {
  id: string;
  template: string;
  class: LogClass;
  level: LogLevel;
  canary: number;
  baseline: number;
  /** The baseline pods' lines of it before the window, when those were read. */
  history?: number;
  /** Expected canary count at the baseline's rate (its lines in the window and, when read, before it). */
  expected: number;
  /** One-sided p-value of "the canary logs it no more often"; null when a group has no lines. */
  pValue: number | null;
  /** The p-value adjusted by Holm's method within its level's family (risks compare it with α). */
  adjustedPValue: number | null;
  risk: boolean;
  feedback?: FeedbackMark;
  samples: string[];
  reason: string;
}
