import { describe, expect, it } from 'vitest';
import { CollectError, type GroupsRequest, type HealthSource, type InstanceSeries, type SeriesRequest } from '../collect/source.js';
import { parseVerifyConfig } from '../config/schema.js';
import { isRatioGroup, type RatioGroup } from '../judge/types.js';
import { collectInputs, verify } from './verification.js';

const config = parseVerifyConfig({
  duration: '5m',
  selectBy: 'podName',
  instanceLabel: 'instance',
  canary: { podTemplateHash: 'new' },
  baseline: { podTemplateHash: 'old' },
  source: { prometheus: { address: 'http://prometheus:9090' } },
  metrics: [
    { name: 'errors', kind: 'ratio', numerator: 'sum by (instance) (e_total{${selector}})', denominator: 'sum by (instance) (r_total{${selector}})' },
    { name: 'throughput', kind: 'throughput', query: 't{${selector}}', direction: 'lower-is-bad' },
  ],
});

const T0 = new Date('2026-01-01T00:00:00Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const range = { start: T0, end: at(300) };

/** The reads of the window itself, not of the service's history before it (history.test.ts). */
const inWindow = (calls: SeriesRequest[]) => calls.filter((c) => c.end.getTime() > T0.getTime());

/**
 * Per (hash, query name) a level; four instances per group around it, a sample every 15 s in (start, end]. A
 * counter query (a ratio's) gets the counter's values instead, from the start: the level is its increase per step.
 */
function source(values: Record<string, number>, calls: SeriesRequest[] = []): HealthSource {
  return {
    description: 'fake',
    async fetchSeries(request) {
      calls.push(request);
      const value = values[`${request.group.podTemplateHash}/${request.metric.name}`];
      const series: InstanceSeries = new Map();
      const first = request.start.getTime() / 1000 + (request.cumulative ? 0 : 15);
      for (const [instance, factor] of [['i1', 0.95], ['i2', 1], ['i3', 1], ['i4', 1 / 0.95]] as const) {
        const samples: [number, number][] = [];
        for (let t = first, total = 5000; value !== undefined && t <= request.end.getTime() / 1000; t += 15) {
          samples.push([t, request.cumulative ? total : value * factor]);
          total += value * factor;
        }
        series.set(instance, samples);
      }
      return { series, warnings: [] };
    },
  };
}

const healthy = {
  'new/errors (numerator)': 10,
  'new/errors (denominator)': 1000,
  'old/errors (numerator)': 10,
  'old/errors (denominator)': 1000,
  'new/throughput': 100,
  'old/throughput': 100,
};

describe('collectInputs', () => {
  it('fetches both groups of every metric over the range — numerator and denominator for a ratio — with the config’s selection', async () => {
    const calls: SeriesRequest[] = [];
    const inputs = await collectInputs(config, range, source(healthy, calls));
    const window = inWindow(calls);
    expect(window).toHaveLength(6);
    expect(window[0]).toEqual({
      metric: { name: 'errors (numerator)', query: 'sum by (instance) (e_total{${selector}})' },
      group: { podTemplateHash: 'new', selectBy: 'podName', hashLabel: 'rollouts_pod_template_hash', instanceLabel: 'instance' },
      // A warm-up (1m by default) before the window: canary pods seen then were running already.
      start: at(-60),
      end: range.end,
      cumulative: true,
      signal: expect.any(AbortSignal),
    });
    expect(window.find((c) => c.metric.name === 'throughput')?.cumulative).toBeUndefined();
    expect(window.map((c) => `${c.metric.name}/${c.group.podTemplateHash}`).sort()).toEqual([
      'errors (denominator)/new',
      'errors (denominator)/old',
      'errors (numerator)/new',
      'errors (numerator)/old',
      'throughput/new',
      'throughput/old',
    ]);
    const [errors, throughput] = inputs;
    expect(errors!.metric).toBe(config.metrics[0]);
    expect(errors!.canary).toEqual({ numerator: expect.any(Map), denominator: expect.any(Map) });
    // The counters' increases per step, from the value at the start.
    expect((errors!.canary as { denominator: InstanceSeries }).denominator.get('i2')![0]).toEqual([T0.getTime() / 1000 + 15, 1000]);
    expect((errors!.canary as { denominator: InstanceSeries }).denominator.get('i2')).toHaveLength(20);
    expect(throughput!.baseline).toBeInstanceOf(Map);
  });
});

describe('collectInputs reads', () => {
  it('reads from a warm-up before the window: canary pods seen then are running already, and only the window is compared (a sample stamped at its start describes the time before)', async () => {
    const startS = T0.getTime() / 1000;
    const [errors, throughput] = await collectInputs(config, range, source(healthy));
    for (const input of [errors!, throughput!]) {
      expect(input.canarySince?.size).toBe(4);
      expect([...input.canarySince!.values()].every((t) => t <= startS - 45)).toBe(true);
      for (const group of [input.canary, input.baseline]) {
        for (const samples of (isRatioGroup(group) ? group.denominator : group).values()) expect(samples[0]![0]).toBe(startS + 15);
      }
    }
    // The first step in the window counts from the counter's value before it: one step's increase, not the total.
    expect((errors!.canary as RatioGroup).denominator.get('i2')![0]).toEqual([startS + 15, 1000]);
    // Without a warm-up the reads begin at the window's start.
    const calls: SeriesRequest[] = [];
    await collectInputs({ ...config, warmupMs: 0 }, range, source(healthy, calls));
    expect(inWindow(calls).every((c) => c.start.getTime() === T0.getTime())).toBe(true);
  });

  it('a query shared by several metrics once per look, for both groups', async () => {
    const calls: SeriesRequest[] = [];
    const shared = { ...config, metrics: [...config.metrics, { ...config.metrics[1]!, name: 'throughput-again' }] };
    const inputs = await collectInputs(shared, range, source(healthy, calls));
    expect(inWindow(calls)).toHaveLength(6);
    expect(inputs[2]!.canary).toBe(inputs[1]!.canary);
  });

  it('both groups in one request when the source can', async () => {
    const requests: GroupsRequest[] = [];
    const both: HealthSource = {
      ...source(healthy),
      async fetchGroups(request) {
        requests.push(request);
        return request.groups.map(() => ({ series: new Map([['i1', [[T0.getTime() / 1000 + 15, 1] as const]]]), warnings: [] }));
      },
    };
    await collectInputs(config, range, both);
    expect(requests.map((r) => [r.metric.name, r.groups.map((g) => g.podTemplateHash)])).toEqual([
      ['errors (numerator)', ['new', 'old']],
      ['errors (denominator)', ['new', 'old']],
      ['throughput', ['new', 'old']],
    ]);
  });

  it('given up when one of them fails, or when the call is cancelled', async () => {
    const signals: AbortSignal[] = [];
    const hanging: HealthSource = {
      description: 'fake',
      fetchSeries: (request) => {
        signals.push(request.signal!);
        if (request.metric.name === 'throughput') return Promise.reject(new CollectError('throughput', 'fake', 'down'));
        return new Promise(() => {});
      },
    };
    await expect(collectInputs(config, range, hanging)).rejects.toThrow(CollectError);
    expect(signals.length).toBeGreaterThan(1);
    expect(signals.every((signal) => signal.aborted)).toBe(true);

    const call = new AbortController();
    signals.length = 0;
    const never: HealthSource = { description: 'fake', fetchSeries: (request) => (signals.push(request.signal!), new Promise(() => {})) };
    void collectInputs(config, range, never, { signal: call.signal });
    call.abort();
    expect(signals.every((signal) => signal.aborted)).toBe(true);
  });
});

describe('collectInputs history', () => {
  it('judges a metric whose history cannot be read without it, and says why', async () => {
    const errors: CollectError[] = [];
    const base = source(healthy);
    const failing: HealthSource = {
      description: 'fake',
      // The history is what is read up to the window's start.
      fetchSeries: (request) => (request.end.getTime() <= at(3600).getTime() ? Promise.reject(new CollectError(request.metric.name, 'fake', 'HTTP 503', true)) : base.fetchSeries(request)),
    };
    // A window of its own: a window's history is kept a while, and the other tests read this file's.
    const inputs = await collectInputs(config, { start: at(3600), end: at(3900) }, failing, { onHistoryError: (error) => errors.push(error) });
    expect(inputs.map((input) => input.history)).toEqual([undefined, undefined]);
    // One error per metric (a ratio's first failing counter).
    expect(errors.map((error) => error.metric).sort()).toEqual([expect.stringMatching(/^errors \((numerator|denominator), history\)$/), 'throughput (history)']);
  });
});

describe('verify', () => {
  it('judges each metric in its own direction and combines them, worst first', async () => {
    const result = (await verify(config, range, source({ ...healthy, 'new/throughput': 40 }))).result;
    expect(result).toMatchObject({ final: true, verdict: 'Unhealthy', phase: 'Failed', score: 50 });
    expect(result.metrics.map((j) => [j.name, j.classification])).toEqual([
      ['throughput', 'fail'],
      ['errors', 'pass'],
    ]);
  });

  it('judges a range ending at the window’s end as the closed window: a final verdict', async () => {
    expect((await verify(config, range, source(healthy))).result).toMatchObject({ final: true, verdict: 'Healthy', phase: 'Successful', score: 100 });
  });

  it('judges a shorter range as an interim look: undecided unless a regression is conclusive', async () => {
    const early = { start: T0, end: at(120) };
    expect((await verify(config, early, source(healthy))).result).toMatchObject({ final: false, verdict: null, phase: 'Running', score: null });
    expect((await verify(config, early, source({ ...healthy, 'new/errors (numerator)': 100 }))).result).toMatchObject({ final: true, verdict: 'Unhealthy', phase: 'Failed' });
  });

  it('judges a shorter range as closed when asked to (Terminate)', async () => {
    const early = { start: T0, end: at(120) };
    expect((await verify(config, early, source(healthy), { asClosed: true })).result).toMatchObject({ final: true, verdict: 'Healthy', phase: 'Successful' });
  });

  it("carries the source's warnings to the metric they concern, so a pass on partial data is Inconclusive", async () => {
    const base = source(healthy);
    const warning: HealthSource = {
      description: 'fake',
      fetchSeries: async (request) => {
        const result = await base.fetchSeries(request);
        return request.metric.name === 'throughput' && request.group.podTemplateHash === 'new' ? { ...result, warnings: ['partial response'] } : result;
      },
    };
    const result = (await verify(config, range, warning)).result;
    expect(result).toMatchObject({ final: true, verdict: 'Healthy', phase: 'Inconclusive' });
    expect(result.metrics.find((m) => m.name === 'throughput')?.warnings).toEqual(['partial response']);
    expect(result.metrics.find((m) => m.name === 'errors')?.warnings).toBeUndefined();
  });

  it('passes collection failures on', async () => {
    const failing: HealthSource = {
      description: 'fake',
      fetchSeries: async () => {
        throw new CollectError('errors', 'fake', 'down');
      },
    };
    await expect(verify(config, range, failing)).rejects.toThrow(CollectError);
  });
});
