// The engine's current judge (relative change per metric, combined into a verdict and an Argo phase), driven
// as the engine drives it: re-evaluated at every poll, final only once the window has closed.
import type { InstanceSeries } from '../../plugin/collect/source.js';
import { judgeRelativeChange } from '../../plugin/judge/relative-change.js';
import { combineJudgements, verdictPhase } from '../../plugin/judge/verdict.js';
import type { GroupSeries, Scenario, Sensitivity } from '../scenarios/types.js';
import { UNDECIDED, type BenchJudge } from './bench-judge.js';
import { isRatio, pointsUntil, ratioPoints, windowSeconds, type WindowSeconds } from './series.js';

/** The engine's view of a group: one series per pod; a ratio becomes numerator / denominator per step. */
function instanceSeries(group: GroupSeries, window: WindowSeconds, nowS: number): InstanceSeries {
  return new Map(Object.entries(group).map(([pod, series]) => [pod, pointsUntil(isRatio(series) ? ratioPoints(series) : series, window, nowS)]));
}

export function rolloutsCvJudge(sensitivity: Sensitivity): BenchJudge {
  return {
    name: 'rollouts-cv',
    sensitivity,
    settings: { unhealthyPhase: 'Failed' },
    evaluate({ input }: Scenario, nowS: number) {
      const window = windowSeconds(input);
      const judgements = input.config.metrics.map((metric) => {
        const data = input.data[metric.name] ?? { canary: {}, baseline: {} };
        return judgeRelativeChange({
          metric: { name: metric.name, direction: metric.direction },
          canary: instanceSeries(data.canary, window, nowS),
          baseline: instanceSeries(data.baseline, window, nowS),
          sensitivity,
        });
      });
      const result = combineJudgements(judgements, { failOnNoData: input.config.failOnNoData });
      // The engine judges the data so far at every poll but acts on the verdict only once the window has closed.
      if (nowS < window.endS) return UNDECIDED;
      const phase = verdictPhase(result.verdict, { sensitivity, unhealthyPhase: 'Failed', failOnNoData: input.config.failOnNoData });
      const noAnalysis = result.verdict === 'NoData';
      return { final: true, flagged: !noAnalysis && phase !== 'Successful', noAnalysis };
    },
  };
}
