import { describe, expect, it } from 'vitest';
import { storedGateVerification, type GateStepRef } from './gate-step.js';
import { ReportError } from './stored.js';
import { reportError } from './stored.test-helpers.js';

const REF: GateStepRef = { kind: 'gate-step', namespace: 'shop', rollout: 'web', step: 1 };
const NOW = new Date('2026-01-01T01:00:00Z');
const VERIFY = {
  duration: '5m',
  interval: '1m',
  source: { prometheus: { address: 'http://prometheus:9090' } },
  metrics: [{ name: 'errors', kind: 'ratio', numerator: 'errors{${selector}}', denominator: 'total{${selector}}' }],
  onUnhealthy: 'ask',
};
const STATUS = {
  kind: 'verify',
  verificationId: 'v-0123456789abcdef',
  windowStart: '2026-01-01T00:00:00Z',
  windowEnd: '2026-01-01T00:05:00Z',
  canary: 'canary1',
  baseline: 'stable1',
  verdict: 'Unhealthy',
  score: 0,
  reasons: ['errors: canary 5% vs baseline 1%'],
  judgedUntil: '2026-01-01T00:02:00Z',
  report: 'http://localhost:8082/reports/shop/rollouts/web/steps/1?verification=v-0123456789abcdef',
};

function rollout({ status = STATUS as unknown, config = { verify: VERIFY } as unknown, entry = {} as Record<string, unknown> } = {}) {
  return {
    metadata: { namespace: 'shop', name: 'web' },
    spec: { strategy: { canary: { steps: [{ setWeight: 20 }, { plugin: { name: 'rollouts-cv/gate', config } }] } } },
    status: {
      canary: {
        stepPluginStatuses: [
          { index: 1, name: 'rollouts-cv/gate', operation: 'Abort', phase: 'Successful', status: { kind: 'verify' } },
          { index: 1, name: 'rollouts-cv/gate', operation: 'Run', phase: 'Failed', message: 'decided early: Unhealthy', status, ...entry },
        ],
      },
    },
  };
}

describe('storedGateVerification', () => {
  it("reads the config from the step, and the window, groups, judged range and verdict from the step's Run status", () => {
    const stored = storedGateVerification(rollout(), REF, NOW);
    expect(stored).toMatchObject({
      subject: 'Rollout shop/web, step 1 (verify gate)',
      id: 'v-0123456789abcdef',
      written: VERIFY,
      window: { start: new Date('2026-01-01T00:00:00Z'), end: new Date('2026-01-01T00:05:00Z') },
      // up to the look that decided early, not the whole window
      judged: { start: new Date('2026-01-01T00:00:00Z'), end: new Date('2026-01-01T00:02:00Z') },
      asClosed: false,
      recorded: { phase: 'Failed', message: 'decided early: Unhealthy', summary: { verdict: 'Unhealthy', score: 0, reasons: ['errors: canary 5% vs baseline 1%'] } },
      rollout: { namespace: 'shop', name: 'web' },
    });
    expect(stored.config.canary).toEqual({ podTemplateHash: 'canary1' });
    expect(stored.config.baseline).toEqual({ podTemplateHash: 'stable1' });
    expect(stored.commands).toEqual([
      'kubectl argo rollouts get rollout web -n shop',
      "kubectl get rollout web -n shop -o jsonpath='{.status.canary.stepPluginStatuses[?(@.index==1)]}'",
    ]);
    expect(storedGateVerification(rollout(), { ...REF, verification: 'v-0123456789abcdef' }, NOW).id).toBe('v-0123456789abcdef');
  });

  it('judges what a running verification has covered in whole intervals, and a status without judgedUntil up to its end', () => {
    const { judgedUntil: _, verdict: __, ...running } = STATUS;
    const at = new Date('2026-01-01T00:03:30Z');
    expect(storedGateVerification(rollout({ status: running, entry: { phase: 'Running' } }), REF, at).judged.end).toEqual(new Date('2026-01-01T00:03:00Z'));
    expect(storedGateVerification(rollout({ status: running, entry: { phase: 'Running' } }), REF, at).recorded).not.toHaveProperty('summary');
    expect(storedGateVerification(rollout({ status: running, entry: { finishedAt: '2026-01-01T00:04:10Z' } }), REF, NOW).judged.end).toEqual(new Date('2026-01-01T00:04:00Z'));
    expect(storedGateVerification(rollout({ status: running }), REF, NOW).judged.end).toEqual(new Date('2026-01-01T00:05:00Z'));
  });

  it('says a link to an earlier verification of the step can no longer be rebuilt', () => {
    const error = reportError(() => storedGateVerification(rollout(), { ...REF, verification: 'v-fedcba9876543210' }, NOW));
    expect([error.status, error.message]).toEqual([
      404,
      'Rollout shop/web, step 1 now holds verification v-0123456789abcdef, not v-fedcba9876543210: a retry or a new revision replaced it, and the Rollout keeps only the latest',
    ]);
  });

  it('refuses a step that is no verify gate, or has no verification yet, with 404; an invalid config with 422', () => {
    expect(reportError(() => storedGateVerification(rollout(), { ...REF, step: 0 }, NOW)).message).toBe('Rollout shop/web, step 0 is not a verify gate (a plugin step with config {"verify": {...}})');
    expect(reportError(() => storedGateVerification(rollout(), { ...REF, step: 7 }, NOW)).status).toBe(404);
    expect(reportError(() => storedGateVerification(rollout({ config: { approval: {} } }), REF, NOW)).status).toBe(404);
    const none = reportError(() => storedGateVerification(rollout({ status: { kind: 'approval' } }), REF, NOW));
    expect([none.status, none.message]).toEqual([404, "Rollout shop/web, step 1 has no verification in the Rollout's status yet (or no longer: a new revision or a retry replaced it)"]);
    const invalid = reportError(() => storedGateVerification(rollout({ config: { verify: { ...VERIFY, duration: 'soon' } } }), REF, NOW));
    expect(invalid.status).toBe(422);
    expect(invalid.message).toMatch(/^Rollout shop\/web, step 1: the step's config is not a valid verify gate: config\.verify\.duration: /);
    expect(reportError(() => storedGateVerification(rollout({ status: { ...STATUS, windowStart: 'yesterday' } }), REF, NOW)).status).toBe(422);
  });

  it('never throws a TypeError on a hostile Rollout: a ReportError', () => {
    const hostile: unknown[] = [
      null,
      'web',
      [],
      { spec: { strategy: { canary: { steps: 'all' } } } },
      { spec: { strategy: { canary: { steps: [null, { plugin: { config: { verify: null } } }] } } }, status: { canary: { stepPluginStatuses: [null, 7, { index: 1, operation: 'Run', status: [] }] } } },
      rollout({ status: { ...STATUS, canary: 42 } }),
      rollout({ status: 'v-0123456789abcdef' }),
      rollout({ entry: { phase: 7, message: { html: '<b>' }, finishedAt: 'never' } }),
    ];
    for (const object of hostile) {
      let outcome: unknown;
      try {
        outcome = storedGateVerification(object, REF, NOW);
      } catch (error) {
        outcome = error;
      }
      if (outcome instanceof Error) expect(outcome, JSON.stringify(object)).toBeInstanceOf(ReportError);
    }
  });
});
