// The PipelineRun resource's spec (which Pipeline, with which variables, started by whom) and the variables a run
// gets: the run's values over the Pipeline's defaults, every required one set, nothing the Pipeline does not
// declare (a typo would otherwise deploy the default silently).
import { z } from 'zod';
import { ConfigError, parseConfig } from '../config/errors.js';
import type { PipelineSpec } from './spec.js';

const runSpec = z.strictObject({
  pipelineRef: z.strictObject({ name: z.string().min(1).max(253) }),
  variables: z.record(z.string().max(63), z.string().max(4096)).default({}),
  /** Who started the run, as the front that created it recorded them: barred from approving it unless allowed. */
  triggeredBy: z.strictObject({
    kind: z.enum(['slack', 'kubernetes']),
    /** A Slack user ID, or a Kubernetes user name. */
    id: z.string().min(1).max(253),
    name: z.string().max(253).optional(),
  }),
});

export type PipelineRunSpec = z.output<typeof runSpec>;

export function parsePipelineRunSpec(raw: unknown): PipelineRunSpec {
  return parseConfig(runSpec, raw, 'spec');
}

/** The run's variables: its values, else the Pipeline's defaults; throws ConfigError naming what is missing or unknown. */
export function runVariables(pipeline: PipelineSpec, run: PipelineRunSpec): Record<string, string> {
  const declared = new Map(pipeline.variables.map((v) => [v.name, v]));
  const problems: string[] = [];
  for (const name of Object.keys(run.variables)) {
    if (!declared.has(name)) problems.push(`spec.variables.${name}: the pipeline declares no such variable (variables: ${[...declared.keys()].join(', ') || 'none'})`);
  }
  const values: Record<string, string> = {};
  for (const variable of pipeline.variables) {
    const value = Object.hasOwn(run.variables, variable.name) ? run.variables[variable.name] : variable.default;
    if (value === undefined) {
      if (variable.required) problems.push(`spec.variables.${variable.name}: is required${variable.description ? ` (${variable.description})` : ''}`);
      continue;
    }
    values[variable.name] = value;
  }
  if (problems.length) throw new ConfigError(problems);
  return values;
}

/** A person's "who" as a run and its messages show it. */
export function describeTrigger(trigger: PipelineRunSpec['triggeredBy']): string {
  const who = trigger.name ? `${trigger.name} (${trigger.id})` : trigger.id;
  return trigger.kind === 'slack' ? `Slack user ${who}` : `Kubernetes user ${who}`;
}
