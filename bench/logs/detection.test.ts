import { describe, expect, it } from 'vitest';
import { isFlagged, runTrial, summarizeDetection, trialSpec, WINDOW, type TrialOutcome } from './detection.js';

describe('detection trials', () => {
  it('sizes a window as specified and puts the fault in the canary only', () => {
    const healthy = trialSpec(1, 'healthy', 0);
    expect(healthy.baselineLines).toBeGreaterThanOrEqual(WINDOW.baselineLines[0]);
    expect(healthy.baselineLines).toBeLessThanOrEqual(WINDOW.baselineLines[1]);
    expect(healthy.canaryLines / (healthy.canaryLines + healthy.baselineLines)).toBeGreaterThan(0.09);
    expect(healthy.canaryTemplates).toBe(healthy.service.templates);
    const novel = trialSpec(1, 'new-template', 0);
    expect(novel.faultId).toMatch(/^novel\//);
    expect(novel.service.templates.some((t) => t.id === novel.faultId)).toBe(false);
    const jump = trialSpec(1, 'frequency-jump', 0);
    const before = jump.service.templates.find((t) => t.id === jump.faultId)!;
    const after = jump.canaryTemplates.find((t) => t.id === jump.faultId)!;
    expect(before.message.level).not.toBe('info');
    expect(after.weight).toBeCloseTo(before.weight * WINDOW.jump, 12);
    expect(trialSpec(1, 'frequency-jump', 0)).toEqual(jump);
  });

  it('summarizes flagged rates per kind: fail and marginal are flagged', () => {
    const outcomes: TrialOutcome[] = [
      { kind: 'healthy', miner: 'pass', naive: 'fail' },
      { kind: 'healthy', miner: 'pass', naive: 'pass' },
      { kind: 'new-template', miner: 'fail', naive: 'pass' },
      { kind: 'frequency-jump', miner: 'marginal', naive: 'pass' },
    ];
    const { miner, naive } = summarizeDetection(outcomes);
    expect(miner.healthy).toMatchObject({ trials: 2, flagged: 0, rate: 0, fail_rate: 0, classifications: { pass: 2 } });
    expect(miner['frequency-jump']).toMatchObject({ rate: 1, fail_rate: 0 });
    expect(naive.healthy).toMatchObject({ flagged: 1, rate: 0.5, fail_rate: 0.5 });
    expect(isFlagged('inconclusive')).toBe(false);
  });

  it('judges a small window end to end: a new error fails, the same distribution passes', () => {
    const small = { baselineLines: 3000, canaryLines: 1500, historyLines: 3000 };
    expect(runTrial({ ...trialSpec(2, 'healthy', 0), ...small })).toEqual({ kind: 'healthy', miner: 'pass', naive: 'pass' });
    const novel = trialSpec(2, 'new-template', 0);
    const canaryTemplates = novel.canaryTemplates.map((t) => (t.id === novel.faultId ? { ...t, weight: 0.05 } : t));
    expect(runTrial({ ...novel, ...small, canaryTemplates })).toMatchObject({ kind: 'new-template', miner: 'fail' });
  });
});
