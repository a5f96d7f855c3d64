// `rollouts-cv pipelines`: the pipelines controller (Lease-elected, Slack-free), until SIGTERM or SIGINT.
import type { Command } from 'commander';
import { createLogger } from '../../shared/log.js';
import { waitForTermination } from '../../shared/termination.js';
import { authorArgument, listenArgument, logLevelOption, wholeSecondsArgument } from '../arguments.js';

interface ControllerOptions {
  listen: string;
  kubeconfig?: string;
  leaseNamespace: string;
  leaseName: string;
  /** Seconds. */
  leaseDuration: number;
  identity?: string;
  commitAuthor: { name: string; email: string };
  logLevel: string;
}

export function registerPipelinesController(program: Command): void {
  program
    .command('pipelines')
    .description('run the pipelines controller: carries PipelineRuns (release pipelines across environments) through their stages; no Slack')
    .option('--listen <address>', 'host:port for /healthz and /readyz', listenArgument, '0.0.0.0:8081')
    .option('--kubeconfig <file>', 'kubeconfig (default: the in-cluster service account, else KUBECONFIG or ~/.kube/config)')
    .option('--lease-namespace <namespace>', 'namespace of the Lease that elects the replica doing the work', process.env.POD_NAMESPACE ?? 'default')
    .option('--lease-name <name>', 'name of that Lease', 'rollouts-cv-pipelines')
    .option('--lease-duration <duration>', 'how long the Lease holds without renewal: another replica takes over within it when the leader dies', wholeSecondsArgument, 15)
    .option('--identity <name>', "this replica's name in the Lease (default: $POD_NAME or the host name)")
    .option('--commit-author <author>', 'author of release-repository commits, as "Name <email>"', authorArgument, { name: 'rollouts-cv', email: 'rollouts-cv@localhost' })
    .addOption(logLevelOption())
    .action(async (options: ControllerOptions) => {
      const log = createLogger({ level: options.logLevel, name: 'rollouts-cv-pipelines' });
      const { hostname } = await import('node:os');
      const { loadKubeConfig } = await import('../../shared/kube/client.js');
      const { startPipelinesController } = await import('../../shared/pipelines/service.js');
      const controller = await startPipelinesController({
        kubeConfig: loadKubeConfig(options.kubeconfig ? { kubeconfig: options.kubeconfig } : {}),
        lease: { namespace: options.leaseNamespace, name: options.leaseName, identity: options.identity ?? process.env.POD_NAME ?? hostname(), durationMs: options.leaseDuration * 1000 },
        listen: options.listen,
        author: options.commitAuthor,
        log,
      });
      log.info({ signal: await waitForTermination() }, 'shutting down');
      await controller.stop();
    });
}
