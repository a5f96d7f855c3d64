// Plain-text tables of the results, for the terminal.
import { OTHER_CLASSES, REGRESSION_CLASSES, type ResultRow } from './summary.js';

function pad(cells: readonly string[], widths: readonly number[]): string {
  return cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
}

function render(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [pad(header, widths), ...rows.map((r) => pad(r, widths))].join('\n');
}

export function rowName(row: ResultRow): string {
  return `${row.judge}${row.sensitivity ? ` ${row.sensitivity}` : ''}${row.calibrated ? ' (calibrated)' : ''}`;
}

const percent = (x: number) => `${(100 * x).toFixed(1)}%`;

/** Recall and false-positive rate; then time to detect; then no-analysis rates and CPU. */
export function formatTables(rows: readonly ResultRow[]): string {
  const recall = render(
    ['judge', 'fpr', 'fpr 95% interval', ...REGRESSION_CLASSES],
    rows.map((r) => [rowName(r), percent(r.fpr), r.fpr_ci95.map(percent).join('–'), ...REGRESSION_CLASSES.map((c) => percent(r.recall[c] ?? 0))]),
  );
  const ttd = render(
    ['median ttd (s of data)', ...REGRESSION_CLASSES],
    rows.map((r) => [rowName(r), ...REGRESSION_CLASSES.map((c) => String(r.ttd_median_s[c] ?? '-'))]),
  );
  const other = render(
    ['judge', ...OTHER_CLASSES.flatMap((c) => [`${c}: flagged`, 'no analysis']), 'cpu ms/verification'],
    rows.map((r) => [
      rowName(r),
      ...OTHER_CLASSES.flatMap((c) => [percent(r.flagged[c] ?? 0), percent(r.no_analysis[c] ?? 0)]),
      (r.cpu_ms_per_verification).toFixed(3),
    ]),
  );
  return ['Recall per regression class (fpr: healthy and outlier-baseline-pod scenarios flagged)', recall, '', ttd, '', other].join('\n');
}
