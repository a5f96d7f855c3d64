// The evidence of a verification, read from whatever a metric provider left in the AnalysisRun and cut to what the
// ApprovalRequest CRD accepts (its schema is read from the chart, so the two cannot drift apart).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { evidenceOf, verdictOf } from './evidence.js';

interface Schema {
  type?: string;
  nullable?: boolean;
  maxItems?: number;
  maxLength?: number;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  items?: Schema;
  properties?: Record<string, Schema>;
}
const crd = parse(readFileSync(new URL('../../charts/rollouts-cv/crds/approvalrequests.rollouts-cv.io.yaml', import.meta.url), 'utf8')) as {
  spec: { versions: { schema: { openAPIV3Schema: Schema } }[] };
};
const EVIDENCE = crd.spec.versions[0]!.schema.openAPIV3Schema.properties!.spec!.properties!.evidence!;

/** What the API server would say about the evidence, checked against the CRD's own schema for it. */
function schemaProblems(evidence: unknown, schema: Schema = EVIDENCE, path = 'evidence'): string[] {
  if (evidence === null) return schema.nullable ? [] : [`${path}: null`];
  switch (schema.type) {
    case 'object':
      return Object.entries(evidence as Record<string, unknown>).flatMap(([key, value]) =>
        schema.properties?.[key] ? schemaProblems(value, schema.properties[key], `${path}.${key}`) : [`${path}.${key}: unknown field`],
      );
    case 'array': {
      const items = evidence as unknown[];
      const tooMany = schema.maxItems !== undefined && items.length > schema.maxItems ? [`${path}: ${items.length} items`] : [];
      return [...tooMany, ...items.flatMap((item, i) => schemaProblems(item, schema.items!, `${path}[${i}]`))];
    }
    case 'string':
      if (typeof evidence !== 'string') return [`${path}: not a string`];
      if (schema.maxLength !== undefined && evidence.length > schema.maxLength) return [`${path}: ${evidence.length} characters`];
      return schema.pattern !== undefined && !new RegExp(schema.pattern).test(evidence) ? [`${path}: does not match ${schema.pattern}`] : [];
    case 'integer':
      return Number.isInteger(evidence) ? [] : [`${path}: ${String(evidence)} is not an integer`];
    case 'boolean':
      return typeof evidence === 'boolean' ? [] : [`${path}: not a boolean`];
    default:
      return [`${path}: no type in the schema`];
  }
}

const run = (value: unknown, extra: object = {}) => ({
  metadata: { name: 'web-6bb8c57c5d-2' },
  status: { phase: 'Inconclusive', metricResults: [{ name: 'cv', measurements: [{ value: typeof value === 'string' ? value : JSON.stringify(value) }] }] },
  ...extra,
});

describe('evidenceOf', () => {
  it('keeps a well-formed rollouts-cv verdict as it is', () => {
    expect(evidenceOf(run({ verdict: 'Inconclusive', score: 40, reasons: ['p99 latency +12%', 'error ratio +0.2 pp'] }))).toEqual({
      verdict: 'Inconclusive',
      score: 40,
      reasons: ['p99 latency +12%', 'error ratio +0.2 pp'],
      analysisRun: 'web-6bb8c57c5d-2',
    });
  });

  it.each([
    ['a fractional score', { verdict: 'Healthy', score: 72.5 }, { verdict: 'Healthy', score: 73, reasons: [] }],
    ['a score above 100', { verdict: 'Healthy', score: 150 }, { verdict: 'Healthy', score: null, reasons: [] }],
    ['a negative score', { verdict: 'Healthy', score: -1 }, { verdict: 'Healthy', score: null, reasons: [] }],
    ['a score that is a string', { verdict: 'Healthy', score: '90' }, { verdict: 'Healthy', score: null, reasons: [] }],
    ['reasons that are not strings', { verdict: 'Unhealthy', reasons: [1, { a: 1 }, null, 'ok'] }, { verdict: 'Unhealthy', score: null, reasons: ['1', '{"a":1}', 'null', 'ok'] }],
    ['reasons that are not a list', { verdict: 'Unhealthy', reasons: 'one' }, { verdict: 'Unhealthy', score: null, reasons: [] }],
  ])('sanitises %s', (_what, value, expected) => {
    expect(evidenceOf(run(value))).toEqual({ ...expected, analysisRun: 'web-6bb8c57c5d-2' });
  });

  it('cuts reasons and names to what the CRD accepts', () => {
    const evidence = evidenceOf(run({ verdict: 'Unhealthy', score: 99.6, reasons: Array.from({ length: 25 }, (_, i) => `${i}`.repeat(3000)) }, { metadata: { name: 'n'.repeat(400) } }))!;
    expect(schemaProblems(evidence)).toEqual([]);
    expect(evidence.reasons).toHaveLength(10);
    expect(evidence.reasons![0]).toMatch(/^0{999}…$/);
    expect(evidence.verdict).toBe('Unhealthy');
    expect(evidence.score).toBe(100);
    expect(evidence.analysisRun).toHaveLength(253);
  });

  it('falls back to the run and metric messages when no measurement is a rollouts-cv verdict, within the same bounds', () => {
    const evidence = evidenceOf({
      metadata: { name: 'web-run' },
      status: { phase: 'Inconclusive', message: 'm'.repeat(5000), metricResults: Array.from({ length: 20 }, (_, i) => ({ name: `m${i}`, message: `metric ${i}`, measurements: [{ value: 'not json' }] })) },
    })!;
    expect(schemaProblems(evidence)).toEqual([]);
    expect(evidence.verdict).toBe('Inconclusive');
    expect(evidence.reasons).toHaveLength(10);
    expect(evidence.reasons![0]).toMatch(/^m{999}…$/);
    expect(evidence.reasons![1]).toBe('metric 0');
  });

  it("carries the logs' templates within the CRD's bounds", () => {
    const templates = [{ template: 'ERROR payment <NUM> failed', risk: true }];
    const evidence = evidenceOf(run({ verdict: 'Unhealthy', score: 0, reasons: ['logs: new error template'], templates }))!;
    expect(evidence.templates).toEqual(templates);
    expect(schemaProblems(evidence)).toEqual([]);
  });

  it('finds the schema problems it guards against (the check above is not vacuous)', () => {
    expect(schemaProblems({ verdict: 'x', score: 72.5, reasons: ['r'.repeat(1001)], report: 'ftp://x/' })).toEqual([
      'evidence.score: 72.5 is not an integer',
      'evidence.reasons[0]: 1001 characters',
      'evidence.report: does not match ^https?://',
    ]);
  });
});

describe("evidenceOf: the report page's link", () => {
  const VERDICT = { verdict: 'Inconclusive', score: 55, reasons: ['latency: not conclusively higher'] };
  const withReport = (report: unknown, metric: object = {}) => ({
    metadata: { name: 'web-7f5c9-2-1' },
    status: { phase: 'Inconclusive', metricResults: [{ name: 'verify', measurements: [{ value: JSON.stringify(VERDICT), metadata: { verificationId: 'v-1', report } }], ...metric }] },
  }) as unknown as Parameters<typeof evidenceOf>[0];

  it.each([
    ['a port-forward address', 'http://localhost:8082/reports/shop/web-7f5c9-2-1/verify'],
    ['an Ingress address under a path prefix', 'https://rollouts-cv.example.com/rollouts-cv/reports/shop/web-7f5c9-2-1/verify'],
  ])("keeps %s, within the CRD's schema", (_what, link) => {
    const evidence = evidenceOf(withReport(link))!;
    expect(evidence).toEqual({ ...VERDICT, report: link, analysisRun: 'web-7f5c9-2-1' });
    expect(schemaProblems(evidence)).toEqual([]);
  });

  it.each([
    ['a javascript: link', 'javascript:alert(1)//http://x'],
    ['an ftp: link', 'ftp://files.example/reports/shop/web/verify'],
    ['a link with credentials', 'https://user:secret@rollouts-cv.example.com/reports/shop/web/verify'],
    ['a link with a user name only', 'https://user@rollouts-cv.example.com/reports/shop/web/verify'],
    ['a link over 2048 characters', `https://rollouts-cv.example.com/reports/shop/web/${'m'.repeat(2048)}`],
    ['a link that grows over 2048 characters once encoded', `https://rollouts-cv.example.com/reports/shop/web/${' '.repeat(700)}x`],
    ['a relative link', '/reports/shop/web/verify'],
    ['a number', 8082],
    ['an object', { href: 'https://rollouts-cv.example.com/' }],
  ])('leaves out %s, keeping the rest', (_what, link) => {
    const evidence = evidenceOf(withReport(link))!;
    expect(evidence).toEqual({ ...VERDICT, analysisRun: 'web-7f5c9-2-1' });
    expect(schemaProblems(evidence)).toEqual([]);
  });

  it("takes the link of the measurement the verdict comes from, never another provider's", () => {
    const other = { name: 'prometheus', measurements: [{ value: '0.97', metadata: { report: 'https://elsewhere.example/reports/a/b/c' } }] };
    const run = withReport('http://localhost:8082/reports/shop/web-7f5c9-2-1/verify');
    run!.status!.metricResults!.unshift(other);
    expect(evidenceOf(run)!.report).toBe('http://localhost:8082/reports/shop/web-7f5c9-2-1/verify');
    expect(evidenceOf({ ...run!, status: { metricResults: [other] } })!.report).toBeUndefined();
  });
});

describe('verdictOf', () => {
  it.each([
    ['not JSON', 'p99 120ms'],
    ['JSON null', 'null'],
    ['a number', '0.97'],
    ['a verdict that is not text', JSON.stringify({ verdict: 42 })],
    ['a verdict rollouts-cv never gives', JSON.stringify({ verdict: 'v'.repeat(500), score: 90 })],
    ['an undecided verification', JSON.stringify({ verdict: null, score: null, reasons: ['a: not conclusively higher'] })],
    ['no value at all', undefined],
  ])("is undefined for %s: not a rollouts-cv measurement", (_what, value) => {
    expect(verdictOf({ name: 'm', measurements: [{ value }] })).toBeUndefined();
  });

  it('reads the last measurement only', () => {
    const measurements = [{ value: JSON.stringify({ verdict: 'Unhealthy' }) }, { value: JSON.stringify({ verdict: 'Healthy', score: 91 }) }];
    expect(verdictOf({ name: 'm', measurements })).toEqual({ verdict: 'Healthy', score: 91, reasons: [] });
  });
});
