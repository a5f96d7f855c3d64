import { describe, expect, it } from 'vitest';
import { formatChange, formatConfidence, formatMetricValue } from '../judge/explain.js';
import type { LogsJudgement } from '../judge/types.js';
import type { Report } from './model.js';
import { judgedReport } from './report.test-helpers.js';
import { formatReportText } from './text.js';

const logs: LogsJudgement = {
  kind: 'logs',
  name: 'logs',
  classification: 'pass',
  severity: 'none',
  critical: false,
  weight: 1,
  mustHaveData: false,
  reason: 'logs: no new or more frequent error templates',
  findings: [],
  more: 0,
  volumes: { canary: 1200, baseline: 5400 },
};

/** 3 canary pods with 5% errors against 5 baseline pods with 1%; the same latency; recorded as Healthy. */
const report = judgedReport({ logs, recorded: { summary: { verdict: 'Healthy', score: 100, reasons: [] } }, subject: 'AnalysisRun shop/web-7f5c9-2, metric verify' });
const text = formatReportText(report);
const lines = text.split('\n');

describe('formatReportText', () => {
  it('opens with what was verified, the verdict, score, phase and sensitivity', () => {
    expect(report.verdict).toBe('Unhealthy');
    expect(lines.slice(0, 2)).toEqual([
      'AnalysisRun shop/web-7f5c9-2, metric verify: canary 7f5c9 against stable 6d4b8, 5m from 2023-11-14T22:13:20Z',
      `  Unhealthy, score ${report.score}/100 (Failed); medium sensitivity`,
    ]);
  });

  it('has one row per metric, worst first, with its result and formatted values, in aligned columns', () => {
    const header = lines.findIndex((line) => line.startsWith('  metric'));
    expect(lines[header]).toMatch(/^ {2}metric +kind +result +canary +baseline +change +confidence +needed +pods c\/b$/);
    const rows = lines.slice(header + 1, header + 1 + report.metrics.length);
    expect(lines[header + 1 + report.metrics.length]).toBe('');
    report.metrics.forEach((metric, i) => {
      const j = metric.judgement;
      const cells = rows[i]!.trim().split(/ {2,}/);
      expect(cells).toEqual([
        j.name,
        j.kind,
        j.classification,
        formatMetricValue(j.canary!, j.kind),
        formatMetricValue(j.baseline!, j.kind),
        formatChange(j.change!),
        formatConfidence(j.confidence!),
        formatConfidence(j.threshold!.confidence),
        '3/5',
      ]);
    });
    expect(rows.map((row) => row.trim().split(/ {2,}/).slice(0, 3))).toEqual([
      ['errors', 'ratio', 'fail'],
      ['latency-p95', 'latency', 'pass'],
    ]);
    // Every column starts where its heading does.
    for (const heading of ['kind', 'result', 'canary', 'baseline', 'change', 'confidence', 'needed', 'pods c/b']) {
      const column = lines[header]!.indexOf(heading);
      for (const row of rows) expect(row[column - 1]).toBe(' ');
      for (const row of rows) expect(row[column]).not.toBe(' ');
    }
    expect(rows[0]).toMatch(/%/);
  });

  it('follows with the logs, the reasons and the notes', () => {
    const logsLine = lines.indexOf('  logs: pass, 1200 canary and 5400 baseline lines');
    const why = lines.indexOf('  why:');
    expect(logsLine).toBeGreaterThan(0);
    expect(why).toBeGreaterThan(logsLine);
    expect(lines.slice(why + 1, why + 4)).toEqual([...report.metrics.map((m) => `  - ${m.judgement.reason}`), `  - ${logs.reason}`]);
    expect(report.notes).toHaveLength(1);
    expect(lines.slice(why + 4)).toEqual(['', `  note: ${report.notes[0]}`, '']);
    expect(text.endsWith('\n')).toBe(true);
  });

  it('shows dashes for what was not measured, and no table without metrics', () => {
    const [first] = report.metrics;
    const empty: Report = {
      ...report,
      verdict: null,
      score: null,
      phase: 'Running',
      logs: undefined,
      notes: [],
      metrics: [{ ...first!, canary: { pods: [], aggregate: [] }, judgement: { ...first!.judgement, canary: null, baseline: null, change: null, confidence: null, threshold: null } }],
    };
    const row = formatReportText(empty).split('\n').find((line) => line.startsWith('  errors'))!;
    expect(row.trim().split(/ {2,}/).slice(3)).toEqual(['–', '–', '–', '–', '–', '0/5']);
    expect(formatReportText(empty)).toContain('  undecided (Running); medium sensitivity');
    expect(formatReportText({ ...empty, metrics: [] })).toBe(`${lines[0]}\n  undecided (Running); medium sensitivity\n`);
  });
});
