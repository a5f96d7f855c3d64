import { PassThrough, Readable } from 'node:stream';
import { Command, CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { MAX_LINE_CHARS } from '../../plugin/judge/logs/mask.js';
import { DEFAULT_MINER_OPTIONS } from '../../plugin/judge/logs/drain.js';
import { boundedLines, registerLogs, runLogTemplates } from './logs.js';

interface Output {
  template_id: string;
  template: string;
}

/** Runs the command on `input` (strings are written as chunks, in order); resolves to its exit code and output lines. */
async function templates(input: string | string[], options: Partial<typeof DEFAULT_MINER_OPTIONS> = {}): Promise<{ code: number; outputs: Output[]; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const code = await runLogTemplates({ ...DEFAULT_MINER_OPTIONS, ...options, stdin: Readable.from(Array.isArray(input) ? input : [input]), stdout, stderr });
  return { code, outputs: out === '' ? [] : out.trimEnd().split('\n').map((line) => JSON.parse(line) as Output), stderr: err };
}

describe('rollouts-cv logs templates', () => {
  it('writes each line’s cluster with the cluster’s final template, in order', async () => {
    const lines = [
      '2025-06-02T08:00:00.001Z INFO  [auth] user alice logged in from 10.0.0.1',
      '2025-06-02T08:00:00.002Z ERROR [db] query on orders failed: deadlock detected',
      '2025-06-02T08:00:00.003Z INFO  [auth] user bob logged in from 10.0.0.2',
      '2025-06-02T08:00:00.004Z ERROR [db] query on invoices failed: deadlock detected',
      '2025-06-02T08:00:00.005Z INFO  [auth] user carol logged in from 10.0.0.3',
    ];
    const { code, outputs } = await templates(`${lines.join('\n')}\n`);
    expect(code).toBe(0);
    const login = { template_id: 't1', template: '<TS> INFO [auth] user <*> logged in from <IP>' };
    const deadlock = { template_id: 't2', template: '<TS> ERROR [db] query on <*> failed: deadlock detected' };
    // The first line shows the template as it is after the last, not "user alice".
    expect(outputs).toEqual([login, deadlock, login, deadlock, login]);
  });

  it('answers every line, empty ones and a last one without an end included; CRLF ends are lines ends', async () => {
    const { outputs } = await templates('INFO a b 1\r\n\nINFO a b 2');
    expect(outputs.map((o) => o.template_id)).toEqual(['t1', 't2', 't1']);
    expect(outputs[0]!.template).toBe('INFO a b <NUM>');
    expect(outputs[1]!.template).toBe('');
    expect((await templates('')).outputs).toEqual([]);
  });

  it('reads lines split across chunks, and cuts a huge line as it reads', async () => {
    const chunks = ['INFO [x] first ', 'part 1\nINFO [x] first part 2\n', 'a'.repeat(3 * MAX_LINE_CHARS), 'b'.repeat(MAX_LINE_CHARS), '\nlast 3'];
    const lines: string[] = [];
    for await (const line of boundedLines(Readable.from(chunks))) lines.push(line);
    expect(lines).toEqual(['INFO [x] first part 1', 'INFO [x] first part 2', 'a'.repeat(MAX_LINE_CHARS + 1), 'last 3']);
    const { outputs } = await templates(chunks);
    expect(outputs.map((o) => o.template_id)).toEqual(['t1', 't1', 't2', 't3']);
  });

  it('takes the clustering options', async () => {
    const input = 'INFO [x] alpha beta gamma delta\nINFO [x] alpha beta other words\n';
    expect(new Set((await templates(input, { similarity: 0.5 })).outputs.map((o) => o.template_id)).size).toBe(1);
    expect(new Set((await templates(input, { similarity: 0.9 })).outputs.map((o) => o.template_id)).size).toBe(2);
    const overflow = await templates('INFO [a] one kind here\nWARN [b] another kind there\n', { maxTemplates: 1 });
    expect(overflow.outputs.map((o) => o.template_id)).toEqual(['t1', 'overflow']);
  });

  it('exits 1 naming stdin when it cannot be read', async () => {
    const stdin = new Readable({
      read() {
        this.destroy(new Error('EIO: i/o error'));
      },
    });
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let err = '';
    stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    expect(await runLogTemplates({ ...DEFAULT_MINER_OPTIONS, stdin, stdout, stderr })).toBe(1);
    expect(err).toBe('rollouts-cv logs templates: cannot read stdin: EIO: i/o error\n');
  });

  it.each([
    [['--depth', '2'], /--depth <n>' argument '2' is invalid\. expected a whole number of at least 3/],
    [['--similarity', '1.5'], /expected a number above 0 and at most 1/],
    [['--similarity', 'high'], /expected a number above 0 and at most 1/],
    [['--max-templates', '0'], /expected a whole number of at least 1/],
  ])('refuses %j with the form it expects', async (args, message) => {
    const program = new Command('rollouts-cv').exitOverride();
    let printed = '';
    program.configureOutput({ writeErr: (text) => (printed += text) });
    registerLogs(program);
    for (const command of program.commands) command.exitOverride().configureOutput({ writeErr: (text) => (printed += text) });
    for (const command of program.commands.flatMap((c) => c.commands)) command.exitOverride().configureOutput({ writeErr: (text) => (printed += text) });
    await expect(program.parseAsync(['logs', 'templates', ...args], { from: 'user' })).rejects.toBeInstanceOf(CommanderError);
    expect(printed).toMatch(message);
  });
});
