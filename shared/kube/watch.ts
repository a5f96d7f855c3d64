// A watched kind (client-node's ListWatch informer): one list, then a watch from its resourceVersion, kept in a
// cache that the leader reads instead of listing on every pass. As client-go's reflector does, each watch asks the
// API server to end it after `watchSeconds` (the informer then watches again from where it was) and for bookmarks
// (so that "where it was" stays recent in a quiet cluster); one that is still open well past that is on a dead
// connection and is aborted. A watch or list that fails is logged and started again with exponential backoff; one
// too old to resume (410 Gone) is listed again. `transform` keeps only what is read, so that large kinds cost
// little memory.
import { type KubeConfig, type KubernetesListObject, type KubernetesObject, ListWatch, Watch } from '@kubernetes/client-node';
import { describeApiError } from './api-errors.js';
import type { Logger } from '../log.js';

export interface WatchOptions<T> {
  kc: KubeConfig;
  /** The kind, for logs, e.g. `rollouts.argoproj.io`. */
  what: string;
  /** Its list URL across namespaces, e.g. `/apis/argoproj.io/v1alpha1/rollouts`. */
  path: string;
  labelSelector?: string;
  /** One list request across namespaces (with `labelSelector`). */
  list: () => Promise<{ metadata?: { resourceVersion?: string }; items: T[] }>;
  /** What the cache keeps of each object. */
  transform?: (object: T) => T;
  /** Called on every change the cache sees (added, updated, deleted). */
  onChange: () => void;
  log: Logger;
  /** How long the API server keeps each watch open (default 300 s). */
  watchSeconds?: number;
  /** Delay before restarting after a failure: doubles from `firstMs` up to `maxMs` (default 1 s to 60 s). */
  backoff?: { firstMs: number; maxMs: number };
}

export interface WatchedKind<T> {
  /** The cached objects, of one namespace or all. */
  list(namespace?: string): readonly T[];
  /** Listed, and the last list or watch request succeeded: the cache follows the API server. */
  readonly live: boolean;
  /** The resourceVersion the cache is at: of the list, then of each event received. */
  resourceVersion(): string;
  stop(): Promise<void>;
}

/** A watch the server has not ended by this many times its timeout is on a dead connection. */
const DEAD_AFTER_TIMEOUTS = 1.2;

export function watchKind<T>(options: WatchOptions<T>): WatchedKind<T> {
  const { what, log } = options;
  const transform = options.transform ?? ((object: T) => object);
  const watchSeconds = options.watchSeconds ?? 300;
  const backoff = options.backoff ?? { firstMs: 1_000, maxMs: 60_000 };
  let delayMs = backoff.firstMs;
  let listed = false;
  let failed = false;
  let stopped = false;
  let restart: NodeJS.Timeout | undefined;
  let deadline: NodeJS.Timeout | undefined;

  class BoundedWatch extends Watch {
    override async watch(...[path, query, callback, done]: Parameters<Watch['watch']>): Promise<AbortController> {
      const kept = (phase: string, object: unknown, raw?: unknown) => {
        if (phase !== 'ERROR' && phase !== 'BOOKMARK') delayMs = backoff.firstMs;
        callback(phase, phase === 'ADDED' || phase === 'MODIFIED' || phase === 'DELETED' ? transform(object as T) : object, raw);
      };
      let dead: Error | undefined;
      let ended = false;
      const controller = await super.watch(path, { ...query, timeoutSeconds: watchSeconds, allowWatchBookmarks: true }, kept, (error) => {
        ended = true;
        done(dead ?? error);
      });
      // not ended by now: the API server accepted the watch (200) and streams it
      if (!ended) failed = false;
      clearTimeout(deadline);
      deadline = setTimeout(() => {
        dead = new Error(`the watch did not end ${DEAD_AFTER_TIMEOUTS * watchSeconds} s after it started (its timeout: ${watchSeconds} s): the connection is dead`);
        controller.abort();
      }, DEAD_AFTER_TIMEOUTS * watchSeconds * 1000);
      return controller;
    }
  }

  // The cache holds plain JSON objects; KubernetesObject only types their metadata.
  const informer = new ListWatch<KubernetesObject>(
    options.path,
    new BoundedWatch(options.kc),
    async () => {
      const list = await options.list();
      listed = true;
      failed = false;
      delayMs = backoff.firstMs;
      return { ...list, items: list.items.map(transform) } as KubernetesListObject<KubernetesObject>;
    },
    false,
    options.labelSelector,
  );
  const changed = () => options.onChange();
  informer.on('add', changed);
  informer.on('update', changed);
  informer.on('delete', changed);
  const failedWith = (error: unknown) => {
    clearTimeout(deadline);
    if (stopped) return; // the abort of stop()
    failed = true;
    const retryInMs = Math.round(delayMs * (0.8 + 0.4 * Math.random()));
    delayMs = Math.min(delayMs * 2, backoff.maxMs);
    log.warn({ kind: what, err: describeApiError(error), retryInMs }, `the watch of ${what} failed; starting it again`);
    clearTimeout(restart);
    restart = setTimeout(start, retryInMs);
  };
  informer.on('error', failedWith);
  function start() {
    informer.start().catch(failedWith);
  }
  start();

  return {
    list: (namespace) => informer.list(namespace) as unknown as readonly T[],
    get live() {
      return listed && !failed && !stopped;
    },
    resourceVersion: () => informer.latestResourceVersion(),
    async stop() {
      stopped = true;
      clearTimeout(restart);
      clearTimeout(deadline);
      await informer.stop();
    },
  };
}

/**
 * -1, 0 or 1 as resourceVersion `a` is older than, the same as, or newer than `b` (of the same kind), or undefined
 * when either is not the positive integer the API server writes (comparable since Kubernetes 1.35; etcd's revision
 * before that).
 */
export function compareResourceVersions(a: string, b: string): -1 | 0 | 1 | undefined {
  const canonical = /^[1-9]\d*$/;
  if (!canonical.test(a) || !canonical.test(b)) return undefined;
  const [x, y] = [BigInt(a), BigInt(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}
