import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { createLogger } from '../../shared/log.js';
import { type EngineClient, connectEngine, healthStatus } from '../../test/helpers/engine-client.js';
import { verifyDomain } from './domain.js';
import { startEngine } from './engine.js';
import { METRIC_PROVIDER_SERVICE } from './proto.js';
import type { WireMeasurement, WireStepResult } from './wire.js';

const TOKEN = 'c2VjcmV0LXRva2VuLWZvci10aGUtYnJpZGdl';
let dir: string;
let tokenFile: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rollouts-cv-auth-'));
  tokenFile = join(dir, 'token');
  // as a Secret mounted from `kubectl create secret --from-file` may hold it: with a trailing newline
  await writeFile(tokenFile, `${TOKEN}\n`);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function captureLog() {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { log: createLogger({ level: 'info' }, sink), text: () => chunks.join('') };
}

async function engineWithToken(): Promise<{ client: EngineClient; logText: () => string; handled: () => number }> {
  const captured = captureLog();
  let handled = 0;
  const domain = {
    ...verifyDomain,
    metricRun: async () => (handled++, { phase: 'Running' as const, startedAt: '2026-01-01T00:00:00Z' }),
    gateRun: async () => (handled++, { phase: 'Successful' as const }),
  };
  const engine = await startEngine({ listen: '127.0.0.1:0', log: captured.log, domain, authTokenFile: tokenFile });
  const client = connectEngine(engine.address);
  onTestFinished(async () => {
    client.close();
    await engine.stop();
  });
  return { client, logText: captured.text, handled: () => handled };
}

/** A unary call with the given `authorization` metadata (none when undefined). */
function call<Res>(client: grpc.Client, method: string, request: object, authorization?: string): Promise<Res> {
  const metadata = new grpc.Metadata();
  if (authorization !== undefined) metadata.set('authorization', authorization);
  const fn = (client as unknown as Record<string, (...args: unknown[]) => void>)[method]!;
  return new Promise((resolve, reject) =>
    fn.call(client, request, metadata, { deadline: Date.now() + 10_000 }, (error: grpc.ServiceError | null, response: Res) => (error ? reject(error) : resolve(response))),
  );
}

const runRequest = { analysis_run_json: Buffer.from('{}'), metric_json: Buffer.from('{}') };
const stepRequest = { rollout_json: Buffer.from('{"metadata":{"name":"web","namespace":"shop"}}'), plugin_name: 'rollouts-cv/gate' };

describe('engine authentication (--auth-token-file)', () => {
  it('answers calls that carry the token as a bearer credential', async () => {
    const { client } = await engineWithToken();
    expect((await call<WireMeasurement>(client.metric, 'Run', runRequest, `Bearer ${TOKEN}`)).phase).toBe('Running');
    expect((await call<WireStepResult>(client.step, 'Run', stepRequest, `Bearer ${TOKEN}`)).phase).toBe('Successful');
  });

  it('refuses calls without the token, or with another, as UNAUTHENTICATED, before any handler runs', async () => {
    const { client, logText, handled } = await engineWithToken();
    for (const authorization of [undefined, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, TOKEN, `Basic ${TOKEN}`, 'Bearer ']) {
      await expect(call(client.metric, 'Run', runRequest, authorization), String(authorization)).rejects.toMatchObject({
        code: grpc.status.UNAUTHENTICATED,
        details: expect.stringMatching(authorization === undefined ? /no bearer token/ : /wrong bearer token|no bearer token/),
      });
      await expect(call(client.step, 'Run', stepRequest, authorization)).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
      await expect(call(client.metric, 'InitPlugin', { plugin_name: 'rollouts-cv/verify' }, authorization)).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    }
    expect(handled()).toBe(0);
    // the refusals are logged, and neither the token nor what was presented ever is
    expect(logText()).toContain('unauthenticated call refused');
    expect(logText()).not.toContain(TOKEN.slice(0, 12));
  });

  it('leaves health checks open, for the kubelet\'s gRPC probe', async () => {
    const { client } = await engineWithToken();
    expect(await healthStatus(client, '')).toBe('SERVING');
    expect(await healthStatus(client, METRIC_PROVIDER_SERVICE)).toBe('SERVING');
  });

  it('refuses to start with a missing, empty or short token file, naming the file', async () => {
    const log = createLogger({ level: 'silent' });
    await expect(startEngine({ listen: '127.0.0.1:0', log, authTokenFile: join(dir, 'absent') })).rejects.toThrow(/--auth-token-file .*absent/);
    await writeFile(join(dir, 'empty'), '\n');
    await expect(startEngine({ listen: '127.0.0.1:0', log, authTokenFile: join(dir, 'empty') })).rejects.toThrow(/--auth-token-file .*empty.* is empty/);
    await writeFile(join(dir, 'short'), 'abc');
    await expect(startEngine({ listen: '127.0.0.1:0', log, authTokenFile: join(dir, 'short') })).rejects.toThrow(/at least 16 characters/);
  });
});
