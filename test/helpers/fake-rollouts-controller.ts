// A stand-in for the Argo Rollouts controller v1.10.1 on the fake API server (test/helpers/fake-kube-store.ts), for
// unit tests and benchmarks that promote: after each write to a Rollout, before the next request is served, it acts
// on that Rollout as the controller does at its steps (see reconcile). The real controller's behaviour is checked
// by test/e2e/rollout-actions.e2e.ts.
import { ROLLOUTS, type Rollout } from '../../shared/kube/rollout-types.js';
import type { KubeObject, ObjectStore } from './fake-kube-store.js';

const ROLLOUT_PATH = /^\/apis\/argoproj\.io\/v1alpha1\/namespaces\/([^/]+)\/rollouts\/([^/]+)(?:\/status)?$/;

/** Starts acting on the store's Rollouts; the returned function stops it. */
export function actLikeRolloutsController(store: ObjectStore): () => void {
  const written = new Set<string>();
  return store.intercept((request) => {
    for (const key of written) {
      const [namespace, name] = key.split('/') as [string, string];
      const rollout = store.get({ ...ROLLOUTS, namespace, name }) as unknown as Rollout | undefined;
      if (rollout) store.modify({ ...ROLLOUTS, namespace, name }, (object) => void (object.status = reconcile(rollout).status as KubeObject['status']));
    }
    written.clear();
    const match = request.method !== 'GET' ? ROLLOUT_PATH.exec(request.path) : null;
    if (match) written.add(`${match[1]}/${match[2]}`);
    return undefined;
  });
}

/**
 * The status the controller writes after a change to the Rollout: the generation observed; a cleared pause completed
 * (the next step) unless a person keeps the Rollout paused (then the pause comes back); a pause step it has just
 * reached paused on; `promoteFull` past the last step. Written even when the same, as the controller's status update
 * after each change is (its conditions carry the time of the update).
 */
function reconcile(current: Rollout): Rollout {
  const rollout = structuredClone(current);
  const status = (rollout.status ??= {});
  const steps = rollout.spec.strategy.canary?.steps ?? [];
  const paused = rollout.spec.paused === true;
  const reach = (index: number) => {
    status.currentStepIndex = Math.min(index, steps.length);
    if (steps[index]?.pause) {
      Object.assign(status, { controllerPause: true, pauseConditions: [{ reason: 'CanaryPauseStep', startTime: new Date().toISOString() }], phase: 'Paused', message: 'CanaryPauseStep' });
    } else {
      Object.assign(status, { controllerPause: false, pauseConditions: [], phase: 'Progressing', message: 'more replicas need to be updated' });
    }
  };
  const index = status.currentStepIndex ?? 0;
  const pauses = status.pauseConditions ?? [];
  status.observedGeneration = String(rollout.metadata.generation ?? 0);
  if (status.promoteFull && !paused) Object.assign(status, { promoteFull: false, controllerPause: false, pauseConditions: [], currentStepIndex: steps.length, phase: 'Progressing', message: 'more replicas need to be updated' });
  else if (status.controllerPause && pauses.length === 0) reach(paused ? index : index + 1);
  else if (!status.controllerPause && pauses.length === 0 && !paused) reach(index);
  return rollout;
}
