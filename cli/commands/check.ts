// `rollouts-cv check`: whether each metric of a verification has the data to be judged, from the live source.
import type { Command } from 'commander';
import { durationArgument } from '../arguments.js';

interface CheckCommandOptions {
  rollout?: string;
  namespace?: string;
  kubeconfig?: string;
  context?: string;
  canaryHash?: string;
  stableHash?: string;
  arg: string[];
  window: number;
  credentialsDir?: string;
  json?: boolean;
}

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('run every query of a verification for the canary and stable pods over a recent window and say, per metric, whether there is enough data to judge; exit 1 when some metric could not be judged')
    .argument('<file>', 'YAML or JSON: an AnalysisTemplate, a Rollout with verify gate steps, or a gate or verify config')
    .option('--rollout <name>', 'read the canary and stable pod-template hashes from this Rollout (status.currentPodHash, status.stableRS)')
    .option('-n, --namespace <namespace>', "the Rollout's namespace (default: the kubeconfig context's, else default)")
    .option('--kubeconfig <file>', 'kubeconfig (default: KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context (default: the current one)')
    .option('--canary-hash <hash>', 'the canary pods, instead of --rollout')
    .option('--stable-hash <hash>', 'the stable pods, instead of --rollout; alone, only they are checked')
    .option('--arg <name=value>', 'a template arg, for {{args.<name>}}; repeatable', (value: string, previous: string[]) => [...previous, value], [] as string[])
    .option('--window <duration>', 'how far back to look', durationArgument, 600_000)
    .option('--credentials-dir <dir>', 'folder of credentials the config may name (as the engine mounts them)', process.env.ROLLOUTS_CV_CREDENTIALS_DIR)
    .option('--json', 'print one JSON object instead of the report')
    .action(async (file: string, options: CheckCommandOptions) => {
      const { runCheckCommand } = await import('../../plugin/check/command.js');
      process.exitCode = await runCheckCommand({ ...options, file, args: options.arg, windowMs: options.window, json: options.json === true }, process.stdout, process.stderr);
    });
}
