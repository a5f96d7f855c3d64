import { describe, expect, it } from 'vitest';
import { iso, judgeInput, levelSeries, START_S, STEP_S } from '../../test/helpers/judge-inputs.js';
import { seededRandom } from '../../shared/random.js';
import { evaluateRequest } from './evaluate.js';
import { parseJudgeRequest } from './request.js';

const classifications = (output: ReturnType<typeof evaluateRequest>) => Object.fromEntries(output.metrics.map((m) => [m.name, m.classification]));

describe('evaluateRequest', () => {
  it('passes a healthy canary once the window has closed', () => {
    const output = evaluateRequest(parseJudgeRequest(judgeInput()));
    expect(output).toMatchObject({ final: true, verdict: 'Healthy', phase: 'Successful', score: 100 });
    expect(classifications(output)).toEqual({ errors: 'pass', latency: 'pass' });
    for (const metric of output.metrics) {
      expect(Object.keys(metric)).toEqual(['name', 'kind', 'classification', 'severity', 'canary', 'baseline', 'change', 'confidence', 'threshold', 'chance', 'reason']);
    }
  });

  it('is not final while the window is open and nothing regressed', () => {
    const request = parseJudgeRequest(judgeInput());
    for (const steps of [1, 5, 9]) {
      expect(evaluateRequest(request, START_S + steps * STEP_S)).toMatchObject({ final: false, verdict: null, phase: 'Running', score: null });
    }
  });

  it('fails early on a gross regression, before the window ends', () => {
    const request = parseJudgeRequest(judgeInput({ canaryErrorRate: 0.1, config: { warmup: '0s' } }));
    const output = evaluateRequest(request, START_S + 2 * STEP_S);
    expect(output).toMatchObject({ final: true, verdict: 'Unhealthy', phase: 'Failed' });
    expect(output.metrics[0]).toMatchObject({ name: 'errors', classification: 'fail' });
  });

  it('maps Unhealthy to the configured phase', () => {
    const request = parseJudgeRequest(judgeInput({ canaryErrorRate: 0.1, config: { unhealthyPhase: 'Inconclusive' } }));
    expect(evaluateRequest(request)).toMatchObject({ verdict: 'Unhealthy', phase: 'Inconclusive' });
  });

  it('ignores data after now', () => {
    // A regression in the data: as of the second step, the judge answers as if nothing later had been collected.
    const input = judgeInput({ canaryErrorRate: 0.1, config: { warmup: '0s' } });
    const untilS = START_S + 2 * STEP_S;
    const truncated = structuredClone(input);
    for (const metric of [truncated.data.errors.canary, truncated.data.errors.baseline]) {
      for (const series of Object.values(metric)) {
        series.numerator = series.numerator.filter(([t]) => t <= untilS);
        series.denominator = series.denominator.filter(([t]) => t <= untilS);
      }
    }
    for (const metric of [truncated.data.latency.canary, truncated.data.latency.baseline]) {
      for (const pod of Object.keys(metric)) metric[pod] = metric[pod]!.filter(([t]) => t <= untilS);
    }
    const request = parseJudgeRequest(input);
    expect(evaluateRequest(request, untilS)).toEqual(evaluateRequest(parseJudgeRequest(truncated), untilS));
    expect(evaluateRequest(request, untilS)).not.toEqual(evaluateRequest(request));
    expect(evaluateRequest(request)).toMatchObject({ final: true, verdict: 'Unhealthy' });
  });

  it('ignores data after the end of the window, and before or at its start', () => {
    const input = judgeInput({ steps: 10 });
    const request = parseJudgeRequest(input);
    const padded = structuredClone(input);
    for (const series of Object.values(padded.data.latency.canary)) series.push([START_S + 11 * STEP_S, 1e6]);
    for (const series of Object.values(padded.data.latency.baseline)) series.push([START_S + 11 * STEP_S, 1e6], [START_S, 1e6], [START_S - 60, 1e6]);
    const later = START_S + 20 * STEP_S;
    expect(evaluateRequest(parseJudgeRequest({ ...padded, now: new Date(later * 1000).toISOString() }))).toEqual(evaluateRequest(request));
  });

  it('counts a canary pod’s warm-up from its samples before the window: a pod already running is compared from the start', () => {
    const input = judgeInput({ steps: 10 });
    const fresh = evaluateRequest(parseJudgeRequest(input)).metrics.find((m) => m.name === 'latency')!;
    const running = structuredClone(input);
    // Seen a minute before the window, not compared (the values would fail it), but warm by the window's start.
    for (const series of Object.values(running.data.latency.canary)) series.unshift([START_S - 60, 1e6]);
    const warm = evaluateRequest(parseJudgeRequest(running)).metrics.find((m) => m.name === 'latency')!;
    expect(fresh.reason).toContain('left out as warm-up');
    expect(warm.reason).not.toContain('warm-up');
    expect(warm.classification).toBe('pass');
    // Twenty seconds before: its warm-up ends 40 s into the window, past the first step.
    const recent = structuredClone(input);
    for (const series of Object.values(recent.data.latency.canary)) series.unshift([START_S - 20, 1e6]);
    expect(evaluateRequest(parseJudgeRequest(recent)).metrics.find((m) => m.name === 'latency')!.reason).toContain('left out as warm-up');
  });

  it('says NoData with too little data at the end of the window', () => {
    const output = evaluateRequest(parseJudgeRequest(judgeInput({ requestsPerStep: 5 })));
    expect(output).toMatchObject({ final: true, verdict: 'NoData', phase: 'Failed', score: 100 });
    expect(output.metrics[0]).toMatchObject({ name: 'errors', classification: 'nodata', canary: null, change: null });
    expect(output.metrics[0]!.reason).toMatch(/too little data to judge/);
  });

  it('says NoData, Inconclusive without failOnNoData, for a metric missing from data', () => {
    const input = judgeInput({ config: { failOnNoData: false } });
    const request = parseJudgeRequest({ ...input, data: { latency: input.data.latency } });
    expect(evaluateRequest(request)).toMatchObject({ final: true, verdict: 'NoData', phase: 'Inconclusive' });
  });

  it('waits while data is missing in an open window (it may still arrive)', () => {
    const input = judgeInput();
    const request = parseJudgeRequest({ ...input, data: {} });
    expect(evaluateRequest(request, START_S + 60)).toMatchObject({ final: false, phase: 'Running' });
  });

  it('maps a change from a baseline of 0 to null', () => {
    const request = parseJudgeRequest({
      config: { duration: '1m', warmup: '0s', metrics: [{ name: 'errors', kind: 'ratio', minEvidence: 1 }] },
      start: '2026-01-01T12:00:00Z',
      now: '2026-01-01T12:01:00Z',
      data: {
        errors: {
          canary: { a: { numerator: [[START_S + 30, 50]], denominator: [[START_S + 30, 1000]] } },
          baseline: { b: { numerator: [[START_S + 30, 0]], denominator: [[START_S + 30, 1000]] } },
        },
      },
    });
    const output = evaluateRequest(request);
    expect(output.metrics[0]).toMatchObject({ classification: 'fail', change: null, baseline: 0 });
    expect(() => JSON.parse(JSON.stringify(output))).not.toThrow();
  });

  it('can be evaluated at many nows from one parse, without changing the request', () => {
    const request = parseJudgeRequest(judgeInput());
    const before = structuredClone([...request.data]);
    const outputs = Array.from({ length: 10 }, (_, i) => evaluateRequest(request, START_S + (i + 1) * STEP_S));
    expect(outputs.at(-1)).toEqual(evaluateRequest(request));
    expect([...request.data]).toEqual(before);
  });

  it('judges whole intervals only: a now between two looks is the earlier look', () => {
    const input = judgeInput({ config: { warmup: '0s' } });
    // Every canary request fails 45 s in, between the looks at 30 s and 60 s.
    for (const series of Object.values(input.data.errors.canary)) {
      series.numerator.push([START_S + 45, 500]);
      series.denominator.push([START_S + 45, 500]);
    }
    const request = parseJudgeRequest(input);
    const first = evaluateRequest(request, START_S + STEP_S);
    expect(first).toMatchObject({ final: false, phase: 'Running' });
    expect(evaluateRequest(request, START_S + 45)).toEqual(first);
    expect(evaluateRequest(request, START_S + 59.9)).toEqual(first);
    expect(evaluateRequest(request, START_S + 2 * STEP_S)).toMatchObject({ final: true, verdict: 'Unhealthy' });
  });

  it('learns from the history how much pods differ: against one stable pod, +45% is inconclusive without it and fails with it', () => {
    const random = seededRandom(5);
    // Six past periods a day ago, four pods each ~3% apart.
    const past = Array.from({ length: 6 }, (_, i) => {
      const pods = levelSeries(random, ['a', 'b', 'c', 'd'].map((p) => `web-old${i}-${p}`), 10, 100);
      return Object.fromEntries(Object.entries(pods).map(([pod, series]) => [pod, series.map(([t, v]) => [t - 86_400, v])]));
    });
    const input = {
      config: { duration: '5m', metrics: [{ name: 'latency', kind: 'latency' }] },
      start: iso(START_S),
      now: iso(START_S + 10 * STEP_S),
      data: { latency: { canary: levelSeries(random, ['web-new-a', 'web-new-b', 'web-new-c'], 10, 145), baseline: levelSeries(random, ['web-old-a'], 10, 100) } },
    };
    const without = evaluateRequest(parseJudgeRequest(input)).metrics[0]!;
    const withHistory = evaluateRequest(parseJudgeRequest({ ...input, history: { latency: past } })).metrics[0]!;
    expect(without.classification).toBe('inconclusive');
    expect(without.reason).toContain('no history');
    expect(withHistory.classification).toBe('fail');
    expect(withHistory.reason).not.toContain('no history');
  });

  it('refuses a now before the window start', () => {
    expect(() => evaluateRequest(parseJudgeRequest(judgeInput()), START_S - 1)).toThrow(RangeError);
  });
});
