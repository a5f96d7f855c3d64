import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loghubDir, parseCsv, readLoghub } from './loghub.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rollouts-cv-loghub-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('parseCsv', () => {
  it('reads quoted fields with commas, doubled quotes and line ends, and CRLF records', () => {
    expect(parseCsv('a,"b, c","say ""hi"""\r\n"multi\nline",,x\n')).toEqual([
      ['a', 'b, c', 'say "hi"'],
      ['multi\nline', '', 'x'],
    ]);
    expect(parseCsv('a,b')).toEqual([['a', 'b']]);
    expect(() => parseCsv('"open')).toThrow('not closed');
  });
});

describe('readLoghub', () => {
  it('reads Content and EventId of each *_2k.log_structured.csv, by name', async () => {
    await writeFile(join(dir, 'Tiny_2k.log_structured.csv'), 'LineId,Content,EventId,EventTemplate\n1,"open a, b",E1,open <*>\n2,close,E2,close\n');
    await writeFile(join(dir, 'notes.txt'), 'not a dataset');
    expect(readLoghub(dir)).toEqual([{ name: 'Tiny', lines: ['open a, b', 'close'], truth: ['E1', 'E2'] }]);
    expect(loghubDir('/nowhere', dir)).toBe(dir);
  });

  it('fails clearly without datasets or without the columns', async () => {
    expect(() => loghubDir('/nowhere', join(dir, 'missing'))).toThrow(/no Loghub-2k dataset .* give the folder with --loghub DIR or LOGHUB_DIR/);
    const bad = await mkdtemp(join(tmpdir(), 'rollouts-cv-loghub-bad-'));
    await writeFile(join(bad, 'Bad_2k.log_structured.csv'), 'LineId,Message\n1,x\n');
    expect(() => readLoghub(bad)).toThrow('expected the columns Content and EventId');
    await rm(bad, { recursive: true, force: true });
  });
});
