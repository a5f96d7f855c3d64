// A PipelineRun's durable status: the Pipeline as it was when the run started (edits to the Pipeline do not change
// a run under way), the run's variables, and a record per stage and step. Every decision of the controller is a
// pure function of this record, so any replica continues a run where the last one left it.
import type { PipelineSpec, Stage, StepSpec, StepType } from './spec.js';
import { stepsOf, stepType } from './spec.js';

export type RunPhase = 'Running' | 'Succeeded' | 'Failed';
export type StagePhase = 'Pending' | 'Running' | 'Succeeded' | 'RollingBack' | 'Failed';
/** Intervening: failed, and people are asked what to do. Ignored: failed, and the strategy or people said to go on. */
export type StepPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Intervening' | 'Ignored';
/** A failed verification, any other error, or people who said no at an approval step. */
export type FailureKind = 'verification' | 'error' | 'rejected';

export interface StepRecord {
  name: string;
  type: StepType;
  /** The parallel group the step runs in, if any. */
  group?: string;
  phase: StepPhase;
  startedAt?: string;
  finishedAt?: string;
  message?: string;
  /** What later steps may reference: ${{ steps.<stage>.<step>.outputs.<name> }}. */
  outputs?: Record<string, string>;
  /** What the step keeps between looks (e.g. when a wait ends). */
  state?: Record<string, string>;
  failure?: FailureKind;
  /** The attempt under way when people chose to retry it (the first is 1, and not written). */
  attempt?: number;
}

export interface StageRecord {
  name: string;
  phase: StagePhase;
  startedAt?: string;
  finishedAt?: string;
  message?: string;
  steps: StepRecord[];
  rollback: StepRecord[];
}

export interface PipelineRunStatus {
  phase: RunPhase;
  pipeline: { name: string; generation?: number; spec: PipelineSpec };
  variables: Record<string, string>;
  currentStage?: string;
  startedAt: string;
  finishedAt?: string;
  message?: string;
  stages: StageRecord[];
}

function records(steps: readonly StepSpec[], group?: string): StepRecord[] {
  return steps.map((step) => ({ name: step.name, type: stepType(step), ...(group && { group }), phase: 'Pending' }));
}

function stageRecord(stage: Stage): StageRecord {
  return {
    name: stage.name,
    phase: 'Pending',
    steps: stage.steps.flatMap((entry) => records(stepsOf(entry), entry.parallel ? entry.name : undefined)),
    rollback: records(stage.rollback),
  };
}

export function initialStatus(pipeline: PipelineRunStatus['pipeline'], variables: Record<string, string>, now: Date): PipelineRunStatus {
  return { phase: 'Running', pipeline, variables, startedAt: now.toISOString(), stages: pipeline.spec.stages.map(stageRecord) };
}

const finished = (phase: StepPhase) => phase === 'Succeeded' || phase === 'Failed' || phase === 'Ignored';

/**
 * The steps to work on now in a stage's list: the first unfinished step, with the rest of its parallel group.
 * Empty when every step has finished.
 */
export function currentSteps(steps: readonly StepRecord[]): StepRecord[] {
  const next = steps.find((step) => !finished(step.phase));
  if (!next) return [];
  return next.group ? steps.filter((step) => step.group === next.group && !finished(step.phase)) : [next];
}

/** Outputs of every step that has them, for templates: stage → step → outputs. */
export function outputsOf(status: PipelineRunStatus): Record<string, Record<string, Record<string, string>>> {
  return Object.fromEntries(
    status.stages.map((stage) => [stage.name, Object.fromEntries([...stage.steps, ...stage.rollback].filter((step) => step.outputs).map((step) => [step.name, step.outputs!]))]),
  );
}
