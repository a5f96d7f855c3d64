// Collect → judge for every metric of a verification. A pure function of the config, the range and the
// backend's data, so any replica (or a restarted engine) reaches the same result.
import { increasesPerStep } from '../collect/counters.js';
import type { FetchedSeries, GroupSelection, HealthSource } from '../collect/source.js';
import type { GroupRef, MetricConfig, VerifyConfig } from '../config/schema.js';
import { judgeVerification } from '../judge/judge.js';
import type { GroupData, JudgeResult, Look, MetricInput } from '../judge/types.js';
import type { VerificationWindow } from './window.js';

function selection(config: VerifyConfig, group: GroupRef): GroupSelection {
  return { podTemplateHash: group.podTemplateHash, selectBy: config.selectBy, hashLabel: config.hashLabel, instanceLabel: config.instanceLabel };
}

/** One group's data for one metric (a series per instance, or a ratio's numerator and denominator counts per step) and the source's warnings. */
async function collectGroup(
  config: VerifyConfig,
  metric: MetricConfig,
  group: GroupRef,
  range: VerificationWindow,
  source: HealthSource,
): Promise<{ data: GroupData; warnings: string[] }> {
  const fetch = (name: string, query: string, cumulative?: true): Promise<FetchedSeries> =>
    source.fetchSeries({ metric: { name, query }, group: selection(config, group), start: range.start, end: range.end, ...(cumulative ? { cumulative } : {}) });
  if (metric.kind === 'ratio') {
    // Counters: the engine takes their increases per step itself.
    const [numerator, denominator] = await Promise.all([
      fetch(`${metric.name} (numerator)`, metric.numerator, true),
      fetch(`${metric.name} (denominator)`, metric.denominator, true),
    ]);
    return {
      data: increasesPerStep(numerator.series, denominator.series, range.start.getTime() / 1000),
      warnings: [...numerator.warnings, ...denominator.warnings],
    };
  }
  const { series, warnings } = await fetch(metric.name, metric.query);
  return { data: series, warnings };
}

/** The judge's input for every metric over `range`; throws CollectError when a metric cannot be collected. */
export async function collectInputs(config: VerifyConfig, range: VerificationWindow, source: HealthSource): Promise<MetricInput[]> {
  return Promise.all(
    config.metrics.map(async (metric): Promise<MetricInput> => {
      const [canary, baseline] = await Promise.all([config.canary, config.baseline].map((group) => collectGroup(config, metric, group, range, source)));
      const warnings = [...new Set([...canary!.warnings, ...baseline!.warnings])];
      return { metric, canary: canary!.data, baseline: baseline!.data, ...(warnings.length ? { warnings } : {}) };
    }),
  );
}

export interface VerifyOptions {
  /**
   * Judge the data so far as if the window had closed (Terminate): the verdict is final whatever the data says,
   * at the end-of-window confidence.
   */
  asClosed?: boolean;
}

/**
 * Collects every metric over `range` (which starts at the window's start and ends at the latest time judged)
 * and judges it as one look of the window. Before the window closes the result is final only when a
 * regression is conclusive; once closed (or `asClosed`) it always is. Throws CollectError.
 */
export async function verify(config: VerifyConfig, range: VerificationWindow, source: HealthSource, options: VerifyOptions = {}): Promise<JudgeResult> {
  const inputs = await collectInputs(config, range, source);
  const elapsedMs = range.end.getTime() - range.start.getTime();
  const look: Look = { elapsedMs: options.asClosed ? config.durationMs : elapsedMs, durationMs: config.durationMs, intervalMs: config.intervalMs };
  return judgeVerification({ sensitivity: config.sensitivity, failOnNoData: config.failOnNoData, unhealthyPhase: config.unhealthyPhase }, inputs, look);
}
