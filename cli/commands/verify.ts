// `rollouts-cv verify`: a verification run now against the live sources, for given pods and a window (a past
// rollout's, or the one just past): the way to try a config before trusting it, and to replay a decision.
import { type Command, InvalidArgumentError } from 'commander';
import { type TargetFlags, withTargetFlags } from '../arguments.js';

interface VerifyOptions extends TargetFlags {
  start?: Date;
  end?: Date;
  only?: string;
  json?: boolean;
  html?: string;
  quiet?: boolean;
}

function timeArgument(text: string): Date {
  const date = /^\d{4}-\d{2}-\d{2}T/.test(text) ? new Date(text) : new Date(Number.NaN);
  if (Number.isNaN(date.getTime())) throw new InvalidArgumentError('expected an RFC 3339 time such as "2026-12-05T10:00:00Z" (a Measurement\'s windowStart).');
  return date;
}

export function registerVerify(program: Command): void {
  const command = program
    .command('verify')
    .description("run a verification now against the live sources, for the canary and stable pods over a closed window, and show the verdict with every metric's figures; exit 1 unless every verification passed")
    .argument('<file>', 'YAML or JSON: an AnalysisTemplate, a Rollout with verify gate steps, or a gate or verify config')
    .option('--start <time>', "the window's start (RFC 3339); default: its end minus the config's duration", timeArgument)
    .option('--end <time>', "the window's end (RFC 3339); default: its start plus the config's duration, else now", timeArgument)
    .option('--only <text>', 'only the verifications whose name contains this')
    .option('--json', 'print the report as JSON (one object, or an array for several verifications)')
    .option('--html <file>', 'also write the report page (charts included, no network needed to view it)')
    .option('-q, --quiet', 'no progress on stderr');
  withTargetFlags(command, 'with --canary-hash').action(async (file: string, options: VerifyOptions) => {
    const { runVerifyCommand } = await import('../../plugin/report/command.js');
    process.exitCode = await runVerifyCommand({ ...options, file, args: options.arg, json: options.json === true, quiet: options.quiet === true }, process.stdout, process.stderr);
  });
}
