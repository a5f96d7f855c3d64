// `rollouts-cv report`: the report of a verification already made (a Measurement's, a verify gate's), from its link.
import type { Command } from 'commander';
import { publicUrlArgument, withSourceAccessFlags } from '../arguments.js';

interface ReportOptions {
  kubeconfig?: string;
  context?: string;
  credentialsDir?: string;
  json?: boolean;
  html?: string;
  quiet?: boolean;
  rolloutsDashboard?: string;
}

export function registerReport(program: Command): void {
  const command = program
    .command('report')
    .description("show the report of a verification already made, rebuilt here from the AnalysisRun or Rollout that keeps it (read with your kubeconfig) and its sources; exit 1 when it cannot be built")
    .argument('<link>', "the report's link (a Measurement's metadata.report, a verify gate's status.report, the Slack button) or its /reports/… path")
    .option('--json', 'print the report as JSON')
    .option('--html <file>', 'also write the report page (charts included, no network needed to view it)')
    .option('-q, --quiet', 'no progress on stderr')
    .option('--rollouts-dashboard <url>', 'the Argo Rollouts dashboard, e.g. http://localhost:3100/rollouts, for a link to the Rollout on the page', publicUrlArgument);
  withSourceAccessFlags(command).action(async (link: string, options: ReportOptions) => {
      const { runReportCommand } = await import('../../plugin/report/report-command.js');
      process.exitCode = await runReportCommand({ ...options, target: link, json: options.json === true, quiet: options.quiet === true }, process.stdout, process.stderr);
    });
}
