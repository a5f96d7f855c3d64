import { describe, expect, it } from 'vitest';
import { clusterReason, otherReason, readPage, textOf, valueAt } from './response.js';

const fields = { timeField: '@timestamp', messageField: 'message', levelField: 'log.level', instanceField: 'kubernetes.pod.name' };
const fail = (cause: string) => new Error(cause);
const noSecrets = (text: string) => text.split('s3cret').join('***');

function answer(hits: unknown[], extra: Record<string, unknown> = {}) {
  return { took: 1, timed_out: false, _shards: { total: 1, successful: 1, skipped: 0, failed: 0 }, hits: { total: { value: hits.length, relation: 'eq' }, max_score: null, hits }, ...extra };
}

describe('valueAt', () => {
  it('finds a dotted path written nested, dotted or mixed, and in arrays of objects', () => {
    expect(valueAt({ kubernetes: { pod: { name: 'a' } } }, 'kubernetes.pod.name')).toBe('a');
    expect(valueAt({ 'kubernetes.pod.name': 'b' }, 'kubernetes.pod.name')).toBe('b');
    expect(valueAt({ kubernetes: { 'pod.name': 'c' } }, 'kubernetes.pod.name')).toBe('c');
    expect(valueAt({ 'kubernetes.pod': { name: 'd' } }, 'kubernetes.pod.name')).toBe('d');
    expect(valueAt({ log: [{ level: 'warn' }] }, 'log.level')).toBe('warn');
    expect(valueAt({ kubernetes: { pod: 'x' } }, 'kubernetes.pod.name')).toBeUndefined();
    expect(valueAt(undefined, 'a')).toBeUndefined();
  });

  it('ends its descent in a hostile _source nested deeper than any path', () => {
    let deep: unknown = 'found';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(valueAt({ message: deep }, 'message')).toEqual(expect.any(Array));
    expect(valueAt(deep, 'message')).toBeUndefined();
    expect(textOf(deep)).toBeUndefined();
  });

  it('reads nothing off the prototype', () => {
    expect(valueAt({}, 'constructor')).toBeUndefined();
    expect(valueAt({ a: {} }, 'a.__proto__')).toBeUndefined();
  });

  it('gives text for strings, numbers and arrays, and nothing for objects', () => {
    expect(textOf('x')).toBe('x');
    expect(textOf(42)).toBe('42');
    expect(textOf(['a', 1, { b: 2 }, ['c']])).toBe('a\n1');
    expect(textOf({ a: 1 })).toBeUndefined();
    expect(textOf(null)).toBeUndefined();
  });
});

describe('readPage', () => {
  it('reads a hit as a line: time from the sort value, message, pod and level from _source', () => {
    const page = readPage(
      answer([{ _index: 'logs-1', _id: 'a', _score: null, _source: { message: 'boom', kubernetes: { pod: { name: 'web-abc-1' } }, 'log.level': 'error' }, sort: [1767225600123] }]),
      'application/json',
      fields,
      fail,
    );
    expect(page).toEqual({ entries: [{ ns: 1767225600123000000n, line: { time: 1767225600123, instance: 'web-abc-1', message: 'boom', level: 'error' } }], total: 1, warnings: [] });
  });

  it('says when the search timed out or lost shards', () => {
    const page = readPage(
      answer([], { timed_out: true, _shards: { total: 3, successful: 1, failed: 2, failures: [{ shard: 0, index: 'logs-1', reason: { type: 'node_not_connected_exception', reason: 'Node\nnot connected' } }] } }),
      undefined,
      fields,
      fail,
    );
    expect(page.warnings).toEqual(['the search timed out on some shards: lines may be missing', '2 of 3 shards failed, lines may be missing: node_not_connected_exception: Node not connected']);
  });

  it('gives no total when the count was not exact', () => {
    expect(readPage({ ...answer([]), hits: { total: { value: 10_000, relation: 'gte' }, hits: [] } }, undefined, fields, fail).total).toBeUndefined();
  });

  it('names a hit it cannot read, and the setting to fix, without its content', () => {
    const hit = { _index: 'logs-1', _id: 'x1', _source: { message: 'secret payload', kubernetes: { pod: { name: 'p' } } } };
    expect(() => readPage(answer([{ ...hit, sort: ['2026-01-01'] }]), undefined, fields, fail)).toThrow('the line "x1" of index "logs-1" has no time in milliseconds to sort by: is @timestamp a date field?');
    expect(() => readPage(answer([{ ...hit, _source: { kubernetes: hit._source.kubernetes }, sort: [1] }]), undefined, fields, fail)).toThrow('has no text in message: set messageField');
    expect(() => readPage(answer([{ ...hit, _source: { message: 'm' }, sort: [1] }]), undefined, fields, fail)).toThrow('has no kubernetes.pod.name: set logs.instanceField');
  });

  it('tells another body by its shape only', () => {
    expect(() => readPage('<html>login</html>', 'text/html; charset=utf-8', fields, fail)).toThrow('HTTP 200, not a search response (text/html, 18 bytes)');
    expect(() => readPage({ data: 'secret' }, 'application/json', fields, fail)).toThrow('HTTP 200, not a search response (JSON of another shape, 17 bytes)');
  });
});

describe('clusterReason', () => {
  it('quotes the first root cause, on one line, clipped and without secrets', () => {
    const body = {
      error: { root_cause: [{ type: 'query_shard_exception', reason: 'Failed to parse query [a AND (]\nsecond line s3cret' }], type: 'search_phase_execution_exception', reason: 'all shards failed' },
      status: 400,
    };
    expect(clusterReason(body, noSecrets)).toBe('query_shard_exception: Failed to parse query [a AND (] second line ***');
    expect(clusterReason({ error: { type: 'x', reason: 'y'.repeat(1000) } }, noSecrets)).toHaveLength(300);
    expect(clusterReason({ error: 'Content-Type header [text/plain] is not supported', status: 406 }, noSecrets)).toBe('Content-Type header [text/plain] is not supported');
    expect(clusterReason({ message: 'other' }, noSecrets)).toBeNull();
  });

  it('quotes plain text, and tells any other body by its shape', () => {
    expect(otherReason('Unauthorized', 'text/plain; charset=UTF-8', noSecrets)).toBe('Unauthorized');
    expect(otherReason('<html>s3cret</html>', 'text/html', noSecrets)).toBe('not an Elasticsearch or OpenSearch answer (text/html, 19 bytes)');
  });
});
