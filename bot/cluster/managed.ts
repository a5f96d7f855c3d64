// Which objects of a cluster the bot is responsible for: those in namespaces some environment of its configuration
// covers. Others are left alone (nothing posted, nothing expired), and each is logged once per leader, not every pass.
import { type EnvironmentConfig, environmentOf } from '../config.js';
import type { BotContext } from '../context.js';
import type { Cluster } from './clusters.js';

interface Named {
  metadata: { namespace?: string; name: string };
}

/** What was already logged, per kind of work, bot and cluster. */
const logged = new Map<string, WeakMap<BotContext, Map<string, Set<string>>>>();

/**
 * The objects in managed namespaces with their environment; each other one is logged as `unmanaged.message`, with
 * its namespace/name under `unmanaged.field`.
 */
export function managedObjects<T extends Named>(ctx: BotContext, cluster: Cluster, objects: readonly T[], unmanaged: { field: string; message: string }): { object: T; environment: EnvironmentConfig }[] {
  const { field, message } = unmanaged;
  const byBot = logged.get(message) ?? logged.set(message, new WeakMap()).get(message)!;
  const clusters = byBot.get(ctx) ?? byBot.set(ctx, new Map()).get(ctx)!;
  const before = clusters.get(cluster.name) ?? new Set<string>();
  const now = new Set<string>();
  const mine = [];
  for (const object of objects) {
    const namespace = object.metadata.namespace ?? '';
    const environment = environmentOf(ctx.config, cluster.name, namespace);
    if (environment) {
      mine.push({ object, environment });
      continue;
    }
    const key = `${namespace}/${object.metadata.name}`;
    if (!before.has(key)) ctx.log.warn({ cluster: cluster.name, [field]: key }, message);
    now.add(key);
  }
  clusters.set(cluster.name, now);
  return mine;
}
