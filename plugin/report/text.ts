// A report for the terminal: the verdict, one row per metric, the reasons, and the notes.
import { formatChange, formatConfidence, formatMetricValue } from '../judge/explain.js';
import { describeWindow, type Report } from './model.js';

const confidence = (value: number | null | undefined) => (value === null || value === undefined ? '–' : formatConfidence(value));

/** Rows padded to their columns' widths (by characters: the cells are plain text). */
function columns(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => [...row[i]!].length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat(widths[i]! - [...cell].length))).join('  ').trimEnd());
}

export function formatReportText(report: Report): string {
  const lines = [
    `${report.subject}: canary ${report.groups.canary} against stable ${report.groups.baseline}, ${describeWindow(report)}`,
    `  ${report.verdict ?? 'undecided'}${report.score === null ? '' : `, score ${report.score}/100`} (${report.phase}); ${report.sensitivity} sensitivity`,
  ];
  if (report.metrics.length) {
    const rows = [['metric', 'kind', 'result', 'canary', 'baseline', 'change', 'confidence', 'needed', 'pods c/b']];
    for (const metric of report.metrics) {
      const j = metric.judgement;
      const value = (v: number | null) => (v === null ? '–' : formatMetricValue(v, j.kind));
      rows.push([j.name, j.kind, j.classification, value(j.canary), value(j.baseline), j.change === null ? '–' : formatChange(j.change), confidence(j.confidence), confidence(j.threshold?.confidence), `${metric.canary.pods.length}/${metric.baseline.pods.length}`]);
    }
    lines.push('', ...columns(rows).map((row) => `  ${row}`));
  }
  if (report.logs) lines.push('', `  logs: ${report.logs.classification}, ${report.logs.volumes.canary} canary and ${report.logs.volumes.baseline} baseline lines`);
  const reasons = [...report.metrics.map((m) => m.judgement.reason), ...(report.logs ? [report.logs.reason] : [])];
  if (reasons.length) lines.push('', '  why:', ...reasons.map((reason) => `  - ${reason}`));
  if (report.notes.length) lines.push('', ...report.notes.map((note) => `  note: ${note}`));
  return `${lines.join('\n')}\n`;
}
