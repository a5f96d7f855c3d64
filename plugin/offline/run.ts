// `rollouts-cv judge`: one JSON input → one JSON line, or with --jsonl a stream of inputs → a stream of
// outputs in the same order, one process, line by line (never the whole stream in memory).
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { ConfigError } from '../config/schema.js';
import { evaluateRequest } from './evaluate.js';
import { parseJson } from './json-error.js';
import { parseJudgeRequest } from './request.js';
import type { JudgeOutput } from './output.js';

/** Exit codes: every input judged; an input was invalid (JSON, schema) or could not be read. */
export const EXIT_OK = 0;
export const EXIT_INVALID_INPUT = 2;

export interface JudgeCommandOptions {
  /** Read from this file instead of `stdin`. */
  inputFile?: string;
  /** One input per line, one output line per input. */
  jsonl?: boolean;
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
}

/** Parses and evaluates one JSON document's text (lines numbered from `firstLine` in messages). */
export function judgeText(text: string, firstLine = 1): JudgeOutput {
  return evaluateRequest(parseJudgeRequest(parseJson(text, firstLine)));
}

function messageOf(error: unknown): string {
  if (error instanceof ConfigError) return `invalid input: ${error.issues.join('; ')}`;
  return error instanceof Error ? error.message : String(error);
}

async function write(stream: Writable, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

async function runOne(options: JudgeCommandOptions): Promise<number> {
  let text: string;
  try {
    text = options.inputFile === undefined ? await readAll(options.stdin) : await readFile(options.inputFile, 'utf8');
  } catch (error) {
    await write(options.stderr, `rollouts-cv judge: cannot read ${options.inputFile ?? 'stdin'}: ${messageOf(error)}\n`);
    return EXIT_INVALID_INPUT;
  }
  let output: JudgeOutput;
  try {
    output = judgeText(text);
  } catch (error) {
    const issues = error instanceof ConfigError ? error.issues : [messageOf(error)];
    const heading = error instanceof ConfigError ? 'invalid input:\n' : '';
    await write(options.stderr, `rollouts-cv judge: ${heading}${issues.map((issue) => (heading ? `  ${issue}` : issue)).join('\n')}\n`);
    return EXIT_INVALID_INPUT;
  }
  await write(options.stdout, `${JSON.stringify(output)}\n`);
  return EXIT_OK;
}

async function runLines(options: JudgeCommandOptions): Promise<number> {
  const input = options.inputFile === undefined ? options.stdin : createReadStream(options.inputFile, 'utf8');
  const opened = new Promise<void>((resolve, reject) => {
    if (options.inputFile === undefined) return resolve();
    input.once('open', () => resolve());
    input.once('error', reject);
  });
  try {
    await opened;
  } catch (error) {
    await write(options.stderr, `rollouts-cv judge: cannot read ${options.inputFile}: ${messageOf(error)}\n`);
    return EXIT_INVALID_INPUT;
  }
  const lines = createInterface({ input, crlfDelay: Infinity });
  let lineNumber = 0;
  let judged = 0;
  let failed = 0;
  for await (const line of lines) {
    lineNumber++;
    if (line.trim() === '') continue;
    judged++;
    let text: string;
    try {
      text = JSON.stringify(judgeText(line, lineNumber));
    } catch (error) {
      failed++;
      const message = messageOf(error);
      // JSON errors already name the line.
      text = JSON.stringify({ error: message.startsWith('invalid JSON at line') ? message : `line ${lineNumber}: ${message}` });
    }
    await write(options.stdout, `${text}\n`);
  }
  if (failed) {
    await write(options.stderr, `rollouts-cv judge: ${failed} of ${judged} inputs failed (see the "error" lines)\n`);
    return EXIT_INVALID_INPUT;
  }
  return EXIT_OK;
}

/** Runs the command; resolves to the process exit code. */
export function runJudgeCommand(options: JudgeCommandOptions): Promise<number> {
  return options.jsonl ? runLines(options) : runOne(options);
}
