// Plain canary Rollouts for end-to-end files that drive the controller directly (no analysis, no synthetic app):
// created through the API, observed through the same summary the bot shows.
import type { CustomObjectsApi } from '@kubernetes/client-node';
import type { RolloutRef } from '../../../shared/kube/rollout-actions.js';
import { formatSummary, summarizeRollout, type RolloutSummary } from '../../../shared/kube/rollout-status.js';
import { ROLLOUTS, type Rollout } from '../../../shared/kube/rollout-types.js';
import type { Environment } from './environment.js';
import { tail, waitFor } from './processes.js';

export interface Deployed {
  ref: RolloutRef;
  /** Distinct states seen while polling, in order. */
  seen: string[];
  get(): Promise<Rollout>;
  until(what: string, predicate: (s: RolloutSummary) => boolean, timeoutMs?: number): Promise<RolloutSummary>;
  poll<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs?: number): Promise<T>;
}

/** Creates revision 1 of a 2-replica canary Rollout with `steps` (kwok runs its pods). */
export async function deploy(env: Environment, api: CustomObjectsApi, namespace: string, name: string, steps: object[], spec: object = {}): Promise<Deployed> {
  const ref = { namespace, name };
  await api.createNamespacedCustomObject({
    ...ROLLOUTS,
    namespace,
    body: {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: { name, namespace },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: { containers: [{ name: 'app', image: 'registry.invalid/e2e/app:1' }] },
        },
        strategy: { canary: { steps } },
        ...spec,
      },
    },
  });
  const seen: string[] = [];
  const get = async () => (await api.getNamespacedCustomObject({ ...ROLLOUTS, ...ref })) as Rollout;
  const observe = async () => {
    const summary = summarizeRollout(await get());
    const line = formatSummary(summary).replace(`${namespace}/${name}: `, '');
    if (seen.at(-1) !== line) seen.push(line);
    return summary;
  };
  const describe = async () => `rollout ${name}: ${seen.join(' → ')}\ncontroller log:\n${await tail(env.log('rollouts-controller'), 30)}`;
  return {
    ref,
    seen,
    get,
    until: (what, predicate, timeoutMs = 90_000) =>
      waitFor(what, async () => {
        const summary = await observe();
        return predicate(summary) ? summary : undefined;
      }, timeoutMs, describe, 250),
    poll: (what, probe, timeoutMs = 90_000) =>
      waitFor(what, async () => {
        await observe();
        return probe();
      }, timeoutMs, describe, 250),
  };
}
