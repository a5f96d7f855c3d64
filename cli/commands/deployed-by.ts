// `rollouts-cv deployed-by`: the annotation a pipeline sets on a manifest to name its deployer (docs/slack.md).
import type { Command } from 'commander';

export function registerDeployedBy(program: Command): void {
  program
    .command('deployed-by')
    .description('print the rollouts-cv.io/deployed-by annotation value naming <user> (a Slack user ID) as the deployer of a manifest\'s pod template, for pipelines (see docs/slack.md)')
    .argument('<user>', 'Slack user ID, e.g. U0123ABCD')
    .option('--file <manifest>', 'the Rollout or Deployment (YAML or JSON) about to be applied; default: stdin')
    .action(async (user: string, options: { file?: string }) => {
      const { readFile } = await import('node:fs/promises');
      const { text } = await import('node:stream/consumers');
      const { deployedByForManifest } = await import('../../shared/approvals/deployed-by-command.js');
      const manifest = options.file ? await readFile(options.file, 'utf8') : await text(process.stdin);
      process.stdout.write(`${deployedByForManifest(user, manifest, options.file ?? 'stdin')}\n`);
    });
}
