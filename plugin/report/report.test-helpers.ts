// A judged verification's report for tests: 3 canary pods against 5 baseline pods on an error ratio and a latency
// (or the metrics of the config given), over seeded synthetic data (judge/synthetic.test-helpers.ts), judged by
// the real judge and built as the engine builds it.
import { parseVerifyConfig, type VerifyConfig } from '../config/schema.js';
import { judgeVerification } from '../judge/judge.js';
import { DURATION_MS, FINAL, T0, levelSeries, ratioGroup, seededRandom } from '../judge/synthetic.test-helpers.js';
import type { LogsJudgement, MetricInput } from '../judge/types.js';
import { judgeSettings } from '../verify/verification.js';
import { buildReport, type Report, type ReportInput } from './model.js';

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

/** The report's own facts beyond the judged data: the config as written, what was recorded, links and commands. */
type Described = Pick<ReportInput, 'rawConfig' | 'recorded' | 'links' | 'commands'>;

export interface JudgedReportOptions extends Described {
  /** The canary's error rate; the baseline's is 1%. */
  canaryErrorRate?: number;
  seed?: number;
  /** Without metrics: a report of nothing judged. */
  metrics?: boolean;
  logs?: LogsJudgement;
  subject?: string;
  /** The config judged, each metric a ratio or a level: REPORT_CONFIG by default. */
  config?: VerifyConfig;
  /** What the canary pods' names start with ("pod" by default). */
  canaryPods?: string;
}

export function judgedReport({ canaryErrorRate = 0.05, seed = 11, metrics = true, logs, subject = 'AnalysisRun shop/web-7f5c9-2-1, metric verify', config = REPORT_CONFIG, canaryPods, ...described }: JudgedReportOptions = {}): Report {
  const random = seededRandom(seed);
  const inputs: MetricInput[] = metrics
    ? config.metrics.map((metric) =>
        metric.kind === 'ratio'
          ? { metric, canary: ratioGroup(random, { pods: 3, requests: 1000, rate: canaryErrorRate, prefix: canaryPods }), baseline: ratioGroup(random, { pods: 5, requests: 1000, rate: 0.01 }) }
          : { metric, canary: levelSeries(random, { pods: 3, level: 0.2, prefix: canaryPods }), baseline: levelSeries(random, { pods: 5, level: 0.2 }) },
      )
    : [];
  const judged = judgeVerification(judgeSettings(config), inputs, FINAL);
  const result = logs ? { ...judged, logs } : judged;
  return buildReport({ subject, config, window: REPORT_WINDOW, judged: REPORT_WINDOW, result, inputs, ...described, now: REPORT_WINDOW.end });
}
