import { describe, expect, it } from 'vitest';
import { advanceRun, type Choice, type Executors, failureAction, type InterventionExecutor, type StepExecutor, type StepOutcome } from './advance.js';
import { parsePipelineSpec } from './spec.js';
import { initialStatus, type PipelineRunStatus } from './status.js';
import { waitStep } from './steps/wait.js';

const T0 = new Date('2026-12-05T10:00:00Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const run = { namespace: 'releases', name: 'loans-api-release-1', uid: 'uid-1' };
const facts = { triggeredBy: 'Slack user U012ABCDEF', url: '' };

const w = (name: string, extra: Record<string, unknown> = {}) => ({ name, wait: { duration: '1m' }, ...extra });
const v = (name: string, extra: Record<string, unknown> = {}) => ({ name, verify: { rollout: 'loans-api', template: { name: 't' } }, ...extra });

function start(spec: unknown, variables: Record<string, string> = {}): PipelineRunStatus {
  return initialStatus({ name: 'loans-api-release', spec: parsePipelineSpec(spec) }, variables, T0);
}

/** Executors that answer from a script per step name, and remember the keys they were called with. */
function scripted(outcomes: Record<string, StepOutcome[]>): { executors: Executors; calls: string[] } {
  const calls: string[] = [];
  const next: StepExecutor = async (step, _record, context) => {
    calls.push(context.key);
    const list = outcomes[step.name];
    if (!list?.length) return { phase: 'Succeeded', message: `${step.name} done`, outputs: { by: step.name } };
    return list.length > 1 ? list.shift()! : list[0]!;
  };
  return { executors: { verify: next, sync: next, rollout: next, gitRevert: next, wait: waitStep }, calls };
}

const failed = (failure: 'verification' | 'error', message = 'Unhealthy: errors +340%'): StepOutcome => ({ phase: 'Failed', failure, message });

describe('advanceRun', () => {
  it('goes through the stages in order, waits where a step waits, and ends Succeeded', async () => {
    const { executors, calls } = scripted({});
    let { status, recheckAfterMs } = await advanceRun(start({ stages: [{ name: 'dev', steps: [v('a'), w('pause'), v('b')] }, { name: 'qa', steps: [v('c')] }] }), run, facts, executors, T0);
    expect(status.phase).toBe('Running');
    expect(status.currentStage).toBe('dev');
    expect(recheckAfterMs).toBe(60_000);
    expect(status.stages[0]!.steps.map((s) => s.phase)).toEqual(['Succeeded', 'Running', 'Pending']);
    expect(status.stages[0]!.steps[1]!.state).toEqual({ until: '2026-12-05T10:01:00.000Z' });
    // A look before the wait is over changes nothing but the message; its end is kept across looks.
    ({ status, recheckAfterMs } = await advanceRun(status, run, facts, executors, at(30)));
    expect(recheckAfterMs).toBe(30_000);
    ({ status, recheckAfterMs } = await advanceRun(status, run, facts, executors, at(61)));
    expect(recheckAfterMs).toBeNull();
    expect(status).toMatchObject({ phase: 'Succeeded', message: 'all 2 stages succeeded', finishedAt: at(61).toISOString() });
    expect(status.stages.map((s) => s.phase)).toEqual(['Succeeded', 'Succeeded']);
    expect(calls).toEqual(['uid-1/dev/a', 'uid-1/dev/b', 'uid-1/qa/c']);
    expect(status.stages[1]!.steps[0]!.outputs).toEqual({ by: 'c' });
  });

  it('runs a parallel group together and goes on when all of it has finished', async () => {
    const { executors } = scripted({ slow: [{ phase: 'Running', message: 'syncing', recheckAfterMs: 5000 }, { phase: 'Succeeded', message: 'synced' }] });
    const spec = { stages: [{ name: 'dev', steps: [{ name: 'both', parallel: [v('fast'), { name: 'slow', sync: { application: 'dev-loans-api' } }] }, v('after')] }] };
    let { status, recheckAfterMs } = await advanceRun(start(spec), run, facts, executors, T0);
    expect(status.stages[0]!.steps.map((s) => [s.name, s.group, s.phase])).toEqual([
      ['fast', 'both', 'Succeeded'],
      ['slow', 'both', 'Running'],
      ['after', undefined, 'Pending'],
    ]);
    expect(recheckAfterMs).toBe(5000);
    ({ status } = await advanceRun(status, run, facts, executors, at(5)));
    expect(status.phase).toBe('Succeeded');
  });

  it('rolls the stage back on a failed verification, runs every rollback step even when one fails, and ends Failed with the reason', async () => {
    const { executors, calls } = scripted({ verify: [failed('verification')], revert: [failed('error', 'push refused')] });
    const spec = {
      stages: [
        { name: 'dev', steps: [v('ok')] },
        { name: 'prod-na', steps: [v('verify'), v('never')], rollback: [{ name: 'abort', rollout: { name: 'loans-api', action: 'abort' } }, { name: 'revert', gitRevert: { step: 'u' } }, { name: 'sync-back', sync: { application: 'x' } }] },
      ],
    };
    // gitRevert needs a gitUpdate of its stage.
    spec.stages[1]!.steps.unshift({ name: 'u', gitUpdate: { repository: { url: 'https://git.example/r.git' }, files: [{ path: 'a.yaml', set: [{ path: 'a', value: 'b' }] }], message: 'm' } } as never);
    const { executors: withUpdate } = { executors: { ...executors, gitUpdate: executors.verify } };
    const { status } = await advanceRun(start(spec), run, facts, withUpdate, T0);
    expect(status.phase).toBe('Failed');
    expect(status.message).toBe('stage prod-na: step verify failed (the verification failed): Unhealthy: errors +340%; rolled back, but rollback step(s) revert failed');
    expect(status.stages[1]!.steps.map((s) => s.phase)).toEqual(['Succeeded', 'Failed', 'Pending']);
    expect(status.stages[1]!.rollback.map((s) => s.phase)).toEqual(['Succeeded', 'Failed', 'Succeeded']);
    expect(status.stages[1]!.phase).toBe('Failed');
    expect(calls).toContain('uid-1/prod-na/rollback/abort');
    expect(calls).not.toContain('uid-1/prod-na/never');
  });

  it('ignores or aborts as the strategy says, per kind of failure', async () => {
    const spec = (onFailure: unknown) => ({ stages: [{ name: 'dev', steps: [v('verify', { onFailure }), v('next')], rollback: [{ name: 'abort', rollout: { name: 'loans-api', action: 'abort' } }] }] });
    const strategy = { verificationFailed: 'rollback', error: 'ignore' };
    const ignored = await advanceRun(start(spec(strategy)), run, facts, scripted({ verify: [failed('error', 'cannot reach the engine')] }).executors, T0);
    expect(ignored.status.phase).toBe('Succeeded');
    expect(ignored.status.stages[0]!.steps.map((s) => [s.phase, s.failure, s.message])).toEqual([
      ['Ignored', 'error', 'cannot reach the engine'],
      ['Succeeded', undefined, 'next done'],
    ]);
    const rolled = await advanceRun(start(spec(strategy)), run, facts, scripted({ verify: [failed('verification')] }).executors, T0);
    expect(rolled.status.stages[0]!.rollback[0]!.phase).toBe('Succeeded');
    const aborted = await advanceRun(start(spec('abort')), run, facts, scripted({ verify: [failed('verification')] }).executors, T0);
    expect(aborted.status.message).toBe('stage dev: step verify failed (the verification failed): Unhealthy: errors +340%');
    expect(aborted.status.stages[0]!.rollback[0]!.phase).toBe('Pending');
  });

  it('counts a step type without an executor, or an executor that throws, as an error', async () => {
    const { status } = await advanceRun(start({ stages: [{ name: 'dev', steps: [{ name: 'j', webhook: { url: 'https://hooks.example/x' } }] }] }), run, facts, {}, T0);
    expect(status.message).toBe('stage dev: step j failed (an error): webhook steps are not available in this version of rollouts-cv');
    const throwing: Executors = { verify: () => Promise.reject(new Error('AnalysisTemplate t not found')) };
    const second = await advanceRun(start({ stages: [{ name: 'dev', steps: [v('a')] }] }), run, facts, throwing, T0);
    expect(second.status.message).toBe('stage dev: step a failed (an error): AnalysisTemplate t not found');
  });

  describe('manual intervention', () => {
    const mi = { manualIntervention: { timeout: '2h', onTimeout: 'rollback' } };
    const spec = { stages: [{ name: 'prod-na', steps: [v('verify', { onFailure: mi }), v('next')], rollback: [{ name: 'abort', rollout: { name: 'loans-api', action: 'abort' } }] }] };
    /** Scripted executors, and an intervention that answers from `answers` (undefined: nobody has decided yet). */
    function asking(verify: StepOutcome[], answers: (Choice | undefined)[]) {
      const { executors, calls } = scripted({ verify });
      const asked: { key: string; choices: Choice[]; failed?: string }[] = [];
      const intervention: InterventionExecutor = async (_step, record, context) => {
        asked.push({ key: context.key, choices: context.choices, failed: record.state?.failed });
        const choice = answers.shift();
        return choice ? { choice, message: `${choice} by U0ALICE001` } : { message: 'asked people on ApprovalRequest x', recheckAfterMs: 15_000 };
      };
      return { executors: { ...executors, intervention }, calls, asked };
    }

    it('asks people about a failed step and waits for them, with the choices the stage allows', async () => {
      const { executors, asked } = asking([failed('verification')], [undefined]);
      const { status, recheckAfterMs } = await advanceRun(start(spec), run, facts, executors, T0);
      expect(status.phase).toBe('Running');
      expect(recheckAfterMs).toBe(15_000);
      expect(status.stages[0]!.steps[0]).toMatchObject({ phase: 'Intervening', failure: 'verification', message: 'Unhealthy: errors +340%; asked people on ApprovalRequest x' });
      expect(asked).toEqual([{ key: 'uid-1/prod-na/verify', choices: ['retry', 'ignore', 'rollback', 'abort'], failed: 'Unhealthy: errors +340%' }]);
      const noRollback = asking([failed('error')], [undefined]);
      await advanceRun(start({ stages: [{ name: 'dev', steps: [v('verify', { onFailure: mi })] }] }), run, facts, noRollback.executors, T0);
      expect(noRollback.asked[0]!.choices).toEqual(['retry', 'ignore', 'abort']);
    });

    it('retries the step as a new attempt under a new key, and goes on when it passes', async () => {
      const { executors, calls, asked } = asking([failed('verification'), { phase: 'Succeeded', message: 'Healthy' }], [undefined, 'retry']);
      let { status } = await advanceRun(start(spec), run, facts, executors, T0);
      ({ status } = await advanceRun(status, run, facts, executors, at(60)));
      expect(status.phase).toBe('Succeeded');
      expect(status.stages[0]!.steps[0]).toMatchObject({ phase: 'Succeeded', attempt: 2, message: 'Healthy', startedAt: at(60).toISOString() });
      expect(calls).toEqual(['uid-1/prod-na/verify', 'uid-1/prod-na/verify#2', 'uid-1/prod-na/next']);
      expect(asked.map((a) => a.key)).toEqual(['uid-1/prod-na/verify', 'uid-1/prod-na/verify']);
    });

    it('ignores the failure, rolls the stage back or aborts the run as people choose', async () => {
      const ignored = await advanceRun(start(spec), run, facts, asking([failed('verification')], ['ignore']).executors, T0);
      expect(ignored.status.phase).toBe('Succeeded');
      expect(ignored.status.stages[0]!.steps[0]).toMatchObject({ phase: 'Ignored', message: 'Unhealthy: errors +340%; ignore by U0ALICE001' });
      const rolled = await advanceRun(start(spec), run, facts, asking([failed('verification')], ['rollback']).executors, T0);
      expect(rolled.status.message).toBe('stage prod-na: step verify failed (the verification failed): Unhealthy: errors +340%; rollback by U0ALICE001; rolled back');
      expect(rolled.status.stages[0]!.rollback[0]!.phase).toBe('Succeeded');
      const aborted = await advanceRun(start(spec), run, facts, asking([failed('verification')], ['abort']).executors, T0);
      expect(aborted.status.message).toBe('stage prod-na: step verify failed (the verification failed): Unhealthy: errors +340%; abort by U0ALICE001');
      expect(aborted.status.stages[0]!.rollback[0]!.phase).toBe('Pending');
    });

    it('applies the strategy’s onTimeout when nobody can be asked', async () => {
      const { executors } = scripted({ verify: [failed('verification')] });
      const { status } = await advanceRun(start(spec), run, facts, executors, T0);
      expect(status.message).toContain('nobody can be asked in this version of rollouts-cv; rolled back');
    });

    it('keeps waiting, and says why, when asking fails', async () => {
      const { executors } = scripted({ verify: [failed('verification')] });
      const broken: Executors = { ...executors, intervention: () => Promise.reject(new Error('approvalrequests is forbidden')) };
      const { status, recheckAfterMs } = await advanceRun(start(spec), run, facts, broken, T0);
      expect(status.phase).toBe('Running');
      expect(recheckAfterMs).toBe(15_000);
      expect(status.stages[0]!.steps[0]!.message).toBe('Unhealthy: errors +340%; cannot ask for a decision: approvalrequests is forbidden');
    });
  });

  it('rolls back or stops on a rejected approval, whatever the step’s strategy says', async () => {
    const rejected: StepOutcome = { phase: 'Failed', failure: 'rejected', message: 'ApprovalRequest r decided (reject): reject by U0ALICE001' };
    const gate = (extra: Record<string, unknown>) => ({ stages: [{ name: 'approve-prod', steps: [{ name: 'approve', approval: { message: 'Ship?' }, onFailure: 'ignore' }, v('next')], ...extra }] });
    const approval: StepExecutor = async () => rejected;
    const stopped = await advanceRun(start(gate({})), run, facts, { approval }, T0);
    expect(stopped.status.message).toBe('stage approve-prod: step approve failed (rejected): ApprovalRequest r decided (reject): reject by U0ALICE001');
    const rolled = await advanceRun(start(gate({ rollback: [w('undo')] })), run, facts, { approval, wait: waitStep }, T0);
    expect(rolled.status.stages[0]!.phase).toBe('RollingBack');
  });

  it('gives steps the outputs of earlier ones and the run’s facts for their templates', async () => {
    const seen: unknown[] = [];
    const executors: Executors = {
      verify: async (step, _r, context) => {
        seen.push({ step: step.name, steps: context.scope.steps, run: context.scope.run, vars: context.scope.vars });
        return { phase: 'Succeeded', message: 'ok', outputs: { key: `LOANS-${seen.length}` } };
      },
    };
    await advanceRun(start({ variables: [{ name: 'image', required: true }], stages: [{ name: 'dev', steps: [v('a'), v('b')] }] }, { image: 'app:2' }), run, facts, executors, T0);
    expect(seen[1]).toEqual({ step: 'b', steps: { dev: { a: { key: 'LOANS-1' } } }, run: { name: run.name, namespace: run.namespace, ...facts }, vars: { image: 'app:2' } });
  });

  it('finishes at most 20 steps in one pass, and asks to be looked at again at once', async () => {
    const many = Array.from({ length: 25 }, (_, i) => v(`s${i}`));
    const first = await advanceRun(start({ stages: [{ name: 'dev', steps: many }] }), run, facts, scripted({}).executors, T0);
    expect(first.recheckAfterMs).toBe(0);
    expect(first.status.stages[0]!.steps.filter((s) => s.phase === 'Succeeded')).toHaveLength(20);
    expect((await advanceRun(first.status, run, facts, scripted({}).executors, T0)).status.phase).toBe('Succeeded');
  });

  it('starts no step once this replica has stopped leading', async () => {
    const stopped = new AbortController();
    const { executors, calls } = scripted({});
    const first = await advanceRun(start({ stages: [{ name: 'dev', steps: [v('a'), v('b')] }] }), run, facts, { verify: async (...args) => (stopped.abort(), executors.verify!(...args)) }, T0, stopped.signal);
    expect(calls).toEqual(['uid-1/dev/a']);
    expect(first.status.stages[0]!.steps.map((s) => s.phase)).toEqual(['Succeeded', 'Pending']);
  });

  it('does not touch a run that has ended, and leaves its input unchanged', async () => {
    const status = start({ stages: [{ name: 'dev', steps: [v('a')] }] });
    const copy = structuredClone(status);
    await advanceRun(status, run, facts, scripted({}).executors, T0);
    expect(status).toEqual(copy);
    const ended = { ...status, phase: 'Failed' as const };
    expect(await advanceRun(ended, run, facts, scripted({}).executors, T0)).toEqual({ status: ended, recheckAfterMs: null });
  });
});

describe('failureAction', () => {
  const stage = (extra: Record<string, unknown>) => parsePipelineSpec({ stages: [{ name: 'dev', steps: [v('a')], ...extra }] }).stages[0]!;
  it('takes the step’s strategy, then the stage’s, then rolls back when the stage can, else aborts', () => {
    expect(failureAction(undefined, stage({}), 'error')).toBe('abort');
    expect(failureAction(undefined, stage({ rollback: [w('r')] }), 'error')).toBe('rollback');
    expect(failureAction(undefined, stage({ onFailure: 'ignore' }), 'verification')).toBe('ignore');
    const step = parsePipelineSpec({ stages: [{ name: 'dev', steps: [v('a', { onFailure: { verificationFailed: 'abort' } })] }] }).stages[0]!.steps[0]!;
    expect(failureAction(step, stage({ onFailure: 'ignore' }), 'verification')).toBe('abort');
    // The step says nothing about errors: the stage's strategy applies.
    expect(failureAction(step, stage({ onFailure: 'ignore' }), 'error')).toBe('ignore');
  });
});
