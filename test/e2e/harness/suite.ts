// The life of one e2e file's cluster: started before its tests with a namespace to work in, stopped after them
// (its work folder and logs kept when a scenario failed), and stopped on Ctrl-C or a CI timeout too. A run killed
// outright is cleaned up by the next one (Environment.start reaps what its pid files name).
import { afterAll, beforeAll, it } from 'vitest';
import { Environment } from './environment.js';
import { waitFor } from './processes.js';

export interface FileCluster {
  /** The running environment (available from the file's beforeAll hooks on). */
  env(): Environment;
  /** A test whose failure keeps the work folder and its logs. */
  scenario(title: string, body: () => Promise<void>, timeoutMs?: number): void;
}

/**
 * Registers the file's beforeAll/afterAll. `withPods`: wait until the namespace's `default` ServiceAccount exists,
 * since pods are refused until the ServiceAccount controller has created it. `beforeStop` runs first in afterAll
 * (stop what the file started against the cluster).
 */
export function clusterForFile(namespace: string, options: { withPods?: boolean; beforeStop?: () => Promise<void> } = {}): FileCluster {
  let env: Environment | undefined;
  let failed = false;
  const onSignal = (signal: NodeJS.Signals) => {
    void (env?.stop() ?? Promise.resolve()).catch(() => undefined).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };

  beforeAll(async () => {
    process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
    env = await Environment.start();
    const k = env.kubectl;
    await k.apply(`apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${namespace}\n`);
    if (options.withPods) {
      await waitFor('the default ServiceAccount', async () => ((await k.run(['-n', namespace, 'get', 'serviceaccount', 'default', '--ignore-not-found'])).includes('default') ? true : undefined), 60_000);
    }
  }, 600_000);

  afterAll(async () => {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    await options.beforeStop?.();
    if (failed) console.log(`e2e logs kept in ${env?.workdir}`);
    await env?.stop({ keepWorkdir: failed });
  }, 180_000);

  return {
    env: () => {
      if (!env) throw new Error('the environment is not started yet');
      return env;
    },
    scenario: (title, body, timeoutMs = 300_000) =>
      it(title, async () => {
        try {
          await body();
        } catch (error) {
          failed = true;
          throw error;
        }
      }, timeoutMs),
  };
}
