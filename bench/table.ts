// Plain-text tables of the results, for the terminal: a row per judge, the classes spread over several tables
// so that lines stay readable.
import { OTHER_CLASSES, REGRESSION_CLASSES, type Interval, type ResultRow } from './summary.js';

function pad(cells: readonly string[], widths: readonly number[]): string {
  return cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
}

function render(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [pad(header, widths), ...rows.map((r) => pad(r, widths))].join('\n');
}

export function rowName(row: Pick<ResultRow, 'judge' | 'sensitivity' | 'calibrated' | 'variant'>): string {
  const qualifier = [row.calibrated ? 'calibrated' : '', row.variant ?? ''].filter(Boolean).join(' ');
  return `${row.judge}${row.sensitivity ? ` ${row.sensitivity}` : ''}${qualifier ? ` (${qualifier})` : ''}`;
}

const percent = (x: number) => `${(100 * x).toFixed(1)}%`;

/** A rate with its 95% interval, in percent. */
export function withInterval(rate: number, [low, high]: Interval): string {
  return `${percent(rate)} (${(100 * low).toFixed(1)}–${(100 * high).toFixed(1)})`;
}

/** One column per class, `perTable` classes to a table. */
export function classTables(corner: string, rowNames: readonly string[], classes: readonly string[], perTable: number, cell: (row: number, label: string) => string): string {
  const tables: string[] = [];
  for (let i = 0; i < classes.length; i += perTable) {
    const shown = classes.slice(i, i + perTable);
    tables.push(render([corner, ...shown], rowNames.map((name, r) => [name, ...shown.map((label) => cell(r, label))])));
  }
  return tables.join('\n\n');
}

/** The false-positive rate over every pass class and CPU; then per class: flagged, no analysis, recall, time to detect. */
export function formatTables(rows: readonly ResultRow[]): string {
  const names = rows.map(rowName);
  const overall = render(
    ['judge', 'fpr', '95% interval', 'cpu ms/verification'],
    rows.map((r, i) => [names[i]!, percent(r.fpr), r.fpr_ci95.map(percent).join('–'), r.cpu_ms_per_verification.toFixed(3)]),
  );
  const flagged = classTables('flagged % (95% interval)', names, OTHER_CLASSES, 4, (r, c) => withInterval(rows[r]!.flagged[c] ?? 0, rows[r]!.flagged_ci95[c] ?? [0, 1]));
  const noAnalysis = classTables('no analysis', names, OTHER_CLASSES, 5, (r, c) => percent(rows[r]!.no_analysis[c] ?? 0));
  const recall = classTables('recall % (95% interval)', names, REGRESSION_CLASSES, 4, (r, c) => withInterval(rows[r]!.recall[c] ?? 0, rows[r]!.recall_ci95[c] ?? [0, 1]));
  const ttd = classTables('median ttd (s of data)', names, REGRESSION_CLASSES, 5, (r, c) => String(rows[r]!.ttd_median_s[c] ?? '-'));
  return [
    'False-positive rate: flagged among all scenarios whose right answer is a pass, with its exact 95% interval',
    overall,
    '',
    'Flagged per class without a regression (for a class whose right answer is a pass: its own false-positive rate)',
    flagged,
    '',
    noAnalysis,
    '',
    'Recall per regression class',
    recall,
    '',
    ttd,
  ].join('\n');
}
