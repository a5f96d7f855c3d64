import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { getQuery, HttpError, MAX_RESPONSE_BYTES, postForm } from './client.js';

let server: Server | undefined;
let closed = 0;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
  closed = 0;
});

async function serve(handle: (body: string, respond: (status: number, text: string | Buffer) => void) => void): Promise<string> {
  server = createServer((request, response) => {
    let body = '';
    response.once('close', () => (closed += response.writableFinished ? 0 : 1));
    request.on('data', (chunk) => (body += chunk)).on('end', () => handle(body, (status, text) => response.writeHead(status).end(text)));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
}

const form = new URLSearchParams({ query: 'up' });

describe('postForm', () => {
  it('posts the form and answers the status and text, whatever the status', async () => {
    const url = await serve((body, respond) => respond(422, `got ${body}`));
    expect(await postForm(url, form, { timeoutMs: 1000 })).toEqual({ status: 422, text: 'got query=up' });
  });

  it('gives up after the timeout, closing the request', async () => {
    const url = await serve(() => {});
    await expect(postForm(url, form, { timeoutMs: 100 })).rejects.toMatchObject({ code: 'timeout' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(closed).toBe(1);
  });

  it('aborts with the signal, closing the request', async () => {
    const url = await serve(() => {});
    const controller = new AbortController();
    const pending = postForm(url, form, { timeoutMs: 10_000, signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 50));
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'aborted' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(closed).toBe(1);
    await expect(postForm(url, form, { timeoutMs: 1000, signal: controller.signal })).rejects.toBeInstanceOf(HttpError);
  });

  it('refuses a response larger than the limit', async () => {
    const url = await serve((_, respond) => respond(200, Buffer.alloc(MAX_RESPONSE_BYTES + 1)));
    await expect(postForm(url, form, { timeoutMs: 10_000 })).rejects.toMatchObject({ code: 'too-large' });
  });

  it('reports a refused connection by its code', async () => {
    const url = await serve(() => {});
    server!.close();
    server!.closeAllConnections();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await expect(postForm(url, form, { timeoutMs: 1000 })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    server = undefined;
  });
});

describe('getQuery', () => {
  it('sends the parameters as the query string, and answers the Retry-After header', async () => {
    server = createServer((request, response) => response.writeHead(429, { 'retry-after': '3' }).end(`${request.method} ${request.url}`));
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/query`;
    expect(await getQuery(url, new URLSearchParams({ query: '{app="web"}', limit: '5' }), { timeoutMs: 1000 })).toEqual({
      status: 429,
      text: 'GET /api/query?query=%7Bapp%3D%22web%22%7D&limit=5',
      retryAfter: '3',
    });
  });
});
