// A stand-in for an application under a canary: pods of several ReplicaSets whose request counters and latency
// histograms are exposed in one Prometheus exposition, labelled the way a Kubernetes pod scrape labels them.
// Groups (ReplicaSets) are registered and degraded over HTTP so that any test or demo, in any language, can
// drive it.
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Histogram, Registry } from 'prom-client';
import { z } from 'zod';
import { type Random, poisson, seededRandom } from '../../shared/random.js';
import { binomial, logNormalSeconds } from './traffic.js';

/** Bucket bounds in seconds, dense around typical service latencies (5 ms to 5 s). */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 1.5, 2.5, 5];

const trafficFields = {
  rps: z.number().min(0).max(10_000).describe('requests per second per pod'),
  errorRate: z.number().min(0).max(1).describe('fraction of requests answered with 500'),
  latencyMs: z.number().positive().max(60_000).describe('median latency in milliseconds'),
};

const podNameSchema = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]{0,251}[a-z0-9])?$/, 'must be a Kubernetes pod name: lowercase letters, digits and -, at most 253');

const newGroupSchema = z
  .strictObject({
    hash: z.string().regex(/^[a-z0-9]{1,16}$/, 'must be 1 to 16 lowercase letters or digits, like a pod template hash'),
    // Either a count of generated pod names, or the names themselves (e.g. the pods of a real ReplicaSet).
    pods: z.number().int().min(1).max(100).optional(),
    podNames: z.array(podNameSchema).min(1).max(100).optional(),
    rps: trafficFields.rps.default(20),
    errorRate: trafficFields.errorRate.default(0),
    latencyMs: trafficFields.latencyMs.default(50),
  })
  .superRefine((spec, context) => {
    if (spec.pods === undefined && spec.podNames === undefined) {
      context.addIssue({ code: 'custom', path: ['pods'], message: 'give pods (a count) or podNames' });
    }
    if (spec.pods !== undefined && spec.podNames !== undefined && spec.pods !== spec.podNames.length) {
      context.addIssue({ code: 'custom', path: ['pods'], message: `is ${spec.pods} but podNames has ${spec.podNames.length} names` });
    }
    if (spec.podNames && new Set(spec.podNames).size !== spec.podNames.length) {
      context.addIssue({ code: 'custom', path: ['podNames'], message: 'must not repeat a name' });
    }
  });

const groupChangeSchema = z.strictObject(trafficFields).partial();

type GroupSpec = z.infer<typeof newGroupSchema>;

export interface Group extends Omit<GroupSpec, 'pods' | 'podNames'> {
  pods: string[];
}

export interface SyntheticAppOptions {
  /** 0 picks a free port. */
  port?: number;
  /** How often simulated requests are added to the counters. */
  tickMs?: number;
  /** Seed for reproducible traffic; random when absent. */
  seed?: number;
}

export interface SyntheticApp {
  url: string;
  stop(): Promise<void>;
}

// Kubernetes builds pod name suffixes from this alphabet (no vowels, no confusable digits).
const POD_SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const MAX_BODY_BYTES = 64 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function startSyntheticApp(options: SyntheticAppOptions = {}): Promise<SyntheticApp> {
  const random = seededRandom(options.seed ?? Math.floor(Math.random() * 2 ** 32));
  const tickMs = options.tickMs ?? 250;
  const groups = new Map<string, Group>();

  const registry = new Registry();
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests served, by pod and status code.',
    labelNames: ['pod', 'rollouts_pod_template_hash', 'code'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency in seconds, by pod.',
    labelNames: ['pod', 'rollouts_pod_template_hash'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });

  const addGroup = (spec: GroupSpec): Group => {
    if (groups.has(spec.hash)) throw new HttpError(409, `group ${spec.hash} already exists; change it with PATCH /groups/${spec.hash}`);
    const { podNames: names, pods: count, ...traffic } = spec;
    const group: Group = { ...traffic, pods: names ? [...names] : podNames(random, spec.hash, count ?? 1) };
    for (const pod of group.pods) {
      const labels = { pod, rollouts_pod_template_hash: group.hash };
      // Series exist from the start, so rate() of errors is 0 rather than absent while no error happened.
      requests.inc({ ...labels, code: '200' }, 0);
      requests.inc({ ...labels, code: '500' }, 0);
      duration.zero(labels);
    }
    groups.set(group.hash, group);
    return group;
  };

  const tick = (seconds: number) => {
    for (const group of groups.values()) {
      for (const pod of group.pods) {
        const labels = { pod, rollouts_pod_template_hash: group.hash };
        const count = poisson(random, group.rps * seconds);
        const errors = binomial(random, count, group.errorRate);
        if (count > errors) requests.inc({ ...labels, code: '200' }, count - errors);
        if (errors > 0) requests.inc({ ...labels, code: '500' }, errors);
        for (let i = 0; i < count; i++) duration.observe(labels, logNormalSeconds(random, group.latencyMs));
      }
    }
  };
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    tick((now - last) / 1000);
    last = now;
  }, tickMs);

  const route = async (request: IncomingMessage): Promise<{ status: number; body: unknown } | { metrics: string }> => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (path === '/metrics') {
      allow(request, ['GET']);
      return { metrics: await registry.metrics() };
    }
    const pod = /^\/pods\/([^/]+)\/metrics$/.exec(path)?.[1];
    if (pod !== undefined) {
      allow(request, ['GET']);
      if (![...groups.values()].some((group) => group.pods.includes(pod))) throw new HttpError(404, `no pod ${pod}`);
      return { metrics: podExposition(await registry.getMetricsAsJSON(), pod) };
    }
    if (path === '/groups') {
      allow(request, ['GET', 'POST']);
      if (request.method === 'GET') return { status: 200, body: { groups: [...groups.values()] } };
      return { status: 200, body: addGroup(parseBody(newGroupSchema, await readJson(request))) };
    }
    const match = /^\/groups\/([^/]+)$/.exec(path);
    if (match?.[1]) {
      allow(request, ['GET', 'PATCH']);
      const group = groups.get(match[1]);
      if (!group) throw new HttpError(404, `no group ${match[1]}; register it with POST /groups`);
      if (request.method === 'PATCH') Object.assign(group, parseBody(groupChangeSchema, await readJson(request)));
      return { status: 200, body: group };
    }
    throw new HttpError(404, `no route ${path}: use GET /metrics, GET /pods/<pod>/metrics, GET|POST /groups, GET|PATCH /groups/<hash>`);
  };

  const server = createServer((request, response) => {
    route(request).then(
      (result) => ('metrics' in result ? send(response, 200, result.metrics, registry.contentType) : sendJson(response, result.status, result.body)),
      (error: unknown) =>
        error instanceof HttpError
          ? sendJson(response, error.status, { error: error.message })
          : sendJson(response, 500, { error: error instanceof Error ? error.message : String(error) }),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        clearInterval(timer);
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

const escapeLabel = (value: string) => value.replace(/[\\"\n]/g, (ch) => (ch === '\n' ? '\\n' : `\\${ch}`));

/**
 * One pod's series in the text exposition format, as the pod itself would serve them: without the `pod` and
 * hash labels, which a scrape of the pod adds as target labels (e.g. prometheus-operator's relabelling).
 */
function podExposition(metrics: Awaited<ReturnType<Registry['getMetricsAsJSON']>>, pod: string): string {
  const lines: string[] = [];
  for (const metric of metrics) {
    lines.push(`# TYPE ${metric.name} ${metric.type}`);
    for (const { labels, value, metricName } of metric.values as { labels: Record<string, string | number>; value: number; metricName?: string }[]) {
      if (labels.pod !== pod) continue;
      const own = Object.entries(labels).filter(([name]) => name !== 'pod' && name !== 'rollouts_pod_template_hash');
      const text = own.map(([name, label]) => `${name}="${escapeLabel(String(label))}"`).join(',');
      lines.push(`${metricName ?? metric.name}${text ? `{${text}}` : ''} ${value}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function podNames(random: Random, hash: string, count: number): string[] {
  const names = new Set<string>();
  while (names.size < count) {
    let suffix = '';
    for (let i = 0; i < 5; i++) suffix += POD_SUFFIX_ALPHABET[Math.floor(random() * POD_SUFFIX_ALPHABET.length)];
    names.add(`demo-${hash}-${suffix}`);
  }
  return [...names];
}

function allow(request: IncomingMessage, methods: string[]): void {
  if (!methods.includes(request.method ?? '')) throw new HttpError(405, `${request.method} is not allowed here; use ${methods.join(' or ')}`);
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (error) {
    throw new HttpError(400, `body is not valid JSON: ${(error as Error).message}`);
  }
}

function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`);
  throw new HttpError(400, `invalid body: ${problems.join('; ')}`);
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  send(response, status, `${JSON.stringify(body)}\n`, 'application/json');
}

function send(response: ServerResponse, status: number, body: string, contentType: string): void {
  response.writeHead(status, { 'content-type': contentType }).end(body);
}
