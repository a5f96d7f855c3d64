// A judged verification's report for tests: 3 canary pods against 5 baseline pods on an error ratio and a latency,
// over seeded synthetic data (judge/synthetic.test-helpers.ts), judged by the real judge and built as the engine
// builds it.
import { parseVerifyConfig } from '../config/schema.js';
import { judgeVerification } from '../judge/judge.js';
import { DURATION_MS, FINAL, T0, levelSeries, ratioGroup, seededRandom } from '../judge/synthetic.test-helpers.js';
import type { LogsJudgement, MetricInput } from '../judge/types.js';
import { judgeSettings } from '../verify/verification.js';
import { buildReport, type Report } from './model.js';

export const REPORT_CONFIG = parseVerifyConfig({
  duration: '5m',
  canary: { podTemplateHash: '7f5c9' },
  baseline: { podTemplateHash: '6d4b8' },
  source: { prometheus: { address: 'http://prometheus:9090' } },
  metrics: [
    { name: 'errors', kind: 'ratio', numerator: 'e_total{${selector}}', denominator: 'r_total{${selector}}' },
    { name: 'latency-p95', kind: 'latency', query: 'latency{${selector}}' },
  ],
});

export const REPORT_WINDOW = { start: new Date(T0 * 1000), end: new Date(T0 * 1000 + DURATION_MS) };

export interface JudgedReportOptions {
  /** The canary's error rate; the baseline's is 1%. */
  canaryErrorRate?: number;
  seed?: number;
  /** Without metrics: a report of nothing judged. */
  metrics?: boolean;
  logs?: LogsJudgement;
  recorded?: Report['recorded'];
  subject?: string;
}

export function judgedReport({ canaryErrorRate = 0.05, seed = 11, metrics = true, logs, recorded, subject = 'AnalysisRun shop/web-7f5c9-2-1, metric verify' }: JudgedReportOptions = {}): Report {
  const random = seededRandom(seed);
  const [errors, latency] = REPORT_CONFIG.metrics;
  const inputs: MetricInput[] = metrics
    ? [
        { metric: errors!, canary: ratioGroup(random, { pods: 3, requests: 1000, rate: canaryErrorRate }), baseline: ratioGroup(random, { pods: 5, requests: 1000, rate: 0.01 }) },
        { metric: latency!, canary: levelSeries(random, { pods: 3, level: 0.2 }), baseline: levelSeries(random, { pods: 5, level: 0.2 }) },
      ]
    : [];
  const judged = judgeVerification(judgeSettings(REPORT_CONFIG), inputs, FINAL);
  const result = logs ? { ...judged, logs } : judged;
  return buildReport({ subject, config: REPORT_CONFIG, window: REPORT_WINDOW, judged: REPORT_WINDOW, result, inputs, ...(recorded && { recorded }), now: REPORT_WINDOW.end });
}
