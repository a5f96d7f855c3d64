import { describe, expect, it } from 'vitest';
import { CollectError, type HealthSource, type InstanceSeries, type SeriesRequest } from '../collect/source.js';
import { parseVerifyConfig } from '../config/schema.js';
import { verify } from './verification.js';

const config = parseVerifyConfig({
  duration: '5m',
  selectBy: 'podName',
  instanceLabel: 'instance',
  canary: { podTemplateHash: 'new' },
  baseline: { podTemplateHash: 'old' },
  source: { prometheus: { address: 'http://prometheus:9090' } },
  metrics: [
    { name: 'errors', query: 'e{${selector}}' },
    { name: 'throughput', query: 't{${selector}}', direction: 'lower-is-bad' },
  ],
});

const range = { start: new Date('2026-01-01T00:00:00Z'), end: new Date('2026-01-01T00:05:00Z') };

/** Constant values per (hash, metric), one instance per group. */
function source(values: Record<string, number>, calls: SeriesRequest[] = []): HealthSource {
  return {
    description: 'fake',
    async fetchSeries(request) {
      calls.push(request);
      const value = values[`${request.group.podTemplateHash}/${request.metric.name}`];
      const series: InstanceSeries = new Map([['pod', value === undefined ? [] : [[1, value]]]]);
      return series;
    },
  };
}

describe('verify', () => {
  it('fetches both groups of every metric over the range, with the config’s selection', async () => {
    const calls: SeriesRequest[] = [];
    await verify(config, range, source({}, calls));
    expect(calls).toHaveLength(4);
    expect(calls[0]).toEqual({
      metric: config.metrics[0],
      group: { podTemplateHash: 'new', selectBy: 'podName', hashLabel: 'rollouts_pod_template_hash', instanceLabel: 'instance' },
      start: range.start,
      end: range.end,
    });
    expect(calls.map((c) => `${c.metric.name}/${c.group.podTemplateHash}`).sort()).toEqual(['errors/new', 'errors/old', 'throughput/new', 'throughput/old']);
  });

  it('judges each metric in its own direction and combines them', async () => {
    const result = await verify(config, range, source({ 'new/errors': 1, 'old/errors': 1, 'new/throughput': 40, 'old/throughput': 100 }));
    expect(result.verdict).toBe('Unhealthy');
    expect(result.score).toBe(50);
    expect(result.judgements.map((j) => [j.metric, j.outcome])).toEqual([
      ['throughput', 'fail'],
      ['errors', 'pass'],
    ]);
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
