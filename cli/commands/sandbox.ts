// `rollouts-cv sandbox`: a local Prometheus scraping the synthetic app, for the demo, the e2e suite and trials.
import type { Command } from 'commander';
import { pino } from 'pino';
import { createLogger } from '../../shared/log.js';
import { waitForTermination } from '../../shared/termination.js';
import { portArgument, wholeSecondsArgument } from '../arguments.js';

export function registerSandbox(program: Command): void {
  program
    .command('sandbox')
    .description('run a local Prometheus scraping the synthetic app; prints their URLs as one JSON line; stops on SIGTERM, SIGINT or end of stdin')
    .option('--prometheus-port <port>', 'Prometheus port (0: any free port)', portArgument, 0)
    .option('--app-port <port>', 'synthetic app port (0: any free port)', portArgument, 0)
    .option('--scrape-interval <duration>', "how often Prometheus scrapes the app, in whole seconds (e.g. 30s)", wholeSecondsArgument, 1)
    .action(async (options: { prometheusPort: number; appPort: number; scrapeInterval: number }) => {
      const log = createLogger({ name: 'rollouts-cv-sandbox' }, pino.destination(2));
      const { startSandbox } = await import('../../plugin/demo/sandbox.js');
      const sandbox = await startSandbox({ prometheusPort: options.prometheusPort, appPort: options.appPort, scrapeIntervalSeconds: options.scrapeInterval });
      process.stdout.write(`${JSON.stringify({ prometheus: sandbox.prometheus, app: sandbox.app })}\n`);
      log.info({ prometheus: sandbox.prometheus, app: sandbox.app }, 'sandbox running');
      log.info({ reason: await waitForTermination({ stdinEof: true }) }, 'stopping sandbox');
      await sandbox.stop();
    });
}
