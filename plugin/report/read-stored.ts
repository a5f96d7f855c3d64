// The verification a report names, read from the Kubernetes object the cluster keeps it in: for the engine's report
// pages (its service account) and for `rollouts-cv report` (a person's kubeconfig, so their own RBAC applies).
import type { CustomObjectsApi } from '@kubernetes/client-node';
import { describeApiError, isApiStatus } from '../../shared/kube/api-errors.js';
import { ANALYSIS_RUNS, ROLLOUTS } from '../../shared/kube/rollout-types.js';
import { storedVerification } from './analysis-run.js';
import { storedGateVerification } from './gate-step.js';
import { ReportError, type ReportRef, type StoredVerification } from './stored.js';

export interface ReportObjects {
  analysisRun(namespace: string, name: string): Promise<unknown>;
  rollout(namespace: string, name: string): Promise<unknown>;
}

export function kubeReportObjects(api: CustomObjectsApi): ReportObjects {
  return {
    analysisRun: (namespace, name) => api.getNamespacedCustomObject({ ...ANALYSIS_RUNS, namespace, name }),
    rollout: (namespace, name) => api.getNamespacedCustomObject({ ...ROLLOUTS, namespace, name }),
  };
}

/** The object a report is kept in; one that is not there is a 404, one that cannot be read says why. */
async function readObject(read: () => Promise<unknown>, what: string): Promise<unknown> {
  try {
    return await read();
  } catch (error) {
    if (isApiStatus(error, 404)) throw new ReportError(`${what} not found (deleted, or never made)`, 404);
    throw new Error(`cannot read ${what}: ${describeApiError(error)}`);
  }
}

/** The verification `ref` names; throws ReportError, or Error when the API cannot be read. */
export async function readStored(objects: ReportObjects, ref: ReportRef, now: Date): Promise<StoredVerification> {
  const { namespace } = ref;
  if (ref.kind === 'gate-step') return storedGateVerification(await readObject(() => objects.rollout(namespace, ref.rollout), `Rollout ${namespace}/${ref.rollout}`), ref, now);
  return storedVerification(await readObject(() => objects.analysisRun(namespace, ref.analysisRun), `AnalysisRun ${namespace}/${ref.analysisRun}`), ref, now);
}
