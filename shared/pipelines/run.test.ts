import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config/errors.js';
import { describeTrigger, parsePipelineRunSpec, runVariables } from './run.js';
import { parsePipelineSpec } from './spec.js';

const pipeline = parsePipelineSpec({
  variables: [
    { name: 'image', required: true, description: 'the image to release' },
    { name: 'replicas', default: '2' },
    { name: 'note' },
  ],
  stages: [{ name: 'dev', steps: [{ name: 'w', wait: { duration: '1m' } }] }],
});
const run = (variables: Record<string, string>) => parsePipelineRunSpec({ pipelineRef: { name: 'p' }, variables, triggeredBy: { kind: 'slack', id: 'U012ABCDEF' } });

describe('runVariables', () => {
  it('takes the run’s values over the defaults, and leaves unset optional ones out', () => {
    expect(runVariables(pipeline, run({ image: 'app:2' }))).toEqual({ image: 'app:2', replicas: '2' });
    expect(runVariables(pipeline, run({ image: 'app:2', replicas: '3', note: '' }))).toEqual({ image: 'app:2', replicas: '3', note: '' });
  });

  it('names a missing required variable and an unknown one', () => {
    expect(() => runVariables(pipeline, run({ imgae: 'app:2' }))).toThrow(ConfigError);
    try {
      runVariables(pipeline, run({ imgae: 'app:2' }));
    } catch (error) {
      expect((error as ConfigError).issues).toEqual([
        'spec.variables.imgae: the pipeline declares no such variable (variables: image, replicas, note)',
        'spec.variables.image: is required (the image to release)',
      ]);
    }
  });
});

describe('parsePipelineRunSpec', () => {
  it('needs the pipeline and who started it', () => {
    expect(() => parsePipelineRunSpec({ pipelineRef: { name: 'p' } })).toThrow('spec.triggeredBy: is required');
    expect(() => parsePipelineRunSpec({ pipelineRef: { name: 'p' }, triggeredBy: { kind: 'email', id: 'x' } })).toThrow('spec.triggeredBy.kind: expected one of slack, kubernetes; got "email"');
  });

  it('describes who started it', () => {
    expect(describeTrigger({ kind: 'slack', id: 'U1', name: 'ana' })).toBe('Slack user ana (U1)');
    expect(describeTrigger({ kind: 'kubernetes', id: 'ana@example.com' })).toBe('Kubernetes user ana@example.com');
  });
});
