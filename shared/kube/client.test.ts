import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headerValues, startFakeKubeApi, type FakeKubeApi } from '../../test/helpers/fake-kube-api.js';
import { loadKubeConfig, makeApiClient } from './client.js';

let api: FakeKubeApi;
const rollout = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', metadata: { name: 'web', namespace: 'shop' } };

beforeAll(async () => {
  api = await startFakeKubeApi((req) => (req.method === 'GET' && req.path === '/apis/argoproj.io/v1alpha1/namespaces/shop/rollouts/web' ? { body: rollout } : undefined));
});
afterAll(() => api.close());

const getRollout = (client: CustomObjectsApi) =>
  client.getNamespacedCustomObject({ group: 'argoproj.io', version: 'v1alpha1', plural: 'rollouts', namespace: 'shop', name: 'web' });

describe('makeApiClient', () => {
  it('sends the user and every group as impersonation headers, one header line per group, with the credentials', async () => {
    const client = makeApiClient(api.kubeConfig(), CustomObjectsApi, { impersonate: { user: 'slack:U123', groups: ['team-shop', 'oncall'] } });
    expect(await getRollout(client)).toEqual(rollout);
    const request = api.requests.at(-1)!;
    expect(headerValues(request, 'impersonate-user')).toEqual(['slack:U123']);
    expect(headerValues(request, 'impersonate-group')).toEqual(['team-shop', 'oncall']);
    expect(headerValues(request, 'authorization')).toEqual(['Bearer secret-token']);
  });

  it('replaces the kubeconfig user\'s own impersonation (`as`) with the mapped identity', async () => {
    const kc = api.kubeConfig();
    kc.users[0] = { ...kc.users[0]!, impersonateUser: 'someone-else' };
    await getRollout(makeApiClient(kc, CustomObjectsApi, { impersonate: { user: 'slack:U9' } }));
    const request = api.requests.at(-1)!;
    expect(headerValues(request, 'impersonate-user')).toEqual(['slack:U9']);
    expect(headerValues(request, 'impersonate-group')).toEqual([]);
  });

  it('sends no impersonation header without impersonation', async () => {
    await getRollout(makeApiClient(api.kubeConfig(), CustomObjectsApi));
    const request = api.requests.at(-1)!;
    expect(Object.keys(request.headers).filter((h) => h.startsWith('impersonate-'))).toEqual([]);
    expect(headerValues(request, 'authorization')).toEqual(['Bearer secret-token']);
  });

  it('refuses impersonation without a user', () => {
    expect(() => makeApiClient(api.kubeConfig(), CustomObjectsApi, { impersonate: { user: '' } })).toThrow('impersonation needs a user name');
  });
});

describe('loadKubeConfig', () => {
  it('reads a kubeconfig file and selects a context by name, naming the contexts there are when it is missing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kube-client-'));
    try {
      const file = join(dir, 'config');
      await writeFile(file, api.kubeConfig().exportConfig());
      expect(loadKubeConfig({ kubeconfig: file }).getCurrentContext()).toBe('fake');
      const other = loadKubeConfig({ kubeconfig: file, context: 'other' });
      expect(other.getCurrentContext()).toBe('other');
      expect(other.getContextObject('other')?.namespace).toBe('other');
      expect(() => loadKubeConfig({ kubeconfig: file, context: 'prod' })).toThrow('no context "prod" in the kubeconfig (contexts: fake, other)');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
