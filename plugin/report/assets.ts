// The ECharts bundle the report page draws with, from the installed package: the page never loads anything
// from the internet (clusters are often without it).
import { readFile } from 'node:fs/promises';
import { packageFile } from '../../shared/package-files.js';

export const ECHARTS_BUNDLE = 'node_modules/echarts/dist/echarts.min.js';

let bundle: Promise<string> | undefined;

/** The minified bundle's text, read once. */
export function echartsBundle(): Promise<string> {
  bundle ??= readFile(packageFile(import.meta.url, ECHARTS_BUNDLE), 'utf8');
  return bundle;
}
