// End to end: the Rollout actions of shared/kube (the requests `kubectl argo rollouts` v1.10.1 sends) against the
// real API server, with the Argo Rollouts CRDs and controller v1.10.1 of the harness. Each action must be accepted
// by the CRD schema (and subresource) and make the controller do what kubectl's would: pause, resume, promote past
// a `pause: {}` step (also one a person paused, where kubectl's order leaves it at the step), abort, retry, promote
// --full, restart, set image, undo; and the actual weight counts the canary's available pods. Plain `setWeight` +
// `pause: {}` steps, no analysis, so that it runs in about a minute; impersonation is checked against the RBAC.
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { beforeAll, describe, expect } from 'vitest';
import { loadKubeConfig, makeApiClient } from '../../shared/kube/client.js';
import { abort, pause, promote, replicaSetsForStatus, restart, resume, retry, setImage, undo } from '../../shared/kube/rollout-actions.js';
import { formatSummary, summarizeRollout } from '../../shared/kube/rollout-status.js';
import { REVISION_ANNOTATION, ROLLOUTS } from '../../shared/kube/rollout-types.js';
import { promote as kubectlPromote } from './harness/kubectl.js';
import { clusterForFile } from './harness/suite.js';
import { deploy } from './harness/rollouts.js';
import { waitFor } from './harness/processes.js';

const NAMESPACE = 'actions';
let api: CustomObjectsApi;
const { env: environment, scenario } = clusterForFile(NAMESPACE, { withPods: true });

beforeAll(() => {
  api = makeApiClient(loadKubeConfig({ kubeconfig: environment().kubeconfig }), CustomObjectsApi);
});

describe('Rollout actions on the Argo Rollouts controller v1.10.1', () => {
  scenario('pause, resume, promote, abort, retry, promote --full, restart, undo, set image', async () => {
    const ro = await deploy(environment(), api, NAMESPACE, 'web', [{ setWeight: 50 }, { pause: {} }, { pause: {} }]);
    const first = await ro.until('revision 1 Healthy', (s) => s.phase === 'Healthy' && s.fullyPromoted);
    const stableHash = first.stableHash!;

    // set image: a PUT of the whole Rollout; the controller starts revision 2 and stops at the first pause step
    expect(await setImage(api, ro.ref, ['app=registry.invalid/e2e/app:2'])).toBe(
      "rollout 'actions/web' image updated: app=registry.invalid/e2e/app:2 (was registry.invalid/e2e/app:1)",
    );
    const atPause = await ro.until('revision 2 at the pause step', (s) => s.phase === 'Paused' && s.message === 'CanaryPauseStep');
    const canaryHash = atPause.canaryHash!;
    expect(canaryHash).not.toBe(stableHash);
    expect(atPause).toMatchObject({ step: { index: 1, count: 3 }, setWeight: 50, stableHash, fullyPromoted: false });
    expect((await ro.get()).metadata.annotations?.[REVISION_ANNOTATION]).toBe('2');

    // the actual weight counts the canary ReplicaSet's available pods: 1 of 2
    expect(summarizeRollout(await ro.get(), await replicaSetsForStatus(api, await ro.get()))).toMatchObject({ setWeight: 50, actualWeight: 50 });

    expect(await pause(api, ro.ref)).toBe("rollout 'actions/web' paused at step 1/3");
    await ro.until('manually paused', (s) => s.phase === 'Paused' && s.message === 'manually paused');
    expect(await resume(api, ro.ref)).toBe("rollout 'actions/web' resumed at step 1/3");
    await ro.until('back at the pause step', (s) => s.phase === 'Paused' && s.message === 'CanaryPauseStep' && !s.pausedManually);

    // promote at a pause step clears its pause condition; the controller moves to the next step (another pause)
    expect(await promote(api, ro.ref)).toMatch(/^rollout 'actions\/web' promoted from step 1\/3 to step 2\/3; now (Paused \(CanaryPauseStep\)|Progressing)/);
    const next = await ro.until('the second pause step', (s) => s.phase === 'Paused' && s.step?.index === 2);
    expect(next).toMatchObject({ message: 'CanaryPauseStep', canaryHash, stableHash });

    expect(await abort(api, ro.ref)).toBe(`rollout 'actions/web' aborted (update to ${canaryHash}; back to stable ${stableHash})`);
    const aborted = await ro.until('Degraded', (s) => s.phase === 'Degraded');
    expect(aborted.message).toMatch(/^RolloutAborted: Rollout aborted update to revision 2/);
    expect(aborted).toMatchObject({ aborted: true, step: { index: 0, count: 3 }, setWeight: 0, stableHash });

    expect(await retry(api, ro.ref)).toBe(`rollout 'actions/web' retried (update to ${canaryHash})`);
    // the update runs again from step 0 (Degraded at step 0 → through setWeight 50 → paused at step 1)
    await ro.until('progressing again, back at the first pause step', (s) => !s.aborted && s.phase === 'Paused' && s.step?.index === 1);

    expect(await promote(api, ro.ref, { full: true })).toMatch(/^rollout 'actions\/web' fully promoted from step 1\/3 to step 3\/3; now /);
    const promoted = await ro.until('revision 2 fully promoted', (s) => s.phase === 'Healthy' && s.fullyPromoted);
    expect(promoted).toMatchObject({ stableHash: canaryHash, canaryHash, step: { index: 3, count: 3 } });

    const at = new Date();
    const restartAt = at.toISOString().replace(/\.\d+Z$/, 'Z');
    expect(await restart(api, ro.ref, { at })).toBe(`rollout 'actions/web' restarts its pods (restartAt ${restartAt})`);
    await ro.poll('status.restartedAt', async () => ((await ro.get()).status?.restartedAt === restartAt ? true : undefined));
    await ro.until('Healthy after the restart', (s) => s.phase === 'Healthy' && s.fullyPromoted);

    // undo: revision 1's template comes back as revision 3, with revision 1's pod hash
    expect(await undo(api, ro.ref)).toBe(`rollout 'actions/web' rolled back to revision 1 (template of ReplicaSet web-${stableHash})`);
    const undone = await ro.until('the rollback to revision 1 started', (s) => s.canaryHash === stableHash);
    const rollout = await ro.get();
    expect(rollout.metadata.annotations?.[REVISION_ANNOTATION]).toBe('3');
    expect(rollout.spec.template?.spec?.containers?.[0]?.image).toBe('registry.invalid/e2e/app:1');
    expect(rollout.spec.template?.metadata?.labels).toEqual({ app: 'web' });
    expect(undone.stableHash).toBe(canaryHash);
    console.log(`rollout actions/web: ${ro.seen.join(' → ')}`);
  });

  scenario('promote of a rollout a person paused at a `pause: {}` step: kubectl\'s order leaves it there; unpaused first, it moves on (three of three)', async () => {
    const ro = await deploy(environment(), api, NAMESPACE, 'held', [{ setWeight: 50 }, { pause: {} }, { pause: {} }, { pause: {} }]);
    await ro.until('revision 1 Healthy', (s) => s.phase === 'Healthy' && s.fullyPromoted);
    await setImage(api, ro.ref, ['app=registry.invalid/e2e/app:2']);
    // kubectl's order (the status patch, then the unpause): the controller pauses it again at the same step
    await ro.until('at pause step 1', (s) => s.phase === 'Paused' && s.message === 'CanaryPauseStep' && s.step?.index === 1);
    await pause(api, ro.ref);
    await ro.until('manually paused at step 1', (s) => s.message === 'manually paused');
    expect(await kubectlPromote(environment().kubectl, NAMESPACE, 'held')).toEqual({ status: '{"status":{"pauseConditions":null}}', spec: '{"spec":{"paused":false}}' });
    const kept = await ro.until('the controller to act on kubectl\'s promote', (s) => s.phase === 'Paused' && s.message === 'CanaryPauseStep' && !s.pausedManually);
    expect(kept.step).toEqual({ index: 1, count: 4 });
    // the bot's order moves it on, every time
    for (const index of [1, 2, 3]) {
      await ro.until(`at pause step ${index}`, (s) => s.phase === 'Paused' && s.message === 'CanaryPauseStep' && s.step?.index === index);
      await pause(api, ro.ref);
      await ro.until(`manually paused at step ${index}`, (s) => s.phase === 'Paused' && s.message === 'manually paused' && s.step?.index === index);
      const said = await promote(api, ro.ref);
      expect(said).toMatch(new RegExp(`^rollout 'actions/held' unpaused and promoted from step ${index}/4 to step ${index + 1}/4; now `));
      const after = await ro.get();
      expect(after.spec.paused).toBeFalsy();
      expect(after.status?.currentStepIndex).toBe(index + 1);
    }
    await ro.until('revision 2 fully promoted', (s) => s.phase === 'Healthy' && s.fullyPromoted);
  });

  scenario('the actual weight of a canary whose pod cannot be scheduled is 0, as kubectl shows it', async () => {
    const ro = await deploy(environment(), api, NAMESPACE, 'pending', [{ setWeight: 50 }, { pause: {} }]);
    await ro.until('revision 1 Healthy', (s) => s.phase === 'Healthy' && s.fullyPromoted);
    // revision 2's pods need a node label no node has: the canary pod stays Pending
    const nowhere = { spec: { template: { spec: { nodeSelector: { 'rollouts-cv.io/e2e': 'nowhere' } } } } };
    await api.patchNamespacedCustomObject({ ...ROLLOUTS, ...ro.ref, body: nowhere }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    const summary = await ro.poll('the canary ReplicaSet, its pod unavailable', async () => {
      const rollout = await ro.get();
      const replicaSets = await replicaSetsForStatus(api, rollout);
      const s = summarizeRollout(rollout, replicaSets);
      return s.canaryHash !== s.stableHash && s.step?.index === 0 && (replicaSets ?? []).some((rs) => (rs.status?.replicas ?? 0) > 0) ? s : undefined;
    });
    expect(summary).toMatchObject({ setWeight: 50, actualWeight: 0 });
    expect(formatSummary(summary)).toContain('· weight 50 (actual 0) ·');
  });

  scenario('refusals and errors name the rollout and what there is', async () => {
    const missing = { namespace: NAMESPACE, name: 'missing' };
    await expect(abort(api, missing)).rejects.toThrow("rollout 'actions/missing' not found");
    const ro = await deploy(environment(), api, NAMESPACE, 'quiet', [{ setWeight: 50 }, { pause: {} }]);
    await ro.until('revision 1 Healthy', (s) => s.phase === 'Healthy' && s.fullyPromoted);
    await expect(retry(api, ro.ref)).rejects.toThrow("rollout 'actions/quiet' is not aborted: only an aborted rollout can be retried");
    await expect(promote(api, ro.ref)).rejects.toThrow("rollout 'actions/quiet' is already fully promoted");
    await expect(undo(api, ro.ref, { toRevision: 7 })).rejects.toThrow("unable to find specified revision 7 in history of rollout 'actions/quiet' (revisions: 1)");
    await expect(setImage(api, ro.ref, ['sidecar=x:1'])).rejects.toThrow('unable to find container named "sidecar"');
  });

  scenario('impersonation: the cluster RBAC decides what the mapped identity may do', async () => {
    const ro = await deploy(environment(), api, NAMESPACE, 'guarded', [{ setWeight: 50 }, { pause: {} }]);
    await ro.until('revision 1 Healthy', (s) => s.phase === 'Healthy' && s.fullyPromoted);
    await setImage(api, ro.ref, ['app=registry.invalid/e2e/app:2']);
    await ro.until('revision 2 at the pause step', (s) => s.phase === 'Paused' && s.message === 'CanaryPauseStep');
    const kc = loadKubeConfig({ kubeconfig: environment().kubeconfig });
    const stranger = makeApiClient(kc, CustomObjectsApi, { impersonate: { user: 'slack:U0STRANGER' } });
    await expect(pause(stranger, ro.ref)).rejects.toThrow(/^get rollout actions\/guarded: 403 .*"slack:U0STRANGER" cannot get resource "rollouts"/);

    // a Role for a group; a member (impersonated with that group) may pause, its user name alone may not
    await environment().kubectl.apply(
      JSON.stringify({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'rollout-operator', namespace: NAMESPACE },
        rules: [{ apiGroups: ['argoproj.io'], resources: ['rollouts'], verbs: ['get', 'patch'] }],
      }),
    );
    await environment().kubectl.apply(
      JSON.stringify({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'team-shop-operates-rollouts', namespace: NAMESPACE },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'rollout-operator' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'team-shop' }],
      }),
    );
    const member = makeApiClient(kc, CustomObjectsApi, { impersonate: { user: 'slack:U0ALICE', groups: ['team-shop'] } });
    const alone = makeApiClient(kc, CustomObjectsApi, { impersonate: { user: 'slack:U0ALICE' } });
    await expect(pause(alone, ro.ref)).rejects.toThrow(/403/);
    // (RBAC caches are refreshed by watch: allow a moment)
    expect(await waitFor('the RoleBinding to take effect', () => pause(member, ro.ref).catch(() => undefined), 15_000, undefined, 250)).toBe(
      "rollout 'actions/guarded' paused at step 1/2",
    );
    await ro.until('manually paused', (s) => s.phase === 'Paused' && s.message === 'manually paused');
    // the Role has no rollouts/status: abort (a status patch) is refused by the cluster
    await expect(abort(member, ro.ref)).rejects.toThrow(/^patch rollout actions\/guarded status: 403 /);
  });
});

