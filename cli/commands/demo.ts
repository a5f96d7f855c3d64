// `rollouts-cv demo`: a healthy and a regressed canary verified end to end on this machine.
import type { Command } from 'commander';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('verify a healthy and a regressed canary through the bridge, the engine and a local Prometheus')
    .option('--json', 'end the output with one JSON line of verdicts and phases')
    .action(async (options: { json?: boolean }) => {
      const { runDemo } = await import('../../plugin/demo/demo.js');
      process.exitCode = await runDemo({ json: options.json === true });
    });
}
