// The Kubernetes side of `rollouts-cv pipeline`: the cluster as kubectl would pick it (--kubeconfig, --context,
// -n), who the user is there, and the reads and writes of Pipelines and PipelineRuns, all as that user so that the
// cluster's RBAC and admission decide. Each failure is a CommandError saying what could not be done and what the API
// server answered.
import { AuthenticationV1Api, CustomObjectsApi, type KubeConfig, PatchStrategy, setHeaderOptions, Watch } from '@kubernetes/client-node';
import { describeApiError, isApiStatus } from '../../shared/kube/api-errors.js';
import { loadKubeConfig } from '../../shared/kube/client.js';
import { readRun as readPipelineRun } from '../../shared/operations/pipeline-runs.js';
import { PIPELINE_RUNS, type PipelineRun } from '../../shared/pipelines/controller.js';

/** A failure to report and exit 1 on. */
export class CommandError extends Error {
  override name = 'CommandError';
}

export interface KubeOptions {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
}

export interface Cluster {
  kc: KubeConfig;
  namespace: string;
  objects: CustomObjectsApi;
}

/** The namespace given, else the context's, else "default" (kubectl's choice). */
export function clusterOf(kc: KubeConfig, namespace?: string): Cluster {
  return { kc, namespace: namespace ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default', objects: kc.makeApiClient(CustomObjectsApi) };
}

export function connect(options: KubeOptions): Cluster {
  try {
    return clusterOf(loadKubeConfig({ kubeconfig: options.kubeconfig, context: options.context }), options.namespace);
  } catch (error) {
    throw new CommandError(`cannot load the kubeconfig: ${(error as Error).message}`);
  }
}

/** Runs `request`; a failure becomes "cannot <what>: HTTP <code>: <the API server's message>". */
async function api<T>(what: string, request: () => Promise<T>, notFound?: string): Promise<T> {
  try {
    return await request();
  } catch (error) {
    if (notFound && isApiStatus(error, 404)) throw new CommandError(notFound, { cause: error });
    // client-node keeps no body for a 401, so its error would say nothing more
    if (isApiStatus(error, 401)) throw new CommandError(`cannot ${what}: HTTP 401: the API server does not accept the kubeconfig's credentials (expired, or for another cluster)`, { cause: error });
    throw new CommandError(`cannot ${what}: ${describeApiError(error)}`, { cause: error });
  }
}

/** The user name the API server knows the caller by (a SelfSubjectReview): what triggeredBy and a cancel record. */
export async function whoAmI(cluster: Cluster): Promise<string> {
  const review = await api(
    'tell who you are (SelfSubjectReview)',
    () => cluster.kc.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } }),
    'cannot tell who you are: the API server does not serve SelfSubjectReview (authentication.k8s.io/v1, Kubernetes 1.28 or newer)',
  );
  const username = review.status?.userInfo?.username;
  if (!username) throw new CommandError('cannot tell who you are: the API server answered the SelfSubjectReview without a user name');
  return username;
}

export function readRun(cluster: Cluster, name: string): Promise<PipelineRun> {
  return readPipelineRun(cluster.objects, cluster.namespace, name);
}

export async function listRuns(cluster: Cluster): Promise<PipelineRun[]> {
  const { namespace } = cluster;
  const list = (await api(`list the PipelineRuns of ${namespace}`, () => cluster.objects.listNamespacedCustomObject({ ...PIPELINE_RUNS, namespace }))) as { items?: PipelineRun[] };
  return list.items ?? [];
}

/** How a watch of one run ended. */
export interface WatchEnd {
  /** The run was deleted. */
  deleted: boolean;
  /** Versions of the run received. */
  received: number;
  /** Why it ended, when not on the server's timeout or `onRun`'s wish. */
  error?: unknown;
}

/** How long the API server keeps a watch open before ending it (the caller then reads and watches again). */
const WATCH_SECONDS = 300;

/**
 * Watches the run from the version given: `onRun` gets each newer version, and ends the watch by returning true.
 * Resolves when the watch ends, for whatever reason.
 */
export function watchRun(cluster: Cluster, run: PipelineRun, onRun: (run: PipelineRun) => boolean): Promise<WatchEnd> {
  const { namespace, name, resourceVersion } = run.metadata;
  return new Promise((resolve) => {
    let received = 0;
    let deleted = false;
    let failure: unknown;
    let stop = false;
    let controller: AbortController | undefined;
    const end = () => {
      stop = true;
      controller?.abort();
    };
    new Watch(cluster.kc)
      .watch(
        `/apis/${PIPELINE_RUNS.group}/${PIPELINE_RUNS.version}/namespaces/${encodeURIComponent(namespace)}/${PIPELINE_RUNS.plural}`,
        { fieldSelector: `metadata.name=${name}`, resourceVersion, timeoutSeconds: WATCH_SECONDS },
        (type: string, object: unknown) => {
          if (stop) return;
          if (type === 'ADDED' || type === 'MODIFIED') {
            received++;
            if (onRun(object as PipelineRun)) end();
          } else if (type === 'DELETED') {
            deleted = true;
            end();
          } else if (type === 'ERROR') {
            // a Status, e.g. 410 Gone: the version is too old to resume from
            failure = { statusCode: (object as { code?: unknown } | null)?.code, body: object };
            end();
          }
        },
        // ended by `end()`, the abort is no failure
        (error: unknown) => resolve({ deleted, received, ...(failure !== undefined ? { error: failure } : !stop && error ? { error } : {}) }),
      )
      .then(
        (started) => {
          controller = started;
          if (stop) started.abort();
        },
        (error: unknown) => resolve({ deleted, received, error }),
      );
  });
}
