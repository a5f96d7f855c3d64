// What `rollouts-cv check` prints: per verification, whether its sources answer, and per metric whether there is
// enough data to judge, and why not.
import { formatDuration } from '../../shared/config/duration.js';
import type { GroupSummary, MetricCheck, VerificationCheck } from './check.js';

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

function group(label: string, g: GroupSummary): string {
  const numerator = g.numeratorInstances === undefined ? '' : `, ${g.numeratorInstances} with a numerator series`;
  return `${label} ${g.hash}: ${count(g.instances, 'pod')}, ${count(g.samples, 'sample')}${numerator}`;
}

function metricLines(m: MetricCheck, check: VerificationCheck): string[] {
  const lines = [`  ${m.ok ? 'ok  ' : 'FAIL'} ${m.name} (${m.kind})`];
  lines.push(`       ${[m.canary && group('canary', m.canary), group(m.canary ? 'stable' : 'stable (no canary: compared with itself)', m.baseline)].filter(Boolean).join('; ')}`);
  if (m.evidence) {
    const { unit, perWindow, least } = m.evidence;
    const per = (n: number) => Math.round(n);
    const canary = m.canary ? `canary ≈${per(perWindow.canary)}, ` : '';
    lines.push(`       evidence per ${formatDuration(check.durationMs)} verification: ${canary}stable ≈${per(perWindow.baseline)} ${unit} (minEvidence ${least})`);
  }
  if (check.sampling) {
    const seenMs = m.seenScrapeIntervalMs;
    const seen = seenMs === null ? 'not seen' : formatDuration(seenMs);
    // Longer than configured makes the queries' ranges shorter than meant (a problem above once they hold under two samples).
    const hint = seenMs !== null && seenMs > 1.25 * check.sampling.configuredMs ? ` (set ${check.sampling.setting}: ${seen})` : '';
    lines.push(`       scrape interval: ${seen} in the data, ${formatDuration(check.sampling.configuredMs)} configured${hint}`);
  }
  for (const warning of m.warnings) lines.push(`       warning: ${warning}`);
  for (const problem of m.problems) lines.push(`       problem: ${problem}`);
  if (m.canary) lines.push(`       judged on the ${formatDuration(check.windowMs)} window: ${m.judgement}`);
  return lines;
}

/** The human-readable report; `ok` is false when a source failed its health check, some metric could not be judged or a verification not checked. */
export function formatReport(checks: readonly VerificationCheck[], problems: readonly { name: string; error: string }[]): { text: string; ok: boolean } {
  const lines: string[] = [];
  for (const check of checks) {
    lines.push(`${check.name}: the last ${formatDuration(check.windowMs)} of ${check.source}`);
    for (const source of check.sources ?? []) lines.push(`  ${source.setting}: ${source.ok ? 'ok' : 'FAIL'} — ${source.detail}`);
    if (check.error) lines.push(`  FAIL the queries could not be run: ${check.error}`);
    for (const metric of check.metrics) lines.push(...metricLines(metric, check));
  }
  for (const problem of problems) lines.push(`${problem.name}: FAIL ${problem.error}`);
  const metrics = checks.flatMap((check) => check.metrics);
  const failed = metrics.filter((m) => !m.ok).length;
  const unchecked = problems.length + checks.filter((check) => check.error).length;
  const unhealthy = checks.flatMap((check) => check.sources ?? []).filter((source) => !source.ok).length;
  const ok = failed === 0 && unchecked === 0 && unhealthy === 0;
  const verdicts = [
    ...(unhealthy ? [`${count(unhealthy, 'source')} failed ${unhealthy === 1 ? 'its' : 'their'} health check`] : []),
    ...(failed ? [`${failed} of ${count(metrics.length, 'metric')} could not be judged`] : []),
    ...(unchecked ? [`${count(unchecked, 'verification')} could not be checked`] : []),
  ];
  lines.push(ok ? `all ${count(metrics.length, 'metric')} have enough data to judge` : verdicts.join('; '));
  return { text: `${lines.join('\n')}\n`, ok };
}
