import type { Server } from 'node:http';

/** host:port as the engine and bot flags take it; the host keeps IPv6 brackets, as in "[::1]:8080". */
export function splitHostPort(listen: string): { host: string; port: number } {
  const colon = listen.lastIndexOf(':');
  const port = Number(listen.slice(colon + 1));
  if (colon <= 0 || !/^\d+$/.test(listen.slice(colon + 1)) || port > 65_535) {
    throw new Error(`listen address ${JSON.stringify(listen)} must be host:port, e.g. 0.0.0.0:7070`);
  }
  return { host: listen.slice(0, colon), port };
}

/** The host as node:net wants it: an IPv6 address without the brackets host:port needs. */
export function bindHost(host: string): string {
  return host.replace(/^\[(.*)\]$/, '$1');
}

/** An HTTP server listening on its address, and how to close it with its connections. */
export interface ListeningServer {
  /** host:port actually bound (port 0 picks a free port). */
  address: string;
  close(): Promise<void>;
}

/** Starts `server` on host:port; rejects naming `what` when the address cannot be had. */
export async function listenOn(server: Server, listen: string, what: string): Promise<ListeningServer> {
  const { host, port } = splitHostPort(listen);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(new Error(`cannot serve ${what} on ${listen}: ${error.message}`)));
    server.listen(port, bindHost(host), resolve);
  });
  const bound = server.address();
  return {
    address: `${host}:${typeof bound === 'object' && bound ? bound.port : port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
