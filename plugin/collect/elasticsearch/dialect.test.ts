import { describe, expect, it } from 'vitest';
import { EXAMPLE, escapeWildcard, fieldProblem, groupFilter, queryProblems } from './dialect.js';

describe('queryProblems', () => {
  it('accepts query strings Elasticsearch parses', () => {
    for (const query of [
      EXAMPLE,
      'kubernetes.labels.app:web AND NOT debug',
      'message:"GET /api (v1)"',
      'url.path:\\/api\\/orders',
      'message:/time(out|d out)/ OR level:error',
      '(a OR b) AND c',
      'message:"a \\" quote"',
    ]) {
      expect(queryProblems(query), query).toEqual([]);
    }
  });

  it('names what would make every search fail', () => {
    expect(queryProblems('   ')).toEqual([`expected a Lucene query string selecting the service's lines, e.g. ${EXAMPLE}`]);
    expect(queryProblems('message:"unclosed')).toEqual(['is not a query string Elasticsearch can parse: the quote at character 9 is never closed']);
    expect(queryProblems('(a OR b')).toEqual(['is not a query string Elasticsearch can parse: 1 ( is never closed']);
    expect(queryProblems('a) OR (b')).toEqual(['is not a query string Elasticsearch can parse: the ) at character 2 closes no (']);
    expect(queryProblems('url.path:/api/orders/x')[0]).toContain('the regular expression at character 21 is never closed (write \\/ for a slash)');
    expect(queryProblems('x'.repeat(4001))).toEqual(['expected a query string of at most 4000 characters; got 4001']);
  });

  it('refuses a placeholder: the engine adds the group and the range itself', () => {
    expect(queryProblems('app:web AND ${selector}')[0]).toContain('placeholder');
  });
});

describe('fieldProblem', () => {
  it('accepts ECS and Kubernetes field names', () => {
    for (const name of ['@timestamp', 'message', 'kubernetes.pod.name', 'kubernetes.labels.rollouts-pod-template-hash', 'kubernetes.labels.app_kubernetes_io/name', 'pod.keyword']) {
      expect(fieldProblem(name), name).toBeNull();
    }
  });

  it('refuses wildcards, empty parts and spaces', () => {
    for (const name of ['kubernetes.*', 'a..b', '.a', 'a.', 'a b', '', 'a?']) expect(fieldProblem(name), name).toContain('expected a field name');
  });
});

describe('groupFilter', () => {
  const group = { podTemplateHash: '7d9f8c6b5', hashField: 'kubernetes.labels.rollouts-pod-template-hash', instanceField: 'kubernetes.pod.name' };

  it('selects by the hash field, or by the pod name <anything>-<hash>-<suffix>', () => {
    expect(groupFilter({ ...group, selectBy: 'label' })).toEqual({ term: { 'kubernetes.labels.rollouts-pod-template-hash': '7d9f8c6b5' } });
    expect(groupFilter({ ...group, selectBy: 'podName' })).toEqual({ wildcard: { 'kubernetes.pod.name': { value: '*-7d9f8c6b5-*' } } });
  });

  it('keeps a hostile hash literal: no wildcard or escape in it widens the pattern', () => {
    expect(escapeWildcard('a*b?c\\d')).toBe('a\\*b\\?c\\\\d');
    expect(groupFilter({ ...group, selectBy: 'podName', podTemplateHash: '*' })).toEqual({ wildcard: { 'kubernetes.pod.name': { value: '*-\\*-*' } } });
    // A term is a JSON value: quotes and query syntax in it are just characters.
    expect(groupFilter({ ...group, selectBy: 'label', podTemplateHash: '" OR *:*' })).toEqual({ term: { 'kubernetes.labels.rollouts-pod-template-hash': '" OR *:*' } });
  });
});
