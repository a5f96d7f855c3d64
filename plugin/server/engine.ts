import * as grpc from '@grpc/grpc-js';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { HealthImplementation } from 'grpc-health-check';
import { ApprovalRequestStore } from '../../shared/approvals/store.js';
import { LogTemplateFeedbackStore, type MarksReader } from '../../shared/logs-feedback/store.js';
import { loadKubeConfig } from '../../shared/kube/client.js';
import { createLogger, type Logger } from '../../shared/log.js';
import { createHealthSource, createLogSource } from '../collect/registry.js';
import { type QueueLimits, RequestQueue } from '../collect/request-queue.js';
import { type EngineContext, type EngineDomain, verifyDomain } from './domain.js';
import type { CallBudget } from './call-log.js';
import { metricProviderHandlers } from './metric-service.js';
import { METRIC_PROVIDER_SERVICE, STEP_PLUGIN_SERVICE, loadServices } from './proto.js';
import { stepPluginHandlers } from './step-service.js';
import { splitHostPort } from '../../shared/listen.js';
import { type MetricsServer, serveMetrics } from '../../shared/metrics-http.js';
import { createEngineMetrics } from './metrics.js';
import { type TlsFiles, serverCredentials } from './tls.js';
import { bearerTokenInterceptor, readAuthToken } from './auth.js';
import { restrictNamespaces } from './approval-namespaces.js';
import { DEFAULT_LISTEN_ADDRESS, DEFAULT_SHUTDOWN_GRACE_MS } from './defaults.js';
import type { ListeningServer } from '../../shared/listen.js';
import { kubeReportObjects, readStored, type ReportObjects } from '../report/read-stored.js';
import { reportPath } from '../../shared/verdicts/report-path.js';
import { rebuildReport } from '../report/rebuild.js';
import { serveReports } from '../report/server.js';


export interface EngineOptions {
  /** host:port to listen on; port 0 picks a free port. */
  listen?: string;
  tls?: TlsFiles;
  /** How long in-flight calls may take to finish on stop before they are cancelled. */
  shutdownGraceMs?: number;
  log?: Logger;
  domain?: EngineDomain;
  /** Folder of mounted credential Secrets that configs may name (source.prometheus.credentials). */
  credentialsDir?: string;
  /** host:port serving the engine's Prometheus metrics at /metrics; none when absent. */
  metricsListen?: string;
  /** A file holding the token every call but the health checks must carry (`authorization: Bearer …`). */
  authTokenFile?: string;
  /** Where approval gates keep their requests; by default the Kubernetes API of the in-cluster service account or KUBECONFIG. */
  approvals?: ApprovalRequestStore;
  /** Where people's marks on log templates are read; by default the same Kubernetes API as the approvals. */
  feedback?: MarksReader;
  /** The only namespaces approval gates may write in; by default all but the Kubernetes system namespaces. */
  approvalNamespaces?: readonly string[];
  /** Source requests in flight per source, and waiting in all (request-queue.ts). */
  sourceLimits?: QueueLimits;
  /** Serve report pages (plugin/report/server.ts), and link each Measurement to its report. */
  reports?: ReportOptions;
}

export interface ReportOptions {
  /** host:port of the report pages; loopback by default, so only `kubectl port-forward` reaches them. */
  listen: string;
  /** The pages' address as people open it (an Ingress, or the port-forward's http://localhost:<port>), for links. */
  publicUrl: string;
  /** A path prefix the Ingress keeps, e.g. "/rollouts-cv". */
  basePath?: string;
  cacheTtlMs?: number;
  /** The Argo Rollouts dashboard, for a link to the Rollout on each report. */
  rolloutsDashboardUrl?: string;
  /** Where AnalysisRuns and Rollouts are read; by default the same Kubernetes API as the approvals. */
  objects?: ReportObjects;
}

export interface RunningEngine {
  /** host:port actually bound. */
  address: string;
  /** host:port of /metrics, when served. */
  metricsAddress?: string;
  /** host:port of the report pages, when served. */
  reportsAddress?: string;
  /** Reports NOT_SERVING, lets in-flight calls finish within the grace period, then closes. Idempotent. */
  stop(): Promise<void>;
}

/** A Measurement's link to its report: the public address, and the path the report server answers. */
function reportUrlOf(reports: ReportOptions): NonNullable<EngineContext['reportUrl']> {
  const root = reports.publicUrl.replace(/\/+$/, '');
  return (path, query) => {
    const search = new URLSearchParams(query).toString();
    return `${root}${reportPath(path)}${search && `?${search}`}`;
  };
}

// The health checking protocol's "" entry stands for the whole server.
const HEALTH_ENTRIES = ['', METRIC_PROVIDER_SERVICE, STEP_PLUGIN_SERVICE];

/** Serves the bridge's gRPC contract (MetricProvider, StepPlugin) and grpc.health.v1. */
export async function startEngine(options: EngineOptions = {}): Promise<RunningEngine> {
  const listen = options.listen ?? DEFAULT_LISTEN_ADDRESS;
  const graceMs = options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS;
  const log = options.log ?? createLogger({ name: 'rollouts-cv-engine' });
  const domain = options.domain ?? verifyDomain;
  const { host } = splitHostPort(listen);
  const metrics = createEngineMetrics();

  const services = loadServices();
  const interceptors = options.authTokenFile ? [bearerTokenInterceptor(await readAuthToken(options.authTokenFile), log)] : [];
  const server = new grpc.Server({ interceptors });
  const sourceOptions = { credentialsDir: options.credentialsDir, queue: new RequestQueue(options.sourceLimits) };
  // Made on first use: only approval gates and logs' marks need the Kubernetes API, and an engine without them needs
  // no kubeconfig.
  let objects: CustomObjectsApi | undefined;
  const kubernetes = () => (objects ??= loadKubeConfig().makeApiClient(CustomObjectsApi));
  let approvals: ApprovalRequestStore | undefined;
  const approvalStore = () => (approvals ??= restrictNamespaces(options.approvals ?? new ApprovalRequestStore(kubernetes()), options.approvalNamespaces));
  let feedback: MarksReader | undefined;
  const feedbackReader = () => (feedback ??= options.feedback ?? new LogTemplateFeedbackStore(kubernetes()));
  const context = (callLog: Logger, { signal, deadline }: CallBudget): EngineContext => ({
    now: () => new Date(),
    log: callLog,
    signal,
    deadline,
    createSource: (config) => createHealthSource(config, sourceOptions),
    createLogSource: (config) => createLogSource(config, sourceOptions),
    events: metrics.verifications,
    get approvals() {
      return approvalStore();
    },
    get feedback() {
      return feedbackReader();
    },
    ...(options.reports && { reportUrl: reportUrlOf(options.reports) }),
  });
  const telemetry = { log, metrics };
  server.addService(services.metricProvider.service, metricProviderHandlers(domain, telemetry, context));
  server.addService(services.stepPlugin.service, stepPluginHandlers(domain, telemetry, context));
  const health = new HealthImplementation(Object.fromEntries(HEALTH_ENTRIES.map((name) => [name, 'NOT_SERVING' as const])));
  health.addToServer(server);

  const credentials = await serverCredentials(options.tls);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(listen, credentials, (error, boundPort) => {
      if (!error) return resolve(boundPort);
      server.forceShutdown();
      reject(new Error(`cannot listen on ${listen}: ${error.message}`));
    }),
  );
  let metricsServer: MetricsServer | undefined;
  let reportServer: ListeningServer | undefined;
  try {
    if (options.metricsListen) metricsServer = await serveMetrics(metrics.registry, options.metricsListen, 'the engine');
    if (options.reports) {
      const reports = options.reports;
      // Made on first use, as the approvals' client is.
      let objects: ReportObjects | undefined;
      const reportObjects = () => (objects ??= reports.objects ?? kubeReportObjects(kubernetes()));
      const reportLog = log.child({ component: 'reports' });
      reportServer = await serveReports({
        listen: reports.listen,
        ...(reports.basePath && { basePath: reports.basePath }),
        ...(reports.cacheTtlMs !== undefined && { cacheTtlMs: reports.cacheTtlMs }),
        log: reportLog,
        build: async (ref, budget) => rebuildReport(await readStored(reportObjects(), ref, new Date()), context(reportLog, budget), reports),
      });
    }
  } catch (error) {
    server.forceShutdown();
    await metricsServer?.close();
    throw error;
  }
  for (const name of HEALTH_ENTRIES) health.setStatus(name, 'SERVING');
  const address = `${host}:${port}`;
  const metricsAddress = metricsServer?.address;
  const reportsAddress = reportServer?.address;
  log.info({ address, metricsAddress, reportsAddress, tls: options.tls !== undefined, mutualTls: options.tls?.clientCaFile !== undefined, tokenAuth: interceptors.length > 0 }, 'engine listening');

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= new Promise<void>((resolve) => {
      for (const name of HEALTH_ENTRIES) health.setStatus(name, 'NOT_SERVING');
      log.info({ address, graceMs }, 'engine stopping');
      // Open health Watch streams never end by themselves, so the grace period bounds them too.
      const timer = setTimeout(() => {
        log.warn({ graceMs }, 'grace period over: cancelling calls still in flight');
        server.forceShutdown();
        resolve();
      }, graceMs);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    })
      // Metrics stay up while calls drain, so the drain itself is visible.
      .then(() => Promise.all([metricsServer?.close(), reportServer?.close()]))
      .then(() => log.info({ address }, 'engine stopped'));
    return stopping;
  };

  return { address, metricsAddress, ...(reportsAddress && { reportsAddress }), stop };
}
