// A verification run on demand against the live sources, for a window of the caller's choosing: the engine's
// own collection and judge over a closed window, so a replayed window gets the verdict the engine gave it.
import type { HealthSource, SourceOptions } from '../collect/source.js';
import { createHealthSource, createLogSource } from '../collect/registry.js';
import type { VerifySettings, VerifyConfig } from '../config/schema.js';
import { wholeSeconds } from '../verify/measurement.js';
import { verify } from '../verify/verification.js';
import type { VerificationWindow } from '../verify/window.js';
import { buildReport, type Report } from './model.js';

export interface WindowChoice {
  start?: Date;
  end?: Date;
}

/**
 * The window to judge: `start`/`end` as given, the config's duration filling in the one missing, and ending now
 * when neither is given. Throws Error for a window that has not closed or is empty: only a closed window has a
 * verdict that cannot change.
 */
export function chooseWindow(durationMs: number, { start, end }: WindowChoice, now: Date): VerificationWindow {
  const to = end ?? (start ? new Date(start.getTime() + durationMs) : wholeSeconds(now));
  const from = start ?? new Date(to.getTime() - durationMs);
  if (to.getTime() <= from.getTime()) throw new Error(`the window is empty: it ends (${to.toISOString()}) before it starts (${from.toISOString()})`);
  if (to.getTime() > now.getTime()) {
    throw new Error(`the window ends at ${to.toISOString()}, which has not come yet: give an earlier --start or --end, or leave both out to judge the ${Math.round(durationMs / 1000)}s just past`);
  }
  return { start: from, end: to };
}

/** Calls `onRead(name, ms)` as each of the source's reads finishes: progress while collecting. */
export function observedSource(source: HealthSource, onRead: (name: string, ms: number) => void): HealthSource {
  const timed = async <T>(name: string, read: () => Promise<T>): Promise<T> => {
    const began = performance.now();
    const answer = await read();
    onRead(name, performance.now() - began);
    return answer;
  };
  return {
    description: source.description,
    fetchSeries: (request) => timed(request.metric.name, () => source.fetchSeries(request)),
    ...(source.fetchGroups && { fetchGroups: (request) => timed(request.metric.name, () => source.fetchGroups!(request)) }),
  };
}

export interface ReplayInput {
  /** Where the config was found, e.g. "AnalysisTemplate rollouts-cv-http, metric verify". */
  name: string;
  settings: VerifySettings;
  /** The config as written, for the report. */
  written?: unknown;
  groups: { canary: string; stable: string };
  window: VerificationWindow;
  sourceOptions?: SourceOptions;
  onRead?: (name: string, ms: number) => void;
  now: Date;
}

/** Collects and judges the window as the engine's last look at it does; throws CollectError. */
export async function replay(input: ReplayInput): Promise<Report> {
  const { settings, groups, window } = input;
  // The window may differ from the config's duration: the looks and their confidence follow the window judged.
  const config: VerifyConfig = {
    ...settings,
    durationMs: window.end.getTime() - window.start.getTime(),
    canary: { podTemplateHash: groups.canary },
    baseline: { podTemplateHash: groups.stable },
  };
  const source = createHealthSource(config.source, input.sourceOptions);
  const { result, inputs } = await verify(config, window, input.onRead ? observedSource(source, input.onRead) : source, {
    ...(config.logs && { logSource: createLogSource(config.logs.source, input.sourceOptions) }),
  });
  return buildReport({ subject: input.name, config, rawConfig: input.written, window, judged: window, result, inputs, now: input.now });
}
