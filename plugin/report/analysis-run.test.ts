import { describe, expect, it } from 'vitest';
import { encodeSummary } from '../../shared/verdicts/summary.js';
import { windowMetadata } from '../verify/measurement.js';
import type { Measurement } from '../verify/types.js';
import type { VerificationWindow } from '../verify/window.js';
import { judgedRange, objectCommands, storedVerification, type AnalysisRunRef } from './analysis-run.js';
import { ReportError } from './stored.js';
import { reportError } from './stored.test-helpers.js';

const START = new Date('2026-01-01T12:00:00Z');
const at = (seconds: number) => new Date(START.getTime() + seconds * 1000);
const WINDOW: VerificationWindow = { start: START, end: at(300) };
const INTERVAL_MS = 30_000;
const REF: AnalysisRunRef = { kind: 'analysis-run', namespace: 'shop', analysisRun: 'web-7f5c9-2', metric: 'verify' };

// As the AnalysisTemplate wrote it: the groups from the run's args.
const written = {
  duration: '5m',
  canary: { podTemplateHash: '{{args.canary-hash}}' },
  baseline: { podTemplateHash: '{{ args.stable-hash }}' },
  source: { prometheus: { address: 'http://prometheus:9090' } },
  metrics: [{ name: 'errors', kind: 'ratio', numerator: 'sum by (pod) (errors_total{${selector}})', denominator: 'sum by (pod) (requests_total{${selector}})' }],
};

const ARGS = [
  { name: 'canary-hash', value: '7f5c9' },
  { name: 'stable-hash', value: '6d4b8' },
];

/** A measurement that decided at the end of the window, as the engine records it. */
function decided(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    phase: 'Successful',
    message: 'Healthy, score 100/100',
    startedAt: '2026-01-01T12:00:00Z',
    finishedAt: '2026-01-01T12:05:00Z',
    value: encodeSummary({ verdict: 'Healthy', score: 100, reasons: ['errors: no change'] }),
    metadata: windowMetadata('verification-1', WINDOW),
    ...overrides,
  };
}

function analysisRun({ args = ARGS as unknown[], measurements = [decided()] as unknown[], plugin = written as unknown } = {}) {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AnalysisRun',
    metadata: { namespace: 'shop', name: 'web-7f5c9-2', ownerReferences: [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: 'web', controller: true }] },
    spec: { args, metrics: [{ name: 'verify', provider: { plugin: { 'rollouts-cv/verify': plugin } } }] },
    status: { metricResults: [{ name: 'verify', measurements }] },
  };
}

describe('storedVerification', () => {
  it('reads the config with the run’s args filled in, the window from the measurement, and what it recorded', () => {
    const stored = storedVerification(analysisRun(), REF, at(3600));
    expect(stored.config.canary).toEqual({ podTemplateHash: '7f5c9' });
    expect(stored.config.baseline).toEqual({ podTemplateHash: '6d4b8' });
    expect(stored.config.durationMs).toBe(300_000);
    expect(stored.written).toMatchObject({ canary: { podTemplateHash: '7f5c9' }, baseline: { podTemplateHash: '6d4b8' } });
    expect(stored).toMatchObject({
      subject: 'AnalysisRun shop/web-7f5c9-2, metric verify (Rollout web)',
      id: 'verification-1',
      window: WINDOW,
      judged: WINDOW,
      asClosed: false,
      recorded: { phase: 'Successful', message: 'Healthy, score 100/100', summary: { verdict: 'Healthy', score: 100, reasons: ['errors: no change'] } },
      rollout: { namespace: 'shop', name: 'web' },
    });
  });

  it('refuses (422) an arg with no plain value, naming it: a Secret’s value is never read', () => {
    const args = [{ name: 'canary-hash', valueFrom: { secretKeyRef: { name: 'hashes', key: 'canary' } } }, ARGS[1]];
    const error = reportError(() => storedVerification(analysisRun({ args }), REF, at(3600)));
    expect(error.status).toBe(422);
    expect(error.message).toContain('canary-hash');
    expect(error.message).not.toContain('stable-hash');
  });

  it('404 for a metric the run does not have, naming it', () => {
    const error = reportError(() => storedVerification(analysisRun(), { ...REF, metric: 'latency' }, at(3600)));
    expect(error.status).toBe(404);
    expect(error.message).toBe('AnalysisRun shop/web-7f5c9-2 has no metric named "latency"');
  });

  it('422 for a metric that is not a rollouts-cv verification', () => {
    const error = reportError(() => storedVerification(analysisRun({ plugin: { duration: 'soon' } }), REF, at(3600)));
    expect(error.status).toBe(422);
    expect(error.message).toMatch(/^AnalysisRun shop\/web-7f5c9-2, metric verify: not a rollouts-cv verification: /);
  });

  it('404 without a measurement, or for an index past them, giving the range there is', () => {
    const none = reportError(() => storedVerification(analysisRun({ measurements: [] }), REF, at(3600)));
    expect([none.status, none.message]).toEqual([404, 'AnalysisRun shop/web-7f5c9-2, metric verify has no measurement yet']);
    const past = reportError(() => storedVerification(analysisRun({ measurements: [decided(), decided()] }), { ...REF, measurement: 2 }, at(3600)));
    expect([past.status, past.message]).toEqual([404, 'AnalysisRun shop/web-7f5c9-2, metric verify has measurements 0 to 1, not 2']);
  });

  it('reads the measurement asked for, the latest by default', () => {
    const later = { start: at(600), end: at(900) };
    const run = analysisRun({ measurements: [decided(), decided({ metadata: windowMetadata('verification-2', later), finishedAt: '2026-01-01T12:15:00Z' })] });
    expect(storedVerification(run, { ...REF, measurement: 0 }, at(3600))).toMatchObject({ id: 'verification-1', window: WINDOW });
    expect(storedVerification(run, REF, at(3600))).toMatchObject({ id: 'verification-2', window: later });
  });

  it('takes the window from startedAt when the metadata lacks it; 422 when neither has it', () => {
    expect(storedVerification(analysisRun({ measurements: [decided({ metadata: {} })] }), REF, at(3600)).window).toEqual(WINDOW);
    const error = reportError(() => storedVerification(analysisRun({ measurements: [decided({ metadata: {}, startedAt: 'yesterday' })] }), REF, at(3600)));
    expect(error.status).toBe(422);
    expect(error.message).toContain('measurement 0 has no window');
  });

  it('judges the part the verdict judged: up to the look that decided early', () => {
    const stored = storedVerification(analysisRun({ measurements: [decided({ phase: 'Failed', finishedAt: '2026-01-01T12:01:35Z' })] }), REF, at(3600));
    expect(stored.judged).toEqual({ start: START, end: at(90) });
  });

  it('never throws a TypeError on hostile measurement fields: it gives a verification or a ReportError', () => {
    const hostile: unknown[] = [
      decided({ message: 42, finishedAt: '2026-01-01T12:01:35Z' }),
      decided({ metadata: null }),
      decided({ metadata: 'windowStart' }),
      decided({ metadata: { windowStart: 42, verificationId: { $ne: 1 } } }),
      decided({ value: 'not JSON {' }),
      decided({ value: 42 }),
      decided({ value: '{"verdict":"Healthy","score":"all","reasons":"none"}' }),
      decided({ finishedAt: 1_767_225_600, startedAt: [] }),
      decided({ phase: { toString: null } }),
      null,
      'measurement',
    ];
    for (const measurement of hostile) {
      let outcome: unknown;
      try {
        outcome = storedVerification(analysisRun({ measurements: [measurement] }), REF, at(3600));
      } catch (error) {
        outcome = error;
      }
      if (outcome instanceof Error) expect(outcome, JSON.stringify(measurement)).toBeInstanceOf(ReportError);
      else expect(outcome, JSON.stringify(measurement)).toMatchObject({ config: expect.any(Object), window: { start: expect.any(Date), end: expect.any(Date) } });
    }
  });

  it('keeps only what it can read of a hostile measurement', () => {
    const read = (measurement: Record<string, unknown>) => storedVerification(analysisRun({ measurements: [measurement] }), REF, at(3600));
    const numbered = read(decided({ message: 42, phase: 7, finishedAt: '2026-01-01T12:01:35Z' }));
    expect(numbered.recorded).not.toHaveProperty('message');
    expect(numbered.recorded).not.toHaveProperty('phase');
    expect(numbered.judged).toEqual({ start: START, end: at(90) });
    const noMetadata = read(decided({ metadata: null }));
    expect(noMetadata.window).toEqual(WINDOW);
    expect(noMetadata).not.toHaveProperty('id');
    expect(read(decided({ value: 'not JSON {' })).recorded).not.toHaveProperty('summary');
  });

  it('never throws a TypeError on a hostile run: a ReportError', () => {
    const runs: unknown[] = [null, 42, {}, { spec: { metrics: 'verify' } }, { spec: { metrics: [null, { name: 'verify' }] } }, { ...analysisRun(), status: { metricResults: 'none' } }, { ...analysisRun(), spec: { ...analysisRun().spec, args: 'canary-hash=x' } }];
    for (const run of runs) expect(reportError(() => storedVerification(run, REF, at(3600))).status).toBeOneOf([404, 422]);
  });
});

describe('judgedRange', () => {
  const measurement = (fields: Partial<Measurement>): Measurement => ({ phase: 'Successful', startedAt: '2026-01-01T12:00:00Z', ...fields });

  it('the whole window for a measurement that finished at or after its end', () => {
    for (const finishedAt of ['2026-01-01T12:05:00Z', '2026-01-01T12:07:12Z']) {
      expect(judgedRange(measurement({ finishedAt }), WINDOW, INTERVAL_MS, at(3600))).toEqual({ range: WINDOW, asClosed: false });
    }
  });

  it('decided early: the whole intervals up to when it finished', () => {
    expect(judgedRange(measurement({ phase: 'Failed', finishedAt: '2026-01-01T12:01:35Z', message: 'Unhealthy, score 0/100' }), WINDOW, INTERVAL_MS, at(3600))).toEqual({
      range: { start: START, end: at(90) },
      asClosed: false,
    });
  });

  it('terminated: what had elapsed, judged as a closed window', () => {
    expect(judgedRange(measurement({ phase: 'Successful', finishedAt: '2026-01-01T12:01:35Z', message: 'terminated after 1m35s: Healthy' }), WINDOW, INTERVAL_MS, at(3600))).toEqual({
      range: { start: START, end: at(95) },
      asClosed: true,
    });
  });

  it('running: the latest look at now, whole intervals; the whole window once it has closed', () => {
    expect(judgedRange(measurement({ phase: 'Running' }), WINDOW, INTERVAL_MS, at(75))).toEqual({ range: { start: START, end: at(60) }, asClosed: false });
    expect(judgedRange(measurement({ phase: 'Running' }), WINDOW, INTERVAL_MS, at(400))).toEqual({ range: WINDOW, asClosed: false });
  });
});

describe('objectCommands', () => {
  it('shows the Rollout when there is one, and the AnalysisRun', () => {
    expect(objectCommands(REF, { namespace: 'shop', name: 'web' })).toEqual(['kubectl argo rollouts get rollout web -n shop', 'kubectl get analysisrun web-7f5c9-2 -n shop -o yaml']);
    expect(objectCommands(REF, undefined)).toEqual(['kubectl get analysisrun web-7f5c9-2 -n shop -o yaml']);
  });

  it('shows the pipeline run a pipeline verify step made the AnalysisRun for, when its annotation names one', () => {
    const annotated = (value: unknown) => {
      const run = analysisRun();
      return { ...run, metadata: { ...run.metadata, annotations: { 'rollouts-cv.io/pipeline-run': value } } };
    };
    expect(storedVerification(annotated('releases/web-42'), REF, at(3600)).commands.at(-1)).toBe('kubectl get pipelinerun web-42 -n releases -o yaml');
    for (const value of ['web-42', 'releases/web-42/x', 'Releases/web-42', 'releases/$(rm -rf)', 7]) {
      expect(storedVerification(annotated(value), REF, at(3600)).commands.join(' '), String(value)).not.toContain('pipelinerun');
    }
  });
});
