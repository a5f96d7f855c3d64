// The VictoriaLogs health check against the real server (the e2e harness' build, test/e2e/harness/victorialogs.ts),
// and against a test server for what VictoriaLogs itself never answers: a gateway's refusal, another service's page.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { locateVictoriaLogs, startVictoriaLogs, type VictoriaLogs } from '../../../test/e2e/harness/victorialogs.js';
import { checkSourceHealth, logSourceConfigSchema } from '../registry.js';
import { collectError } from '../../../test/helpers/collect-error.js';

const health = (settings: Record<string, unknown>) => checkSourceHealth(logSourceConfigSchema.parse({ victorialogs: { timeout: '2s', ...settings } }));


let server: Server | undefined;

async function serve(answer: (response: ServerResponse) => void): Promise<string> {
  server = createServer((_request, response) => answer(response));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

describe('VictoriaLogs health check', () => {
  it('names a refusal and says what answered when it is not VictoriaLogs', async () => {
    const gateway = await serve((response) => response.writeHead(401, { 'content-type': 'text/plain' }).end('Unauthorized'));
    const refused = await collectError(health({ address: gateway }));
    expect(refused.message).toBe(`metric "health": VictoriaLogs at ${gateway}: HTTP 401: Unauthorized (sent without credentials: name a credentials folder in credentials)`);
    server!.closeAllConnections();
    await new Promise((resolve) => server!.close(resolve));

    const page = await serve((response) => response.writeHead(200, { 'content-type': 'text/html' }).end('<html>OK</html>'));
    expect((await collectError(health({ address: page }))).causeText).toBe("HTTP 200, not VictoriaLogs' health answer (text/html, 15 bytes)");
  });

  it('fails naming the source when nothing listens', async () => {
    const address = await serve(() => undefined);
    server!.close();
    server = undefined;
    expect((await collectError(health({ address }))).causeText).toBe('connection refused');
  });
});

let built = true;
try {
  await locateVictoriaLogs();
} catch {
  built = false;
}

describe.skipIf(!built)('VictoriaLogs health check against a real VictoriaLogs', () => {
  let victoriaLogs: VictoriaLogs | undefined;
  beforeAll(async () => {
    victoriaLogs = await startVictoriaLogs();
  }, 60_000);
  afterAll(async () => victoriaLogs?.stop());

  it('answers that it is healthy, for a tenant too', async () => {
    const { url } = victoriaLogs!;
    await expect(health({ address: url })).resolves.toBe(`VictoriaLogs at ${url} is healthy (its query API tells no version)`);
    await expect(health({ address: url, tenant: '12:34' })).resolves.toContain('is healthy');
  });
});
