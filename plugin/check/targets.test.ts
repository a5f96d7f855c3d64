import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findVerifications } from './targets.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const example = (file: string) => readFileSync(`${root}docs/examples/${file}`, 'utf8');

describe('findVerifications', () => {
  it('finds the metric of an AnalysisTemplate, its hash args left to the check', () => {
    const { verifications, problems } = findVerifications(example('analysistemplate.yaml'));
    expect(problems).toEqual([]);
    expect(verifications.map((v) => v.name)).toEqual(['AnalysisTemplate rollouts-cv-http, metric verify']);
    expect(verifications[0]!.settings.metrics.map((m) => m.name)).toEqual(['error-rate', 'latency-p95', 'throughput']);
    expect(verifications[0]!.settings.canary).toBeUndefined();
  });

  it("finds a Rollout's verify gate steps", () => {
    const { verifications, problems } = findVerifications(example('rollout.yaml'));
    expect(problems).toEqual([]);
    expect(verifications.map((v) => v.name)).toEqual(['Rollout checkout, step 7 (verify gate)']);
  });

  it('fills template args from --arg and the template defaults, and names those without a value', () => {
    const template = `
kind: ClusterAnalysisTemplate
metadata: {name: t}
spec:
  args: [{name: canary-hash}, {name: stable-hash}, {name: service, value: checkout}, {name: prometheus}]
  metrics:
    - name: verify
      provider:
        plugin:
          acme/verify:
            duration: 5m
            canary: {podTemplateHash: "{{args.canary-hash}}"}
            baseline: {podTemplateHash: "{{args.stable-hash}}"}
            source: {prometheus: {address: "{{ args.prometheus }}"}}
            metrics:
              - name: errors
                kind: ratio
                numerator: 'sum by (pod) (errors_total{service="{{args.service}}",\${selector}})'
                denominator: 'sum by (pod) (requests_total{service="{{args.service}}",\${selector}})'
    - name: other
      provider: {prometheus: {query: up}}
`;
    expect(findVerifications(template).problems).toEqual([
      { name: 'ClusterAnalysisTemplate t, metric verify', error: 'needs template arg prometheus: give --arg prometheus=<value>' },
    ]);
    const { verifications } = findVerifications(template, { prometheus: 'http://prom:9090' });
    expect(verifications).toHaveLength(1);
    expect(verifications[0]!.settings.source).toMatchObject({ settings: { address: 'http://prom:9090' } });
    expect(verifications[0]!.settings.metrics[0]).toMatchObject({ numerator: 'sum by (pod) (errors_total{service="checkout",${selector}})' });
  });

  it('reads a bare gate or verify config, in JSON too', () => {
    const verify = { duration: '5m', source: { prometheus: { address: 'http://p' } }, metrics: [{ name: 'a', query: 'x{${selector}}' }] };
    expect(findVerifications(JSON.stringify({ verify: { ...verify, onUnhealthy: 'ask' } })).verifications.map((v) => v.name)).toEqual(['document 1 (verify gate config)']);
    expect(findVerifications(JSON.stringify(verify)).verifications.map((v) => v.name)).toEqual(['document 1 (verify config)']);
  });

  it('reports an invalid config naming the field, and a file without any verification', () => {
    const bad = findVerifications(JSON.stringify({ duration: '5m', source: { prometheus: { address: 'http://p' } }, metrics: [{ name: 'a', kind: 'ratio', numerator: 'increase(e{${selector}}[1m])', denominator: 'r{${selector}}' }] }));
    expect(bad.problems[0]!.error).toMatch(/^invalid config: config\.metrics\[0\]\.numerator: expected the cumulative counter/);
    expect(findVerifications('kind: ConfigMap\n').problems).toEqual([
      { name: 'the file', error: 'holds no rollouts-cv verification (an AnalysisTemplate metric, a verify gate step or config)' },
    ]);
    expect(findVerifications('a: [').problems[0]!.error).toMatch(/^not YAML or JSON: /);
  });
});
