// Starts a fake's server on a free loopback port, over HTTPS when given a key and certificate, handing each request
// to the fake once its body is read.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

export type FakeHandler = (request: IncomingMessage, body: string, response: ServerResponse) => void;

/** The server and its origin (`http(s)://127.0.0.1:<port>`). */
export async function serveFake(tls: { key: string; cert: string } | undefined, handle: FakeHandler): Promise<{ server: Server; origin: string }> {
  const handler = (request: IncomingMessage, response: ServerResponse) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk)).on('end', () => handle(request, body, response));
  };
  const server = tls ? createHttpsServer(tls, handler) : createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
