// Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it: every replica tries
// to acquire or renew the Lease every `renewEvery`; the holder renews it, the others take it over once it has
// expired (renewTime + leaseDurationSeconds < now) or was released. Every write carries the resourceVersion that
// was read, so of two replicas racing for the Lease the API server lets exactly one win (the other gets a 409).
// Only the leader runs a component's background work (the bot's watchers and timers, the pipelines controller).
import { ApiException, V1MicroTime, type CoordinationV1Api, type V1Lease } from '@kubernetes/client-node';
import type { Logger } from '../log.js';

export interface LeaderElectionOptions {
  api: CoordinationV1Api;
  namespace: string;
  /** Name of the Lease. */
  name: string;
  /** This replica, unique among the candidates (the Pod name). */
  identity: string;
  /** How long a Lease stays valid after its last renewal (default 15 s; written in whole seconds). */
  leaseDurationMs?: number;
  /** Interval between attempts to acquire or renew (default 5 s); at most half the lease duration. */
  renewEveryMs?: number;
  /** The clock written into and compared with the Lease. */
  now?: () => Date;
  log: Logger;
  /** Called on becoming leader; `signal` aborts when leadership ends. */
  onStartedLeading: (signal: AbortSignal) => void;
  onStoppedLeading: () => void;
}

export interface LeaderElection {
  readonly isLeader: boolean;
  /** Stops campaigning; if leading, stops leading and releases the Lease so that another replica takes over at once. */
  stop(): Promise<void>;
}

export function runLeaderElection(options: LeaderElectionOptions): LeaderElection {
  const { api, namespace, name, identity, log } = options;
  const leaseDurationMs = options.leaseDurationMs ?? 15_000;
  const renewEveryMs = options.renewEveryMs ?? 5_000;
  const now = options.now ?? (() => new Date());
  if (renewEveryMs * 2 > leaseDurationMs) throw new RangeError(`renewEveryMs (${renewEveryMs}) must be at most half of leaseDurationMs (${leaseDurationMs})`);
  // Rounded up, so that others never consider the Lease expired before this replica's renew deadline.
  const leaseDurationSeconds = Math.ceil(leaseDurationMs / 1000);
  // A leader that has not renewed for this long stops leading: well before others may take the Lease over, with
  // at least one more attempt in between (client-go's defaults: 15 s lease, 10 s deadline).
  const renewDeadlineMs = leaseDurationMs - renewEveryMs;
  const lease = { namespace, name };

  const stopping = new AbortController();
  let leading: AbortController | undefined;
  let deadline: NodeJS.Timeout | undefined;
  /** The Lease as last written by us, naming us: what stop() releases. */
  let held: V1Lease | undefined;

  const startLeading = () => {
    leading = new AbortController();
    log.info({ lease, identity }, 'started leading');
    options.onStartedLeading(leading.signal);
  };
  const stopLeading = (why: string) => {
    clearTimeout(deadline);
    if (!leading) return;
    leading.abort(new Error(why));
    leading = undefined;
    log[stopping.signal.aborted ? 'info' : 'warn']({ lease, identity, why }, 'stopped leading');
    options.onStoppedLeading();
  };

  /** True if we hold the Lease after this attempt, false if another replica does (or won this round). */
  const tryAcquireOrRenew = async (): Promise<boolean> => {
    const at = now();
    const current = await api.readNamespacedLease({ name, namespace }).catch((error: unknown) => {
      if (error instanceof ApiException && error.code === 404) return undefined;
      throw error;
    });
    const spec = current?.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const ours = holder === identity;
    if (holder && !ours && !expired(spec.renewTime, spec.leaseDurationSeconds ?? leaseDurationSeconds, at)) return false;
    const body: V1Lease = {
      ...current,
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: current?.metadata ?? { name, namespace },
      spec: {
        holderIdentity: identity,
        leaseDurationSeconds,
        acquireTime: ours && spec.acquireTime ? spec.acquireTime : new V1MicroTime(at.getTime()),
        renewTime: new V1MicroTime(at.getTime()),
        leaseTransitions: (spec.leaseTransitions ?? 0) + (current && !ours ? 1 : 0),
      },
    };
    try {
      held = current ? await api.replaceNamespacedLease({ name, namespace, body }) : await api.createNamespacedLease({ namespace, body });
      return true;
    } catch (error) {
      if (error instanceof ApiException && error.code === 409) return false;
      throw error;
    }
  };

  const campaign = async () => {
    while (!stopping.signal.aborted) {
      const began = performance.now();
      try {
        if (await tryAcquireOrRenew()) {
          if (stopping.signal.aborted) break; // won while stopping: released below, never started
          // counted from when this attempt began, as the renewTime it wrote is
          clearTimeout(deadline);
          deadline = setTimeout(() => stopLeading(`no renewal for ${renewDeadlineMs} ms`), renewDeadlineMs - (performance.now() - began));
          if (!leading) startLeading();
        } else {
          held = undefined;
          stopLeading('the Lease is held by another replica');
        }
      } catch (error) {
        // Transient (network, API server): a leader keeps leading until its renew deadline.
        log.warn({ lease, identity, err: error }, 'leader election: could not read or write the Lease');
      }
      await sleep(renewEveryMs, stopping.signal);
    }
  };
  const running = campaign();

  return {
    get isLeader() {
      return leading !== undefined;
    },
    async stop() {
      stopping.abort();
      await running;
      // Background work stops before the Lease is released, so that two leaders never overlap.
      stopLeading('stopped');
      if (!held) return;
      const release: V1Lease = { ...held, spec: { ...held.spec, holderIdentity: undefined, renewTime: new V1MicroTime(now().getTime()) } };
      held = undefined;
      await api.replaceNamespacedLease({ name, namespace, body: release }).then(
        () => log.info({ lease, identity }, 'released the Lease'),
        (error: unknown) => log.warn({ lease, identity, err: error }, 'could not release the Lease (others take it over when it expires)'),
      );
    },
  };
}

// The client hands MicroTime fields back as the API server's strings (it has no deserializer for them).
function expired(renewTime: Date | string | undefined, durationSeconds: number, at: Date): boolean {
  return renewTime === undefined || new Date(renewTime).getTime() + durationSeconds * 1000 < at.getTime();
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
