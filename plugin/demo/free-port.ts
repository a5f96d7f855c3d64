import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * Binds a loopback port and releases it: `port` 0 finds a free one (for programs that cannot report the port
 * they bound); another port is checked, so that a busy port is reported as such rather than reaching whatever
 * already listens there.
 */
export function reserveLoopbackPort(port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new Error(`port ${port} on 127.0.0.1 is already in use`) : error),
    );
    server.listen(port, '127.0.0.1', () => {
      const bound = (server.address() as AddressInfo).port;
      server.close(() => resolve(bound));
    });
  });
}
