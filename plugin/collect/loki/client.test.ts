// Answers no Loki gives, from a server that answers anything: the source must refuse them by their shape, never
// repeating a body that is not Loki's. The source against a faithful fake Loki is test/sources/loki.test.ts.
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { RequestQueue } from '../request-queue.js';
import type { CollectError, LogsRequest } from '../source.js';
import { collectError } from '../../../test/helpers/collect-error.js';
import { closeLocalServers, serveLocally } from '../../../test/helpers/local-server.js';
import { createLokiSource } from './client.js';
import { lokiSettingsSchema } from './settings.js';

const serve = (answer: (url: URL, response: ServerResponse) => void) => serveLocally((request, _body, response) => answer(new URL(request.url ?? '/', 'http://loki'), response));

afterEach(closeLocalServers);

const start = new Date('2026-01-01T00:00:00Z');
const request: LogsRequest = {
  query: '{app="web"}',
  group: { podTemplateHash: 'abc123', selectBy: 'label', hashField: 'rollouts_pod_template_hash', instanceField: 'pod' },
  start,
  end: new Date(start.getTime() + 300_000),
  limit: 10,
};

function json(response: ServerResponse, body: unknown): void {
  response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

const streams = (result: unknown) => ({ status: 'success', data: { resultType: 'streams', result } });

function failure(address: string): Promise<CollectError> {
  return collectError(createLokiSource(lokiSettingsSchema.parse({ address }), { queue: new RequestQueue() }).fetchLogs(request));
}

describe('createLokiSource', () => {
  it('keeps a path prefix in the address', async () => {
    const paths: string[] = [];
    const address = await serve((url, response) => {
      paths.push(url.pathname);
      json(response, streams([]));
    });
    const source = createLokiSource(lokiSettingsSchema.parse({ address: `${address}/loki-gateway` }), { queue: new RequestQueue() });
    await source.fetchLogs(request);
    expect(paths).toEqual(['/loki-gateway/loki/api/v1/query_range']);
  });

  it('refuses a body that is not JSON, or JSON of another shape, by its shape only', async () => {
    let body = '<html>password=hunter2</html>';
    const address = await serve((_url, response) => response.writeHead(200, { 'content-type': 'text/html' }).end(body));
    expect((await failure(address)).message).toBe(`metric "logs": Loki at ${address}: HTTP 200, not a Loki API response (29 bytes, not JSON) (query {app="web"})`);
    body = JSON.stringify({ token: 'hunter2' });
    expect((await failure(address)).message).toContain('HTTP 200, not a Loki API response (19 bytes of JSON of another shape)');
  });

  it('does not repeat an error body that is not plain text', async () => {
    const address = await serve((_url, response) => response.writeHead(502, { 'content-type': 'text/html' }).end('<h1>Bad Gateway</h1> internal-host:8080 password=hunter2'));
    const error = await failure(address);
    expect(error.message).toContain('HTTP 502: not a Loki response (text/html, 56 bytes)');
    expect(error.message).not.toContain('hunter2');
  });

  it('puts a plain-text reason on one line, control characters escaped, clipped', async () => {
    const address = await serve((_url, response) => response.writeHead(400, { 'content-type': 'text/plain' }).end(`parse error\n[forged] level=error\u0000${'x'.repeat(400)}`));
    const error = await failure(address);
    expect(error.message).toContain(`HTTP 400: parse error [forged] level=error\\x00${'x'.repeat(299 - 36)}…`);
    expect(error.message).not.toContain('\n');
  });

  it('refuses a result of another type', async () => {
    const address = await serve((_url, response) => json(response, { status: 'success', data: { resultType: 'matrix', result: [] } }));
    expect((await failure(address)).message).toContain('expected a streams result; got matrix');
  });

  it('refuses a stream without the instance label, naming the setting', async () => {
    const address = await serve((_url, response) => json(response, streams([{ stream: { app: 'web' }, values: [['1767225600000000001', 'x']] }])));
    expect((await failure(address)).message).toContain('a stream has no "pod" label ({"app":"web"}): set logs.instanceField to the label naming the pod');
  });

  it('refuses more lines than it asked for', async () => {
    const values = Array.from({ length: 11 }, (_, k) => [String(1767225600000000001n + BigInt(k)), 'x']);
    const address = await serve((_url, response) => json(response, streams([{ stream: { pod: 'web-abc123-x' }, values }])));
    expect((await failure(address)).message).toContain('Loki answered 11 lines to a query for at most 10');
  });

  it('refuses a count that is not a number', async () => {
    const values = Array.from({ length: 10 }, (_, k) => [String(1767225600000000001n + BigInt(k)), 'x']);
    const address = await serve((url, response) =>
      url.pathname.endsWith('/query_range')
        ? json(response, streams([{ stream: { pod: 'web-abc123-x' }, values }]))
        : json(response, { status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [1767225900, 'NaN'] }] } }),
    );
    expect((await failure(address)).message).toContain('Loki counted the lines as a number that is not finite');
  });

  it("passes Loki's warnings on, each once and clipped", async () => {
    const address = await serve((_url, response) => json(response, { ...streams([]), warnings: ['query was split', 'query was split', 'w'.repeat(400)] }));
    const source = createLokiSource(lokiSettingsSchema.parse({ address }), { queue: new RequestQueue() });
    expect((await source.fetchLogs(request)).warnings).toEqual(['query was split', `${'w'.repeat(299)}…`]);
  });
});
