import { describe, expect, it } from 'vitest';
import { pageBody, sourceFields } from './search-body.js';

const settings = { timeField: '@timestamp', messageField: 'message', levelField: 'log.level', timeout: 10_000 };
const group = { podTemplateHash: 'abc123', selectBy: 'podName' as const, hashField: 'rollouts_pod_template_hash', instanceField: 'kubernetes.pod.name' };
const START = Date.parse('2026-01-01T00:00:00Z');

describe('pageBody', () => {
  it('filters by the query string, the range and the group, newest first, reading only the line fields', () => {
    const body = pageBody({ query: 'app:web', group, startMs: START, endNs: BigInt(START + 60_000) * 1_000_000n + 1n, size: 500, countTotal: true }, settings);
    expect(body).toEqual({
      size: 500,
      query: {
        bool: {
          filter: [
            { query_string: { query: 'app:web' } },
            { range: { '@timestamp': { gte: START + 1, lt: START + 60_001, format: 'epoch_millis' } } },
            { wildcard: { 'kubernetes.pod.name': { value: '*-abc123-*' } } },
          ],
        },
      },
      sort: [{ '@timestamp': { order: 'desc', numeric_type: 'date', unmapped_type: 'date' } }],
      _source: { includes: ['message', 'kubernetes.pod.name', 'log.level'] },
      track_total_hits: true,
      timeout: '8000ms',
    });
  });

  it('ends a page before the millisecond its exclusive end falls in only when the end is on a millisecond', () => {
    const range = (endNs: bigint) => (pageBody({ query: 'x', group, startMs: START, endNs, size: 1, countTotal: false }, settings).query as any).bool.filter[1].range['@timestamp'];
    // log-pages.ts asks for lines before `oldest + 1 ns`: the oldest millisecond is read again, whole.
    expect(range(BigInt(START + 5) * 1_000_000n + 1n).lt).toBe(START + 6);
    expect(range(BigInt(START + 5) * 1_000_000n).lt).toBe(START + 5);
  });

  it('reads each field once', () => {
    expect(sourceFields({ messageField: 'message', levelField: 'message' }, 'message')).toEqual(['message']);
    expect(sourceFields({ messageField: 'message' }, 'pod')).toEqual(['message', 'pod']);
  });
});
