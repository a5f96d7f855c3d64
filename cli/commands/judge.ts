// `rollouts-cv judge`: the judge offline, JSON in and one verdict line out (docs/judge.md).
import type { Command } from 'commander';

export function registerJudge(program: Command): void {
  program
    .command('judge')
    .description('judge a verification offline: a JSON input (config, window, series) in, one JSON verdict line out; see docs/judge.md')
    .option('--input <file>', 'read the input from this file instead of stdin')
    .option('--jsonl', 'one input per line, one output line per input, in order; invalid lines answer {"error": ...} and exit 2 at the end')
    .action(async (options: { input?: string; jsonl?: boolean }) => {
      const { runJudgeCommand } = await import('../../plugin/offline/run.js');
      process.exitCode = await runJudgeCommand({
        inputFile: options.input,
        jsonl: options.jsonl === true,
        stdin: process.stdin,
        stdout: process.stdout,
        stderr: process.stderr,
      });
    });
}
