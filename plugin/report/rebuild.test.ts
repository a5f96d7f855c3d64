import { describe, expect, it } from 'vitest';
import { rolloutLinks } from './rebuild.js';

describe('rolloutLinks', () => {
  it("links the Rollout's page in the Argo Rollouts dashboard, under the dashboard's root path", () => {
    expect(rolloutLinks({ namespace: 'shop', name: 'web' }, { rolloutsDashboardUrl: 'http://localhost:3100/rollouts/' })).toEqual([
      { label: 'Rollout shop/web in the Argo Rollouts dashboard', href: 'http://localhost:3100/rollouts/rollout/shop/web' },
    ]);
  });

  it('links nothing without a dashboard, or without a Rollout', () => {
    expect(rolloutLinks({ namespace: 'shop', name: 'web' }, {})).toEqual([]);
    expect(rolloutLinks(undefined, { rolloutsDashboardUrl: 'http://localhost:3100/rollouts' })).toEqual([]);
  });
});
