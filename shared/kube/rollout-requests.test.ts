import { describe, expect, it } from 'vitest';
import { revisionsOf, selectorString, templateMatches } from './rollout-requests.js';
import type { Rollout, Workload } from './rollout-types.js';

const rollout = { metadata: { name: 'web', namespace: 'shop', uid: 'u1' }, spec: { strategy: { canary: {} } } } as Rollout;
const rs = (name: string, annotations: Record<string, string> | undefined, owner: { uid: string; controller?: boolean }, template: Workload['spec']['template'] = {}): Workload => ({
  metadata: { name, annotations, ownerReferences: [owner] },
  spec: { template },
});

describe('selectorString', () => {
  it('writes matchLabels and every matchExpressions operator in the API query syntax', () => {
    expect(
      selectorString({
        matchLabels: { app: 'web', tier: 'front' },
        matchExpressions: [
          { key: 'track', operator: 'In', values: ['a', 'b'] },
          { key: 'env', operator: 'NotIn', values: ['dev'] },
          { key: 'owner', operator: 'Exists' },
          { key: 'legacy', operator: 'DoesNotExist' },
        ],
      }),
    ).toBe('app=web,tier=front,track in (a,b),env notin (dev),owner,!legacy');
    expect(selectorString(undefined)).toBe('');
  });
});

describe('revisionsOf', () => {
  it('keeps the ReplicaSets the Rollout controls, newest revision first; no annotation is revision 0, an unreadable one is left out', () => {
    const list = [
      rs('a', { 'rollout.argoproj.io/revision': '1' }, { uid: 'u1', controller: true }),
      rs('b', { 'rollout.argoproj.io/revision': '3' }, { uid: 'u1', controller: true }),
      rs('c', undefined, { uid: 'u1', controller: true }),
      rs('d', { 'rollout.argoproj.io/revision': 'x' }, { uid: 'u1', controller: true }),
      rs('e', { 'rollout.argoproj.io/revision': '9' }, { uid: 'u1' }), // owner, not controller
      rs('f', { 'rollout.argoproj.io/revision': '8' }, { uid: 'u2', controller: true }),
    ];
    expect(revisionsOf(rollout, list).map((h) => [h.revision, h.replicaSet.metadata.name])).toEqual([
      [3, 'b'],
      [1, 'a'],
      [0, 'c'],
    ]);
  });

  it('reads the revision annotation as kubectl does (strconv.ParseInt): a sign and leading zeros are accepted', () => {
    const list = [
      rs('a', { 'rollout.argoproj.io/revision': '+2' }, { uid: 'u1', controller: true }),
      rs('b', { 'rollout.argoproj.io/revision': '004' }, { uid: 'u1', controller: true }),
      rs('c', { 'rollout.argoproj.io/revision': ' 5' }, { uid: 'u1', controller: true }),
    ];
    expect(revisionsOf(rollout, list).map((h) => [h.revision, h.replicaSet.metadata.name])).toEqual([
      [4, 'b'],
      [2, 'a'],
    ]);
  });
});

describe('templateMatches', () => {
  const stored = rs('a', undefined, { uid: 'u1', controller: true }, {
    metadata: { labels: { app: 'web', 'rollouts-pod-template-hash': 'abc' } },
    spec: { containers: [{ name: 'app', image: 'a:1', imagePullPolicy: 'IfNotPresent' }], dnsPolicy: 'ClusterFirst' },
  });

  it('ignores the hash label and what the Rollout leaves unset (the defaults the ReplicaSet got)', () => {
    expect(templateMatches({ metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'a:1' }] } }, stored)).toBe(true);
  });

  it('differs on a value, an extra container, or a missing template', () => {
    expect(templateMatches({ spec: { containers: [{ name: 'app', image: 'a:2' }] } }, stored)).toBe(false);
    expect(templateMatches({ spec: { containers: [{ name: 'app', image: 'a:1' }, { name: 'b', image: 'b:1' }] } }, stored)).toBe(false);
    expect(templateMatches(undefined, stored)).toBe(false);
  });
});
