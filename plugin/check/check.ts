// `rollouts-cv check`: runs a verification's queries for both groups over a recent window with the engine's own
// collection and judge, and tells per metric whether a verification would have enough data to judge: series
// and samples per group, the minEvidence rule over one verification window, the scrape interval seen in the
// data against the configured one, and the source's warnings.
import type { HealthSource, InstanceSeries } from '../collect/source.js';
import { metricsOf } from '../collect/registry.js';
import type { MetricConfig, VerifyConfig } from '../config/schema.js';
import { judgeVerification } from '../judge/judge.js';
import { DEFAULT_MIN_EVIDENCE } from '../judge/metric.js';
import { isRatioGroup, type GroupData, type MetricJudgement } from '../judge/types.js';
import { collectInputs, judgeSettings, selection } from '../verify/verification.js';
import { formatDuration } from '../../shared/config/duration.js';
import type { SourceHealth } from './health.js';
import type { Verification } from './targets.js';

/** The pods compared: the Rollout's canary and stable pod-template hashes; without a canary, the stable pods alone. */
export interface Groups {
  canary?: string;
  stable: string;
}

export interface GroupSummary {
  hash: string;
  /** Instances (pods) with at least one sample. */
  instances: number;
  samples: number;
  /** For a ratio: instances with a numerator series. */
  numeratorInstances?: number;
}

export interface MetricCheck {
  name: string;
  kind: MetricConfig['kind'];
  /** Enough data to judge a verification of the configured duration, without warnings. */
  ok: boolean;
  /** Null when there is no canary: the stable pods stood in for both groups. */
  canary: GroupSummary | null;
  baseline: GroupSummary;
  /** What the judge weighed over the window and what that makes per verification window, against minEvidence. */
  evidence: { unit: 'requests' | 'samples'; canary: number; baseline: number; perWindow: { canary: number; baseline: number }; least: number } | null;
  /** How often the source has a sample of these series, from the data; null when it could not be told. */
  seenScrapeIntervalMs: number | null;
  warnings: string[];
  /** Why the metric could not be judged, or would not be reliably. */
  problems: string[];
  /** The judge's sentence on the window. */
  judgement: string;
}

export interface VerificationCheck {
  name: string;
  source: string;
  windowMs: number;
  durationMs: number;
  /** How often the source is configured to hold a sample, and the setting that says so; null when the source has no such setting. */
  sampling: { configuredMs: number; setting: string } | null;
  /** The sources' health checks, run before the queries (health.ts); absent when they were not run. */
  sources?: SourceHealth[];
  /** The queries could not be run. */
  error?: string;
  metrics: MetricCheck[];
}

function summary(hash: string, data: GroupData): GroupSummary {
  const count = (series: InstanceSeries) => {
    const filled = [...series.values()].filter((samples) => samples.length > 0);
    return { instances: filled.length, samples: filled.reduce((sum, samples) => sum + samples.length, 0) };
  };
  if (!isRatioGroup(data)) return { hash, ...count(data) };
  return { hash, ...count(data.denominator), numeratorInstances: count(data.numerator).instances };
}

function problemsOf(
  metric: MetricConfig,
  judgement: MetricJudgement,
  evidence: MetricCheck['evidence'],
  groups: { canary: GroupSummary; baseline: GroupSummary },
  config: VerifyConfig,
  seenMs: number | null,
  stableOnly: boolean,
): string[] {
  const problems: string[] = [];
  // Too little evidence in the check's window is judged per verification window instead (below).
  if (judgement.classification === 'nodata' && !evidence) problems.push(judgement.reason.replace(`${metric.name}: `, ''));
  // The judge passes 0 against 0; before relying on the metric, a counter found nowhere is more likely misspelt.
  if (groups.canary.numeratorInstances === 0 && groups.baseline.numeratorInstances === 0 && groups.baseline.instances > 0) {
    problems.push('no numerator series for any pod: check the counter in the numerator, or export it from the start (at 0) so that it exists before the first event');
  }
  const duration = formatDuration(config.durationMs);
  for (const group of stableOnly ? (['baseline'] as const) : (['canary', 'baseline'] as const)) {
    if (evidence && evidence.perWindow[group] < evidence.least) {
      problems.push(
        `at this traffic a ${duration} verification sees about ${Math.round(evidence.perWindow[group])} ${evidence.unit} for the ${group === 'baseline' ? 'stable pods' : 'canary'}, and needs at least ${evidence.least} (minEvidence)`,
      );
    }
  }
  if (judgement.warnings?.length) problems.push(`Prometheus warned that its answer may be partial (a passing verdict would be Inconclusive): ${judgement.warnings.join('; ')}`);
  const probe = metricsOf(config.source).sampling;
  if (seenMs !== null && probe) problems.push(...probe.problems(metric.kind === 'ratio' ? [metric.numerator, metric.denominator] : [metric.query], seenMs, config.source.settings));
  return [...new Set(problems)];
}

/**
 * Runs every query of the verification for both groups over the `windowMs` before `end`, judges the window with
 * the engine's judge, and checks each metric's data against what a verification of its duration needs.
 */
export async function checkVerification(verification: Pick<Verification, 'name' | 'settings'>, groups: Groups, end: Date, windowMs: number, source: HealthSource): Promise<VerificationCheck> {
  const { settings } = verification;
  const stableOnly = groups.canary === undefined;
  const config: VerifyConfig = { ...settings, canary: { podTemplateHash: groups.canary ?? groups.stable }, baseline: { podTemplateHash: groups.stable } };
  const range = { start: new Date(end.getTime() - windowMs), end };
  const probe = metricsOf(settings.source).sampling;
  const groupsOf = [...new Set([config.baseline.podTemplateHash, config.canary.podTemplateHash])].map((hash) => selection(config, { podTemplateHash: hash }));
  const result: VerificationCheck = {
    name: verification.name,
    source: source.description,
    windowMs,
    durationMs: settings.durationMs,
    sampling: probe ? { configuredMs: probe.configuredMs(settings.source.settings), setting: probe.setting } : null,
    metrics: [],
  };
  try {
    const inputs = await collectInputs(config, range, source);
    const look = { elapsedMs: windowMs, durationMs: windowMs, intervalMs: Math.min(settings.intervalMs, windowMs) };
    const judged = judgeVerification(judgeSettings(config), inputs, look);
    for (const [index, input] of inputs.entries()) {
      const metric = settings.metrics[index]!;
      const judgement = judged.metrics.find((j) => j.name === metric.name)!;
      const least = metric.minEvidence ?? DEFAULT_MIN_EVIDENCE[metric.kind];
      // The canary's evidence leaves out its warm-up (at most half of a window), in the check and in a verification.
      const warmup = (ms: number) => ms - Math.min(config.warmupMs, ms / 2);
      const scale = { canary: warmup(settings.durationMs) / warmup(windowMs), baseline: settings.durationMs / windowMs };
      const evidence = judgement.evidence
        ? {
            unit: metric.kind === 'ratio' ? ('requests' as const) : ('samples' as const),
            ...judgement.evidence,
            perWindow: { canary: judgement.evidence.canary * scale.canary, baseline: judgement.evidence.baseline * scale.baseline },
            least,
          }
        : null;
      const seen = probe ? await probe.seenMs(metric.name, metric.kind === 'ratio' ? metric.denominator : metric.query, groupsOf, config.instanceLabel, range, source) : null;
      const summaries = { canary: summary(config.canary.podTemplateHash, input.canary), baseline: summary(config.baseline.podTemplateHash, input.baseline) };
      const problems = problemsOf(metric, judgement, evidence, summaries, config, seen, stableOnly);
      result.metrics.push({
        name: metric.name,
        kind: metric.kind,
        ok: problems.length === 0,
        canary: stableOnly ? null : summaries.canary,
        baseline: summaries.baseline,
        evidence,
        seenScrapeIntervalMs: seen,
        warnings: input.warnings ?? [],
        problems,
        judgement: judgement.reason,
      });
    }
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
  }
  return result;
}
