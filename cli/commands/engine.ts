// `rollouts-cv engine`: the gRPC service the bridge calls, until SIGTERM or SIGINT.
import { type Command, InvalidArgumentError } from 'commander';
import { DEFAULT_QUEUE_LIMITS } from '../../plugin/collect/request-queue.js';
import { DEFAULT_LISTEN_ADDRESS, DEFAULT_SHUTDOWN_GRACE_MS } from '../../plugin/server/defaults.js';
import { splitHostPort } from '../../shared/listen.js';
import { createLogger } from '../../shared/log.js';
import { waitForTermination } from '../../shared/termination.js';
import { countArgument, durationArgument, listenArgument, logLevelOption, namespacesArgument, publicUrlArgument, USAGE_ERROR } from '../arguments.js';

interface EngineOptions {
  listen: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsClientCa?: string;
  credentialsDir?: string;
  metricsListen?: string;
  authTokenFile?: string;
  approvalNamespaces?: string[];
  logLevel: string;
  shutdownGrace: number;
  sourceConcurrency: number;
  sourceQueue: number;
  reportListen?: string;
  reportUrl?: string;
  reportBasePath?: string;
  reportCacheTtl: number;
  reportRolloutsDashboard?: string;
}

function basePathArgument(text: string): string {
  if (!/^(\/[A-Za-z0-9._~-]+)+\/?$/.test(text)) throw new InvalidArgumentError('expected a path such as "/rollouts-cv".');
  return text.replace(/\/+$/, '');
}

function reportOptions(listen: string, options: EngineOptions) {
  const basePath = options.reportBasePath ?? '';
  // The full address people open, any path prefix included; by default what a port-forward to the port gives.
  const publicUrl = options.reportUrl ?? `http://localhost:${splitHostPort(listen).port}${basePath}`;
  return { listen, publicUrl, basePath, cacheTtlMs: options.reportCacheTtl, ...(options.reportRolloutsDashboard && { rolloutsDashboardUrl: options.reportRolloutsDashboard }) };
}

export function registerEngine(program: Command): void {
  program
    .command('engine')
    .description('serve the engine the rollouts-cv bridge calls over gRPC (with grpc.health.v1)')
    .option('--listen <address>', 'host:port to listen on', listenArgument, DEFAULT_LISTEN_ADDRESS)
    .option('--tls-cert <file>', 'PEM server certificate (serves TLS; needs --tls-key)')
    .option('--tls-key <file>', 'PEM private key of --tls-cert')
    .option('--tls-client-ca <file>', 'PEM CA that client certificates must chain to (mutual TLS)')
    .option('--metrics-listen <address>', 'host:port serving Prometheus metrics at /metrics (off when absent), e.g. 0.0.0.0:8080', process.env.ROLLOUTS_CV_METRICS_LISTEN)
    .option('--credentials-dir <dir>', 'folder of mounted credential Secrets that configs may name', process.env.ROLLOUTS_CV_CREDENTIALS_DIR)
    .option('--auth-token-file <file>', 'file holding the token every call but health checks must carry (authorization: Bearer); the bridge sends it with --engine-token-file')
    .option('--approval-namespaces <list>', 'the only namespaces approval gates may create ApprovalRequests in, separated by commas (default: all but kube-system, kube-public and kube-node-lease)', namespacesArgument)
    .addOption(logLevelOption())
    .option('--shutdown-grace <duration>', 'time in-flight calls get to finish on SIGTERM/SIGINT', durationArgument, DEFAULT_SHUTDOWN_GRACE_MS)
    .option('--source-concurrency <n>', 'queries in flight at once to each metrics source (e.g. one Prometheus)', countArgument, DEFAULT_QUEUE_LIMITS.concurrency)
    .option('--source-queue <n>', 'queries waiting for their turn, over all sources; beyond it a look is retried later', countArgument, DEFAULT_QUEUE_LIMITS.maxPending)
    .option('--report-listen <address>', 'host:port serving the report pages (off when absent); keep it on loopback (127.0.0.1:8082) unless an authenticating proxy is in front', listenArgument, process.env.ROLLOUTS_CV_REPORT_LISTEN)
    .option('--report-url <url>', "the report pages' address as people open them, path prefix included, for the link in each Measurement (default: http://localhost:<port of --report-listen>, what `kubectl port-forward` gives)", publicUrlArgument, process.env.ROLLOUTS_CV_REPORT_URL)
    .option('--report-base-path <path>', 'a path prefix the proxy in front keeps, e.g. /rollouts-cv', basePathArgument)
    .option('--report-cache-ttl <duration>', 'how long a built report is served again before it is rebuilt from the sources', durationArgument, 60_000)
    .option('--report-rollouts-dashboard <url>', 'the Argo Rollouts dashboard as people open it, e.g. http://localhost:3100/rollouts (what `kubectl argo rollouts dashboard` serves), for a link to the Rollout on each report', publicUrlArgument)
    .action(async (options: EngineOptions, command: Command) => {
      if ((options.tlsCert === undefined) !== (options.tlsKey === undefined)) command.error('error: --tls-cert and --tls-key go together', { exitCode: USAGE_ERROR });
      if (options.tlsClientCa !== undefined && options.tlsCert === undefined) command.error('error: --tls-client-ca needs --tls-cert and --tls-key', { exitCode: USAGE_ERROR });
      if ((options.reportUrl ?? options.reportBasePath ?? options.reportRolloutsDashboard) !== undefined && options.reportListen === undefined) {
        command.error('error: --report-url, --report-base-path and --report-rollouts-dashboard need --report-listen', { exitCode: USAGE_ERROR });
      }
      const log = createLogger({ level: options.logLevel, name: 'rollouts-cv-engine' });
      const { startEngine } = await import('../../plugin/server/engine.js');
      const engine = await startEngine({
        listen: options.listen,
        tls: options.tlsCert && options.tlsKey ? { certFile: options.tlsCert, keyFile: options.tlsKey, clientCaFile: options.tlsClientCa } : undefined,
        shutdownGraceMs: options.shutdownGrace,
        credentialsDir: options.credentialsDir,
        metricsListen: options.metricsListen,
        authTokenFile: options.authTokenFile,
        approvalNamespaces: options.approvalNamespaces,
        sourceLimits: { concurrency: options.sourceConcurrency, maxPending: options.sourceQueue },
        ...(options.reportListen && { reports: reportOptions(options.reportListen, options) }),
        log,
      });
      log.info({ signal: await waitForTermination() }, 'shutting down');
      await engine.stop();
    });
}
