// Reports of a chosen size for the report benchmark: the engine's two kinds of metric (an error ratio and a
// latency) over `pods` canary and `pods` baseline pods of `points` steps each, from the seeded synthetic series
// the judge's and the report's unit tests use. The canary regresses on both metrics, as in the reports that are
// read (and imaged into chat) most: a failed verification, both charts decisive.
import { judgeVerification } from '../../plugin/judge/judge.js';
import { lookAt, levelSeries, ratioGroup, seededRandom, STEP_S, T0 } from '../../plugin/judge/synthetic.test-helpers.js';
import type { MetricInput } from '../../plugin/judge/types.js';
import { buildReport, type Report } from '../../plugin/report/model.js';
import { REPORT_CONFIG } from '../../plugin/report/report.test-helpers.js';
import { judgeSettings } from '../../plugin/verify/verification.js';

export interface ReportSize {
  /** Pods in each group. */
  pods: number;
  /** Samples per pod and metric, one per 30 s step. */
  points: number;
}

const CANARY = REPORT_CONFIG.canary.podTemplateHash;
const BASELINE = REPORT_CONFIG.baseline.podTemplateHash;

/** The judge's inputs of a report of `size`, the same for the same seed. */
export function sizedInputs({ pods, points }: ReportSize, seed: number): MetricInput[] {
  const random = seededRandom(seed);
  const steps = points;
  return REPORT_CONFIG.metrics.map((metric) =>
    metric.kind === 'ratio'
      ? {
          metric,
          canary: ratioGroup(random, { pods, steps, requests: 1000, rate: 0.05, prefix: `web-${CANARY}` }),
          baseline: ratioGroup(random, { pods, steps, requests: 1000, rate: 0.01, prefix: `web-${BASELINE}` }),
        }
      : {
          metric,
          canary: levelSeries(random, { pods, steps, level: 0.3, prefix: `web-${CANARY}` }),
          baseline: levelSeries(random, { pods, steps, level: 0.2, prefix: `web-${BASELINE}` }),
        },
  );
}

/** `inputs` judged at the end of their window (`points` steps of 30 s) and built into a report, as the engine does. */
export function judgeAndBuild(inputs: MetricInput[], { points }: ReportSize): Report {
  const durationMs = points * STEP_S * 1000;
  const config = { ...REPORT_CONFIG, durationMs };
  const window = { start: new Date(T0 * 1000), end: new Date(T0 * 1000 + durationMs) };
  const result = judgeVerification(judgeSettings(config), inputs, lookAt(durationMs / 1000, durationMs));
  return buildReport({ subject: `AnalysisRun shop/web-${CANARY}-2-1, metric verify`, config, window, judged: window, result, inputs, now: window.end });
}
