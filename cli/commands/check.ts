// `rollouts-cv check`: whether each metric of a verification has the data to be judged, from the live source.
import type { Command } from 'commander';
import { durationArgument, type TargetFlags, withTargetFlags } from '../arguments.js';

interface CheckCommandOptions extends TargetFlags {
  window: number;
  json?: boolean;
}

export function registerCheck(program: Command): void {
  const command = program
    .command('check')
    .description('run every query of a verification for the canary and stable pods over a recent window and say, per metric, whether there is enough data to judge; exit 1 when some metric could not be judged')
    .argument('<file>', 'YAML or JSON: an AnalysisTemplate, a Rollout with verify gate steps, or a gate or verify config')
    .option('--window <duration>', 'how far back to look', durationArgument, 600_000)
    .option('--json', 'print one JSON object instead of the report');
  withTargetFlags(command, 'alone, only they are checked').action(async (file: string, options: CheckCommandOptions) => {
    const { runCheckCommand } = await import('../../plugin/check/command.js');
    process.exitCode = await runCheckCommand({ ...options, file, args: options.arg, windowMs: options.window, json: options.json === true }, process.stdout, process.stderr);
  });
}
