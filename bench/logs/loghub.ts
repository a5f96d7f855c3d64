// The Loghub-2k datasets (logpai/loghub): 16 systems' logs of 2,000 lines each with their true templates, read from
// `<Name>_2k.log_structured.csv` (column `Content`: the message; `EventId`: its true template).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface LabelledLines {
  name: string;
  lines: string[];
  truth: string[];
}

const SUFFIX = '_2k.log_structured.csv';

/**
 * The folder of the datasets: `option`, else LOGHUB_DIR, else ../shared/data/loghub beside the repository (where
 * CI lays it). Throws, naming the options, when it holds no dataset.
 */
export function loghubDir(repoRoot: string, option?: string): string {
  const dir = resolve(option ?? process.env.LOGHUB_DIR ?? join(repoRoot, '..', 'shared', 'data', 'loghub'));
  if (!existsSync(dir) || !readdirSync(dir).some((file) => file.endsWith(SUFFIX))) {
    throw new Error(`no Loghub-2k dataset (*${SUFFIX}) in ${dir}: give the folder with --loghub DIR or LOGHUB_DIR`);
  }
  return dir;
}

/** RFC 4180 records: fields separated by commas, quoted with `"` (doubled inside) when they hold commas, quotes or newlines. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quoted) {
      if (char !== '"') field += char;
      else if (text[i + 1] === '"') {
        field += '"';
        i++;
      } else quoted = false;
    } else if (char === '"' && field === '') quoted = true;
    else if (char === ',') {
      record.push(field);
      field = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[i + 1] === '\n') i++;
      record.push(field);
      records.push(record);
      record = [];
      field = '';
    } else field += char;
  }
  if (quoted) throw new Error('CSV: a quoted field is not closed');
  if (field !== '' || record.length > 0) records.push([...record, field]);
  return records;
}

/** One dataset's lines and true template ids. */
export function readStructuredCsv(file: string, name: string): LabelledLines {
  const [header, ...rows] = parseCsv(readFileSync(file, 'utf8'));
  const content = header?.indexOf('Content') ?? -1;
  const eventId = header?.indexOf('EventId') ?? -1;
  if (content < 0 || eventId < 0) throw new Error(`${file}: expected the columns Content and EventId in the first line`);
  const lines: string[] = [];
  const truth: string[] = [];
  rows.forEach((row, i) => {
    if (row.length !== header!.length) throw new Error(`${file}: record ${i + 2} has ${row.length} fields, the header ${header!.length}`);
    lines.push(row[content]!);
    truth.push(row[eventId]!);
  });
  return { name, lines, truth };
}

/** Every dataset in `dir`, by name. */
export function readLoghub(dir: string): LabelledLines[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith(SUFFIX))
    .sort()
    .map((file) => readStructuredCsv(join(dir, file), file.slice(0, -SUFFIX.length)));
}
