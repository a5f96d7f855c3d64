// How the command line gives reports: a table per report in the terminal, or JSON, and optionally the page as a
// self-contained file (ECharts inlined, nothing loaded from the network).
import { writeFile } from 'node:fs/promises';
import { echartsBundle } from './assets.js';
import { renderReportHtml } from './html.js';
import type { Report } from './model.js';
import { formatReportText } from './text.js';

export interface OutputOptions {
  json: boolean;
  /** Also write the first report's page to this file. */
  html?: string;
  quiet: boolean;
}

export async function writeReports(reports: Report[], options: OutputOptions, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<void> {
  out.write(options.json ? `${JSON.stringify(reports.length === 1 ? reports[0] : reports)}\n` : reports.map(formatReportText).join('\n'));
  if (options.html && reports[0]) {
    await writeFile(options.html, renderReportHtml(reports[0], { echarts: { inline: await echartsBundle() } }));
    if (!options.quiet) err.write(`report written to ${options.html}\n`);
  }
}
