// End to end: the chart installed with helm into the harness' real kube-apiserver (RBAC on). The engine's token is
// generated once, copied into the controller's namespace and kept by upgrades (helm lookup). The bot's ClusterRole,
// exercised by the bot's own code acting as its ServiceAccount, lets it do what the bot does itself and, with
// impersonation, none of the writes that only people's commands make (set image, Deployments).
import { join } from 'node:path';
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { beforeAll, describe, expect } from 'vitest';
import { createAudit } from '../../shared/operations/audit.js';
import { newApprovalRequest, pendingStatus } from '../../shared/approvals/request.js';
import { ApprovalRequestStore } from '../../shared/approvals/store.js';
import { loadKubeConfig, makeApiClient } from '../../shared/kube/client.js';
import { abort, setImage } from '../../shared/kube/rollout-actions.js';
import { ROLLOUTS } from '../../shared/kube/rollout-types.js';
import { createLogger } from '../../shared/log.js';
import { CONTROLLER_NAMESPACE } from './harness/environment.js';
import { run } from './harness/processes.js';
import { deploy } from './harness/rollouts.js';
import { clusterForFile } from './harness/suite.js';

const ROOT = join(import.meta.dirname, '..', '..');
const CHART = join(ROOT, 'charts/rollouts-cv');
const RELEASE_NAMESPACE = 'rollouts-cv';
const APPS = 'chart-apps';
const BOT = { user: `system:serviceaccount:${RELEASE_NAMESPACE}:rcv-rollouts-cv-bot`, groups: ['system:serviceaccounts', `system:serviceaccounts:${RELEASE_NAMESPACE}`, 'system:authenticated'] };
const { env: environment, scenario } = clusterForFile(APPS, { withPods: true });

let helm: string;
const helmRun = (args: string[]) => run(helm, [...args, '--kubeconfig', environment().kubeconfig], { timeoutMs: 120_000 });
/** `helm upgrade --install` of the chart with the bot (http mode, impersonation) and the given --set values. */
const install = (set: string[] = []) =>
  helmRun(['upgrade', '--install', 'rcv', CHART, '-n', RELEASE_NAMESPACE, '--create-namespace', '--values', join(CHART, 'ci/bot-values.yaml'), ...set.flatMap((s) => ['--set', s])]);

async function secretToken(namespace: string, name: string): Promise<string> {
  const secret = await environment().kubectl.json<{ data: { token: string } }>(['-n', namespace, 'get', 'secret', name]);
  return Buffer.from(secret.data.token, 'base64').toString('utf8');
}

beforeAll(async () => {
  helm = (await run('bash', [join(ROOT, 'scripts/helm.sh')], { timeoutMs: 900_000 })).stdout.trim();
});

describe('the chart on a real API server', () => {
  scenario('generates the engine token once, copies it to the controller\'s namespace, and keeps it on upgrade', async () => {
    await install();
    const token = await secretToken(RELEASE_NAMESPACE, 'rcv-rollouts-cv-engine-auth');
    expect(token).toMatch(/^[A-Za-z0-9]{48}$/);
    expect(await secretToken(CONTROLLER_NAMESPACE, 'rollouts-cv-engine-token')).toBe(token);
    await install(['engine.logLevel=debug']);
    expect(await secretToken(RELEASE_NAMESPACE, 'rcv-rollouts-cv-engine-auth')).toBe(token);
    expect(await secretToken(CONTROLLER_NAMESPACE, 'rollouts-cv-engine-token')).toBe(token);
  });

  scenario('with impersonation the bot\'s ServiceAccount does what the bot does itself, and cannot set images or touch Deployments', async () => {
    await install();
    const kc = loadKubeConfig({ kubeconfig: environment().kubeconfig });
    const admin = makeApiClient(kc, CustomObjectsApi);
    const asBot = makeApiClient(kc, CustomObjectsApi, { impersonate: BOT });
    const ro = await deploy(environment(), admin, APPS, 'web', [{ setWeight: 50 }, { pause: {} }]);
    await ro.until('revision 1 Healthy', (s) => s.phase === 'Healthy' && s.fullyPromoted);
    await setImage(admin, ro.ref, ['app=registry.invalid/e2e/app:2']);
    await ro.until('revision 2 at the pause step', (s) => s.phase === 'Paused' && s.message === 'CanaryPauseStep');

    // reads, as the bot's informers and commands make them
    await asBot.listClusterCustomObject(ROLLOUTS);
    await asBot.listNamespacedCustomObject({ group: 'apps', version: 'v1', plural: 'replicasets', namespace: APPS });
    await asBot.listClusterCustomObject({ group: 'argoproj.io', version: 'v1alpha1', plural: 'analysisruns' });
    // its thread annotation (a merge patch of metadata, as bot/notifications/threads.ts sends it)
    await asBot.patchNamespacedCustomObject(
      { ...ROLLOUTS, ...ro.ref, body: { metadata: { annotations: { 'rollouts-cv.io/slack-thread': '{}' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    // approval requests and interventions: create, record
    const store = new ApprovalRequestStore(asBot);
    const request = newApprovalRequest('web-e2e-s1', APPS, {
      type: 'Approval',
      rollout: { name: 'web', uid: 'u-1', podTemplateHash: 'abc123' },
      stepIndex: 1,
      policy: { minApprovals: 1, allowSelfApproval: false },
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      onTimeout: 'reject',
    });
    expect((await store.create(request))?.status).toEqual(pendingStatus(request.spec));
    // the audit Event and the once-only claim
    const audit = createAudit({ api: makeApiClient(kc, CoreV1Api, { impersonate: BOT }), log: createLogger({ level: 'silent' }), component: 'rollouts-cv-bot', instance: 'e2e' });
    const entry = { target: { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', ...ro.ref }, user: { id: 'U0E2E' }, action: 'abort', reason: 'SlackAbort', message: 'e2e' };
    expect((await audit.claim('e2e-1', entry)).claimed).toBe(true);
    expect((await audit.claim('e2e-1', entry)).claimed).toBe(false);
    // an intervention timeout carried out as the bot: a status patch
    expect(await abort(asBot, ro.ref)).toContain("rollout 'chart-apps/web' aborted");

    // people's writes: refused to the bot's own identity
    await expect(setImage(asBot, ro.ref, ['app=registry.invalid/e2e/app:3'])).rejects.toThrow(/403/);
    await expect(asBot.getNamespacedCustomObject({ group: 'apps', version: 'v1', plural: 'deployments', namespace: APPS, name: 'web' })).rejects.toMatchObject({ code: 403 });
    // impersonation: exactly the mapped identities
    // `kubectl auth can-i` answers "no" with exit status 1
    const canI = (args: string[]) =>
      environment().kubectl.run(['auth', 'can-i', ...args, `--as=${BOT.user}`]).then((out) => out.trim(), (error: Error) => (/(^|\n)no\s*$/.test(error.message) ? 'no' : Promise.reject(error)));
    expect(await canI(['impersonate', 'users/alice@example.com'])).toBe('yes');
    expect(await canI(['impersonate', 'users/mallory@example.com'])).toBe('no');
    expect(await canI(['impersonate', 'groups/rollouts-operators'])).toBe('yes');
    expect(await canI(['impersonate', 'groups/system:masters'])).toBe('no');

    // without impersonation the bot sends people's commands as itself, and may
    await install(['bot.rbac.impersonate=false']);
    expect(await setImage(asBot, ro.ref, ['app=registry.invalid/e2e/app:3'])).toContain('image updated');
  });
});
