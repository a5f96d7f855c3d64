import { describe, expect, it } from 'vitest';
import { judgeAndBuild, sizedInputs } from './sized.js';

describe('sized reports', () => {
  const size = { pods: 4, points: 40 };
  const report = judgeAndBuild(sizedInputs(size, 7), size);

  it('draws every pod of both groups at every step, over a window of that many 30 s steps', () => {
    expect(report.metrics.map((m) => m.judgement.name)).toEqual(['errors', 'latency-p95']);
    for (const metric of report.metrics) {
      for (const group of [metric.canary, metric.baseline]) {
        expect(group.pods).toHaveLength(4);
        expect(group.pods.every((pod) => pod.points.length === 40)).toBe(true);
        expect(group.aggregate).toHaveLength(40);
      }
    }
    expect(Date.parse(report.window.end) - Date.parse(report.window.start)).toBe(40 * 30_000);
    expect(report.final).toBe(true);
  });

  it('names the groups apart and fails the regressed canary on both metrics, so both charts are imaged', () => {
    expect(report.metrics[0]!.canary.pods[0]!.pod).toBe('web-7f5c9-0');
    expect(report.metrics[0]!.baseline.pods[0]!.pod).toBe('web-6d4b8-0');
    expect(report.verdict).toBe('Unhealthy');
    expect(report.metrics.map((m) => m.judgement.classification)).toEqual(['fail', 'fail']);
  });

  it('is the same for the same seed, and differs for another', () => {
    expect(judgeAndBuild(sizedInputs(size, 7), size)).toEqual(report);
    expect(judgeAndBuild(sizedInputs(size, 8), size).metrics[0]!.canary).not.toEqual(report.metrics[0]!.canary);
  });
});
