import type { GroupSelection, HealthSource } from '../collect/source.js';
import type { GroupRef, MetricConfig, VerifyConfig } from '../config/schema.js';
import { judgeRelativeChange, type MetricJudgement } from '../judge/relative-change.js';
import { combineJudgements, type VerdictResult } from '../judge/verdict.js';
import type { VerificationWindow } from './window.js';

function selection(config: VerifyConfig, group: GroupRef): GroupSelection {
  return { podTemplateHash: group.podTemplateHash, selectBy: config.selectBy, hashLabel: config.hashLabel, instanceLabel: config.instanceLabel };
}

async function judgeMetric(config: VerifyConfig, metric: MetricConfig, range: VerificationWindow, source: HealthSource): Promise<MetricJudgement> {
  const fetchGroup = (group: GroupRef) => source.fetchSeries({ metric, group: selection(config, group), start: range.start, end: range.end });
  const [canary, baseline] = await Promise.all([fetchGroup(config.canary), fetchGroup(config.baseline)]);
  return judgeRelativeChange({ metric, canary, baseline, sensitivity: config.sensitivity });
}

/**
 * Collect → judge → verdict for every metric over `range`. A pure function of its inputs and the backend's data,
 * so any replica gets the same answer. Throws CollectError when a metric cannot be collected.
 */
export async function verify(config: VerifyConfig, range: VerificationWindow, source: HealthSource): Promise<VerdictResult> {
  const judgements = await Promise.all(config.metrics.map((metric) => judgeMetric(config, metric, range, source)));
  return combineJudgements(judgements, { failOnNoData: config.failOnNoData });
}
