import { CustomObjectsApi } from '@kubernetes/client-node';
import { describe, expect, it, onTestFinished } from 'vitest';
import { APPROVAL_REQUESTS, type ApprovalRequest, newApprovalRequest } from '../../shared/approvals/request.js';
import { ApprovalRequestStore } from '../../shared/approvals/store.js';
import { createLogger } from '../../shared/log.js';
import { connectEngine, unary } from '../../test/helpers/engine-client.js';
import { type RecordedRequest, startFakeKubeApi } from '../../test/helpers/fake-kube-api.js';
import { objectStore } from '../../test/helpers/fake-kube-store.js';
import { approvalNamespaceRefusal } from './approval-namespaces.js';
import { type EngineDomain, verifyDomain } from './domain.js';
import { startEngine } from './engine.js';
import type { WireStepResult } from './wire.js';

const log = createLogger({ level: 'silent' });

describe('approvalNamespaceRefusal', () => {
  it('allows exactly the listed namespaces', () => {
    expect(approvalNamespaceRefusal('shop', ['shop', 'web'])).toBeUndefined();
    expect(approvalNamespaceRefusal('kube-system', ['kube-system'])).toBeUndefined();
    expect(approvalNamespaceRefusal('payments', ['shop', 'web'])).toMatch(/namespace payments .*allowed: shop, web.*--approval-namespaces.*engine\.rbac\.namespaces/);
  });

  it('refuses the Kubernetes system namespaces when none are listed, and allows the others', () => {
    for (const namespace of ['kube-system', 'kube-public', 'kube-node-lease']) {
      expect(approvalNamespaceRefusal(namespace, undefined)).toMatch(new RegExp(`namespace ${namespace}\\b.*system namespace.*--approval-namespaces`));
    }
    expect(approvalNamespaceRefusal('shop', undefined)).toBeUndefined();
  });

  it('refuses a request across all namespaces, which no gate makes', () => {
    expect(approvalNamespaceRefusal(undefined, undefined)).toMatch(/across namespaces/);
    expect(approvalNamespaceRefusal(undefined, ['shop'])).toMatch(/across namespaces/);
  });
});

/**
 * An engine whose approval gates reach the fake Kubernetes API; the step creates an ApprovalRequest in the
 * namespace of the Rollout it is sent, as approval gates do.
 */
async function engineWith(approvalNamespaces: string[] | undefined) {
  const fake = objectStore();
  const requests: RecordedRequest[] = [];
  fake.intercept((request) => {
    requests.push(request);
    return undefined;
  });
  const api = await startFakeKubeApi(fake.respond);
  const domain: EngineDomain = {
    ...verifyDomain,
    gateRun: async (rollout, _step, ctx) => {
      const namespace = (rollout as { metadata: { namespace: string } }).metadata.namespace;
      await ctx.approvals!.list(namespace);
      const request = newApprovalRequest('web-abc-s1', namespace, {
        type: 'Approval',
        rollout: { name: 'web', uid: 'u', podTemplateHash: 'abc' },
        stepIndex: 1,
        message: 'Ship it?',
        policy: { approvers: { groups: ['SRE'] }, minApprovals: 1 },
        expiresAt: '2030-01-01T00:00:00Z',
        onTimeout: 'reject',
      } as unknown as ApprovalRequest['spec']);
      await ctx.approvals!.create(request);
      return { phase: 'Running', requeueAfterMs: 10_000 };
    },
  };
  const engine = await startEngine({ listen: '127.0.0.1:0', log, domain, approvals: new ApprovalRequestStore(api.kubeConfig().makeApiClient(CustomObjectsApi)), approvalNamespaces });
  const client = connectEngine(engine.address);
  onTestFinished(async () => {
    client.close();
    await engine.stop();
    await api.close();
  });
  const run = (namespace: string) =>
    unary<WireStepResult>(client.step, 'Run', { plugin_name: 'rollouts-cv/gate', rollout_json: Buffer.from(JSON.stringify({ metadata: { name: 'web', namespace } })) });
  return { run, requests, created: () => fake.list(APPROVAL_REQUESTS) };
}

describe('engine --approval-namespaces', () => {
  it('creates ApprovalRequests only in the listed namespaces; elsewhere the step errors saying why, and the API is never called', async () => {
    const { run, requests, created } = await engineWith(['shop']);
    const refused = await run('kube-system');
    expect(refused.error_string).toMatch(/may not create ApprovalRequests in namespace kube-system \(allowed: shop/);
    expect(requests).toEqual([]);
    const allowed = await run('shop');
    expect(allowed.error_string).toBe('');
    expect(allowed.phase).toBe('Running');
    expect(created().map((request) => request.metadata.namespace)).toEqual(['shop']);
  });

  it('refuses the Kubernetes system namespaces by default', async () => {
    const { run, requests, created } = await engineWith(undefined);
    expect((await run('kube-system')).error_string).toMatch(/namespace kube-system/);
    expect(requests).toEqual([]);
    expect((await run('payments')).phase).toBe('Running');
    expect(created().map((request) => request.metadata.namespace)).toEqual(['payments']);
  });
});
