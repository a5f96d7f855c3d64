import { describe, expect, it } from 'vitest';
import type { JudgeResult, MetricJudgement } from '../judge/types.js';
import { encodeSummary, decodeSummary, MAX_SUMMARY_BYTES } from '../../shared/verdicts/summary.js';
import { errorMeasurement, rfc3339, summarize, verdictSentence, verificationId, wholeSeconds, windowMetadata } from './measurement.js';

function judgement(name: string, reason: string): MetricJudgement {
  return {
    name,
    kind: 'ratio',
    direction: 'higher-is-bad',
    classification: 'fail',
    severity: 'critical',
    critical: false,
    weight: 1,
    mustHaveData: true,
    canary: 0.02,
    baseline: 0.01,
    change: 1,
    confidence: 0.9999,
    threshold: null,
    regression: 1,
    reason,
  };
}

const unhealthy: JudgeResult = {
  final: true,
  verdict: 'Unhealthy',
  phase: 'Failed',
  score: 0,
  metrics: ['a', 'b', 'c', 'd'].map((name) => judgement(name, `${name}: bad`)),
};

const undecided: JudgeResult = {
  final: false,
  verdict: null,
  phase: 'Running',
  score: null,
  metrics: [{ ...judgement('a', 'a: not conclusively higher'), classification: 'pass', severity: 'none' }],
};

describe('verificationId', () => {
  it('is stable and differs with its inputs', () => {
    expect(verificationId('uid', 'ns/run', 'm', 't')).toBe(verificationId('uid', 'ns/run', 'm', 't'));
    expect(verificationId('uid', 'ns/run', 'm', 't')).not.toBe(verificationId('uid', 'ns/run', 'm', 't2'));
    expect(verificationId('x')).toMatch(/^v-[0-9a-f]{16}$/);
  });
});

describe('times', () => {
  it('are whole seconds in RFC 3339 UTC', () => {
    const date = wholeSeconds(new Date('2026-01-01T00:00:05.987Z'));
    expect(rfc3339(date)).toBe('2026-01-01T00:00:05Z');
  });
});

describe('summarize, as the shared summary contract stores it', () => {
  it('keeps the top three reasons, worst first', () => {
    expect(summarize(unhealthy)).toEqual({ verdict: 'Unhealthy', score: 0, reasons: ['a: bad', 'b: bad', 'c: bad'] });
  });

  it('keeps the reasons but no verdict or score while undecided', () => {
    expect(summarize(undecided)).toEqual({ verdict: null, score: null, reasons: ['a: not conclusively higher'] });
  });

  it('is empty before any verdict', () => {
    expect(encodeSummary(summarize(null))).toBe('{"verdict":null,"score":null,"reasons":[]}');
  });

  it('stays within the summary contract\'s size', () => {
    const long: JudgeResult = { ...unhealthy, metrics: ['a', 'b', 'c'].map((name) => judgement(name, `"${'\u00e9'.repeat(600)}`)) };
    const value = encodeSummary(summarize(long));
    expect(Buffer.byteLength(value)).toBeLessThanOrEqual(MAX_SUMMARY_BYTES);
    expect(JSON.parse(value)).toMatchObject({ verdict: 'Unhealthy', score: 0 });
    expect(JSON.parse(value).reasons.length).toBeGreaterThan(0);
    expect(decodeSummary(value)).toEqual({ ...summarize(long), reasons: JSON.parse(value).reasons });
  });
});

describe('verdictSentence', () => {
  it('gives the verdict, the score and the top reason', () => {
    expect(verdictSentence(unhealthy)).toBe('Unhealthy, score 0/100: a: bad');
  });

  it('says when a passing verdict is Inconclusive because the data was partial', () => {
    const partial = { ...unhealthy, verdict: 'Healthy' as const, phase: 'Inconclusive' as const, score: 100, metrics: [{ ...unhealthy.metrics[0]!, classification: 'pass' as const, reason: 'a: fine', warnings: ['w'] }] };
    expect(verdictSentence(partial)).toBe('Healthy on partial data, so Inconclusive, score 100/100: a: fine');
  });

  it('says when nothing could be judged', () => {
    expect(verdictSentence({ final: true, verdict: 'NoData', phase: 'Failed', score: null, metrics: [] })).toBe('NoData, no metric could be judged');
  });

  it('says an open window is undecided, with the worst metric so far', () => {
    expect(verdictSentence(undecided)).toBe('undecided, no conclusive regression; a: not conclusively higher');
  });
});

describe('windowMetadata and errorMeasurement', () => {
  it('records the id and the window', () => {
    const window = { start: new Date('2026-01-01T00:00:00Z'), end: new Date('2026-01-01T00:05:00Z') };
    expect(windowMetadata('v-1', window)).toEqual({ verificationId: 'v-1', windowStart: '2026-01-01T00:00:00Z', windowEnd: '2026-01-01T00:05:00Z' });
  });

  it('finishes an Error measurement, keeping what it is given', () => {
    const now = new Date('2026-01-01T00:01:00Z');
    expect(errorMeasurement('boom', now, { startedAt: '2026-01-01T00:00:00Z', metadata: { a: 'b' } })).toEqual({
      phase: 'Error',
      message: 'boom',
      startedAt: '2026-01-01T00:00:00Z',
      finishedAt: '2026-01-01T00:01:00Z',
      metadata: { a: 'b' },
    });
  });
});
