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
