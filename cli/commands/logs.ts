// `rollouts-cv logs templates`: raw log lines in, the template of each line out, clustered as the engine clusters
// the lines of a verification (plugin/judge/logs/: maskLine, then TemplateMiner).
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { InvalidArgumentError, type Command } from 'commander';
import { DEFAULT_MINER_OPTIONS, type TemplateMinerOptions } from '../../plugin/judge/logs/drain.js';
import { MAX_LINE_CHARS } from '../../plugin/judge/logs/mask.js';
import { countArgument } from '../arguments.js';
import { registerLogsFeedback } from '../logs/feedback.js';

export interface LogTemplatesOptions extends Required<Pick<TemplateMinerOptions, 'depth' | 'similarity' | 'maxTemplates'>> {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
}

function depthArgument(text: string): number {
  const depth = Number(text);
  if (!/^\d+$/.test(text) || depth < 3) throw new InvalidArgumentError('expected a whole number of at least 3.');
  return depth;
}

function similarityArgument(text: string): number {
  const similarity = Number(text);
  if (!/^\d*\.?\d+$/.test(text) || !(similarity > 0 && similarity <= 1)) throw new InvalidArgumentError('expected a number above 0 and at most 1, e.g. 0.6.');
  return similarity;
}

export function registerLogs(program: Command): void {
  const logs = program.command('logs').description('log analysis: group your own lines as the engine does (templates), and mark a Rollout\'s templates (feedback)');
  logs
    .command('templates')
    .description(
      'read raw log lines on stdin and write one JSON object per line, in order: {"template_id": …, "template": …}, the cluster the line joined and that cluster\'s final template. The whole input is read before anything is written, so that every line of a cluster shows the same template (the one it has after the last line); only the first 4 KiB of a line are clustered',
    )
    .option('--depth <n>', "depth of Drain's tree: the word count and depth − 3 leading words choose a line's candidates", depthArgument, DEFAULT_MINER_OPTIONS.depth)
    .option('--similarity <x>', 'the share of words a line must share with a template to join it', similarityArgument, DEFAULT_MINER_OPTIONS.similarity)
    .option('--max-templates <n>', 'templates kept; lines of further ones go to one "overflow" template', countArgument, DEFAULT_MINER_OPTIONS.maxTemplates)
    .action(async (options: { depth: number; similarity: number; maxTemplates: number }) => {
      process.exitCode = await runLogTemplates({ ...options, stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
    });
  registerLogsFeedback(logs);
}

/**
 * The lines of `input` without their line ends, each cut to MAX_LINE_CHARS + 1 characters as it is read (maskLine
 * cuts it to MAX_LINE_CHARS without splitting a character), so that a line without an end holds no more memory.
 */
export async function* boundedLines(input: Readable): AsyncGenerator<string> {
  input.setEncoding('utf8');
  let line = '';
  for await (const chunk of input as AsyncIterable<string>) {
    let start = 0;
    for (let end = chunk.indexOf('\n'); end >= 0; start = end + 1, end = chunk.indexOf('\n', start)) {
      line += chunk.slice(start, Math.min(end, start + MAX_LINE_CHARS + 1 - line.length));
      yield line.endsWith('\r') ? line.slice(0, -1) : line;
      line = '';
    }
    if (line.length <= MAX_LINE_CHARS) line += chunk.slice(start, start + MAX_LINE_CHARS + 1 - line.length);
  }
  if (line !== '') yield line.endsWith('\r') ? line.slice(0, -1) : line;
}

// Output is written in blocks of about this many characters.
const BLOCK_CHARS = 1 << 16;

/** Runs the command; resolves to the process exit code (1 when stdin could not be read). */
export async function runLogTemplates(options: LogTemplatesOptions): Promise<number> {
  const { TemplateMiner } = await import('../../plugin/judge/logs/drain.js');
  const miner = new TemplateMiner({ depth: options.depth, similarity: options.similarity, maxTemplates: options.maxTemplates });
  // One id per line (a reference to the cluster's own string): the templates are final only after the last line.
  const ids: string[] = [];
  try {
    for await (const line of boundedLines(options.stdin)) ids.push(miner.add(line).id);
  } catch (error) {
    options.stderr.write(`rollouts-cv logs templates: cannot read stdin: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  const outputs = new Map<string, string>();
  let block = '';
  for (const id of ids) {
    let output = outputs.get(id);
    if (output === undefined) outputs.set(id, (output = `${JSON.stringify({ template_id: id, template: miner.template(id) })}\n`));
    block += output;
    if (block.length >= BLOCK_CHARS) {
      if (!options.stdout.write(block)) await once(options.stdout, 'drain');
      block = '';
    }
  }
  if (block !== '' && !options.stdout.write(block)) await once(options.stdout, 'drain');
  return 0;
}
