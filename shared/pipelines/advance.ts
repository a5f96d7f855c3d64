// One pass over a PipelineRun: the steps that can go on do (several in a row when they finish at once), a failed
// step meets its failure strategy, and the pass says when to look again. Each step's work is done by its
// executor, which must be idempotent under its key (the run's uid, stage and step): a controller that dies before
// writing the status does it again, and the executor finds what it already did (a commit with its trailer, an
// AnalysisRun with its name) instead of doing it twice. A failed step whose strategy asks people waits, Intervening,
// until they (or the timeout) choose: retry it (a new attempt, under a new key), ignore it, roll back or abort.
import type { FailureStrategy, PipelineSpec, Stage, StepSpec, StepType } from './spec.js';
import { stepsOf } from './spec.js';
import { currentSteps, type FailureKind, outputsOf, type PipelineRunStatus, type StageRecord, type StepRecord } from './status.js';
import type { RunFact, TemplateScope } from './template.js';

export interface RunRef {
  namespace: string;
  name: string;
  uid: string;
  /** Who started the run: barred from approving it alone unless a step allows it. */
  triggeredBy?: { kind: 'slack' | 'kubernetes'; id: string };
}

export interface StepContext {
  run: RunRef;
  /** The stage the step belongs to, as the run's Pipeline has it. */
  stage: Stage;
  /** The once-only key of this step's effect. */
  key: string;
  scope: TemplateScope;
  now: Date;
}

export type StepOutcome =
  | { phase: 'Running'; message: string; state?: Record<string, string>; recheckAfterMs: number }
  | { phase: 'Succeeded'; message: string; outputs?: Record<string, string> }
  | { phase: 'Failed'; failure: FailureKind; message: string; outputs?: Record<string, string> };

/** Starts or checks a step; called again while it answers Running. Throwing counts as a failed step (an error). */
export type StepExecutor = (step: StepSpec, record: Readonly<StepRecord>, context: StepContext) => Promise<StepOutcome>;

/** What people may choose for a failed step. */
export type Choice = 'retry' | 'ignore' | 'rollback' | 'abort';
export type Action = Exclude<Choice, 'retry'> | { manualIntervention: { timeout: number; onTimeout: Exclude<Choice, 'retry'> } };
export interface InterventionContext extends StepContext {
  manualIntervention: { timeout: number; onTimeout: Exclude<Choice, 'retry'> };
  choices: Choice[];
}
export type InterventionOutcome = { choice: Choice; message: string } | { choice?: undefined; message: string; recheckAfterMs: number };
/** Asks people about a failed step (once per attempt, under the context's key) and reports their choice when made. */
export type InterventionExecutor = (step: StepSpec, record: Readonly<StepRecord>, context: InterventionContext) => Promise<InterventionOutcome>;

export type Executors = Readonly<Partial<Record<StepType, StepExecutor>>> & { readonly intervention?: InterventionExecutor };

/** Steps finished in one pass at most, so that a pass stays short and its progress is written. */
const MAX_STEPS_PER_PASS = 20;

export interface PassResult {
  status: PipelineRunStatus;
  /** When to look again, or null when the run has ended. */
  recheckAfterMs: number | null;
}

/**
 * What a failure leads to: the step's strategy, else its stage's, else roll back when the stage can, else abort.
 * People who said no at an approval step are not asked again and are not ignored: the stage rolls back or stops.
 */
export function failureAction(step: StepSpec | undefined, stage: Stage, failure: FailureKind): Action {
  const fallback: Action = stage.rollback.length > 0 ? 'rollback' : 'abort';
  if (failure === 'rejected') return fallback;
  const pick = (strategy: FailureStrategy | undefined): Action | undefined => {
    if (strategy === undefined || typeof strategy === 'string' || 'manualIntervention' in strategy) return strategy;
    return failure === 'verification' ? strategy.verificationFailed : strategy.error;
  };
  return pick(step?.onFailure) ?? pick(stage.onFailure) ?? fallback;
}

function specOf(spec: PipelineSpec, stage: StageRecord, record: StepRecord, rollback: boolean): { stage: Stage; step: StepSpec } {
  const stageSpec = spec.stages.find((s) => s.name === stage.name)!;
  const steps = rollback ? stageSpec.rollback : stageSpec.steps.flatMap(stepsOf);
  return { stage: stageSpec, step: steps.find((s) => s.name === record.name)! };
}

const describeError = (error: unknown) => (error instanceof Error ? error.message : String(error));

const FAILURE_TEXT: Record<FailureKind, string> = { verification: 'the verification failed', error: 'an error', rejected: 'rejected' };

/** When to ask again after asking people failed (the API server unreachable, say). */
const ASK_AGAIN_MS = 15_000;

/** The once-only key of a step's effect: a retried step's new attempt is a new effect (a new AnalysisRun, say). */
function stepKey(run: RunRef, stage: string, record: StepRecord, rollingBack: boolean): string {
  const attempt = record.attempt && record.attempt > 1 ? `#${record.attempt}` : '';
  return `${run.uid}/${stage}/${rollingBack ? 'rollback/' : ''}${record.name}${attempt}`;
}

/**
 * `signal`: aborted when this replica stops leading; no step is started or looked at after that (another replica
 * takes the run over from its status).
 */
export async function advanceRun(input: PipelineRunStatus, run: RunRef, facts: Omit<Record<RunFact, string>, 'name' | 'namespace'>, executors: Executors, now: Date, signal?: AbortSignal): Promise<PassResult> {
  const status = structuredClone(input);
  if (status.phase !== 'Running') return { status, recheckAfterMs: null };
  const at = now.toISOString();
  const scope = (): TemplateScope => ({
    vars: status.variables,
    run: { name: run.name, namespace: run.namespace, ...facts },
    pipeline: { name: status.pipeline.name },
    steps: outputsOf(status),
  });
  const end = (phase: 'Succeeded' | 'Failed', message: string): PassResult => {
    status.phase = phase;
    status.finishedAt = at;
    status.message = message;
    delete status.currentStage;
    return { status, recheckAfterMs: null };
  };

  /** Carries out a failed step's action; returns the pass's result when the run ends with it. */
  const fail = (stage: StageRecord, record: StepRecord, action: Exclude<Choice, 'retry'>, what: string): PassResult | undefined => {
    if (action === 'ignore') {
      record.phase = 'Ignored';
      return undefined;
    }
    record.phase = 'Failed';
    stage.message = what;
    const stageSpec = status.pipeline.spec.stages.find((s) => s.name === stage.name)!;
    if (action === 'abort' || stageSpec.rollback.length === 0) {
      stage.phase = 'Failed';
      stage.finishedAt = at;
      return end('Failed', `stage ${stage.name}: ${what}${action === 'rollback' ? '; the stage has no rollback steps' : ''}`);
    }
    stage.phase = 'RollingBack';
    return undefined;
  };

  let budget = MAX_STEPS_PER_PASS;
  // Steps that answered Running in this pass, with when to look again: not asked twice in one pass.
  const waiting = new Map<StepRecord, number>();
  for (;;) {
    const stage = status.stages.find((s) => s.phase === 'Pending' || s.phase === 'Running' || s.phase === 'RollingBack');
    if (!stage) return end('Succeeded', `all ${status.stages.length} stages succeeded`);
    status.currentStage = stage.name;
    if (stage.phase === 'Pending') {
      stage.phase = 'Running';
      stage.startedAt = at;
    }
    const rollingBack = stage.phase === 'RollingBack';
    const steps = currentSteps(rollingBack ? stage.rollback : stage.steps);
    if (steps.length === 0) {
      stage.finishedAt = at;
      if (rollingBack) {
        const failedBack = stage.rollback.filter((s) => s.phase === 'Failed').map((s) => s.name);
        stage.phase = 'Failed';
        const rolled = failedBack.length ? `rolled back, but rollback step(s) ${failedBack.join(', ')} failed` : 'rolled back';
        return end('Failed', `stage ${stage.name}: ${stage.message ?? 'failed'}; ${rolled}`);
      }
      stage.phase = 'Succeeded';
      continue;
    }
    if (budget <= 0) return { status, recheckAfterMs: 0 };

    // The steps of a parallel group go on together; the pass waits for the soonest recheck among them.
    const asked = steps.filter((record) => !waiting.has(record));
    if (asked.length === 0) return { status, recheckAfterMs: Math.min(...steps.map((record) => waiting.get(record)!)) };
    for (const record of asked) {
      if (signal?.aborted) return { status, recheckAfterMs: 0 };
      const { stage: stageSpec, step } = specOf(status.pipeline.spec, stage, record, rollingBack);
      const context = { run, stage: stageSpec, key: stepKey(run, stage.name, record, rollingBack), scope: scope(), now };
      if (record.phase === 'Intervening') {
        const action = failureAction(step, stageSpec, record.failure ?? 'error');
        if (typeof action !== 'object') throw new Error(`step ${record.name} is waiting for people but its strategy is ${action}`);
        const choices: Choice[] = ['retry', 'ignore', ...(stageSpec.rollback.length ? (['rollback'] as const) : []), 'abort'];
        const asking: InterventionOutcome = executors.intervention
          ? await executors.intervention(step, record, { ...context, ...action, choices }).catch((error: unknown) => ({ message: `cannot ask for a decision: ${describeError(error)}`, recheckAfterMs: ASK_AGAIN_MS }))
          : { choice: action.manualIntervention.onTimeout, message: 'nobody can be asked in this version of rollouts-cv' };
        const failed = record.state?.failed ?? '';
        if (asking.choice === undefined) {
          record.message = `${failed}; ${asking.message}`;
          waiting.set(record, asking.recheckAfterMs);
          continue;
        }
        budget--;
        record.message = `${failed}; ${asking.message}`;
        if (asking.choice === 'retry') {
          record.phase = 'Running';
          record.attempt = (record.attempt ?? 1) + 1;
          record.startedAt = at;
          for (const field of ['finishedAt', 'failure', 'state', 'outputs'] as const) delete record[field];
          continue;
        }
        delete record.state;
        const ended = fail(stage, record, asking.choice, `${stage.message ?? failed}; ${asking.message}`);
        if (ended) return ended;
        if (stage.phase === 'RollingBack') break;
        continue;
      }
      if (record.phase === 'Pending') {
        record.phase = 'Running';
        record.startedAt = at;
      }
      const executor = executors[record.type];
      const outcome: StepOutcome = executor
        ? await executor(step, record, context).catch((error: unknown): StepOutcome => ({ phase: 'Failed', failure: 'error', message: describeError(error) }))
        : { phase: 'Failed', failure: 'error', message: `${record.type} steps are not available in this version of rollouts-cv` };
      record.message = outcome.message;
      if (outcome.phase === 'Running') {
        if (outcome.state) record.state = outcome.state;
        waiting.set(record, outcome.recheckAfterMs);
        continue;
      }
      budget--;
      record.finishedAt = at;
      delete record.state;
      if (outcome.outputs) record.outputs = outcome.outputs;
      if (outcome.phase === 'Succeeded') {
        record.phase = 'Succeeded';
        continue;
      }
      record.phase = 'Failed';
      record.failure = outcome.failure;
      // A failing rollback step does not stop the others: rolling back is best effort, and the run says what failed.
      if (rollingBack) continue;
      const action = failureAction(step, stageSpec, outcome.failure);
      const what = `step ${record.name} failed (${FAILURE_TEXT[outcome.failure]}): ${outcome.message}`;
      if (typeof action === 'object') {
        // People decide; the step is looked at again at once, which asks them.
        record.phase = 'Intervening';
        record.state = { failed: outcome.message };
        stage.message = what;
        continue;
      }
      const ended = fail(stage, record, action, what);
      if (ended) return ended;
      if (stage.phase === 'RollingBack') break;
    }
  }
}
