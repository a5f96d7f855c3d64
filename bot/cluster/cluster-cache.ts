// What the leader knows of a cluster between passes: its Rollouts, ApprovalRequests, the Rollouts' ReplicaSets and
// the PipelineRuns, each a watched cache (bot/cluster/watch.ts), so that a pass lists nothing and the API load does
// not grow with how often the leader looks. The pass writes through `cluster`, which notes the resourceVersion of
// every object it writes; the next pass waits until the caches hold those writes (resourceVersions are ordered per
// kind) — or, for the optional PipelineRuns, leaves them out until they do — so that a cache that has not yet seen
// the pass's own writes never leads it to post or write the same thing twice. Writes themselves still carry the
// stores' resourceVersion guards, for the changes of others.
import { type CustomObjectsApi } from '@kubernetes/client-node';
import { APPROVAL_REQUESTS, type ApprovalRequest } from '../../shared/approvals/request.js';
import { ApprovalRequestStore } from '../../shared/approvals/store.js';
import { POD_TEMPLATE_HASH_LABEL, REPLICA_SETS, ROLLOUTS, type ReplicaSet, type Rollout } from '../../shared/kube/rollout-types.js';
import type { Logger } from '../../shared/log.js';
import { PIPELINE_RUNS, type PipelineRun } from '../../shared/pipelines/controller.js';
import type { Cluster } from './clusters.js';
import { type WatchedKind, compareResourceVersions, watchKind } from '../../shared/kube/watch.js';

export interface ClusterCache {
  /** The cluster for the pass: its writes of Rollouts and ApprovalRequests are awaited in the caches (ready). */
  cluster: Cluster;
  rollouts: WatchedKind<Rollout>;
  approvals: WatchedKind<ApprovalRequest>;
  /** The ReplicaSets of Rollouts (the actual weight): optional, a pass runs without them (the set weight shows). */
  replicaSets: WatchedKind<ReplicaSet>;
  /**
   * The PipelineRuns when the pass may read them: their cache is live and holds every write made through `cluster`
   * (no wait: the change that shows a write starts another pass). Optional as the ReplicaSets are: undefined on a
   * cluster without the CRD, whose other work goes on.
   */
  pipelineRuns(): readonly PipelineRun[] | undefined;
  /**
   * Whether the pass may read the caches: the Rollout and ApprovalRequest caches are live (at once false if not) and
   * hold every write made through `cluster` (waited for up to `timeoutMs`). When not, why, for the log.
   */
  ready(timeoutMs: number): Promise<{ ready: true } | { ready: false; why: string }>;
  stop(): Promise<void>;
}

type Kind = { group: string; version: string; plural: string };
const path = ({ group, version, plural }: Kind) => `/apis/${group}/${version}/${plural}`;

export function watchCluster(cluster: Cluster, options: { log: Logger; onChange: () => void; watchSeconds?: number }): ClusterCache {
  const { log, onChange, watchSeconds } = options;
  const watch = <T>(kind: Kind, transform: (object: T) => T, labelSelector?: string) =>
    watchKind<T>({
      kc: cluster.kubeConfig,
      what: `${kind.plural}.${kind.group}`,
      path: path(kind),
      labelSelector,
      list: async () => (await cluster.objects.listClusterCustomObject({ ...kind, labelSelector })) as { items: T[] },
      transform,
      onChange,
      log,
      watchSeconds,
    });
  const rollouts = watch<Rollout>(ROLLOUTS, withoutManagedFields);
  const approvals = watch<ApprovalRequest>(APPROVAL_REQUESTS, withoutManagedFields);
  // Only the controller's (they carry the pod template hash label), and only what the actual weight reads.
  const replicaSets = watch<ReplicaSet>(REPLICA_SETS, weightFields, POD_TEMPLATE_HASH_LABEL);
  const pipelineRuns = watch<PipelineRun>(PIPELINE_RUNS, withoutManagedFields);

  /** The newest resourceVersion the pass wrote, per kind written. */
  const written = new Map<string, string>();
  const objects = notingWrites(cluster.objects, (plural, resourceVersion) => {
    const before = written.get(plural);
    if (before === undefined || compareResourceVersions(resourceVersion, before) === 1) written.set(plural, resourceVersion);
  });
  const caches = new Map<string, WatchedKind<unknown>>([
    [ROLLOUTS.plural, rollouts],
    [APPROVAL_REQUESTS.plural, approvals],
  ]);
  const notLive = () => [...caches].find(([, cache]) => !cache.live)?.[0];
  /** Why a live cache cannot be trusted yet, or undefined. */
  const behindOne = (plural: string, cache: WatchedKind<unknown>): string | undefined => {
    const wrote = written.get(plural);
    // resourceVersions that are not comparable are not waited for (the writes' own guards remain)
    return wrote !== undefined && compareResourceVersions(cache.resourceVersion(), wrote) === -1 ? `${plural}: the cache is at ${cache.resourceVersion()}, before our write ${wrote}` : undefined;
  };
  const behind = (): string | undefined => [...caches].map(([plural, cache]) => behindOne(plural, cache)).find((why) => why !== undefined);

  return {
    cluster: { ...cluster, objects, approvals: new ApprovalRequestStore(objects) },
    rollouts,
    approvals,
    replicaSets,
    pipelineRuns: () => (pipelineRuns.live && !behindOne(PIPELINE_RUNS.plural, pipelineRuns) ? pipelineRuns.list() : undefined),
    async ready(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const down = notLive();
        if (down) return { ready: false, why: `${down}: not listed yet, or its watch is failing` };
        const why = behind();
        if (!why) return { ready: true };
        if (Date.now() >= deadline) return { ready: false, why };
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async stop() {
      await Promise.all([rollouts.stop(), approvals.stop(), replicaSets.stop(), pipelineRuns.stop()]);
    },
  };
}

/** The object without `metadata.managedFields` (server-side apply's bookkeeping, often its largest part). */
function withoutManagedFields<T extends { metadata: object }>(object: T): T {
  const { managedFields: _, ...metadata } = object.metadata as { managedFields?: unknown };
  return { ...object, metadata };
}

/** A ReplicaSet as summarizeRollout reads it (owner, pod template hash, available pods). */
function weightFields(rs: ReplicaSet): ReplicaSet {
  const { name, namespace, uid, resourceVersion, labels, ownerReferences } = rs.metadata;
  return { metadata: { name, namespace, uid, resourceVersion, labels, ownerReferences }, status: { replicas: rs.status?.replicas, availableReplicas: rs.status?.availableReplicas } };
}

/** `api`, telling `wrote` the kind and resourceVersion of each object it creates, replaces or patches. */
function notingWrites(api: CustomObjectsApi, wrote: (plural: string, resourceVersion: string) => void): CustomObjectsApi {
  return new Proxy(api, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof property !== 'string' || typeof value !== 'function' || !/^(create|replace|patch)/.test(property)) return value;
      return async (param: { plural: string }, ...rest: unknown[]) => {
        const result = (await value.call(target, param, ...rest)) as { metadata?: { resourceVersion?: unknown } } | undefined;
        const resourceVersion = result?.metadata?.resourceVersion;
        if (typeof resourceVersion === 'string') wrote(param.plural, resourceVersion);
        return result;
      };
    },
  });
}
