import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatSummary, isGenerationObserved, needsReplicaSets, rolloutPhase, summarizeRollout } from './rollout-status.js';
import { POD_TEMPLATE_HASH_LABEL, type ReplicaSet, type Rollout } from './rollout-types.js';

/** Rollouts as the controller v1.10.1 wrote them in the e2e suite (test/fixtures/rollouts). */
const fixture = (name: string): Rollout => JSON.parse(readFileSync(new URL(`../../test/fixtures/rollouts/${name}.json`, import.meta.url), 'utf8')) as Rollout;
const STABLE = '5444c58bc';
const CANARY = '6bb8c57c5d';
/** A ReplicaSet of the Rollout for a pod template hash, with its available pods. */
const replicaSet = (rollout: Rollout, hash: string, availableReplicas: number): ReplicaSet => ({
  metadata: { name: `web-${hash}`, namespace: 'actions', labels: { app: 'web', [POD_TEMPLATE_HASH_LABEL]: hash }, ownerReferences: [{ uid: rollout.metadata.uid!, controller: true, kind: 'Rollout', name: 'web' }] },
  status: { replicas: availableReplicas, availableReplicas },
});
const edit = (name: string, change: (r: Rollout) => void): Rollout => {
  const rollout = fixture(name);
  change(rollout);
  return rollout;
};

describe('summarizeRollout', () => {
  it('a canary paused at a `pause: {}` step', () => {
    const r = fixture('canary-paused-step');
    expect(summarizeRollout(r, [replicaSet(r, STABLE, 1), replicaSet(r, CANARY, 1)])).toEqual({
      namespace: 'actions',
      name: 'web',
      strategy: 'Canary',
      phase: 'Paused',
      message: 'CanaryPauseStep',
      step: { index: 1, count: 3 },
      setWeight: 50,
      actualWeight: 50,
      stableHash: '5444c58bc',
      canaryHash: '6bb8c57c5d',
      fullyPromoted: false,
      aborted: false,
      pausedManually: false,
      pauseReasons: ['CanaryPauseStep'],
    });
  });

  it('manually paused: spec.paused over the pause step', () => {
    expect(summarizeRollout(fixture('canary-manually-paused'))).toMatchObject({ phase: 'Paused', message: 'manually paused', pausedManually: true, pauseReasons: ['CanaryPauseStep'] });
  });

  it('aborted: Degraded with the RolloutAborted message, step 0, weight 0', () => {
    expect(summarizeRollout(fixture('canary-aborted'))).toMatchObject({
      phase: 'Degraded',
      message: 'RolloutAborted: Rollout aborted update to revision 2',
      step: { index: 0, count: 3 },
      setWeight: 0,
      aborted: true,
      fullyPromoted: false,
    });
  });

  it('fully promoted: past the last step, the maximum weight, stable = canary hash', () => {
    const summary = summarizeRollout(fixture('canary-healthy'));
    expect(summary).toMatchObject({ phase: 'Healthy', message: '', step: { index: 3, count: 3 }, setWeight: 100, actualWeight: 100, fullyPromoted: true });
    expect(summary.stableHash).toBe(summary.canaryHash);
    expect(formatSummary(summary)).toBe('actions/web: Healthy · step 3/3 · weight 100 · stable 6bb8c57c5d');
  });

  it('progressing at step 0 after an undo, the old hash as the canary', () => {
    const summary = summarizeRollout(fixture('canary-undone'));
    expect(summary).toMatchObject({ phase: 'Progressing', message: 'more replicas need to be updated', step: { index: 0, count: 3 }, setWeight: 50, stableHash: '6bb8c57c5d', canaryHash: '5444c58bc' });
    expect(formatSummary(summary)).toBe('actions/web: Progressing (more replicas need to be updated) · step 0/3 · set weight 50 · stable 6bb8c57c5d · canary 5444c58bc');
  });

  it('traffic-routed: the actual weight is the router\'s, capped by maxTrafficWeight past the steps', () => {
    const routed = edit('canary-paused-step', (r) => {
      r.spec.strategy.canary!.trafficRouting = { nginx: { stableIngress: 'web' } };
      r.status!.canary = { weights: { canary: { weight: 30, podTemplateHash: '6bb8c57c5d' }, stable: { weight: 70, podTemplateHash: '5444c58bc' } } };
    });
    expect(summarizeRollout(routed)).toMatchObject({ setWeight: 50, actualWeight: 30 });
    expect(formatSummary(summarizeRollout(routed))).toContain('weight 50 (actual 30)');
    const noWeights = edit('canary-paused-step', (r) => {
      r.spec.strategy.canary!.trafficRouting = { nginx: { stableIngress: 'web' } };
    });
    expect(summarizeRollout(noWeights).actualWeight).toBe(50);
    const done = edit('canary-healthy', (r) => {
      r.spec.strategy.canary!.trafficRouting = { maxTrafficWeight: 1000 };
    });
    expect(summarizeRollout(done)).toMatchObject({ setWeight: 1000, actualWeight: 1000 });
  });

  it('the set weight is the last setWeight at or before the current step; no available pods, no actual weight', () => {
    const r = edit('canary-paused-step', (r) => {
      r.spec.strategy.canary!.steps = [{ setWeight: 20 }, { pause: {} }, { setWeight: 40 }, { analysis: {} }, { pause: {} }];
      r.status!.currentStepIndex = 3;
    });
    expect(summarizeRollout(r, [replicaSet(r, CANARY, 1), replicaSet(r, STABLE, 1)])).toMatchObject({ step: { index: 3, count: 5 }, setWeight: 40, actualWeight: 50 });
    r.status!.availableReplicas = 0;
    expect(summarizeRollout(r).actualWeight).toBe(0);
  });

  it('basic canary: the actual weight is the canary ReplicaSet\'s share of the available pods, as kubectl computes it', () => {
    const r = fixture('canary-paused-step'); // set weight 50, 2 available
    const rs = (canaryAvailable: number) => [replicaSet(r, STABLE, 2 - canaryAvailable), replicaSet(r, CANARY, canaryAvailable)];
    // the canary pod cannot be scheduled: kubectl says 50/0, and so do we
    expect(summarizeRollout(r, rs(0))).toMatchObject({ setWeight: 50, actualWeight: 0 });
    expect(formatSummary(summarizeRollout(r, rs(0)))).toContain('· weight 50 (actual 0) ·');
    expect(summarizeRollout(r, rs(1)).actualWeight).toBe(50);
    expect(formatSummary(summarizeRollout(r, rs(1)))).toContain('· weight 50 ·');
    // integer division, as in Go: 1 of 3 available is 33
    const three = edit('canary-paused-step', (x) => (x.status!.availableReplicas = 3));
    expect(summarizeRollout(three, [replicaSet(three, CANARY, 1)]).actualWeight).toBe(33);
    // a ReplicaSet with the canary hash that another Rollout owns does not count; no canary ReplicaSet is 0
    const foreign = { ...replicaSet(r, CANARY, 2), metadata: { ...replicaSet(r, CANARY, 2).metadata, ownerReferences: [{ uid: 'someone-else', controller: true }] } };
    expect(summarizeRollout(r, [foreign, replicaSet(r, STABLE, 2)]).actualWeight).toBe(0);
  });

  it('basic canary without its ReplicaSets read: the actual weight is unknown, and the line says it shows the set weight', () => {
    const summary = summarizeRollout(fixture('canary-paused-step'));
    expect(summary.setWeight).toBe(50);
    expect(summary.actualWeight).toBeUndefined();
    expect(formatSummary(summary)).toContain('· set weight 50 ·');
    expect(needsReplicaSets(fixture('canary-paused-step'))).toBe(true);
    // known without them: past the steps, nothing available, a traffic router's weight
    expect(needsReplicaSets(fixture('canary-healthy'))).toBe(false);
    expect(needsReplicaSets(edit('canary-paused-step', (r) => (r.status!.availableReplicas = 0)))).toBe(false);
    expect(needsReplicaSets(edit('canary-paused-step', (r) => (r.spec.strategy.canary!.trafficRouting = { nginx: {} })))).toBe(false);
    expect(needsReplicaSets(edit('canary-healthy', (r) => (r.spec.strategy = { blueGreen: {} })))).toBe(false);
  });

  it('the current step analysis run', () => {
    const inconclusive = edit('canary-paused-step', (r) => {
      r.status!.pauseConditions = [{ reason: 'InconclusiveAnalysisRun' }];
      r.status!.message = 'InconclusiveAnalysisRun';
      r.status!.canary = { currentStepAnalysisRunStatus: { name: 'web-6bb8c57c5d-2-1', status: 'Inconclusive', message: 'Metric "verify" assessed Inconclusive' } };
    });
    const summary = summarizeRollout(inconclusive);
    expect(summary).toMatchObject({
      phase: 'Paused',
      message: 'InconclusiveAnalysisRun',
      analysisRun: { name: 'web-6bb8c57c5d-2-1', status: 'Inconclusive', message: 'Metric "verify" assessed Inconclusive' },
    });
    expect(formatSummary(summary)).toBe(
      'actions/web: Paused (InconclusiveAnalysisRun) · step 1/3 · set weight 50 · stable 5444c58bc · canary 6bb8c57c5d · analysis web-6bb8c57c5d-2-1 Inconclusive',
    );
  });

  it('no step before the controller has set the index; blue-green has neither steps nor weights', () => {
    const fresh = edit('canary-paused-step', (r) => delete r.status!.currentStepIndex);
    expect(summarizeRollout(fresh).step).toBeUndefined();
    const blueGreen = edit('canary-healthy', (r) => {
      r.spec.strategy = { blueGreen: { activeService: 'web' } };
    });
    const summary = summarizeRollout(blueGreen);
    expect(summary).toMatchObject({ strategy: 'BlueGreen', phase: 'Healthy' });
    expect(summary).not.toHaveProperty('step');
    expect(summary).not.toHaveProperty('setWeight');
  });
});

describe('rolloutPhase', () => {
  it('Progressing while the controller has not observed the latest generation', () => {
    const unobserved = edit('canary-healthy', (r) => {
      r.metadata.generation = 6;
      r.spec.paused = true;
    });
    expect(isGenerationObserved(unobserved)).toBe(false);
    expect(rolloutPhase(unobserved)).toEqual({ phase: 'Progressing', message: 'waiting for rollout spec update to be observed' });
  });

  it('an observedGeneration ahead, missing or not a number counts as observed (as Argo reads it)', () => {
    for (const observed of ['7', undefined, 'abc', '', '+', '-', ' 4', '4 ', '4.0', '0x4', '4_0', '1e3', '9223372036854775808', '-9223372036854775809']) {
      const r = edit('canary-healthy', (r) => {
        r.metadata.generation = 5;
        r.status!.observedGeneration = observed;
      });
      expect(isGenerationObserved(r), String(observed)).toBe(true);
    }
  });

  it('reads observedGeneration as Go\'s strconv.Atoi does: an optional sign, decimal digits, leading zeros', () => {
    const observedAt = (observed: string, generation = 5) =>
      isGenerationObserved(
        edit('canary-healthy', (r) => {
          r.metadata.generation = generation;
          r.status!.observedGeneration = observed;
        }),
      );
    for (const behind of ['+4', '4', '04', '+004', '-4', '-0', '+0', '-9223372036854775808']) expect(observedAt(behind), behind).toBe(false);
    for (const caughtUp of ['+5', '5', '005', '+6', '9223372036854775807']) expect(observedAt(caughtUp), caughtUp).toBe(true);
  });

  it('Progressing while controllerPause is set without pause conditions (unpausing)', () => {
    const unpausing = edit('canary-paused-step', (r) => {
      r.status!.pauseConditions = [];
    });
    expect(rolloutPhase(unpausing)).toEqual({ phase: 'Progressing', message: 'waiting for rollout to unpause' });
  });

  it('without a phase from the controller, computes it from spec and status', () => {
    const bare = (change: (r: Rollout) => void) =>
      rolloutPhase(
        edit('canary-paused-step', (r) => {
          delete r.status!.phase;
          delete r.status!.message;
          r.status!.controllerPause = false;
          r.status!.pauseConditions = [];
          r.status!.conditions = [];
          change(r);
        }),
      );
    expect(bare((r) => r.status!.conditions!.push({ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'timed out' }))).toEqual({
      phase: 'Degraded',
      message: 'ProgressDeadlineExceeded: timed out',
    });
    expect(bare((r) => r.status!.conditions!.push({ type: 'InvalidSpec', status: 'True', message: 'bad' }))).toEqual({ phase: 'Degraded', message: 'InvalidSpec: bad' });
    expect(bare((r) => (r.spec.paused = true))).toEqual({ phase: 'Paused', message: 'manually paused' });
    expect(bare((r) => (r.status!.pauseConditions = [{ reason: 'CanaryPauseStep' }]))).toEqual({ phase: 'Paused', message: 'CanaryPauseStep' });
    expect(bare((r) => (r.spec.restartAt = '2026-11-26T19:53:10Z'))).toEqual({ phase: 'Progressing', message: 'rollout is restarting' });
    expect(bare(() => undefined)).toEqual({ phase: 'Progressing', message: 'more replicas need to be updated' });
    expect(
      bare((r) => {
        r.status!.updatedReplicas = 2;
        r.status!.availableReplicas = 1;
      }),
    ).toEqual({ phase: 'Progressing', message: 'updated replicas are still becoming available' });
    expect(
      bare((r) => {
        r.status!.updatedReplicas = 2;
        r.status!.replicas = 3;
      }),
    ).toEqual({ phase: 'Progressing', message: 'old replicas are pending termination' });
    expect(bare((r) => (r.status!.updatedReplicas = 2))).toEqual({ phase: 'Progressing', message: 'waiting for all steps to complete' });
    expect(
      bare((r) => {
        r.status!.updatedReplicas = 2;
        r.status!.stableRS = r.status!.currentPodHash;
      }),
    ).toEqual({ phase: 'Healthy', message: '' });
  });
});
