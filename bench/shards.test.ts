import { describe, expect, it } from 'vitest';
import { rolloutsCvJudge } from './judges/rollouts-cv.js';
import { thresholdJudge } from './judges/threshold.js';
import { runJudges } from './run-judge.js';
import { generateScenarios } from './scenarios/generator.js';
import { mergeShards, rolloutsCvRuns } from './shards.js';
import { SENSITIVITIES } from '../plugin/config/schema.js';

describe('shards', () => {
  it('merge back into one run per judge in scenario order', () => {
    const scenarios = generateScenarios({ seed: 4, count: 23, history: false });
    const judges = [thresholdJudge(), thresholdJudge(0.5)];
    const whole = runJudges(judges, scenarios);
    const shards = [0, 1, 2].map((shard) => runJudges(judges, scenarios.filter((s) => s.id % 3 === shard)));
    const merged = mergeShards(shards, scenarios.length);
    expect(merged.map((run) => run.outcomes)).toEqual(whole.map((run) => run.outcomes));
    expect(merged[0]!.cpuMs).toBeCloseTo(shards.reduce((sum, runs) => sum + runs[0]!.cpuMs, 0), 9);
  });

  it('run rollouts-cv in child processes exactly as in this one', async () => {
    const scenarios = generateScenarios({ seed: 4, count: 12 });
    const here = runJudges(SENSITIVITIES.map(rolloutsCvJudge), scenarios);
    const there = await rolloutsCvRuns(4, 12, 2);
    expect(there.map((run) => run.outcomes)).toEqual(here.map((run) => run.outcomes));
  }, 60_000);
});
