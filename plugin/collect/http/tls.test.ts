import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestCa, type TestCa } from '../../../test/fakes/prometheus/ca.js';
import { postForm, transportCause } from './client.js';
import { agentTrusting } from './tls.js';

let ca: TestCa;
let otherCa: TestCa;
let server: Server;
let url: string;

beforeAll(async () => {
  [ca, otherCa] = await Promise.all([makeTestCa('private CA'), makeTestCa('another CA')]);
  server = createServer({ key: ca.key, cert: ca.cert }, (_request, response) => response.writeHead(200, { 'content-type': 'text/plain' }).end('trusted'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const form = new URLSearchParams({ query: 'up' });

describe('agentTrusting', () => {
  it("refuses a server certificate from a private CA by default, saying what to do", async () => {
    const error = await postForm(url, form, { timeoutMs: 5000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(transportCause(error, 5000)).toMatch(
      /^TLS: the server's certificate is not trusted \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY): .*\); for a private CA, put its certificate in the credentials folder's ca\.crt$/,
    );
  });

  it('trusts the CA it is given, and still no other', async () => {
    const response = await postForm(url, form, { timeoutMs: 5000, agent: agentTrusting('/credentials/private', ca.ca) });
    expect(response).toMatchObject({ status: 200, text: 'trusted' });
    await expect(postForm(url, form, { timeoutMs: 5000, agent: agentTrusting('/credentials/other', otherCa.ca) })).rejects.toMatchObject({ code: expect.stringMatching(/CERT|SIGNATURE/) });
  });

  it('keeps one agent per folder and CA content, and makes a new one when the CA is rotated', () => {
    const first = agentTrusting('/credentials/rotating', ca.ca);
    expect(agentTrusting('/credentials/rotating', ca.ca)).toBe(first);
    expect(agentTrusting('/credentials/elsewhere', ca.ca)).not.toBe(first);
    const rotated = agentTrusting('/credentials/rotating', otherCa.ca);
    expect(rotated).not.toBe(first);
    expect(agentTrusting('/credentials/rotating', otherCa.ca)).toBe(rotated);
  });
});
