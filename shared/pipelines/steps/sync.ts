// `sync`: ask Argo CD to sync an Application and wait until it is synced and its health is one the step accepts
// (a paused canary Rollout reports Suspended). The request is the Application's `operation` field, as `argocd app
// sync` and `kubectl patch` write it, tagged with the step's key; a later look that finds an operation with that
// key (asked, running or done) does not ask again.
import { type CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { formatDuration } from '../../config/duration.js';
import { isApiStatus } from '../../kube/api-errors.js';
import type { StepExecutor } from '../advance.js';
import type { TargetGuard } from '../targets.js';

export const APPLICATIONS = { group: 'argoproj.io', version: 'v1alpha1', plural: 'applications' } as const;
const KEY_INFO = 'rollouts-cv-step';
const POLL_MS = 5_000;

interface Operation {
  info?: { name: string; value: string }[];
}
interface Application {
  operation?: Operation;
  status?: {
    sync?: { status?: string; revision?: string };
    health?: { status?: string; message?: string };
    operationState?: { phase?: string; message?: string; operation?: Operation; syncResult?: { revision?: string } };
  };
}

const carries = (operation: Operation | undefined, key: string) => operation?.info?.some((info) => info.name === KEY_INFO && info.value === key) === true;

export function syncStep(api: CustomObjectsApi, guard: TargetGuard): StepExecutor {
  return async (step, record, { run, key, now }) => {
    const spec = step.sync!;
    const ref = { ...APPLICATIONS, namespace: spec.namespace, name: spec.application };
    const where = `Argo CD application ${spec.namespace}/${spec.application}`;
    await guard(run.namespace, spec.namespace, where);
    let app: Application;
    try {
      app = (await api.getNamespacedCustomObject(ref)) as Application;
    } catch (error) {
      if (isApiStatus(error, 404)) return { phase: 'Failed', failure: 'error', message: `${where} does not exist` };
      throw error;
    }
    const state = app.status?.operationState;
    const ours = carries(app.operation, key) || carries(state?.operation, key);
    if (!ours) {
      if (app.operation) return { phase: 'Running', message: `${where} has another operation pending; waiting to ask for a sync`, recheckAfterMs: POLL_MS };
      const operation = {
        initiatedBy: { username: `rollouts-cv pipeline run ${run.namespace}/${run.name}`, automated: false },
        info: [{ name: KEY_INFO, value: key }],
        sync: { prune: spec.prune },
      };
      await api.patchNamespacedCustomObject({ ...ref, body: { operation } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
      return { phase: 'Running', message: `asked ${where} to sync`, recheckAfterMs: POLL_MS };
    }
    const sync = app.status?.sync?.status ?? 'Unknown';
    const health = app.status?.health?.status ?? 'Unknown';
    const seen = `${where}: operation ${state?.phase ?? 'pending'}, ${sync}, ${health}${app.status?.health?.message ? ` (${app.status.health.message})` : ''}`;
    const finished = carries(state?.operation, key) && !app.operation;
    if (finished && (state?.phase === 'Failed' || state?.phase === 'Error')) return { phase: 'Failed', failure: 'error', message: `${seen}: ${state.message ?? 'the sync failed'}` };
    if (finished && state?.phase === 'Succeeded' && sync === 'Synced' && spec.health.includes(health as (typeof spec.health)[number])) {
      const revision = state.syncResult?.revision ?? app.status?.sync?.revision;
      return { phase: 'Succeeded', message: seen, ...(revision && { outputs: { revision } }) };
    }
    const startedAt = Date.parse(record.startedAt ?? now.toISOString());
    if (now.getTime() - startedAt >= spec.timeout) {
      return { phase: 'Failed', failure: 'error', message: `${seen}: not synced and ${spec.health.join(' or ')} after ${formatDuration(spec.timeout)}` };
    }
    return { phase: 'Running', message: `${seen}; waiting for Synced and ${spec.health.join(' or ')}`, recheckAfterMs: POLL_MS };
  };
}
