import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/log.js';
import { makeTestCa } from '../../test/fakes/prometheus/ca.js';
import { connectEngine, healthStatus } from '../../test/helpers/engine-client.js';
import { startEngine } from './engine.js';

let dir: string;
const file = (name: string) => join(dir, name);
const log = createLogger({ level: 'silent' });
// The server certificate names localhost; the connection itself goes to 127.0.0.1.
const verifyAs: grpc.ChannelOptions = { 'grpc.ssl_target_name_override': 'localhost' };

/** A throwaway CA, a server certificate for localhost and a client certificate, all signed by that CA, as files. */
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rollouts-cv-tls-'));
  const { ca, key, cert, client } = await makeTestCa('rollouts-cv test CA', { client: true });
  const files = { 'ca.pem': ca, 'server.key': key, 'server.pem': cert, 'client.key': client!.key, 'client.pem': client!.cert };
  await Promise.all(Object.entries(files).map(([name, pem]) => writeFile(file(name), pem)));
});

afterAll(() => rm(dir, { recursive: true, force: true }));

async function clientCredentials(withClientCert: boolean): Promise<grpc.ChannelCredentials> {
  const ca = await readFile(file('ca.pem'));
  if (!withClientCert) return grpc.credentials.createSsl(ca);
  return grpc.credentials.createSsl(ca, await readFile(file('client.key')), await readFile(file('client.pem')));
}

describe('engine TLS', () => {
  it('serves TLS with the given certificate and refuses plaintext clients', async () => {
    const engine = await startEngine({ listen: '127.0.0.1:0', log, tls: { certFile: file('server.pem'), keyFile: file('server.key') } });
    const secure = connectEngine(engine.address, await clientCredentials(false), verifyAs);
    const plain = connectEngine(engine.address);
    try {
      expect(await healthStatus(secure, '')).toBe('SERVING');
      await expect(healthStatus(plain, '')).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    } finally {
      secure.close();
      plain.close();
      await engine.stop();
    }
  });

  it('with a client CA, accepts only clients presenting a certificate it signed', async () => {
    const engine = await startEngine({
      listen: '127.0.0.1:0',
      log,
      tls: { certFile: file('server.pem'), keyFile: file('server.key'), clientCaFile: file('ca.pem') },
    });
    const withCert = connectEngine(engine.address, await clientCredentials(true), verifyAs);
    const withoutCert = connectEngine(engine.address, await clientCredentials(false), verifyAs);
    try {
      expect(await healthStatus(withCert, '')).toBe('SERVING');
      await expect(healthStatus(withoutCert, '')).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    } finally {
      withCert.close();
      withoutCert.close();
      await engine.stop();
    }
  });
});
