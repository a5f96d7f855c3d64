// One set of Kubernetes clients per configured cluster (a kubeconfig context, or the in-cluster service account).
// Rollout actions can run as the Slack user's mapped identity (impersonation), so the cluster's RBAC has the
// final word; reads, audit Events and ApprovalRequest decisions run as the bot itself.
import { CoordinationV1Api, CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { ApprovalRequestStore } from '../../shared/approvals/store.js';
import { type KubeConfigSource, loadKubeConfig, makeApiClient } from '../../shared/kube/client.js';
import type { Logger } from '../../shared/log.js';
import { type Audit, createAudit } from '../../shared/operations/audit.js';
import type { BotConfig } from '../config.js';

export interface Cluster {
  name: string;
  /** This replica (the Pod name), as it names itself in what it writes. */
  instance: string;
  /** As the bot: the leader's watches (bot/cluster/cluster-cache.ts). */
  kubeConfig: KubeConfig;
  /** As the bot: reads of Rollouts, AnalysisRuns, ReplicaSets. */
  objects: CustomObjectsApi;
  core: CoreV1Api;
  coordination: CoordinationV1Api;
  approvals: ApprovalRequestStore;
  /** Kubernetes Events recording what people do here, and the once-only lock of each action. */
  audit: Audit;
  /** The client a user's rollout action goes through: impersonating their mapped identity when configured. */
  actingAs(userId: string): CustomObjectsApi;
}

export class NotMappedError extends Error {
  override name = 'NotMappedError';
}

/** Who writes the audit: this replica, and where its log lines go. */
export interface AuditSource {
  log: Logger;
  instance: string;
}

export function connectCluster(name: string, kc: KubeConfig, impersonation: BotConfig['impersonation'], source: AuditSource): Cluster {
  const objects = kc.makeApiClient(CustomObjectsApi);
  const core = kc.makeApiClient(CoreV1Api);
  return {
    name,
    instance: source.instance,
    kubeConfig: kc,
    objects,
    core,
    audit: createAudit({ api: core, log: source.log.child({ cluster: name }), component: 'rollouts-cv-bot', instance: source.instance }),
    coordination: kc.makeApiClient(CoordinationV1Api),
    approvals: new ApprovalRequestStore(objects),
    actingAs(userId) {
      if (!impersonation) return objects;
      const user = impersonation.users[userId];
      // Fail closed: with impersonation on, an unmapped Slack user has no Kubernetes identity to act as.
      if (!user) throw new NotMappedError(`your Slack user ${userId} is not mapped to a Kubernetes identity (impersonation.users), so you cannot act on the cluster`);
      return makeApiClient(kc, CustomObjectsApi, { impersonate: { user, groups: impersonation.groups } });
    },
  };
}

/** Every configured cluster, by name, from one kubeconfig (or the in-cluster account for clusters without a context). */
export function connectClusters(config: BotConfig, kube: Omit<KubeConfigSource, 'context'>, audit: AuditSource): Map<string, Cluster> {
  return new Map(
    config.clusters.map((cluster) => {
      const kc = loadKubeConfig(cluster.context ? { ...kube, inCluster: false, context: cluster.context } : kube);
      return [cluster.name, connectCluster(cluster.name, kc, config.impersonation, audit)];
    }),
  );
}
