import { describe, expect, it } from 'vitest';
import { advanceRun, type Executors, type StepOutcome } from './advance.js';
import { CANCEL_ANNOTATION, type PipelineRun } from './controller.js';
import { parsePipelineSpec } from './spec.js';
import { initialStatus, type PipelineRunStatus } from './status.js';
import { ageText, durationText, hasEnded, newestFirst, printable, renderRun, renderRunList, runChanges, type RunSummary, summariseRun } from './summary.js';

const T0 = new Date('2026-12-05T10:00:00Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

const spec = parsePipelineSpec({
  variables: [{ name: 'image', required: true }, { name: 'replicas', default: '2' }],
  stages: [
    {
      name: 'dev',
      steps: [
        { name: 'update', gitUpdate: { repository: { url: 'https://git.example/release.git' }, files: [{ path: 'a.yaml', set: [{ path: 'spec.replicas', value: '${{ vars.replicas }}' }] }], message: 'deploy' } },
        { name: 'both', parallel: [{ name: 'sync', sync: { application: 'dev-app' } }, { name: 'look', wait: { duration: '1m' } }] },
      ],
    },
    {
      name: 'prod',
      steps: [{ name: 'verify', verify: { rollout: 'app', template: { name: 't' } } }],
      rollback: [{ name: 'abort', rollout: { name: 'app', action: 'abort' } }],
    },
  ],
});

function run(status?: unknown, extra: { annotations?: Record<string, string>; name?: string; created?: string } = {}): PipelineRun {
  return {
    apiVersion: 'rollouts-cv.io/v1alpha1',
    kind: 'PipelineRun',
    metadata: {
      name: extra.name ?? 'release-x7k2p',
      namespace: 'releases',
      creationTimestamp: extra.created ?? T0.toISOString(),
      ...(extra.annotations && { annotations: extra.annotations }),
    } as PipelineRun['metadata'],
    spec: { pipelineRef: { name: 'release' }, variables: { image: 'app:2' }, triggeredBy: { kind: 'kubernetes', id: 'alice@example.com' } },
    ...(status !== undefined && { status: status as PipelineRun['status'] }),
  };
}

/** The executors' answers, set by each test: step name → outcome. */
function executors(outcomes: Record<string, StepOutcome>): Executors {
  const answer = async (step: { name: string }) => outcomes[step.name] ?? { phase: 'Running' as const, message: 'working', recheckAfterMs: 1000 };
  return { gitUpdate: answer, sync: answer, wait: answer, verify: answer, rollout: answer };
}

const ref = { namespace: 'releases', name: 'release-x7k2p', uid: 'u1' };
const facts = { triggeredBy: 'Kubernetes user alice@example.com', url: '' };
const started = () => initialStatus({ name: 'release', generation: 1, spec }, { image: 'app:2', replicas: '2' }, T0);
const pass = async (status: PipelineRunStatus, outcomes: Record<string, StepOutcome>, seconds: number) => (await advanceRun(status, ref, facts, executors(outcomes), at(seconds))).status;

describe('summariseRun', () => {
  it('a run the controller has not started: Pending, with the variables it asks for', () => {
    const summary = summariseRun(run(), at(5));
    expect(summary).toEqual({
      name: 'release-x7k2p',
      namespace: 'releases',
      pipeline: 'release',
      triggeredBy: { kind: 'kubernetes', id: 'alice@example.com' },
      phase: 'Pending',
      variables: { image: 'app:2' },
      createdAt: T0.toISOString(),
      stages: [],
    });
    expect(hasEnded(summary)).toBe(false);
  });

  it('a run under way: phases, messages, outputs, durations, and where it stands (a parallel group)', async () => {
    let status = await pass(started(), { update: { phase: 'Succeeded', message: 'committed abc123', outputs: { commit: 'abc123' } } }, 0);
    status = await pass(status, { sync: { phase: 'Succeeded', message: 'Synced and Healthy' } }, 30);
    const summary = summariseRun(run(status), at(90));
    expect(summary).toMatchObject({ phase: 'Running', current: { stage: 'dev', steps: ['look'], rollingBack: false }, variables: { image: 'app:2', replicas: '2' }, startedAt: T0.toISOString(), durationMs: 90_000 });
    expect(summary.stages[0]).toMatchObject({ name: 'dev', phase: 'Running', durationMs: 90_000 });
    expect(summary.stages[0]!.steps).toEqual([
      { name: 'update', type: 'gitUpdate', phase: 'Succeeded', message: 'committed abc123', outputs: { commit: 'abc123' }, startedAt: T0.toISOString(), finishedAt: T0.toISOString(), durationMs: 0 },
      { name: 'sync', type: 'sync', group: 'both', phase: 'Succeeded', message: 'Synced and Healthy', outputs: {}, startedAt: at(0).toISOString(), finishedAt: at(30).toISOString(), durationMs: 30_000 },
      { name: 'look', type: 'wait', group: 'both', phase: 'Running', message: 'working', outputs: {}, startedAt: at(0).toISOString(), durationMs: 90_000 },
    ]);
    expect(summary.stages[1]).toEqual({ name: 'prod', phase: 'Pending', steps: [{ name: 'verify', type: 'verify', phase: 'Pending', outputs: {} }], rollback: [{ name: 'abort', type: 'rollout', phase: 'Pending', outputs: {} }] });
  });

  it('a stage rolling back: its rollback steps are where the run stands', async () => {
    let status = await pass(started(), { update: { phase: 'Succeeded', message: 'ok' }, sync: { phase: 'Succeeded', message: 'ok' }, look: { phase: 'Succeeded', message: 'ok' } }, 0);
    status = await pass(status, { verify: { phase: 'Failed', failure: 'verification', message: 'Unhealthy' } }, 60);
    const summary = summariseRun(run(status), at(61));
    expect(summary.current).toEqual({ stage: 'prod', steps: ['abort'], rollingBack: true });
    expect(summary.stages[1]).toMatchObject({ phase: 'RollingBack', message: 'step verify failed (the verification failed): Unhealthy' });
  });

  it('a run that could not start, and a cancel asked for', () => {
    const failed = { phase: 'Failed', message: 'cannot start: spec.variables.image: is required', startedAt: T0.toISOString(), finishedAt: T0.toISOString() };
    const summary = summariseRun(run(failed, { annotations: { [CANCEL_ANNOTATION]: 'bob@example.com' } }), at(5));
    expect(summary).toMatchObject({ phase: 'Failed', message: failed.message, durationMs: 0, cancelRequestedBy: 'bob@example.com', stages: [], variables: { image: 'app:2' } });
    expect(summary.current).toBeUndefined();
    expect(hasEnded(summary)).toBe(true);
  });

  it('does not throw on a status that is not what the controller writes', () => {
    for (const status of [null, 'text', [], { phase: 7, stages: 'many' }, { phase: 'Running', currentStage: 'x', stages: [null, 3, { name: 'x', phase: 'Running', steps: 'none', rollback: [null] }] }]) {
      const summary = summariseRun(run(status), at(1));
      expect(() => renderRun(summary)).not.toThrow();
      expect(runChanges(undefined, summary)).toEqual(expect.any(Array));
    }
    expect(summariseRun(run({ phase: 7 }), at(1)).phase).toBe('Pending');
  });
});

describe('renderRun', () => {
  it('a header, then each stage with its steps, outputs and rollback steps once they have started', async () => {
    let status = await pass(started(), { update: { phase: 'Succeeded', message: 'committed abc123', outputs: { commit: 'abc123' } }, sync: { phase: 'Succeeded', message: 'Synced' }, look: { phase: 'Succeeded', message: 'waited 1m' } }, 0);
    status = await pass(status, { verify: { phase: 'Failed', failure: 'verification', message: 'Unhealthy' }, abort: { phase: 'Succeeded', message: 'aborted' } }, 125);
    expect(renderRun(summariseRun(run(status), at(200)))).toBe(
      [
        'PipelineRun:  releases/release-x7k2p',
        'Pipeline:     release',
        'Phase:        Failed (2m5s)',
        'Message:      stage prod: step verify failed (the verification failed): Unhealthy; rolled back',
        'Started by:   Kubernetes user alice@example.com',
        'Started:      2026-12-05T10:00:00.000Z',
        'Finished:     2026-12-05T10:02:05.000Z',
        'Variables:    image=app:2, replicas=2',
        '',
        'STAGE / STEP       PHASE      DURATION  MESSAGE',
        'dev                Succeeded  0s',
        '  update           Succeeded  0s        committed abc123',
        '                                        outputs: commit=abc123',
        '  sync             Succeeded  0s        Synced',
        '  look             Succeeded  0s        waited 1m',
        'prod               Failed     2m5s      step verify failed (the verification failed): Unhealthy',
        '  verify           Failed     2m5s      Unhealthy',
        '  rollback: abort  Succeeded  0s        aborted',
        '',
      ].join('\n'),
    );
  });

  it('says a Pending run waits for the controller', () => {
    expect(renderRun(summariseRun(run(), at(5)))).toContain('Waiting for the pipelines controller to start it.');
  });

  it('shows hostile text on one line, escaped and cut', async () => {
    const status = await pass(started(), { update: { phase: 'Running', message: `line one\nline two\u001b[2J\u202e${'x'.repeat(5000)}`, recheckAfterMs: 1000 } }, 0);
    const text = renderRun(summariseRun(run(status, { annotations: { [CANCEL_ANNOTATION]: 'eve\r\nPhase: Succeeded' } }), at(1)));
    expect(text).toContain('line one\\nline two\\u001b[2J\\u202exxx');
    expect(text).toContain('Cancel:       requested by eve\\r\\nPhase: Succeeded');
    expect(text).not.toMatch(/[\u001b\r\u202e]/);
    expect(Math.max(...text.split('\n').map((line) => line.length))).toBeLessThan(400);
  });
});

describe('runChanges', () => {
  it('tells a run from creation to its end, one line per change, in the order things happened', async () => {
    const lines: string[] = [];
    let before: RunSummary | undefined;
    const look = (status: PipelineRunStatus | undefined, seconds: number, annotations?: Record<string, string>) => {
      const summary = summariseRun(run(status, { annotations }), at(seconds));
      lines.push(...runChanges(before, summary));
      before = summary;
    };
    look(undefined, 0);
    let status = await pass(started(), { update: { phase: 'Running', message: 'cloning', recheckAfterMs: 1000 } }, 0);
    look(status, 1);
    look(status, 2); // nothing changed
    status = await pass(status, { update: { phase: 'Succeeded', message: 'committed abc123', outputs: { commit: 'abc123' } }, sync: { phase: 'Succeeded', message: 'Synced' }, look: { phase: 'Succeeded', message: 'waited 1m' } }, 64);
    look(status, 64);
    status = await pass(status, { verify: { phase: 'Failed', failure: 'verification', message: 'Unhealthy' } }, 70);
    look(status, 70, { [CANCEL_ANNOTATION]: 'bob' });
    status = await pass(status, { abort: { phase: 'Succeeded', message: 'aborted' } }, 75);
    look(status, 75, { [CANCEL_ANNOTATION]: 'bob' });
    expect(lines).toEqual([
      'run Pending: waiting for the pipelines controller to start it',
      'run Running',
      'stage dev: Running',
      'dev/update: Running - cloning',
      'dev/update: Succeeded (1m4s) - committed abc123 [commit=abc123]',
      'dev/sync: Succeeded (0s) - Synced',
      'dev/look: Succeeded (0s) - waited 1m',
      'stage dev: Succeeded (1m4s)',
      'stage prod: Running',
      'prod/verify: Running - working',
      'cancel requested by bob',
      'prod/verify: Failed (6s) - Unhealthy',
      'stage prod: RollingBack - step verify failed (the verification failed): Unhealthy',
      'prod/rollback/abort: Running - working',
      'prod/rollback/abort: Succeeded (5s) - aborted',
      'stage prod: Failed (11s) - step verify failed (the verification failed): Unhealthy',
      'run Failed (1m15s): stage prod: step verify failed (the verification failed): Unhealthy; rolled back',
    ]);
  });
});

describe('lists and text', () => {
  it('orders runs newest first and shows one line each', () => {
    const old = summariseRun(run(undefined, { name: 'release-aaaaa', created: '2026-12-04T10:00:00Z' }), T0);
    const current = summariseRun(run({ ...started(), currentStage: 'dev' }, { name: 'release-bbbbb', created: '2026-12-05T09:55:00Z' }), T0);
    const sameSecond = summariseRun(run(undefined, { name: 'release-ccccc', created: '2026-12-05T09:55:00Z' }), T0);
    const sorted = [old, current, sameSecond].sort(newestFirst);
    expect(sorted.map((s) => s.name)).toEqual(['release-ccccc', 'release-bbbbb', 'release-aaaaa']);
    expect(renderRunList(sorted, T0)).toBe(
      [
        'NAME           PIPELINE  PHASE    STAGE  BY                 AGE',
        'release-ccccc  release   Pending         alice@example.com  5m',
        'release-bbbbb  release   Running  dev    alice@example.com  5m',
        'release-aaaaa  release   Pending         alice@example.com  24h',
        '',
      ].join('\n'),
    );
  });

  it('ages and durations as kubectl and Go write them', () => {
    expect([0, 45_000, 150_000, 1_800_000, 4 * 3_600_000 + 60_000, 30 * 3_600_000, 3 * 86_400_000 + 3_600_000, 20 * 86_400_000].map(ageText)).toEqual(['0s', '45s', '2m30s', '30m', '4h1m', '30h', '3d1h', '20d']);
    expect([0, 999, 1500, 64_000, 3_725_000].map(durationText)).toEqual(['0s', '0s', '1s', '1m4s', '1h2m5s']);
  });

  it('printable escapes what a terminal would act on and cuts long text', () => {
    expect(printable('a\tb\u0000c\u009bd\u2066e')).toBe('a\\tb\\u0000c\\u009bd\\u2066e');
    expect(printable('x'.repeat(10), 5)).toBe('xxxx…');
  });
});
