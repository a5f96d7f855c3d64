// The engine's judge through the offline judge's code path (plugin/offline: the `rollouts-cv judge` command):
// each scenario is read once, then judged at every poll on the data so far, deciding early only on a
// conclusive regression.
import { evaluateRequest, parseJudgeRequest, type JudgeRequest } from '../../plugin/offline/index.js';
import type { Scenario, Sensitivity } from '../scenarios/types.js';
import { UNDECIDED, type BenchJudge } from './bench-judge.js';

export function rolloutsCvJudge(sensitivity: Sensitivity): BenchJudge {
  const requests = new WeakMap<Scenario, JudgeRequest>();
  const requestOf = (scenario: Scenario): JudgeRequest => {
    let request = requests.get(scenario);
    if (!request) {
      const parsed = parseJudgeRequest(scenario.input);
      request = { ...parsed, settings: { ...parsed.settings, sensitivity } };
      requests.set(scenario, request);
    }
    return request;
  };
  return {
    name: 'rollouts-cv',
    sensitivity,
    settings: { unhealthyPhase: 'Failed' },
    evaluate(scenario: Scenario, nowS: number) {
      const output = evaluateRequest(requestOf(scenario), nowS);
      if (!output.final) return UNDECIDED;
      const noAnalysis = output.verdict === 'NoData';
      return { final: true, flagged: !noAnalysis && output.phase !== 'Successful', noAnalysis };
    },
  };
}
