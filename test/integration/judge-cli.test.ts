// `rollouts-cv judge` as a process: compiled like the package's bin, fed on stdin or from a file.
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iso, judgeInput, START_S, STEP_S } from '../helpers/judge-inputs.js';

const root = join(import.meta.dirname, '..', '..');
// Inside the package so that the compiled modules find proto/ at the package root, as dist/ does.
const outDir = join(root, '.cache', 'judge-cli-test');
const cli = join(outDir, 'cli', 'main.js');
const run = promisify(execFile);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rollouts-cv-judge-cli-'));
  await run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json'), '--outDir', outDir]);
}, 120_000);

afterAll(async () => {
  await rm(outDir, { recursive: true, force: true });
  await rm(dir, { recursive: true, force: true });
});

/** Runs the CLI with `stdin` as its input; resolves to its exit code and output. */
function judge(args: string[], stdin: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, 'judge', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

describe('rollouts-cv judge', () => {
  it('reads one document on stdin and writes one JSON line', async () => {
    const { code, stdout } = await judge([], JSON.stringify(judgeInput()));
    expect(code).toBe(0);
    expect(stdout.split('\n')).toHaveLength(2);
    expect(JSON.parse(stdout)).toMatchObject({ final: true, verdict: 'Healthy', phase: 'Successful', score: 100 });
  });

  it('reads --input FILE', async () => {
    const file = join(dir, 'regressed.json');
    await writeFile(file, JSON.stringify(judgeInput({ canaryErrorRate: 0.1, nowS: START_S + 4 * STEP_S })));
    const { code, stdout } = await judge(['--input', file], '');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ final: true, verdict: 'Unhealthy', phase: 'Failed' });
  });

  it('exits 2 naming the field of invalid input', async () => {
    const { code, stdout, stderr } = await judge([], JSON.stringify({ ...judgeInput(), now: 'later' }));
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('now: expected an RFC 3339 time');
  });

  it('exits 2 with the line of invalid JSON', async () => {
    const { code, stderr } = await judge([], '{\n"config": }');
    expect(code).toBe(2);
    expect(stderr).toContain('invalid JSON at line 2, column 11');
  });

  it('--jsonl: answers each line in order, errors inline, exit 2 at the end', async () => {
    const input = judgeInput();
    const at = (steps: number) => JSON.stringify({ ...input, now: iso(START_S + steps * STEP_S) });
    const { code, stdout, stderr } = await judge(['--jsonl'], [at(10), 'not json', '', at(3)].join('\n'));
    const outputs = stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(outputs).toEqual([
      expect.objectContaining({ final: true, verdict: 'Healthy' }),
      { error: 'invalid JSON at line 2, column 1: invalid symbol' },
      expect.objectContaining({ final: false, phase: 'Running' }),
    ]);
    expect(code).toBe(2);
    expect(stderr).toContain('1 of 3 inputs failed');
  });

  it('--jsonl streams: each answer comes before the next input is sent', async () => {
    const child = spawn(process.execPath, [cli, 'judge', '--jsonl'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const exit = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    for (const steps of [2, 4, 10]) {
      child.stdin.write(`${JSON.stringify(judgeInput({ nowS: START_S + steps * STEP_S }))}\n`);
      const { value } = await lines.next();
      expect(JSON.parse(value as string)).toMatchObject({ final: steps === 10 });
    }
    child.stdin.end();
    expect(await exit).toBe(0);
  });
});
