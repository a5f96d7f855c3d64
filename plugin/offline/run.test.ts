import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { judgeInput, START_S, STEP_S, iso } from '../../test/helpers/judge-inputs.js';
import { runJudgeCommand } from './run.js';

async function run(stdinText: string, options: { jsonl?: boolean; inputFile?: string } = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk.toString()));
  stderr.on('data', (chunk: Buffer) => err.push(chunk.toString()));
  const code = await runJudgeCommand({ ...options, stdin: Readable.from([stdinText]), stdout, stderr });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

const lines = (text: string) => text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rollouts-cv-judge-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('rollouts-cv judge (in process)', () => {
  it('writes one JSON line for one document, pretty-printed or not', async () => {
    const { code, stdout, stderr } = await run(JSON.stringify(judgeInput(), null, 2));
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout.endsWith('\n')).toBe(true);
    expect(stdout.trim().split('\n')).toHaveLength(1);
    expect(lines(stdout)[0]).toMatchObject({ final: true, verdict: 'Healthy', phase: 'Successful' });
  });

  it('exits 2 naming the field of invalid input', async () => {
    const input = judgeInput();
    const { code, stdout, stderr } = await run(JSON.stringify({ ...input, config: { ...input.config, duration: 'soon' } }));
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('invalid input:\n  config.duration: expected a duration such as "90s", "1m30s" or "5m"; got "soon"');
  });

  it('exits 2 with the line of invalid JSON', async () => {
    const { code, stderr } = await run('{\n  "config": {,\n}');
    expect(code).toBe(2);
    expect(stderr).toContain('invalid JSON at line 2, column 14');
  });

  it('reads --input FILE', async () => {
    const file = join(dir, 'input.json');
    await writeFile(file, JSON.stringify(judgeInput({ canaryErrorRate: 0.1 })));
    const { code, stdout } = await run('', { inputFile: file });
    expect(code).toBe(0);
    expect(lines(stdout)[0]).toMatchObject({ final: true, verdict: 'Unhealthy', phase: 'Failed' });
  });

  it('exits 2 when --input cannot be read', async () => {
    const { code, stderr } = await run('', { inputFile: join(dir, 'missing.json') });
    expect(code).toBe(2);
    expect(stderr).toMatch(/cannot read .*missing\.json/);
  });

  it('--jsonl: one output per non-blank line, in order; invalid lines answer an error and the exit code is 2', async () => {
    const input = judgeInput();
    const at = (steps: number) => JSON.stringify({ ...input, now: iso(START_S + steps * STEP_S) });
    const text = [at(1), '', at(10), '{"config": ', JSON.stringify({ ...input, start: 'soon' }), '   ', at(5)].join('\n');
    const { code, stdout, stderr } = await run(`${text}\n`, { jsonl: true });
    const outputs = lines(stdout);
    expect(outputs).toHaveLength(5);
    expect(outputs[0]).toMatchObject({ final: false, phase: 'Running' });
    expect(outputs[1]).toMatchObject({ final: true, verdict: 'Healthy' });
    expect(outputs[2]).toEqual({ error: 'invalid JSON at line 4, column 12: value expected' });
    expect(outputs[3]).toEqual({ error: 'line 5: invalid input: start: expected an RFC 3339 time such as "2026-01-01T12:00:00Z"; got "soon"' });
    expect(outputs[4]).toMatchObject({ final: false, phase: 'Running' });
    expect(code).toBe(2);
    expect(stderr).toContain('2 of 5 inputs failed');
  });

  it('--jsonl exits 0 when every line was judged, and reads --input FILE line by line', async () => {
    const file = join(dir, 'inputs.jsonl');
    const input = judgeInput();
    await writeFile(file, `${JSON.stringify(input)}\r\n${JSON.stringify(input)}`);
    const { code, stdout } = await run('', { jsonl: true, inputFile: file });
    expect(code).toBe(0);
    expect(lines(stdout).map((output) => output.verdict)).toEqual(['Healthy', 'Healthy']);
  });
});
