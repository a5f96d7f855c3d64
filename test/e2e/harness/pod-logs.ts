// The log lines of the scenarios' pods, written into the harness's VictoriaLogs as a Kubernetes log shipper (Vector,
// Fluent Bit) writes them: one record per line, with the pod's `namespace`, `pod` and `app` and the line's `level`
// as fields, stamped when the pod wrote it and sent in batches every half second. A registered group's pods each log
// about 20 lines a second, a steady mix of a web service's info and warn lines with variable parts (ids, durations)
// and the rare error a healthy service logs; a `new-error` group logs the same mix and a payment failure the healthy
// pods never log, about once a second per pod. Each kind of line comes at a fixed rate from a random phase per pod,
// so that two groups of one profile log each kind at the same rate per pod, as the same code under the same traffic
// does. Like the synthetic app's metrics, a pod's lines go on until the shipper stops, also after its ReplicaSet
// scaled it away.
import { randomInt, randomUUID } from 'node:crypto';
import type { LogLine, VictoriaLogs } from './victorialogs.js';
import { sleep } from './processes.js';

export const LOG_PROFILES = ['healthy', 'new-error'] as const;
export type LogProfile = (typeof LOG_PROFILES)[number];

type Level = 'info' | 'warn' | 'error';

/** One kind of line a pod logs, at `perSecond` lines a second. */
interface LineKind {
  level: Level;
  perSecond: number;
  text: () => string;
}

/** The pods of one ReplicaSet, and what they log. */
export interface LogGroup {
  namespace: string;
  /** The `app` label (the Rollout's name). */
  app: string;
  pods: readonly string[];
  profile: LogProfile;
}

export interface PodLogShipper {
  /** Starts shipping these pods' lines, stamped from now on. */
  register(group: LogGroup): void;
  /** Lines shipped so far by pod. */
  readonly shipped: ReadonlyMap<string, number>;
  /** Ships the lines due so far and stops; rejects with the first batch VictoriaLogs did not take. */
  stop(): Promise<void>;
}

const BATCH_MS = 500;

const prefixed = (level: Level, text: string) => `${level === 'info' ? 'INFO ' : level === 'warn' ? 'WARN ' : 'ERROR'} ${text}`;

/** A web shop's order service: requests, orders, a cache, slow queries, retries and, once in 10 s, a timeout. 20 lines/s. */
const HEALTHY: readonly LineKind[] = [
  { level: 'info', perSecond: 12, text: () => `GET /api/orders/${randomInt(100_000, 1_000_000)} 200 ${randomInt(3, 80)}ms` },
  { level: 'info', perSecond: 4, text: () => `order ${randomInt(100_000, 1_000_000)} created for customer ${randomUUID()}: ${randomInt(1, 9)} items, total ${randomInt(5, 500)}.${randomInt(10, 100)} EUR` },
  { level: 'info', perSecond: 2, text: () => `cache refresh: ${randomInt(800, 1200)} products loaded in ${randomInt(20, 90)}ms` },
  { level: 'warn', perSecond: 1, text: () => `slow query on orders took ${randomInt(250, 900)}ms (threshold 250ms)` },
  { level: 'warn', perSecond: 0.9, text: () => `retrying call to inventory-service (attempt ${randomInt(2, 4)} of 3)` },
  { level: 'error', perSecond: 0.1, text: () => `inventory lookup for sku SKU-${randomInt(10_000, 100_000)} timed out after 2000ms` },
];

const PROFILES: Readonly<Record<LogProfile, readonly LineKind[]>> = {
  healthy: HEALTHY,
  'new-error': [...HEALTHY, { level: 'error', perSecond: 1, text: () => `payment ${randomInt(100_000, 1_000_000)} failed: upstream returned 502` }],
};

/** One pod's one kind of line, and when it next logs it (epoch ms, fractional). */
interface Stream {
  fields: Record<string, string>;
  kind: LineKind;
  next: number;
}

function checkGroup(group: LogGroup): void {
  for (const key of ['namespace', 'app'] as const) {
    if (typeof group[key] !== 'string' || group[key] === '') throw new Error(`log group ${key}: expected a non-empty string, got ${JSON.stringify(group[key])}`);
  }
  if (!Array.isArray(group.pods) || group.pods.length === 0) throw new Error(`log group pods: expected a non-empty list of pod names`);
  group.pods.forEach((pod, i) => {
    if (typeof pod !== 'string' || pod === '') throw new Error(`log group pods[${i}]: expected a pod name, got ${JSON.stringify(pod)}`);
  });
  if (!(LOG_PROFILES as readonly string[]).includes(group.profile)) throw new Error(`log group profile: expected one of ${LOG_PROFILES.join(', ')}, got ${JSON.stringify(group.profile)}`);
}

/** Ships the lines of the groups registered with it into `victoriaLogs` until stopped. */
export function shipPodLogs(victoriaLogs: Pick<VictoriaLogs, 'ingest'>): PodLogShipper {
  const streams: Stream[] = [];
  const shipped = new Map<string, number>();
  let stopping = false;
  let failure: Error | undefined;

  /** Every line due by `now`, oldest first. */
  function due(now: number): LogLine[] {
    const lines: LogLine[] = [];
    for (const stream of streams) {
      for (; stream.next <= now; stream.next += 1000 / stream.kind.perSecond) {
        lines.push({ time: new Date(Math.floor(stream.next)), msg: prefixed(stream.kind.level, stream.kind.text()), fields: stream.fields });
      }
    }
    return lines.sort((a, b) => a.time.getTime() - b.time.getTime());
  }

  async function ship(): Promise<void> {
    const lines = due(Date.now());
    if (lines.length === 0) return;
    await victoriaLogs.ingest(lines);
    for (const line of lines) shipped.set(line.fields.pod!, (shipped.get(line.fields.pod!) ?? 0) + 1);
  }

  const shipping = (async () => {
    try {
      while (!stopping) {
        await sleep(BATCH_MS);
        await ship();
      }
      await ship();
    } catch (error) {
      failure = error as Error;
    }
  })();

  return {
    register(group) {
      checkGroup(group);
      if (stopping || failure) throw new Error(`the log shipper has ${failure ? `failed: ${failure.message}` : 'stopped'}`);
      const now = Date.now();
      for (const pod of group.pods) {
        const fields = { namespace: group.namespace, pod, app: group.app };
        for (const kind of PROFILES[group.profile]) {
          // A random phase within one period: pods do not log in step.
          streams.push({ fields: { ...fields, level: kind.level }, kind, next: now + Math.random() * (1000 / kind.perSecond) });
        }
      }
    },
    shipped,
    async stop() {
      stopping = true;
      await shipping;
      if (failure) throw new Error(`shipping pod logs to VictoriaLogs failed: ${failure.message}`, { cause: failure });
    },
  };
}

/**
 * Runs `body` with a shipper into `victoriaLogs`, stopped when it ends; a shipping failure fails the run, or is
 * added to the body's own error.
 */
export async function withPodLogs<T>(victoriaLogs: Pick<VictoriaLogs, 'ingest'>, body: (shipper: PodLogShipper) => Promise<T>): Promise<T> {
  const shipper = shipPodLogs(victoriaLogs);
  let result: T;
  try {
    result = await body(shipper);
  } catch (error) {
    await shipper.stop().catch((shipping: Error) => {
      if (error instanceof Error) error.message += `\n(and ${shipping.message})`;
    });
    throw error;
  }
  await shipper.stop();
  return result;
}

/**
 * The `logs:` of a verification reading these lines: the app's lines in `namespace` from VictoriaLogs at `address`,
 * a group's pods chosen by name, the level from the shipper's `level` field.
 */
export function podLogsConfig(address: string, namespace: string, app: string): Record<string, unknown> {
  return {
    source: { victorialogs: { address } },
    query: `namespace:=${JSON.stringify(namespace)} app:=${JSON.stringify(app)}`,
    selectBy: 'podName',
    instanceField: 'pod',
  };
}
