import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { collectError } from '../../test/helpers/collect-error.js';
import { CollectError, type FetchedSeries, type GroupSelection, type HealthSource, type SeriesRequest } from '../collect/source.js';
import { chooseWindow, observedSource } from './replay.js';

const FIVE_MINUTES = 300_000;
const NOW = new Date('2026-01-01T12:00:00.750Z');
const at = (text: string) => new Date(text);

describe('chooseWindow', () => {
  it('neither start nor end: the config’s duration ending now, in whole seconds', () => {
    expect(chooseWindow(FIVE_MINUTES, {}, NOW)).toEqual({ start: at('2026-01-01T11:55:00Z'), end: at('2026-01-01T12:00:00Z') });
  });

  it('start only: the duration from it', () => {
    expect(chooseWindow(FIVE_MINUTES, { start: at('2026-01-01T10:00:00Z') }, NOW)).toEqual({ start: at('2026-01-01T10:00:00Z'), end: at('2026-01-01T10:05:00Z') });
  });

  it('end only: the duration up to it', () => {
    expect(chooseWindow(FIVE_MINUTES, { end: at('2026-01-01T10:00:00Z') }, NOW)).toEqual({ start: at('2026-01-01T09:55:00Z'), end: at('2026-01-01T10:00:00Z') });
  });

  it('both: as given, whatever the config’s duration', () => {
    const window = { start: at('2026-01-01T09:00:00Z'), end: at('2026-01-01T11:00:00Z') };
    expect(chooseWindow(FIVE_MINUTES, window, NOW)).toEqual(window);
  });

  it('refuses an empty window, naming both ends', () => {
    const same = at('2026-01-01T10:00:00Z');
    expect(() => chooseWindow(FIVE_MINUTES, { start: same, end: same }, NOW)).toThrow('the window is empty: it ends (2026-01-01T10:00:00.000Z) before it starts (2026-01-01T10:00:00.000Z)');
    expect(() => chooseWindow(FIVE_MINUTES, { start: at('2026-01-01T11:00:00Z'), end: at('2026-01-01T10:00:00Z') }, NOW)).toThrow(/^the window is empty/);
  });

  it('refuses a window that has not closed, naming when it would', () => {
    expect(() => chooseWindow(FIVE_MINUTES, { end: at('2026-01-01T12:00:01Z') }, NOW)).toThrow(/^the window ends at 2026-01-01T12:00:01\.000Z, which has not come yet: .*the 300s just past$/);
    // A start less than the duration ago: its end is still to come.
    expect(() => chooseWindow(FIVE_MINUTES, { start: at('2026-01-01T11:58:00Z') }, NOW)).toThrow('the window ends at 2026-01-01T12:03:00.000Z, which has not come yet');
    expect(chooseWindow(FIVE_MINUTES, { end: NOW }, NOW).end).toEqual(NOW);
  });
});

const GROUP: GroupSelection = { podTemplateHash: 'new', selectBy: 'label', hashLabel: 'rollouts_pod_template_hash', instanceLabel: 'pod' };
const request = (name: string): SeriesRequest => ({ metric: { name, query: 'q' }, group: GROUP, start: at('2026-01-01T11:55:00Z'), end: at('2026-01-01T12:00:00Z') });
const answer = (value: number): FetchedSeries => ({ series: new Map([['pod-a', [[1, value]]]]), warnings: ['partial'] });

/** A source that answers after a few milliseconds, and fails for a metric named "broken". */
function slowSource(withGroups: boolean): HealthSource {
  const fetchSeries = async (r: SeriesRequest) => {
    await sleep(15);
    if (r.metric.name === 'broken') throw new CollectError('broken', 'fake source', 'connection refused');
    return answer(1);
  };
  return {
    description: 'fake source',
    fetchSeries,
    ...(withGroups && { fetchGroups: async ({ groups, ...rest }) => Promise.all(groups.map((group) => fetchSeries({ ...rest, group }))) }),
  };
}

describe('observedSource', () => {
  it('reports each read once, by its metric’s name, with how long it took, and passes its answer on', async () => {
    const reads: [string, number][] = [];
    const source = observedSource(slowSource(true), (name, ms) => reads.push([name, ms]));
    expect(source.description).toBe('fake source');
    await expect(source.fetchSeries(request('errors (numerator)'))).resolves.toEqual(answer(1));
    const { group, ...rest } = request('latency');
    await expect(source.fetchGroups!({ ...rest, groups: [group, { ...group, podTemplateHash: 'old' }] })).resolves.toEqual([answer(1), answer(1)]);
    expect(reads.map(([name]) => name)).toEqual(['errors (numerator)', 'latency']);
    for (const [, ms] of reads) expect(ms).toBeGreaterThanOrEqual(10);
  });

  it('offers reads of both groups at once only when the source does', () => {
    expect(observedSource(slowSource(false), () => {}).fetchGroups).toBeUndefined();
    expect(observedSource(slowSource(true), () => {}).fetchGroups).toBeTypeOf('function');
  });

  it('passes a failed read’s CollectError on, without reporting it as read', async () => {
    const reads: string[] = [];
    const error = await collectError(observedSource(slowSource(false), (name) => reads.push(name)).fetchSeries(request('broken')));
    expect(error.message).toBe('metric "broken": fake source: connection refused');
    expect(reads).toEqual([]);
  });
});
