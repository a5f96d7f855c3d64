// HTTP servers a test starts on free ports of the loopback address, each handler given the whole request body, and
// their closing after each test (open keep-alive connections included, so that no server outlives its test).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type LocalHandler = (request: IncomingMessage, body: string, response: ServerResponse) => void;

const open = new Set<Server>();

/** The address (`http://127.0.0.1:<port>`) of a new server answering with `handler` once each request is read. */
export async function serveLocally(handler: LocalHandler): Promise<string> {
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk)).on('end', () => handler(request, body, response));
  });
  return listenLocally(server);
}

/** Starts `server` on a free loopback port, to be closed by closeLocalServers; its address. */
export async function listenLocally(server: Server): Promise<string> {
  open.add(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Closes every server started here (for afterEach). */
export async function closeLocalServers(): Promise<void> {
  const servers = [...open];
  open.clear();
  await Promise.all(
    servers.map((server) => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    }),
  );
}
