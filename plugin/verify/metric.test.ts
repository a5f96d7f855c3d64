import { describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/log.js';
import { CollectError, type HealthSource, type InstanceSeries, type SeriesRequest } from '../collect/source.js';
import { LATE_RETRY_MS, metricGarbageCollect, metricMetadata, metricResume, metricRun, metricTerminate } from './metric.js';
import type { EngineContext } from './context.js';
import type { Measurement } from './types.js';
import { reportPath, type ReportPath } from '../../shared/verdicts/report-path.js';

const T0 = new Date('2026-01-01T00:00:00Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

/** Value of a metric query (`error-rate (numerator)`, …) for a pod template hash at a time; undefined means no sample. */
type Profile = (hash: string, metric: string, unixSeconds: number) => number | undefined;

// Four pods per group whose error rates differ a little, as pods do.
const POD_FACTORS = { a: 0.95, b: 1, c: 1, d: 1 / 0.95 };

/**
 * Four pods per group, a sample every 15 s in the requested range (start, end]; for a counter query (a ratio's)
 * the counters' values from the start, growing by the profile's value per step.
 */
function fakeSource(profile: Profile, calls: SeriesRequest[] = []): HealthSource {
  return {
    description: 'fake source',
    async fetchSeries(request) {
      calls.push(request);
      const series: InstanceSeries = new Map();
      const start = request.start.getTime() / 1000;
      for (const [pod, factor] of Object.entries(POD_FACTORS)) {
        const samples: [number, number][] = [];
        let total = 100;
        for (let t = request.cumulative ? start : Math.floor(start / 15) * 15 + 15; t * 1000 <= request.end.getTime(); t += 15) {
          const value = profile(request.group.podTemplateHash, request.metric.name, t);
          // Only the error counts differ between pods; requests are the same.
          const perStep = value !== undefined && request.metric.name.endsWith('(numerator)') ? value * factor : value;
          if (perStep === undefined) continue;
          if (request.cumulative && t > start) total += perStep;
          samples.push([t, request.cumulative ? total : perStep]);
        }
        series.set(`${request.group.podTemplateHash}-${pod}`, samples);
      }
      return { series, warnings: [] };
    },
  };
}

const failingSource: HealthSource = {
  description: 'fake source',
  fetchSeries: async (request) => {
    throw new CollectError(request.metric.name, 'Prometheus at http://prometheus:9090', 'connection refused');
  },
};

const REQUESTS_PER_STEP = 1000;

/** Errors and requests per pod and 15 s step, at the canary's and the baseline's error rates (undefined: no data). */
function errorRates(canary: number | undefined, baseline = 0.01): Profile {
  return (hash, metric) => {
    const rate = hash === 'canary1' ? canary : baseline;
    if (rate === undefined) return undefined;
    return metric === 'error-rate (numerator)' ? REQUESTS_PER_STEP * rate : REQUESTS_PER_STEP;
  };
}

const healthy = errorRates(0.01);
// Ten times the baseline's error rate: conclusive within a few steps.
const canaryErrors = errorRates(0.1);
// Twice the baseline's error rate: enough to fail at medium sensitivity, not at low, and only with the whole window.
const moderateErrors = errorRates(0.02);

function context(clock: { now: Date }, source: HealthSource, events?: string[]): EngineContext {
  return {
    now: () => clock.now,
    log: createLogger({ level: 'silent' }),
    createSource: () => source,
    events: events && {
      finished: (event) => events.push(`finished ${event.plugin} ${event.verdict} ${event.phase} early=${event.early}`),
      collectionFailed: (plugin) => events.push(`collection failed ${plugin}`),
    },
  };
}

function metric(overrides: Record<string, unknown> = {}) {
  return {
    name: 'verify',
    provider: {
      plugin: {
        'rollouts-cv/verify': {
          duration: '5m',
          canary: { podTemplateHash: 'canary1' },
          baseline: { podTemplateHash: 'stable1' },
          source: { prometheus: { address: 'http://prometheus:9090' } },
          metrics: [
            {
              name: 'error-rate',
              kind: 'ratio',
              numerator: 'sum by (pod) (errors_total{${selector}})',
              denominator: 'sum by (pod) (requests_total{${selector}})',
            },
          ],
          ...overrides,
        },
      },
    },
  };
}

const analysisRun = { metadata: { uid: 'uid-1', namespace: 'shop', name: 'web-abc-1' } };

async function started(clock: { now: Date }, m: unknown = metric()): Promise<Measurement> {
  clock.now = T0;
  return metricRun(analysisRun, m, context(clock, fakeSource(healthy)));
}

describe('metricRun', () => {
  it('starts a window and asks to be resumed after the interval', async () => {
    const clock = { now: new Date(T0.getTime() + 400) };
    const measurement = await metricRun(analysisRun, metric(), context(clock, failingSource));
    expect(measurement).toMatchObject({
      phase: 'Running',
      startedAt: '2026-01-01T00:00:00Z',
      resumeAt: '2026-01-01T00:00:30Z',
      metadata: { windowStart: '2026-01-01T00:00:00Z', windowEnd: '2026-01-01T00:05:00Z' },
      value: '{"verdict":null,"score":null,"reasons":[]}',
    });
    expect(measurement.message).toBe('verifying canary canary1 against baseline stable1 on 1 metric(s) over 5m');
    expect(measurement.metadata?.verificationId).toMatch(/^v-[0-9a-f]{16}$/);
  });

  it('links the measurement to its report page when the engine serves them, and keeps the link while resuming', async () => {
    const clock = { now: T0 };
    expect((await started(clock)).metadata).not.toHaveProperty('report');
    const reports = { ...context(clock, fakeSource(healthy)), reportUrl: (path: ReportPath) => `https://cv.example.com${reportPath(path)}` };
    const running = await metricRun(analysisRun, metric(), reports);
    expect(running.metadata?.report).toBe('https://cv.example.com/reports/shop/web-abc-1/verify');
    clock.now = new Date(T0.getTime() + 5 * 60_000);
    const { metadata: _dropped, ...withoutLink } = running;
    const finished = await metricResume(analysisRun, metric(), { ...withoutLink, metadata: { windowStart: running.metadata!.windowStart! } }, reports);
    expect(finished.metadata?.report).toBe('https://cv.example.com/reports/shop/web-abc-1/verify');
    // The decided message ends with the link: Argo carries it into the AnalysisRun's and the abort message.
    expect(finished.message).toMatch(/^Healthy, score 100\/100.*; report: https:\/\/cv\.example\.com\/reports\/shop\/web-abc-1\/verify$/);
    expect(running.message).not.toContain('report');
  });

  it('gives the same verification the same id', async () => {
    const clock = { now: T0 };
    const first = await started(clock);
    const second = await started(clock);
    const other = await metricRun({ metadata: { ...analysisRun.metadata, uid: 'uid-2' } }, metric(), context(clock, fakeSource(healthy)));
    expect(first.metadata?.verificationId).toBe(second.metadata?.verificationId);
    expect(first.metadata?.verificationId).not.toBe(other.metadata?.verificationId);
  });

  it('resumes no later than the end of a short window', async () => {
    const measurement = await started({ now: T0 }, metric({ duration: '20s', interval: '20s' }));
    expect(measurement.resumeAt).toBe('2026-01-01T00:00:20Z');
  });

  it('reports an invalid config as Error naming the field', async () => {
    const measurement = await started({ now: T0 }, metric({ metrics: [{ name: 'x', query: '${selector}', direction: 'up' }] }));
    expect(measurement).toMatchObject({ phase: 'Error', finishedAt: '2026-01-01T00:00:00Z' });
    expect(measurement.message).toBe('invalid config: config.metrics[0].direction: expected one of higher-is-bad, lower-is-bad, either; got "up"');
  });

  it('reports a missing plugin config', async () => {
    const measurement = await started({ now: T0 }, { name: 'verify', provider: { prometheus: {} } });
    expect(measurement.phase).toBe('Error');
    expect(measurement.message).toContain('metric.provider.plugin: expected exactly one plugin entry');
  });

  it('reads the config under whatever name the plugin was registered as', async () => {
    const config = (metric() as { provider: { plugin: Record<string, unknown> } }).provider.plugin['rollouts-cv/verify'];
    const measurement = await started({ now: T0 }, { name: 'verify', provider: { plugin: { 'acme/canary-check': config } } });
    expect(measurement.phase).toBe('Running');
  });
});

describe('metricResume', () => {
  it('stays Running while undecided, querying up to now', async () => {
    const clock = { now: T0 };
    const run = await started(clock);
    const calls: SeriesRequest[] = [];
    clock.now = at(120);
    const measurement = await metricResume(analysisRun, metric(), run, context(clock, fakeSource(healthy, calls)));
    expect(measurement).toMatchObject({ phase: 'Running', resumeAt: '2026-01-01T00:02:30Z', startedAt: run.startedAt, metadata: run.metadata });
    expect(measurement.finishedAt).toBeUndefined();
    expect(JSON.parse(measurement.value!)).toEqual({ verdict: null, score: null, reasons: [expect.stringMatching(/^error-rate: canary 1% vs baseline 1% \(±0%\)/)] });
    expect(measurement.message).toMatch(/^in progress, 2m of the 5m window \(40%\) covered; undecided, no conclusive regression; error-rate: canary 1% vs baseline 1%/);
    // The window's queries (the service's history is read up to its start), from a warm-up (1m) before it: a
    // canary pod seen then was running already, and is not left out as warming up.
    const windowCalls = calls.filter((c) => c.end.getTime() > T0.getTime());
    expect(windowCalls.map((c) => [c.metric.name, c.group.podTemplateHash, c.start, c.end]).sort()).toEqual([
      ['error-rate (denominator)', 'canary1', at(-60), at(120)],
      ['error-rate (denominator)', 'stable1', at(-60), at(120)],
      ['error-rate (numerator)', 'canary1', at(-60), at(120)],
      ['error-rate (numerator)', 'stable1', at(-60), at(120)],
    ]);
    expect(calls.find((c) => c.metric.name === 'error-rate (numerator)')?.metric.query).toBe('sum by (pod) (errors_total{${selector}})');
  });

  it('judges whole intervals only: a Resume between two looks repeats the earlier one', async () => {
    const clock = { now: T0 };
    const run = await started(clock);
    const calls: SeriesRequest[] = [];
    clock.now = at(135);
    await metricResume(analysisRun, metric(), run, context(clock, fakeSource(healthy, calls)));
    const windowCalls = calls.filter((c) => c.end.getTime() > T0.getTime());
    expect(windowCalls).toHaveLength(4);
    expect(windowCalls.every((c) => c.end.getTime() === at(120).getTime())).toBe(true);
  });

  it('never passes early, even when everything is healthy', async () => {
    const clock = { now: T0 };
    const run = await started(clock);
    clock.now = at(299);
    const measurement = await metricResume(analysisRun, metric(), run, context(clock, fakeSource(healthy)));
    expect(measurement.phase).toBe('Running');
    expect(measurement.resumeAt).toBe('2026-01-01T00:05:00Z');
  });

  it('fails early, at an interim look, once a regression is conclusive', async () => {
    const clock = { now: T0 };
    const run = await started(clock);
    clock.now = at(120);
    const events: string[] = [];
    const measurement = await metricResume(analysisRun, metric(), run, context(clock, fakeSource(canaryErrors), events));
    expect(events).toEqual(['finished verify Unhealthy Failed early=true']);
    expect(measurement).toMatchObject({ phase: 'Failed', finishedAt: '2026-01-01T00:02:00Z', metadata: run.metadata });
    expect(measurement.resumeAt).toBeUndefined();
    expect(measurement.message).toMatch(/^decided early, after 2m of the 5m window \(40%\): Unhealthy, score 0\/100: error-rate: canary 10% vs baseline 1% \(\+900%\)/);
    expect(JSON.parse(measurement.value!)).toMatchObject({ verdict: 'Unhealthy', score: 0 });
  });

  it('does not fail early on a regression that is not conclusive yet', async () => {
    const clock = { now: T0 };
    const run = await started(clock);
    clock.now = at(30);
    // At the end of the window this fails (see below); at an interim look it is not conclusive.
    const measurement = await metricResume(analysisRun, metric(), run, context(clock, fakeSource(moderateErrors)));
    expect(measurement.phase).toBe('Running');
  });

  it('finishes at the end of the window on exactly the window', async () => {
    const clock = { now: T0 };
    const run = await started(clock);
    const calls: SeriesRequest[] = [];
    clock.now = at(312);
    // Without warm-up both groups count the same steps, so the rates are exactly equal.
    const measurement = await metricResume(analysisRun, metric({ warmup: '0s' }), run, context(clock, fakeSource(healthy, calls)));
    expect(measurement).toMatchObject({ phase: 'Successful', finishedAt: '2026-01-01T00:05:12Z', metadata: run.metadata });
    expect(measurement.resumeAt).toBeUndefined();
    expect(measurement.message).toMatch(/^Healthy, score 100\/100: error-rate: canary 1% vs baseline 1% \(±0%\); /);
    const windowCalls = calls.filter((c) => c.end.getTime() > T0.getTime());
    expect(windowCalls).toHaveLength(4);
    expect(windowCalls.every((c) => c.start.getTime() === T0.getTime() && c.end.getTime() === at(300).getTime())).toBe(true);
  });

  it('fails an unhealthy canary with the reason', async () => {
    const clock = { now: T0 };
    const run = await started(clock);
    clock.now = at(300);
    const measurement = await metricResume(analysisRun, metric(), run, context(clock, fakeSource(canaryErrors)));
    expect(measurement.phase).toBe('Failed');
    expect(measurement.message).toMatch(/^Unhealthy, score 0\/100: error-rate: canary 10% vs baseline 1% \(\+900%\); /);
    expect(JSON.parse(measurement.value!)).toEqual({ verdict: 'Unhealthy', score: 0, reasons: [expect.stringContaining('error-rate: canary 10%')] });
  });

  it.each<[Record<string, unknown>, Profile, string]>([
    [{ unhealthyPhase: 'Inconclusive' }, canaryErrors, 'Inconclusive'],
    [{ sensitivity: 'medium' }, moderateErrors, 'Failed'],
    [{ sensitivity: 'low' }, moderateErrors, 'Successful'],
    [{}, errorRates(undefined), 'Failed'],
    [{ failOnNoData: false }, errorRates(undefined), 'Inconclusive'],
  ])('with %j maps the verdict to %s', async (overrides, profile, phase) => {
    const clock = { now: T0 };
    const m = metric(overrides);
    const run = await started(clock, m);
    clock.now = at(300);
    expect((await metricResume(analysisRun, m, run, context(clock, fakeSource(profile)))).phase).toBe(phase);
  });

  it('is stateless: a later call on a fresh context gives the same verdict', async () => {
    const clock = { now: T0 };
    const run = await started(clock);
    // The canary degrades only after the window; a late re-evaluation must not see it.
    const profile: Profile = (hash, name, t) => (hash === 'canary1' && t > at(300).getTime() / 1000 ? canaryErrors : healthy)(hash, name, t);
    clock.now = at(300);
    const first = await metricResume(analysisRun, metric(), run, context(clock, fakeSource(profile)));
    const later = { now: at(3600) };
    const second = await metricResume(analysisRun, metric(), run, context(later, fakeSource(profile)));
    expect(second.phase).toBe(first.phase);
    expect(second.value).toBe(first.value);
    expect(second.message).toBe(first.message);
    expect(second.metadata).toEqual(first.metadata);
  });

  it('reads the window from startedAt when metadata is missing', async () => {
    const clock = { now: at(310) };
    const calls: SeriesRequest[] = [];
    const measurement = await metricResume(analysisRun, metric(), { phase: 'Running', startedAt: '2026-01-01T00:00:00Z' }, context(clock, fakeSource(healthy, calls)));
    expect(measurement.phase).toBe('Successful');
    expect(measurement.metadata).toMatchObject({ windowStart: '2026-01-01T00:00:00Z', windowEnd: '2026-01-01T00:05:00Z' });
    expect(measurement.metadata?.verificationId).toMatch(/^v-/);
    // From the warm-up before the window.
    expect(calls[0]?.start).toEqual(at(-60));
  });

  it('reports Error when the window cannot be found', async () => {
    const measurement = await metricResume(analysisRun, metric(), { phase: 'Running' }, context({ now: at(10) }, fakeSource(healthy)));
    expect(measurement.phase).toBe('Error');
    expect(measurement.message).toBe('cannot find the window: the measurement has neither metadata.windowStart nor startedAt as an RFC 3339 time');
  });

  it('stays Running and retries soon when collection fails in an open window', async () => {
    const clock = { now: T0 };
    const run = await started(clock);
    clock.now = at(60);
    const events: string[] = [];
    const measurement = await metricResume(analysisRun, metric(), run, context(clock, failingSource, events));
    expect(events).toEqual(['collection failed verify']);
    expect(measurement).toMatchObject({ phase: 'Running', resumeAt: '2026-01-01T00:01:10Z', value: run.value, metadata: run.metadata });
    expect(measurement.message).toBe(
      'collection failed, will retry at 2026-01-01T00:01:10Z: metric "error-rate (numerator)": Prometheus at http://prometheus:9090: connection refused',
    );
  });

  it('reports Error, never success, when collection fails at the end', async () => {
    const clock = { now: T0 };
    const run = await started(clock);
    clock.now = at(300);
    const measurement = await metricResume(analysisRun, metric(), run, context(clock, failingSource));
    expect(measurement).toMatchObject({ phase: 'Error', finishedAt: '2026-01-01T00:05:00Z', metadata: run.metadata });
    expect(measurement.message).toContain('collection failed at the end of the window: metric "error-rate (numerator)"');
  });

  it('stays Running after the window when the source was only slow or busy, for a while, then reports Error', async () => {
    const slow: HealthSource = {
      description: 'fake source',
      fetchSeries: async (request) => {
        throw new CollectError(request.metric.name, 'Prometheus at http://prometheus:9090', 'no response within 10s', true);
      },
    };
    const clock = { now: T0 };
    const run = await started(clock);
    clock.now = at(305);
    const retried = await metricResume(analysisRun, metric(), run, context(clock, slow));
    expect(retried).toMatchObject({ phase: 'Running', resumeAt: '2026-01-01T00:05:15Z', metadata: run.metadata });
    expect(retried.message).toMatch(/^collection failed, will retry at 2026-01-01T00:05:15Z: metric "error-rate \(numerator\)": .*no response within 10s$/);
    clock.now = at(300 + LATE_RETRY_MS / 1000);
    expect((await metricResume(analysisRun, metric(), retried, context(clock, slow))).phase).toBe('Error');
  });

  it('reports an invalid config as Error', async () => {
    const clock = { now: T0 };
    const run = await started(clock);
    clock.now = at(60);
    const measurement = await metricResume(analysisRun, metric({ sensitivity: 'extreme' }), run, context(clock, fakeSource(healthy)));
    expect(measurement.phase).toBe('Error');
    expect(measurement.message).toContain('config.sensitivity: expected one of high, medium, low; got "extreme"');
  });
});

describe('metricTerminate', () => {
  it('gives the verdict of the data so far, judged as a closed window', async () => {
    const clock = { now: T0 };
    const run = await started(clock);
    const calls: SeriesRequest[] = [];
    clock.now = at(120);
    // A Resume at this time stays Running (see above); Terminate decides on what there is.
    const measurement = await metricTerminate(analysisRun, metric(), run, context(clock, fakeSource(healthy, calls)));
    expect(measurement).toMatchObject({ phase: 'Successful', finishedAt: '2026-01-01T00:02:00Z' });
    expect(measurement.message).toMatch(
      /^terminated early, after 2m of the 5m window \(40%\); the data so far judged as a closed window: Healthy, score 100\/100: error-rate/,
    );
    expect(JSON.parse(measurement.value!)).toMatchObject({ verdict: 'Healthy', score: 100 });
    expect(calls.every((c) => c.end.getTime() === at(120).getTime())).toBe(true);
  });

  it('fails a regressed canary', async () => {
    const clock = { now: T0 };
    const run = await started(clock);
    clock.now = at(120);
    const measurement = await metricTerminate(analysisRun, metric(), run, context(clock, fakeSource(canaryErrors)));
    expect(measurement).toMatchObject({ phase: 'Failed', finishedAt: '2026-01-01T00:02:00Z' });
    expect(measurement.message).toMatch(/: Unhealthy, score 0\/100: error-rate: canary 10%/);
  });

  it('gives NoData, never a pass, when nothing was collected yet', async () => {
    const clock = { now: T0 };
    const run = await started(clock);
    clock.now = at(10);
    const measurement = await metricTerminate(analysisRun, metric(), run, context(clock, fakeSource(healthy)));
    expect(measurement.phase).toBe('Failed');
    expect(JSON.parse(measurement.value!)).toMatchObject({ verdict: 'NoData', score: null });
  });

  it('reports Error when collection fails', async () => {
    const clock = { now: T0 };
    const run = await started(clock);
    clock.now = at(120);
    const measurement = await metricTerminate(analysisRun, metric(), run, context(clock, failingSource));
    expect(measurement.phase).toBe('Error');
    expect(measurement.message).toContain('terminated; collection failed');
  });
});

describe('metricGarbageCollect and metricMetadata', () => {
  it('has nothing to collect', () => {
    expect(metricGarbageCollect(analysisRun, metric(), 10)).toBeUndefined();
  });

  it('describes a valid config', () => {
    expect(metricMetadata(metric({ sensitivity: 'high', duration: '90s' }))).toEqual({
      'rollouts-cv/sensitivity': 'high',
      'rollouts-cv/duration': '1m30s',
      'rollouts-cv/source': 'prometheus',
      'rollouts-cv/metrics': 'error-rate',
    });
  });

  it('is empty for an invalid config', () => {
    expect(metricMetadata(metric({ duration: 'soon' }))).toEqual({});
    expect(metricMetadata(null)).toEqual({});
  });
});
