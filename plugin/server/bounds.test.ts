// The engine's work per call is bounded: at most so many requests to a source at once whatever the number of
// metrics and calls, and a cancelled or timed-out call stops its requests.
import * as grpc from '@grpc/grpc-js';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/log.js';
import { type EngineClient, connectEngine, unary } from '../../test/helpers/engine-client.js';
import { type RunningEngine, startEngine } from './engine.js';
import type { WireMeasurement } from './wire.js';

interface FakePrometheus {
  url: string;
  requests: number;
  inFlight: number;
  peak: number;
  /** Requests whose connection the engine closed before they were answered. */
  abandoned: number;
  /** Answers everything held so far, and from now on at once. */
  release(): void;
  server: Server;
}

const HASH_MATCHER = /rollouts_pod_template_hash=~?"([^"]+)"/;

/** A Prometheus that holds every query (until released, or for `holdMs`) and counts what is in flight. */
async function fakePrometheus(holdMs?: number): Promise<FakePrometheus> {
  const held: Array<() => void> = [];
  let released = false;
  const answer = (request: IncomingMessage, body: string, response: ServerResponse) => {
    const query = new URLSearchParams(body).get('query') ?? '';
    const hashes = (HASH_MATCHER.exec(query)?.[1] ?? '').split('|');
    const start = Number(new URLSearchParams(body).get('start'));
    const result = hashes.flatMap((hash) =>
      ['a', 'b'].map((pod) => ({ metric: { pod: `web-${hash}-${pod}x`, rollouts_pod_template_hash: hash }, values: [[start, '1']] })),
    );
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'success', data: { resultType: 'matrix', result } }));
  };
  const fake: FakePrometheus = {
    url: '',
    requests: 0,
    inFlight: 0,
    peak: 0,
    abandoned: 0,
    release: () => {
      released = true;
      held.splice(0).forEach((send) => send());
    },
    server: createServer((request, response) => {
      let body = '';
      fake.requests++;
      fake.inFlight++;
      fake.peak = Math.max(fake.peak, fake.inFlight);
      let finished = false;
      response.once('close', () => {
        fake.inFlight--;
        if (!finished) fake.abandoned++;
      });
      request.on('data', (chunk) => (body += chunk));
      request.once('end', () => {
        const send = () => {
          if (response.destroyed) return;
          finished = true;
          answer(request, body, response);
        };
        if (released) send();
        else if (holdMs !== undefined) setTimeout(send, holdMs);
        else held.push(send);
      });
    }),
  };
  await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
  return fake;
}

let engine: RunningEngine | undefined;
let client: EngineClient | undefined;
let prometheus: FakePrometheus | undefined;

afterEach(async () => {
  client?.close();
  await engine?.stop();
  prometheus?.release();
  prometheus?.server.closeAllConnections();
  await new Promise((resolve) => prometheus?.server.close(resolve) ?? resolve(undefined));
  engine = client = prometheus = undefined;
});

async function start(limits: { concurrency: number; maxPending: number }, holdMs?: number): Promise<void> {
  prometheus = await fakePrometheus(holdMs);
  engine = await startEngine({ listen: '127.0.0.1:0', log: createLogger({ level: 'silent' }), shutdownGraceMs: 100, sourceLimits: limits });
  client = connectEngine(engine.address);
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

function request(metrics: number, name = 'web') {
  const metric = {
    name: 'verify',
    provider: {
      plugin: {
        'rollouts-cv/verify': {
          duration: '5m',
          canary: { podTemplateHash: 'c1' },
          baseline: { podTemplateHash: 'b1' },
          selectBy: 'label',
          // No history: the requests counted below are the window's (history.test.ts covers the history's).
          history: { lookback: '0s' },
          source: { prometheus: { address: prometheus!.url } },
          metrics: Array.from({ length: metrics }, (_, i) => ({ name: `m${i}`, query: `sum by (pod) (x${i}{\${selector}})` })),
        },
      },
    },
  };
  // A measurement one minute into its window: every Resume queries every metric.
  const windowStart = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
  const measurement = {
    phase: 'Running',
    message: '',
    started_at: windowStart.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    finished_at: '',
    value: '',
    resume_at: '',
    metadata: { windowStart: windowStart.toISOString().replace(/\.\d{3}Z$/, 'Z'), windowEnd: new Date(windowStart.getTime() + 300_000).toISOString().replace(/\.\d{3}Z$/, 'Z') },
  };
  return { analysis_run_json: json({ metadata: { name, namespace: 'shop', uid: name } }), metric_json: json(metric), measurement };
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('source requests', () => {
  it('never exceed the per-source limit, however many metrics a call has', async () => {
    await start({ concurrency: 3, maxPending: 1000 }, 20);
    const answer = await unary<WireMeasurement>(client!.metric, 'Resume', request(20));
    expect(answer.phase).toBe('Running');
    expect(answer.message).not.toMatch(/collection failed/);
    expect(prometheus!.peak).toBe(3);
    // Both groups of each metric in one query.
    expect(prometheus!.requests).toBe(20);
  });

  it('never exceed the per-source limit over many calls at once', async () => {
    await start({ concurrency: 4, maxPending: 1000 }, 10);
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => unary<WireMeasurement>(client!.metric, 'Resume', request(10, `web-${i}`))));
    expect(answers.map((a) => a.phase)).toEqual(Array(8).fill('Running'));
    expect(prometheus!.peak).toBe(4);
    expect(prometheus!.requests).toBe(80);
  });

  it('are refused beyond the queue bound: the look is tried again later, not failed', async () => {
    await start({ concurrency: 1, maxPending: 5 }, 20);
    const answer = await unary<WireMeasurement>(client!.metric, 'Resume', request(20));
    expect(answer.phase).toBe('Running');
    expect(answer.message).toMatch(/^collection failed, will retry at .*: metric "m\d+": Prometheus at .*: the engine has 5 source requests waiting/);
    // A refused request is not retried within the look: it would only queue again. One in flight, five waiting.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await until(() => prometheus!.inFlight === 0);
    expect(prometheus!.peak).toBeLessThanOrEqual(1);
    expect(prometheus!.requests).toBeLessThanOrEqual(6);
  });

  it('stop when the call is cancelled: those in flight are aborted and no more are made', async () => {
    await start({ concurrency: 4, maxPending: 1000 });
    const call = (client!.metric as unknown as Record<string, (r: object, o: object, cb: (e: grpc.ServiceError | null) => void) => grpc.ClientUnaryCall>).Resume!(
      request(20),
      { deadline: Date.now() + 30_000 },
      () => {},
    );
    await until(() => prometheus!.inFlight === 4);
    call.cancel();
    await until(() => prometheus!.inFlight === 0);
    expect(prometheus!.abandoned).toBe(4);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(prometheus!.requests).toBe(4);
  });

  it("stop before the call's deadline, which is answered with a retry rather than missed", async () => {
    await start({ concurrency: 4, maxPending: 1000 });
    const started = Date.now();
    const answer = await unary<WireMeasurement>(client!.metric, 'Resume', request(20), 2_000);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(answer.phase).toBe('Running');
    expect(answer.message).toMatch(/^collection failed, will retry at .*: the call was cancelled or ran out of time/);
    await until(() => prometheus!.inFlight === 0);
    expect(prometheus!.requests).toBe(4);
  });
});
