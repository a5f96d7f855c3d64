// Which namespaces a run may act in. A Pipeline's author writes the namespace of each Rollout, AnalysisRun and
// Argo CD Application its steps touch, and the controller acts with its own, cluster-wide identity: so a step acts
// in the run's own namespace, or in a namespace whose owner allowed runs of that namespace, by listing it in the
// annotation rollouts-cv.io/pipeline-namespaces ("releases,team-a", or "*").
import type { CoreV1Api } from '@kubernetes/client-node';
import { isApiStatus } from '../kube/api-errors.js';

export const PIPELINE_NAMESPACES_ANNOTATION = 'rollouts-cv.io/pipeline-namespaces';

/** A namespace's annotations, or null when it does not exist. */
export type NamespaceReader = (name: string) => Promise<Record<string, string> | null>;

/** Throws unless a run in `runNamespace` may act on `what` in `target`. */
export type TargetGuard = (runNamespace: string, target: string, what: string) => Promise<void>;

export class TargetError extends Error {
  override name = 'TargetError';
}

export function kubeNamespaceReader(core: CoreV1Api): NamespaceReader {
  return async (name) => {
    try {
      return (await core.readNamespace({ name })).metadata?.annotations ?? {};
    } catch (error) {
      if (isApiStatus(error, 404)) return null;
      throw error;
    }
  };
}

export function targetGuard(read: NamespaceReader): TargetGuard {
  return async (runNamespace, target, what) => {
    if (target === runNamespace) return;
    const annotations = await read(target);
    if (!annotations) throw new TargetError(`${what}: namespace ${target} does not exist`);
    const allowed = (annotations[PIPELINE_NAMESPACES_ANNOTATION] ?? '').split(/[\s,]+/).filter(Boolean);
    if (!allowed.includes(runNamespace) && !allowed.includes('*')) {
      throw new TargetError(`${what} is in namespace ${target}, which does not let pipeline runs of namespace ${runNamespace} act there: its owner lists the namespaces it allows in the annotation ${PIPELINE_NAMESPACES_ANNOTATION}`);
    }
  };
}
